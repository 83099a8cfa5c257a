package es

import (
	"sync"
	"sync/atomic"
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
// concurrent use. Now reads without locking (every command reads the clock
// several times); moves are serialized.
type VirtualClock struct {
	mu  sync.Mutex // serializes moves
	now atomic.Pointer[time.Time]
}

// NewVirtualClock returns a virtual clock at start (DefaultVirtualStart when
// start is the zero time).
func NewVirtualClock(start time.Time) *VirtualClock {
	if start.IsZero() {
		start = DefaultVirtualStart
	}
	c := &VirtualClock{}
	start = start.UTC()
	c.now.Store(&start)
	return c
}

// Now returns the clock's current instant (the zero time for a zero
// VirtualClock).
func (c *VirtualClock) Now() time.Time {
	if p := c.now.Load(); p != nil {
		return *p
	}
	return time.Time{}
}

// Advance moves the clock forward by d and returns the new instant. A
// negative d is ignored: virtual time never runs backwards.
func (c *VirtualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	if d > 0 {
		now = now.Add(d)
		c.now.Store(&now)
	}
	return now
}

// Set moves the clock to t if t is later than now, and returns the clock's
// instant.
func (c *VirtualClock) Set(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	if t.After(now) {
		now = t.UTC()
		c.now.Store(&now)
	}
	return now
}
