// Package metrics is the platform's metrics port (spec §7 rule 12, §12.3):
// components record counters, histograms and gauges on an injected Sink,
// tagged with string key/value pairs.
//
// The default is Nop, which records nothing; components check for it
// (IsNop) and then skip building tags altogether, so metrics cost nothing
// unless a sink is configured. Capture keeps every recording in memory for
// tests to assert on.
//
// Values that measure time are taken from the injected es.Clock, never
// from the wall clock, so they are deterministic under a virtual clock.
//
// Metrics the platform records:
//
//   - histogram "command.duration" (milliseconds from the start of the
//     orchestrator's Execute to its end, on the orchestrator's clock),
//     tags commandType, boundedContext, status (duplicate, success,
//     rejected, failed or unknown);
//   - gauge "queue.depth" when the orchestrator enqueues a follow-up job,
//     tag pool (projection, fanout or saga).
package metrics

import (
	"slices"
	"sync"
)

// Metric names the platform records.
const (
	// CommandDuration is the histogram of command execution time in
	// milliseconds.
	CommandDuration = "command.duration"
	// QueueDepth is the gauge of a job pool's depth at enqueue time.
	QueueDepth = "queue.depth"
)

// Tag keys the platform uses.
const (
	TagCommandType    = "commandType"
	TagBoundedContext = "boundedContext"
	TagStatus         = "status"
	TagPool           = "pool"
)

// Values of the status tag of CommandDuration.
const (
	StatusDuplicate = "duplicate"
	StatusSuccess   = "success"
	StatusRejected  = "rejected"
	StatusFailed    = "failed"
	// StatusUnknown is a command that ended with an error instead of a
	// result (an invalid envelope, an abort, a store failure).
	StatusUnknown = "unknown"
)

// Tag is one key/value label of a recording.
type Tag struct {
	Key   string
	Value string
}

// Sink records metrics. Implementations must be safe for concurrent use
// and must not retain tags beyond the call (callers may reuse the slice).
type Sink interface {
	// Counter adds value to the counter name.
	Counter(name string, value float64, tags ...Tag)
	// Histogram records one observation of name.
	Histogram(name string, value float64, tags ...Tag)
	// Gauge sets name to value.
	Gauge(name string, value float64, tags ...Tag)
}

// Nop is the Sink that records nothing: the default everywhere.
type Nop struct{}

// Counter does nothing.
func (Nop) Counter(string, float64, ...Tag) {}

// Histogram does nothing.
func (Nop) Histogram(string, float64, ...Tag) {}

// Gauge does nothing.
func (Nop) Gauge(string, float64, ...Tag) {}

// IsNop reports whether s records nothing (nil or Nop), so a caller can
// skip preparing a recording.
func IsNop(s Sink) bool {
	switch s.(type) {
	case nil, Nop, *Nop:
		return true
	}
	return false
}

// OrNop returns s, or Nop when s is nil.
func OrNop(s Sink) Sink {
	if s == nil {
		return Nop{}
	}
	return s
}

// Kind is the type of a recorded metric.
type Kind string

// Kinds of metric.
const (
	KindCounter   Kind = "counter"
	KindHistogram Kind = "histogram"
	KindGauge     Kind = "gauge"
)

// Recording is one call a Capture received.
type Recording struct {
	Kind  Kind
	Name  string
	Value float64
	Tags  []Tag
}

// Tag returns the value of tag key and whether the recording has it.
func (r Recording) Tag(key string) (string, bool) {
	for _, t := range r.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// Capture is a Sink that keeps every recording in memory, in call order,
// for tests. The zero value is ready to use; it is safe for concurrent use.
type Capture struct {
	mu   sync.Mutex
	recs []Recording
}

func (c *Capture) add(k Kind, name string, v float64, tags []Tag) {
	c.mu.Lock()
	c.recs = append(c.recs, Recording{Kind: k, Name: name, Value: v, Tags: slices.Clone(tags)})
	c.mu.Unlock()
}

// Counter records a counter increment.
func (c *Capture) Counter(name string, value float64, tags ...Tag) {
	c.add(KindCounter, name, value, tags)
}

// Histogram records an observation.
func (c *Capture) Histogram(name string, value float64, tags ...Tag) {
	c.add(KindHistogram, name, value, tags)
}

// Gauge records a gauge value.
func (c *Capture) Gauge(name string, value float64, tags ...Tag) {
	c.add(KindGauge, name, value, tags)
}

// All returns a copy of every recording, in call order.
func (c *Capture) All() []Recording {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Recording, len(c.recs))
	for i, r := range c.recs {
		r.Tags = slices.Clone(r.Tags)
		out[i] = r
	}
	return out
}

// Named returns the recordings of metric name, in call order.
func (c *Capture) Named(name string) []Recording {
	var out []Recording
	for _, r := range c.All() {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets every recording.
func (c *Capture) Reset() {
	c.mu.Lock()
	c.recs = nil
	c.mu.Unlock()
}
