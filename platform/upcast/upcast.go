// Package upcast is read-time schema evolution for events (spec §22).
//
// Stored events are never rewritten. When an event type's payload changes
// shape, register a Chain for the type: one Migration per old schema
// version, migration[v] turning a version-v event into version v+1. A
// Registry applies the chains when events are read — wrap the event log
// with EventLog (or the whole store with Store) and every ReadStream,
// ReadAll and ReadQuery returns events at their current schema version, so
// stream loads, subscriptions and replays all see one shape.
//
// Chains are checked when they are built: a chain to version N must have a
// migration for every version 1 … N−1, so a gap is an error at
// registration, never a surprise at read time. After each step the chain
// itself sets the event's schemaVersion to v+1, so custom migrations need
// not remember to (the original platform's helpers did, custom migrations
// had to — spec §30 question 14, decided here).
//
// Errors are *Error values with the codes UNKNOWN_EVENT_TYPE,
// MISSING_MIGRATION, INVALID_EVENT and FUTURE_VERSION.
package upcast

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/eventspec/eventspec/es"
)

// Error codes of EventUpcasterError.
const (
	CodeUnknownEventType es.Code = "UNKNOWN_EVENT_TYPE"
	CodeMissingMigration es.Code = "MISSING_MIGRATION"
	CodeInvalidEvent     es.Code = "INVALID_EVENT"
	CodeFutureVersion    es.Code = "FUTURE_VERSION"
)

// Error is an upcasting failure (EventUpcasterError). Context carries
// details such as eventType, schemaVersion, fromVersion and position; it is
// nil when there are none.
type Error struct {
	ErrCode es.Code
	Message string
	Context map[string]any
	Cause   error
}

// Name is the error's class name in the original platform.
func (e *Error) Name() string { return "EventUpcasterError" }

// Error renders "<CODE>: <message>" (plus the cause, when there is one).
func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.ErrCode, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.ErrCode, e.Message)
}

// Code returns the stable error code.
func (e *Error) Code() es.Code { return e.ErrCode }

// Unwrap returns the cause (a validation error, for INVALID_EVENT).
func (e *Error) Unwrap() error { return e.Cause }

// Is matches any eventspec error with the same code, so errors.Is(err,
// &upcast.Error{ErrCode: upcast.CodeFutureVersion}) works, and an
// INVALID_EVENT upcast error is es.ErrInvalidEvent.
func (e *Error) Is(target error) bool {
	t, ok := target.(es.Coder)
	return ok && t.Code() == e.ErrCode
}

func errorf(code es.Code, ctx map[string]any, format string, args ...any) *Error {
	return &Error{ErrCode: code, Message: fmt.Sprintf(format, args...), Context: ctx}
}

// Migration turns an event at schema version v into version v+1. It gets a
// copy of the event (its Data may be replaced freely) and returns the
// migrated event; the chain then sets Metadata.SchemaVersion to v+1. A
// migration must not change the event's type. An error it returns is
// passed to the reader unchanged.
type Migration func(es.Recorded) (es.Recorded, error)

// Chain upgrades one event type from any supported schema version to
// Current. Build it with NewChain; it is immutable and safe for concurrent
// use.
type Chain struct {
	current  int
	steps    map[int]Migration
	validate func(es.Recorded) error
}

// ChainOption configures a Chain.
type ChainOption func(*Chain)

// WithValidate checks every upcast event with fn; a failure is an
// INVALID_EVENT error "Upcasted event failed validation". Events already at
// the current version are not validated (they were valid when written).
func WithValidate(fn func(es.Recorded) error) ChainOption {
	return func(c *Chain) { c.validate = fn }
}

// NewChain builds a chain to schema version current (≥ 1) from steps, where
// steps[v] migrates version v to v+1. Every version 1 … current−1 needs a
// step: a missing one is MISSING_MIGRATION "Missing migration for version
// N". Steps outside that range, or nil steps, are INVALID_ARGUMENT.
func NewChain(current int, steps map[int]Migration, opts ...ChainOption) (*Chain, error) {
	if current < 1 {
		return nil, es.Errorf(es.CodeInvalidArgument, "upcast chain: current version %d must be at least 1", current)
	}
	for v := 1; v < current; v++ {
		if steps[v] == nil {
			if _, present := steps[v]; present {
				return nil, es.Errorf(es.CodeInvalidArgument, "upcast chain: migration for version %d is nil", v)
			}
			return nil, errorf(CodeMissingMigration, map[string]any{"fromVersion": v, "currentVersion": current},
				"Missing migration for version %d", v)
		}
	}
	for v := range steps {
		if v < 1 || v >= current {
			return nil, es.Errorf(es.CodeInvalidArgument, "upcast chain: migration for version %d is outside 1…%d", v, current-1)
		}
	}
	c := &Chain{current: current, steps: maps.Clone(steps)}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Current returns the schema version the chain upgrades to.
func (c *Chain) Current() int { return c.current }

// Result is the outcome of upcasting one event.
type Result struct {
	Event                 es.Recorded
	WasUpcasted           bool
	OriginalSchemaVersion int
	CurrentSchemaVersion  int
}

// SchemaVersion returns an event's schema version; 0 (never stored by a
// conforming adapter) counts as es.DefaultSchemaVersion.
func SchemaVersion(r es.Recorded) int {
	if r.Metadata.SchemaVersion <= 0 {
		return es.DefaultSchemaVersion
	}
	return r.Metadata.SchemaVersion
}

func eventContext(r es.Recorded, extra map[string]any) map[string]any {
	ctx := map[string]any{"eventType": r.Type}
	if r.Metadata.EventID != "" {
		ctx["eventId"] = r.Metadata.EventID
	}
	if r.Position != 0 {
		ctx["position"] = int64(r.Position)
	}
	maps.Copy(ctx, extra)
	return ctx
}

// Upcast upgrades r to the chain's current version. An event at the
// current version is returned unchanged; a newer one is FUTURE_VERSION
// ("is newer than current version"). The input is never modified.
func (c *Chain) Upcast(r es.Recorded) (Result, error) {
	orig := SchemaVersion(r)
	switch {
	case orig == c.current:
		return Result{Event: r, OriginalSchemaVersion: orig, CurrentSchemaVersion: c.current}, nil
	case orig > c.current:
		return Result{}, errorf(CodeFutureVersion, eventContext(r, map[string]any{"schemaVersion": orig, "currentVersion": c.current}),
			"event %s schema version %d is newer than current version %d", r.Type, orig, c.current)
	}
	ev := r
	ev.Tags = slices.Clone(r.Tags)
	ev.Metadata.Extra = maps.Clone(r.Metadata.Extra)
	for v := orig; v < c.current; v++ {
		step := c.steps[v]
		if step == nil { // unreachable for chains built by NewChain; kept for safety
			return Result{}, errorf(CodeMissingMigration, eventContext(r, map[string]any{"fromVersion": v}),
				"no migration for event %s from version %d", r.Type, v)
		}
		next, err := step(ev)
		if err != nil {
			return Result{}, err
		}
		if next.Type != ev.Type {
			return Result{}, errorf(CodeInvalidEvent, eventContext(r, map[string]any{"fromVersion": v, "migratedType": next.Type}),
				"migration of event %s from version %d changed its type to %q", r.Type, v, next.Type)
		}
		next.Metadata.SchemaVersion = v + 1
		ev = next
	}
	if !json.Valid(ev.Data) {
		return Result{}, errorf(CodeInvalidEvent, eventContext(r, nil), "upcasted event %s data is not valid JSON", r.Type)
	}
	if c.validate != nil {
		if err := c.validate(ev); err != nil {
			e := errorf(CodeInvalidEvent, eventContext(r, map[string]any{"originalSchemaVersion": orig}), "Upcasted event failed validation")
			e.Cause = err
			return Result{}, e
		}
	}
	return Result{Event: ev, WasUpcasted: true, OriginalSchemaVersion: orig, CurrentSchemaVersion: c.current}, nil
}

// Registry holds one chain per event type and upcasts events by type. It
// is safe for concurrent use; registration usually happens at start-up.
type Registry struct {
	mu     sync.RWMutex
	chains map[string]*Chain
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{chains: map[string]*Chain{}} }

// Register sets the chain of eventType, replacing any previous one. The
// type must be a valid event type name and the chain non-nil
// (INVALID_ARGUMENT).
func (r *Registry) Register(eventType string, c *Chain) error {
	if err := es.ValidateName(es.CodeInvalidArgument, "upcast: event type", eventType); err != nil {
		return err
	}
	if c == nil {
		return es.Errorf(es.CodeInvalidArgument, "upcast: chain for %q is nil", eventType)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chains[eventType] = c
	return nil
}

// Define builds a chain with NewChain and registers it for eventType: a
// missing step fails here, at registration.
func (r *Registry) Define(eventType string, current int, steps map[int]Migration, opts ...ChainOption) error {
	c, err := NewChain(current, steps, opts...)
	if err != nil {
		if ue, ok := err.(*Error); ok {
			ue.Message = fmt.Sprintf("event %s: %s", eventType, ue.Message)
			ue.Context["eventType"] = eventType
		}
		return err
	}
	return r.Register(eventType, c)
}

// Has reports whether eventType has a chain.
func (r *Registry) Has(eventType string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.chains[eventType]
	return ok
}

// Types returns the registered event types, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.chains))
}

// Chain returns eventType's chain, or nil.
func (r *Registry) Chain(eventType string) *Chain {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.chains[eventType]
}

// Upcast upgrades ev with its type's chain. An event of an unregistered
// type is returned as it is, with original = current = its schema version.
func (r *Registry) Upcast(ev es.Recorded) (Result, error) {
	c := r.Chain(ev.Type)
	if c == nil {
		v := SchemaVersion(ev)
		return Result{Event: ev, OriginalSchemaVersion: v, CurrentSchemaVersion: v}, nil
	}
	return c.Upcast(ev)
}

// Apply returns ev at its current schema version (see Upcast).
func (r *Registry) Apply(ev es.Recorded) (es.Recorded, error) {
	res, err := r.Upcast(ev)
	return res.Event, err
}

// Strict returns ev upcast like Apply, but an event of an unregistered type
// is UNKNOWN_EVENT_TYPE. Use it where every event type must be declared.
func (r *Registry) Strict(ev es.Recorded) (es.Recorded, error) {
	if !r.Has(ev.Type) {
		return es.Recorded{}, errorf(CodeUnknownEventType, eventContext(ev, nil), "no upcaster registered for event type %s", ev.Type)
	}
	return r.Apply(ev)
}

// ApplyAll upcasts events into a new slice (the input is not modified). The
// first failure stops it.
func (r *Registry) ApplyAll(events []es.Recorded) ([]es.Recorded, error) {
	if events == nil {
		return nil, nil
	}
	out := make([]es.Recorded, len(events))
	for i, ev := range events {
		up, err := r.Apply(ev)
		if err != nil {
			return nil, err
		}
		out[i] = up
	}
	return out, nil
}
