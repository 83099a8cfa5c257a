//go:build unix

package memstore_test

import (
	"syscall"
	"time"
)

// processCPU returns the process's CPU time (user and system, every
// thread: the garbage collector's work included).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
