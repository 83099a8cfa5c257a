package decider

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/ids"
	"github.com/eventspec/eventspec/store"
)

// Codes of handler errors (errors of the store keep their own codes).
const (
	// CodeInvalidConfig: NewHandler or NewCreateHandler got an incomplete
	// or malformed Config.
	CodeInvalidConfig es.Code = "DECIDER_INVALID_CONFIG"
	// CodeInvalidOutcome: Decide returned an outcome the handler cannot
	// act on (unknown status, a rejection without code, a failure without
	// exactly one event).
	CodeInvalidOutcome es.Code = "DECIDER_INVALID_OUTCOME"
	// CodePanic: the decider (Decide, Evolve or StreamID) or a hook
	// panicked; the panic was recovered and nothing was written.
	CodePanic es.Code = "DECIDER_PANIC"
)

// Command is what a handler receives: the domain payload the decider sees,
// plus the envelope the decider never sees.
type Command[C any] struct {
	// ID identifies this command execution. Required. It becomes the
	// Context's CommandID and the causation id of every event written.
	ID string
	// CorrelationID ties the command to the flow it belongs to. A
	// caller-supplied value is kept; when empty the command id is used.
	CorrelationID string
	// Payload is the domain command handed to Decide.
	Payload C
	// Extra is copied into every written event's Metadata.Extra (for
	// example a user id); keys the codec already set win.
	Extra map[string]string
}

// Result is what a handler returns for a command it could decide on.
// Infrastructure faults are errors instead (see HandlerError).
type Result struct {
	// Status is success, rejected or failed.
	Status Status `json:"status"`
	// Stream is the stream the command addressed.
	Stream es.StreamID `json:"stream"`
	// Data is the success outcome's data, for the caller.
	Data any `json:"data,omitempty"`
	// ExpectedVersion is the version the handler loaded and appended
	// against (0 for a creation handler).
	ExpectedVersion es.Version `json:"expectedVersion"`
	// Version is the stream's version after the command: the new version
	// after a success or failure that wrote events, the loaded version
	// otherwise.
	Version es.Version `json:"version"`
	// Events are the events written, as appended (ids and metadata set).
	Events []es.Event `json:"events,omitempty"`
	// EventIDs and Positions describe where the events landed.
	EventIDs  []string      `json:"eventIds,omitempty"`
	Positions []es.Position `json:"positions,omitempty"`
	// Code and Message describe a rejection.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Reason describes a business failure.
	Reason string `json:"reason,omitempty"`
	// Context carries a rejection's or failure's details.
	Context map[string]any `json:"context,omitempty"`
}

// RejectedResult builds a rejected Result (for PreValidate and HandleError
// hooks).
func RejectedResult(code, message string, context map[string]any) Result {
	return Result{Status: StatusRejected, Code: code, Message: message, Context: context}
}

// HandlerError is a fault while handling a command: a bad command, a load
// or decode failure, a decider panic, an invalid outcome, or an append the
// store refused (CONCURRENCY_CONFLICT among others). Its code is the
// underlying error's code, so es.CodeOf and errors.Is(err,
// es.ErrConcurrency) see through it.
type HandlerError struct {
	Handler string
	Stream  es.StreamID
	// Stage is where it happened: "command", "stream", "prevalidate",
	// "load", "decide", "encode" or "append".
	Stage string
	Err   error
}

// Error renders "handler <name>: <stage> <stream>: <cause>".
func (e *HandlerError) Error() string {
	if e.Stream == "" {
		return fmt.Sprintf("handler %s: %s: %v", e.Handler, e.Stage, e.Err)
	}
	return fmt.Sprintf("handler %s: %s %s: %v", e.Handler, e.Stage, e.Stream, e.Err)
}

// Code returns the underlying error's code (INTERNAL when it has none).
func (e *HandlerError) Code() es.Code {
	if c := es.CodeOf(e.Err); c != "" {
		return c
	}
	return es.CodeInternal
}

// Unwrap returns the underlying error.
func (e *HandlerError) Unwrap() error { return e.Err }

// Config describes a handler. Decider, Codec, StreamID, Clock and IDs are
// required, as are Name and StreamType.
type Config[S, C, E any] struct {
	// Name names the handler in logs and errors, e.g. "ConfirmOrder".
	Name string
	// StreamType is the kind of stream, e.g. "Order". Lower-cased it must
	// match [a-z0-9]{1,64}: event ids are "<streamtype>_event_<id>".
	StreamType string
	// SchemaVersion is stamped on every event written; 0 keeps what the
	// codec set (and the store's default, 1, when it set nothing).
	SchemaVersion int
	// Category, when set, is stamped on every event written (for example
	// "domain" or "integration"); empty keeps what the codec set (and the
	// store's default when it set nothing).
	Category string
	// Decider decides; its Initial state is what an empty stream folds to.
	Decider Decider[S, C, E]
	// Codec maps domain events to stored events and back.
	Codec Codec[E]
	// StreamID picks the stream a command addresses.
	StreamID func(cmd C) es.StreamID
	// Clock gives the decision's Now; IDs mint event ids.
	Clock es.Clock
	IDs   es.IDs
	// PreValidate, when set, runs first (before any load): a non-nil
	// Result is returned as is — nothing is loaded, decided or written; an
	// error goes through HandleError like any other.
	PreValidate func(ctx context.Context, tx store.Tx, cmd Command[C]) (*Result, error)
	// HandleError, when set, sees every fault (as a *HandlerError) before
	// it is returned; returning (result, true) turns the fault into that
	// result and a nil error. Otherwise the fault is logged at error level
	// and returned unchanged.
	HandleError func(err error, stream es.StreamID) (Result, bool)
	// Logger, when set, receives debug records on start, success,
	// rejection, failure and short-circuit, and error records on faults.
	Logger *slog.Logger
}

// Handler turns a decider into a command handler over one stream per
// command: load the stream, fold it, decide, append the outcome's events
// with the loaded version as expected version. Build it with NewHandler
// (commands on existing streams) or NewCreateHandler (commands creating a
// stream). A Handler is safe for concurrent use.
type Handler[S, C, E any] struct {
	cfg      Config[S, C, E]
	create   bool
	idPrefix string
}

// NewHandler builds a handler for commands on an existing stream. For each
// command it:
//
//  1. rejects a command without id (INVALID_ARGUMENT) and defaults the
//     correlation id to the command id;
//  2. runs PreValidate, whose non-nil result short-circuits;
//  3. reads the whole stream; an empty stream is NOT_FOUND;
//  4. decodes and folds it from Decider.Initial;
//  5. decides with Context{Now: Clock.Now(), CommandID, CorrelationID};
//  6. success: appends the events (none: writes nothing) with expected
//     version = loaded version and returns the new version; rejected:
//     writes nothing and returns code, message and context; failed:
//     appends the one failure event the same way and returns status
//     failed with the reason and the expected version.
//
// Every written event gets id "<streamtype>_event_<IDs.NewID()>",
// correlation id, causation id = command id and the configured schema
// version and category. Faults go through HandleError.
func NewHandler[S, C, E any](cfg Config[S, C, E]) (*Handler[S, C, E], error) {
	return newHandler(cfg, false)
}

// NewCreateHandler builds a handler for commands that create their stream.
// It works like NewHandler except that a missing stream is not an error
// (the decider sees Decider.Initial()), and every append expects no stream
// (expected version 0): success yields version 1 and a failure records its
// event at expected version 0. The decider should reject when the stream
// already exists; if it does not, the append fails with
// CONCURRENCY_CONFLICT and nothing is written.
func NewCreateHandler[S, C, E any](cfg Config[S, C, E]) (*Handler[S, C, E], error) {
	return newHandler(cfg, true)
}

func newHandler[S, C, E any](cfg Config[S, C, E], create bool) (*Handler[S, C, E], error) {
	var missing []string
	if cfg.Name == "" {
		missing = append(missing, "Name")
	}
	if cfg.StreamType == "" {
		missing = append(missing, "StreamType")
	}
	if cfg.Decider.Initial == nil {
		missing = append(missing, "Decider.Initial")
	}
	if cfg.Decider.Decide == nil {
		missing = append(missing, "Decider.Decide")
	}
	if cfg.Decider.Evolve == nil {
		missing = append(missing, "Decider.Evolve")
	}
	if cfg.Codec == nil {
		missing = append(missing, "Codec")
	}
	if cfg.StreamID == nil {
		missing = append(missing, "StreamID")
	}
	if cfg.Clock == nil {
		missing = append(missing, "Clock")
	}
	if cfg.IDs == nil {
		missing = append(missing, "IDs")
	}
	if len(missing) > 0 {
		return nil, es.Errorf(CodeInvalidConfig, "decider handler %q: missing %s", cfg.Name, strings.Join(missing, ", "))
	}
	prefix := strings.ToLower(cfg.StreamType)
	if !ids.IsValidPart(prefix) {
		return nil, es.Errorf(CodeInvalidConfig, "decider handler %q: stream type %q must be 1-64 letters or digits", cfg.Name, cfg.StreamType)
	}
	if cfg.SchemaVersion < 0 {
		return nil, es.Errorf(CodeInvalidConfig, "decider handler %q: schema version %d is negative", cfg.Name, cfg.SchemaVersion)
	}
	return &Handler[S, C, E]{cfg: cfg, create: create, idPrefix: prefix + "_" + ids.EventType + "_"}, nil
}

// Name returns the handler's name.
func (h *Handler[S, C, E]) Name() string { return h.cfg.Name }

// Execute handles cmd in its own unit of work on s: the events it writes
// commit together, and a fault rolls everything back.
func (h *Handler[S, C, E]) Execute(ctx context.Context, s store.Store, cmd Command[C]) (Result, error) {
	var res Result
	err := s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		res, err = h.Handle(ctx, tx, cmd)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// Handle handles cmd inside the caller's unit of work tx (so a command bus
// can record the command in the same transaction). On a fault it returns
// the error, and the caller must roll tx back.
func (h *Handler[S, C, E]) Handle(ctx context.Context, tx store.Tx, cmd Command[C]) (Result, error) {
	res, stream, err := h.handle(ctx, tx, cmd)
	if err == nil {
		return res, nil
	}
	if h.cfg.HandleError != nil {
		if r, ok := h.cfg.HandleError(err, stream); ok {
			h.debug(ctx, "decider handler: fault turned into a result", stream, cmd, slog.String("status", string(r.Status)), slog.String("error", err.Error()))
			return r, nil
		}
	}
	if h.cfg.Logger != nil {
		h.cfg.Logger.LogAttrs(ctx, slog.LevelError, "decider handler: fault",
			slog.String("handler", h.cfg.Name), slog.String("stream", string(stream)),
			slog.String("commandId", cmd.ID), slog.String("code", string(es.CodeOf(err))),
			slog.String("error", err.Error()))
	}
	return Result{}, err
}

func (h *Handler[S, C, E]) fault(stream es.StreamID, stage string, err error) error {
	return &HandlerError{Handler: h.cfg.Name, Stream: stream, Stage: stage, Err: err}
}

func (h *Handler[S, C, E]) handle(ctx context.Context, tx store.Tx, cmd Command[C]) (_ Result, stream es.StreamID, _ error) {
	if cmd.ID == "" {
		return Result{}, "", h.fault("", "command", es.Errorf(es.CodeInvalidArgument, "command id is required"))
	}
	if cmd.CorrelationID == "" {
		cmd.CorrelationID = cmd.ID
	}
	if err := guard("StreamID", func() { stream = h.cfg.StreamID(cmd.Payload) }); err != nil {
		return Result{}, "", h.fault("", "stream", err)
	}
	if err := es.ValidateStreamID(stream); err != nil {
		return Result{}, stream, h.fault(stream, "stream", err)
	}
	h.debug(ctx, "decider handler: start", stream, cmd)

	if h.cfg.PreValidate != nil {
		var pre *Result
		var err error
		if perr := guard("PreValidate", func() { pre, err = h.cfg.PreValidate(ctx, tx, cmd) }); perr != nil {
			err = perr
		}
		if err != nil {
			return Result{}, stream, h.fault(stream, "prevalidate", err)
		}
		if pre != nil {
			r := *pre
			if r.Stream == "" {
				r.Stream = stream
			}
			h.debug(ctx, "decider handler: short-circuited by pre-validation", stream, cmd, slog.String("status", string(r.Status)))
			return r, stream, nil
		}
	}

	state, current, err := h.load(ctx, tx, stream)
	if err != nil {
		return Result{}, stream, err
	}
	// A creation handler always expects no stream; the store refuses the
	// append if the stream exists after all.
	expected, expectedVersion := es.Exact(current), current
	if h.create {
		expected, expectedVersion = es.NoStream, 0
	}

	dctx := Context{Now: h.cfg.Clock.Now(), CommandID: cmd.ID, CorrelationID: cmd.CorrelationID}
	var out Outcome[E]
	if err := guard("Decide", func() { out = h.cfg.Decider.Decide(state, cmd.Payload, dctx) }); err != nil {
		return Result{}, stream, h.fault(stream, "decide", err)
	}

	res := Result{Status: out.Status, Stream: stream, ExpectedVersion: expectedVersion, Version: current, Context: out.Context}
	switch out.Status {
	case StatusSuccess:
		res.Data = out.Data
		if len(out.Events) == 0 {
			h.debug(ctx, "decider handler: success without events", stream, cmd)
			return res, stream, nil
		}
	case StatusRejected:
		if out.Code == "" {
			return Result{}, stream, h.fault(stream, "decide", es.Errorf(CodeInvalidOutcome, "rejection without a code (message %q)", out.Message))
		}
		res.Code, res.Message = out.Code, out.Message
		h.debug(ctx, "decider handler: rejected", stream, cmd, slog.String("code", out.Code))
		return res, stream, nil
	case StatusFailed:
		if len(out.Events) != 1 {
			return Result{}, stream, h.fault(stream, "decide", es.Errorf(CodeInvalidOutcome, "a failure must carry exactly one event, got %d (reason %q)", len(out.Events), out.Reason))
		}
		res.Reason = out.Reason
	default:
		return Result{}, stream, h.fault(stream, "decide", es.Errorf(CodeInvalidOutcome, "unknown outcome status %q", out.Status))
	}

	events := make([]es.Event, len(out.Events))
	for i, e := range out.Events {
		ev, err := h.cfg.Codec.Encode(e)
		if err != nil {
			return Result{}, stream, h.fault(stream, "encode", err)
		}
		events[i] = h.stamp(ev, cmd)
	}
	ar, err := tx.Events().Append(ctx, es.AppendRequest{Stream: stream, Expected: expected, Events: events})
	if err != nil {
		return Result{}, stream, h.fault(stream, "append", err)
	}
	res.Version, res.Events, res.EventIDs, res.Positions = ar.Version, events, ar.EventIDs, ar.Positions
	if res.Status == StatusFailed {
		h.debug(ctx, "decider handler: business failure recorded", stream, cmd, slog.String("reason", out.Reason))
	} else {
		h.debug(ctx, "decider handler: success", stream, cmd, slog.Int64("version", int64(ar.Version)), slog.Int("events", len(events)))
	}
	return res, stream, nil
}

// stamp sets the handler-owned metadata of one event.
func (h *Handler[S, C, E]) stamp(ev es.Event, cmd Command[C]) es.Event {
	ev.Metadata.EventID = h.idPrefix + h.cfg.IDs.NewID()
	ev.Metadata.CorrelationID = cmd.CorrelationID
	ev.Metadata.CausationID = cmd.ID
	if h.cfg.SchemaVersion > 0 {
		ev.Metadata.SchemaVersion = h.cfg.SchemaVersion
	}
	if h.cfg.Category != "" {
		ev.Metadata.Category = h.cfg.Category
	}
	if len(cmd.Extra) > 0 {
		extra := make(map[string]string, len(cmd.Extra)+len(ev.Metadata.Extra))
		for k, v := range cmd.Extra {
			extra[k] = v
		}
		for k, v := range ev.Metadata.Extra {
			extra[k] = v
		}
		ev.Metadata.Extra = extra
	}
	return ev
}

// load reads and folds the whole stream, returning the state and the
// stream's version.
func (h *Handler[S, C, E]) load(ctx context.Context, tx store.Tx, stream es.StreamID) (S, es.Version, error) {
	var state S
	if err := guard("Decider.Initial", func() { state = h.cfg.Decider.Initial() }); err != nil {
		return state, 0, h.fault(stream, "load", err)
	}
	var version es.Version
	for {
		page, err := tx.Events().ReadStream(ctx, stream, store.StreamRead{From: version, Limit: store.MaxStreamLimit})
		if err != nil {
			return state, 0, h.fault(stream, "load", err)
		}
		for _, rec := range page {
			e, err := h.cfg.Codec.Decode(rec)
			if err != nil {
				code := es.CodeOf(err)
				if code == "" {
					code = CodeCodec
				}
				return state, 0, h.fault(stream, "load", es.Wrap(code, err, "decoding the event at version %d", rec.StreamVersion))
			}
			if err := guard("Decider.Evolve", func() { state = h.cfg.Decider.Evolve(state, e) }); err != nil {
				return state, 0, h.fault(stream, "load", err)
			}
			version = rec.StreamVersion
		}
		if len(page) < store.MaxStreamLimit {
			break
		}
	}
	if version == 0 && !h.create {
		return state, 0, h.fault(stream, "load", es.Errorf(es.CodeNotFound, "stream %q does not exist", stream))
	}
	return state, version, nil
}

func (h *Handler[S, C, E]) debug(ctx context.Context, msg string, stream es.StreamID, cmd Command[C], attrs ...slog.Attr) {
	if h.cfg.Logger == nil {
		return
	}
	base := []slog.Attr{
		slog.String("handler", h.cfg.Name), slog.String("stream", string(stream)),
		slog.String("commandId", cmd.ID), slog.String("correlationId", cmd.CorrelationID),
	}
	h.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, msg, append(base, attrs...)...)
}

// guard runs fn and turns a panic into a DECIDER_PANIC error naming what
// panicked.
func guard(what string, fn func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = es.Errorf(CodePanic, "%s panicked: %v", what, p)
		}
	}()
	fn()
	return nil
}
