package command

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Outcome is the kind of a HandlerResult (spec §12).
type Outcome string

// Handler outcomes.
const (
	// OutcomeSuccess: the state changed and events are recorded.
	OutcomeSuccess Outcome = "success"
	// OutcomeRejected: nothing changes and nothing is recorded.
	OutcomeRejected Outcome = "rejected"
	// OutcomeFailed: a business failure that still records its event.
	OutcomeFailed Outcome = "failed"
)

// HandlerResult is what a command handler returns. Build it with Success,
// Rejected or Failed; fields that are nil were not provided and are absent
// from its JSON.
type HandlerResult struct {
	Status Outcome `json:"status"`
	// Data is returned to the caller (success; may be nil).
	Data any `json:"data,omitempty"`
	// Version is the aggregate version after the success (0 allowed).
	Version int64 `json:"version"`
	// Events are the events to record (success: any number; failed: one).
	Events []es.Event `json:"events,omitempty"`
	// Stream is the stream the events go to. Empty: the targeted aggregate's
	// stream.
	Stream es.StreamID `json:"stream,omitempty"`
	// ExpectedVersion is the stream version the append expects. Nil: the
	// version of the loaded command-model state.
	ExpectedVersion *int64 `json:"expectedVersion,omitempty"`
	// State is the new command-model state to store with the events
	// (success). Nil leaves the stored state unchanged.
	State json.RawMessage `json:"state,omitempty"`
	// Code and Reason describe a rejection; Reason also a failure.
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Context carries details of a rejection or failure; nil when none.
	Context map[string]any `json:"context,omitempty"`
	// Appended, when set, reports that the handler appended Events itself
	// (through HandlerContext.Tx, for example the decider handler factory):
	// the orchestrator records where they landed but does not append them
	// again, and writes no command-model state.
	Appended *es.AppendResult `json:"-"`
}

// Success is a handler result that records events and returns data to the
// caller. version is the aggregate version after the change.
func Success(data any, version int64, events ...es.Event) HandlerResult {
	return HandlerResult{Status: OutcomeSuccess, Data: data, Version: version, Events: events}
}

// Rejected is a handler result that refuses the command: nothing is
// written. ctx may be nil.
func Rejected(code, reason string, ctx map[string]any) HandlerResult {
	return HandlerResult{Status: OutcomeRejected, Code: code, Reason: reason, Context: ctx}
}

// Failed is a business failure that records event and changes no state.
// expectedVersion and ctx may be nil.
func Failed(reason string, event es.Event, expectedVersion *int64, ctx map[string]any) HandlerResult {
	return HandlerResult{Status: OutcomeFailed, Reason: reason, Events: []es.Event{event}, ExpectedVersion: expectedVersion, Context: ctx}
}

// WithStream returns r appending to stream s.
func (r HandlerResult) WithStream(s es.StreamID) HandlerResult { r.Stream = s; return r }

// WithState returns r storing state as the new command-model state.
func (r HandlerResult) WithState(state json.RawMessage) HandlerResult { r.State = state; return r }

// WithExpectedVersion returns r whose append expects stream version v.
func (r HandlerResult) WithExpectedVersion(v int64) HandlerResult { r.ExpectedVersion = &v; return r }

// IsSuccess reports a success.
func (r HandlerResult) IsSuccess() bool { return r.Status == OutcomeSuccess }

// IsRejected reports a rejection.
func (r HandlerResult) IsRejected() bool { return r.Status == OutcomeRejected }

// IsFailed reports a business failure.
func (r HandlerResult) IsFailed() bool { return r.Status == OutcomeFailed }

// Handler decides a command. It runs inside the command's unit of work: it
// may read (and, if it must, write) through hc.Tx, but it normally only
// returns a HandlerResult and lets the orchestrator write state and events.
//
// Returning an error: an *Error of category domain or validation becomes a
// rejection with the error's code; an *AbortError rolls everything back;
// any other error completes the command as failed with code HANDLER_ERROR
// (nothing the handler wrote survives).
//
// hc is valid only during the call: the orchestrator reuses it for later
// commands, so a handler must not keep it (copy what it needs).
type Handler func(ctx context.Context, hc *HandlerContext) (HandlerResult, error)

// HandlerContext is what a handler sees.
type HandlerContext struct {
	// Tx is the command's unit of work.
	Tx store.Tx
	// Command is the command with its id, correlation id, causation id and
	// timestamp filled in.
	Command Command
	// Info is what the registry knows about the command.
	Info Info
	// Now is the instant the command runs at (from the engine's clock).
	Now time.Time
	// IDs mints ids (event ids are minted by the store when left empty).
	IDs es.IDs
	// Aggregate is the targeted aggregate and its stored command-model state;
	// nil when the command targets no aggregate.
	Aggregate *Aggregate
	// Args are the command's arguments as the registration's Decode
	// (registry.ArgsDecoder) decoded them from Command.Payload; nil when the
	// registration has no Decode, or when middleware replaced the payload
	// after validation (the handler then decodes Command.Payload itself).
	Args any
}

// Aggregate is a command's target aggregate and its stored command-model
// state (CMS).
type Aggregate struct {
	// Type and ID identify the aggregate; Stream is its event stream.
	Type   string
	ID     string
	Stream es.StreamID
	// Exists is false when no state is stored yet (a creation command).
	Exists bool
	// Version is the stream version the state reflects (0 when none).
	Version int64
	// StateVersion is the schema version of the stored state.
	StateVersion int
	// State is the stored state as JSON (nil when none).
	State json.RawMessage
}
