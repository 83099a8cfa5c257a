// Package command holds the vocabulary every part of the command side
// shares: the command envelope (Command, Metadata), the stored command
// status (Status), the result a dispatch returns (Result), handler results
// (HandlerResult and its constructors Success, Rejected, Failed), command
// handlers (Handler, HandlerContext), command categories, the command error
// taxonomy (Error) and the transaction-abort error (AbortError).
//
// These types are a contract between the orchestrator, the command log, the
// middleware pipeline, the batch executor and the test toolkit: fields are
// only ever added, never renamed or removed.
package command

import (
	"encoding/json"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/ids"
	"github.com/eventspec/eventspec/store"
)

// Limits on the identifiers a command carries. Command ids and correlation
// ids are used inside store keys, so they are shorter than es.MaxNameBytes.
const (
	// MaxIDBytes bounds a command id, correlation id, causation id and user id.
	MaxIDBytes = store.MaxCommandIDBytes
	// CommandIDPrefix prefixes generated command ids: "cmd_<id>".
	CommandIDPrefix = ids.CommandPrefix
	// CorrelationIDPrefix prefixes generated correlation ids: "corr_<id>".
	CorrelationIDPrefix = ids.CorrelationPrefix
)

// Command is the envelope a command travels in. Payload is the command's
// arguments as JSON (the original's "args" minus the ids).
type Command struct {
	// ID identifies the command; it is the idempotency key of the command
	// log. Empty: the orchestrator generates "cmd_<id>".
	ID string `json:"commandId"`
	// Type names the command, e.g. "CreateOrder".
	Type string `json:"commandType"`
	// TargetContext is the bounded context the command is addressed to.
	// Empty: the registered definition's context.
	TargetContext string `json:"targetContext,omitempty"`
	// Payload is the command's arguments as JSON. Empty means null.
	Payload json.RawMessage `json:"payload"`
	// Metadata carries correlation and identity.
	Metadata Metadata `json:"metadata"`
}

// Metadata travels with a command.
type Metadata struct {
	// CorrelationID groups every command and event of one user action. A
	// caller-supplied value is kept; empty: the orchestrator generates
	// "corr_<id>".
	CorrelationID string `json:"correlationId,omitempty"`
	// CausationID is the id of the command or event that caused this
	// command. Empty: the command's own id (a root command causes itself).
	CausationID string `json:"causationId,omitempty"`
	// UserID identifies the caller, when known.
	UserID string `json:"userId,omitempty"`
	// Timestamp is when the command was accepted. The orchestrator stamps it
	// from its clock when zero.
	Timestamp time.Time `json:"timestamp,omitzero"`
	// Extra holds caller-defined string metadata (tenant, ip address, …).
	Extra map[string]string `json:"extra,omitempty"`
}

// New builds a command of type typ whose payload is the JSON encoding of
// payload. The id is left empty for the orchestrator to generate; set it for
// an idempotent retry. It returns INVALID_ARGUMENT when payload does not
// encode.
func New(typ string, payload any) (Command, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return Command{}, es.Errorf(es.CodeInvalidArgument, "command %q: payload does not encode as JSON: %v", typ, err)
	}
	return Command{Type: typ, Payload: raw}, nil
}

// MustNew is New for tests and examples with known-good payloads; it panics
// when payload cannot be encoded.
func MustNew(typ string, payload any) Command {
	c, err := New(typ, payload)
	if err != nil {
		panic(err)
	}
	return c
}

// WithID returns c with command id id.
func (c Command) WithID(id string) Command { c.ID = id; return c }

// WithCorrelation returns c with correlation id id.
func (c Command) WithCorrelation(id string) Command { c.Metadata.CorrelationID = id; return c }

// WithUser returns c with user id id.
func (c Command) WithUser(id string) Command { c.Metadata.UserID = id; return c }

// Decode unmarshals the payload into v. It returns INVALID_ARGUMENT naming
// the command type when the payload does not decode.
func (c Command) Decode(v any) error {
	raw := c.Payload
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return es.Wrap(es.CodeInvalidArgument, err, "command %q: payload does not decode", c.Type)
	}
	return nil
}

// Validate checks the envelope: a valid type name, an id and metadata ids of
// at most MaxIDBytes when set, and a payload that is valid JSON of at most
// es.MaxPayloadBytes. Errors carry INVALID_ARGUMENT or PAYLOAD_TOO_LARGE and
// name the offending field.
func (c Command) Validate() error {
	if err := es.ValidateName(es.CodeInvalidArgument, "command type", c.Type); err != nil {
		return err
	}
	ids := [...]struct{ what, v string }{
		{"commandId", c.ID},
		{"metadata.correlationId", c.Metadata.CorrelationID},
		{"metadata.causationId", c.Metadata.CausationID},
		{"metadata.userId", c.Metadata.UserID},
	}
	for _, f := range ids {
		if f.v == "" || len(f.v) <= MaxIDBytes && es.PrintableASCII(f.v) {
			continue // the common case: certainly a valid name of allowed length
		}
		if err := es.ValidateName(es.CodeInvalidArgument, "command "+c.Type+" "+f.what, f.v); err != nil {
			return err
		}
		if len(f.v) > MaxIDBytes {
			return es.Errorf(es.CodeInvalidArgument, "command %s %s is %d bytes long; at most %d", c.Type, f.what, len(f.v), MaxIDBytes)
		}
	}
	if len(c.Payload) > es.MaxPayloadBytes {
		return es.Errorf(es.CodePayloadTooLarge, "command %s payload is %d bytes; at most %d", c.Type, len(c.Payload), es.MaxPayloadBytes)
	}
	if len(c.Payload) > 0 && !es.ValidJSON(c.Payload) {
		return es.Errorf(es.CodeInvalidArgument, "command %s payload is not valid JSON", c.Type)
	}
	size := 0
	for k, v := range c.Metadata.Extra {
		size += len(k) + len(v)
	}
	if size > es.MaxPayloadBytes {
		return es.Errorf(es.CodePayloadTooLarge, "command %s metadata.extra is %d bytes; at most %d", c.Type, size, es.MaxPayloadBytes)
	}
	return nil
}

// NewCommandID returns a fresh command id "cmd_<id>" (ids.NewCommandID).
func NewCommandID(src es.IDs) string { return string(ids.NewCommandID(src)) }

// NewCorrelationID returns a fresh correlation id "corr_<id>"
// (ids.NewCorrelationID).
func NewCorrelationID(src es.IDs) string { return string(ids.NewCorrelationID(src)) }

// Status is where a command is in the command log.
type Status string

// Command statuses. A command is pending while it runs and ends executed,
// rejected or failed, set once (first writer wins).
const (
	StatusPending  Status = "pending"
	StatusExecuted Status = "executed"
	StatusRejected Status = "rejected"
	StatusFailed   Status = "failed"
)

// Statuses lists every status, in lifecycle order.
func Statuses() []Status {
	return []Status{StatusPending, StatusExecuted, StatusRejected, StatusFailed}
}

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusExecuted, StatusRejected, StatusFailed:
		return true
	}
	return false
}

// Final reports whether s is a completed status (executed, rejected,
// failed).
func (s Status) Final() bool { return s.Valid() && s != StatusPending }

// Result is what dispatching a command returns, and what the command log
// stores for it. A second dispatch with the same command id returns the
// stored Result with Duplicate set; every other field is identical.
type Result struct {
	// CommandID is the id the command ran under (generated when the caller
	// left it empty).
	CommandID string `json:"commandId"`
	// CommandType is the command's type.
	CommandType string `json:"commandType"`
	// Status is executed (the handler succeeded; its events are recorded),
	// rejected (a middleware or the handler refused it; nothing recorded) or
	// failed (a business failure whose event is recorded, or a handler
	// error with code HANDLER_ERROR and nothing recorded).
	Status Status `json:"status"`
	// CorrelationID is the correlation id the command ran under.
	CorrelationID string `json:"correlationId,omitempty"`
	// Data is the value the handler returned to the caller, as JSON.
	Data json.RawMessage `json:"data,omitempty"`
	// Code is the rejection or error code (rejected, and failed by error).
	Code string `json:"code,omitempty"`
	// Reason is the rejection message or the failure reason.
	Reason string `json:"reason,omitempty"`
	// Context carries details of a rejection or failure. It is always in
	// its JSON-decoded form (numbers are float64), in the first result as in
	// duplicates.
	Context map[string]any `json:"context,omitempty"`
	// Stream is the stream the events were appended to.
	Stream es.StreamID `json:"stream,omitempty"`
	// EventIDs are the ids of the recorded events, in append order.
	EventIDs []string `json:"eventIds,omitempty"`
	// Version is the aggregate (stream) version after the command.
	Version es.Version `json:"version,omitempty"`
	// Position is the global position of the last recorded event.
	Position es.Position `json:"position,omitempty"`
	// Duplicate is true when this dispatch repeated an earlier command id:
	// the result is the first execution's, and nothing was written.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Succeeded reports whether the command executed.
func (r Result) Succeeded() bool { return r.Status == StatusExecuted }

// Info describes a command to middleware (spec §7 rule 4): the envelope plus
// what the registry knows about its type.
type Info struct {
	Command         Command
	BoundedContext  string
	Category        Category
	TargetAggregate *AggregateTarget
}
