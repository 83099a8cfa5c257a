package orchestrator

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/eventspec/eventspec/es"
)

// DefaultStateCacheSize is how many aggregates' states a decider handler
// with DeciderConfig.CloneState or CacheState keeps when StateCacheSize is
// 0.
const DefaultStateCacheSize = 4096

// stateCache keeps, per aggregate stream, the state a decider handler
// last encoded for the CMS, so the next command on that aggregate can
// start from a copy of it instead of decoding the stored JSON. An entry is
// used only when the loaded CMS has the same version and the very same
// state bytes, so a write that never committed (an aborted unit of work)
// or a CMS written by anyone else is never mistaken for it. With a clone
// function get hands out a clone, never the cached value; without one
// (DeciderConfig.CacheState) the value itself. When full, the oldest
// inserted stream is evicted.
type stateCache[S any] struct {
	mu      sync.Mutex
	clone   func(S) S // nil: values are shared
	max     int
	entries map[es.StreamID]*stateEntry[S]
	order   []es.StreamID // insertion order, a ring of at most max streams
	next    int           // the ring slot to evict next once full
}

type stateEntry[S any] struct {
	version int64
	raw     json.RawMessage
	state   S
}

func newStateCache[S any](clone func(S) S, size int) *stateCache[S] {
	if size <= 0 {
		size = DefaultStateCacheSize
	}
	return &stateCache[S]{clone: clone, max: size, entries: make(map[es.StreamID]*stateEntry[S])}
}

// get returns a clone of the cached state of stream when it was cached at
// version with exactly the bytes raw.
func (c *stateCache[S]) get(stream es.StreamID, version int64, raw json.RawMessage) (S, bool) {
	c.mu.Lock()
	e := c.entries[stream]
	hit := e != nil && e.version == version && bytes.Equal(e.raw, raw)
	var s S
	if hit {
		s = e.state
	}
	c.mu.Unlock()
	if !hit || c.clone == nil {
		return s, hit
	}
	return c.clone(s), true
}

// put records that stream's state at version is s, encoded as raw. The
// caller hands s over: it must not use it afterwards.
func (c *stateCache[S]) put(stream es.StreamID, version int64, raw json.RawMessage, s S) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[stream]; e != nil {
		e.version, e.raw, e.state = version, raw, s
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, stream)
	} else {
		delete(c.entries, c.order[c.next])
		c.order[c.next] = stream
		c.next = (c.next + 1) % c.max
	}
	c.entries[stream] = &stateEntry[S]{version: version, raw: raw, state: s}
}
