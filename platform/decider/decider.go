// Package decider is the pure decider pattern: Decide(state, command,
// context) returns an Outcome — success with events, a rejection with a
// code, or a business failure that still records an event — and
// Evolve(state, event) folds events into state. Deciders never panic and
// never do I/O; a handler factory (see NewHandler) loads, folds, decides and
// appends for them.
package decider

import "time"

// Status is the kind of an Outcome.
type Status string

// Outcome statuses.
const (
	StatusSuccess  Status = "success"
	StatusRejected Status = "rejected"
	StatusFailed   Status = "failed"
)

// Context is what a decision may know besides state and command: the
// current instant (from the injected clock), the command id and the
// correlation id.
type Context struct {
	Now           time.Time
	CommandID     string
	CorrelationID string
}

// Outcome is the result of a decision. Exactly one of IsSuccess, IsRejected,
// IsFailed is true.
type Outcome[E any] struct {
	Status Status
	// Events are the events a success emits (possibly none); a failure
	// carries its one failure event here too.
	Events []E
	// Data is an optional value a success returns to the caller.
	Data any
	// Code and Message describe a rejection.
	Code    string
	Message string
	// Reason describes a business failure.
	Reason string
	// Context carries optional details of a rejection or failure.
	Context map[string]any
}

// Success is a decision that emits events.
func Success[E any](events ...E) Outcome[E] {
	return Outcome[E]{Status: StatusSuccess, Events: events}
}

// Rejected is a decision that refuses the command: nothing is recorded.
func Rejected[E any](code, message string) Outcome[E] {
	return Outcome[E]{Status: StatusRejected, Code: code, Message: message}
}

// Failed is a business failure that still records event (for example
// ReservationFailed).
func Failed[E any](reason string, event E) Outcome[E] {
	return Outcome[E]{Status: StatusFailed, Reason: reason, Events: []E{event}}
}

// WithData returns o carrying data for the caller.
func (o Outcome[E]) WithData(data any) Outcome[E] {
	o.Data = data
	return o
}

// WithContext returns o carrying ctx details.
func (o Outcome[E]) WithContext(ctx map[string]any) Outcome[E] {
	o.Context = ctx
	return o
}

// IsSuccess reports a success.
func (o Outcome[E]) IsSuccess() bool { return o.Status == StatusSuccess }

// IsRejected reports a rejection.
func (o Outcome[E]) IsRejected() bool { return o.Status == StatusRejected }

// IsFailed reports a business failure.
func (o Outcome[E]) IsFailed() bool { return o.Status == StatusFailed }

// Decider is a pure decision model over state S, commands C and events E.
// E is usually a sealed interface implemented by the domain's event structs.
type Decider[S, C, E any] struct {
	// Name identifies the decider in messages and step text, e.g. "order".
	Name string
	// Initial returns the state before any event.
	Initial func() S
	// Decide chooses the outcome of cmd in state. It must not mutate state.
	Decide func(state S, cmd C, ctx Context) Outcome[E]
	// Evolve returns the state after event. It must not mutate its input.
	Evolve func(state S, event E) S
}

// Fold evolves the initial state through events.
func (d Decider[S, C, E]) Fold(events ...E) S {
	s := d.Initial()
	for _, e := range events {
		s = d.Evolve(s, e)
	}
	return s
}
