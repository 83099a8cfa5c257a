//go:build !unix

package memstore_test

import "time"

// processCPU is not measured on this platform: benchmarks report no
// cpu-ns/op.
func processCPU() time.Duration { return 0 }
