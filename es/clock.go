package es

import (
	"sync"
	"time"
)

// Clock tells the time. Logic never calls time.Now: it asks the injected
// Clock, so tests can run on a VirtualClock.
type Clock interface {
	Now() time.Time
}

// RealClock is the wall clock, in UTC. It is the only place in eventspec
// that reads the system time.
type RealClock struct{}

// Now returns the current wall-clock time in UTC.
func (RealClock) Now() time.Time { return time.Now().UTC() }

// DefaultVirtualStart is the instant a VirtualClock starts at unless told
// otherwise: 2026-01-01T00:00:00Z.
var DefaultVirtualStart = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// VirtualClock is a clock that moves only when told. It is safe for
// concurrent use.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtualClock returns a virtual clock at start (DefaultVirtualStart when
// start is the zero time).
func NewVirtualClock(start time.Time) *VirtualClock {
	if start.IsZero() {
		start = DefaultVirtualStart
	}
	return &VirtualClock{now: start.UTC()}
}

// Now returns the clock's current instant.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new instant. A
// negative d is ignored: virtual time never runs backwards.
func (c *VirtualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return c.now
}

// Set moves the clock to t if t is later than now, and returns the clock's
// instant.
func (c *VirtualClock) Set(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t.UTC()
	}
	return c.now
}
