package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/store"
)

// DeciderConfig describes a decider-backed handler over the command-model
// state (CMS).
type DeciderConfig[S, C, E any] struct {
	// Decider decides and evolves. Required.
	Decider decider.Decider[S, C, E]
	// Codec maps domain events to stored events and back. Required.
	Codec decider.Codec[E]
	// Decode turns the command into the decider's command; nil decodes the
	// payload as JSON into a C.
	Decode func(cmd command.Command) (C, error)
	// FromArgs, when set, turns the arguments the registration's Decode
	// already decoded (command.HandlerContext.Args) into the decider's
	// command, so the payload is not decoded a second time; when there are
	// none or it reports false, Decode runs.
	FromArgs func(args any) (C, bool)
	// EncodeState and DecodeState store the state; nil uses JSON (S must
	// then round-trip through encoding/json).
	EncodeState func(S) (json.RawMessage, error)
	DecodeState func(raw json.RawMessage, initial S) (S, error)
	// CloneState, when set, turns on a per-handler cache of decoded states:
	// the state a command stored in the CMS is kept (per aggregate stream,
	// at most StateCacheSize of them) and the next command on that
	// aggregate starts from CloneState of it, instead of decoding the CMS,
	// when the loaded CMS has the same version and the same state bytes.
	// CloneState must return a deep copy (nothing the copy can reach may be
	// shared with its input), and S must round-trip through
	// EncodeState/DecodeState (decoding the stored bytes gives an equal
	// state), since a cached state stands for a decoded one.
	CloneState func(S) S
	// CacheState turns on the same cache without copies: the next command
	// starts from the very state value the last one stored. The Decider
	// contract allows it — Decide and Evolve never mutate a state they are
	// given (scenario.Decider checks both) — and it saves a deep copy per
	// command; a decider that breaks the contract would then see its own
	// mutations, so set CloneState instead when in doubt. S must round-trip
	// through EncodeState/DecodeState, as for CloneState. With CloneState
	// set, CacheState changes nothing.
	CacheState bool
	// StateCacheSize bounds the cache CloneState or CacheState turns on (0:
	// DefaultStateCacheSize); the oldest inserted aggregate is evicted.
	StateCacheSize int
}

// DeciderHandler returns a command handler for an aggregate command (the
// registration must have a target aggregate) that:
//
//  1. starts from the stored CMS state (Decider.Initial when there is none),
//  2. folds any events the stream holds beyond the CMS version (events
//     appended outside the orchestrator, e.g. by a test's Given),
//  3. decides with Context{Now, CommandID, CorrelationID},
//  4. returns the outcome for the orchestrator's dual write: on success the
//     events and the state evolved through them; on rejection nothing; on
//     a business failure the one failure event and no state change — each
//     expecting the stream version it decided on.
func DeciderHandler[S, C, E any](cfg DeciderConfig[S, C, E]) (command.Handler, error) {
	d := cfg.Decider
	if d.Initial == nil || d.Decide == nil || d.Evolve == nil || cfg.Codec == nil {
		return nil, es.Errorf(decider.CodeInvalidConfig, "decider handler %q: Decider.Initial, Decide, Evolve and Codec are required", d.Name)
	}
	decode := cfg.Decode
	if decode == nil {
		decode = func(cmd command.Command) (C, error) {
			var c C
			err := cmd.Decode(&c)
			return c, err
		}
	}
	encState := cfg.EncodeState
	if encState == nil {
		encState = func(s S) (json.RawMessage, error) { return json.Marshal(s) }
	}
	decState := cfg.DecodeState
	if decState == nil {
		decState = func(raw json.RawMessage, s S) (S, error) {
			err := json.Unmarshal(raw, &s)
			return s, err
		}
	}
	var cache *stateCache[S]
	if cfg.CloneState != nil || cfg.CacheState {
		cache = newStateCache(cfg.CloneState, cfg.StateCacheSize)
	}
	return func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
		agg := hc.Aggregate
		if agg == nil {
			return command.HandlerResult{}, es.Errorf(decider.CodeInvalidConfig, "decider handler %q: command %s targets no aggregate", d.Name, hc.Command.Type)
		}
		var c C
		fromArgs := false
		if cfg.FromArgs != nil && hc.Args != nil {
			c, fromArgs = cfg.FromArgs(hc.Args)
		}
		if !fromArgs {
			var err error
			if c, err = decode(hc.Command); err != nil {
				return command.HandlerResult{}, command.ValidationError(command.CodeValidation, "Invalid command arguments: "+err.Error(), nil)
			}
		}
		state := d.Initial()
		var err error
		if agg.Exists && len(agg.State) > 0 && string(agg.State) != "null" {
			var cached S
			hit := false
			if cache != nil {
				cached, hit = cache.get(agg.Stream, agg.Version, agg.State)
			}
			if hit {
				state = cached // the state this handler stored at this version (a copy with CloneState)
			} else if state, err = decState(agg.State, state); err != nil {
				return command.HandlerResult{}, es.Wrap(decider.CodeCodec, err, "decider handler %q: stored state of %s does not decode", d.Name, agg.Stream)
			}
		}
		version := agg.Version
		for {
			recs, err := hc.Tx.Events().ReadStream(ctx, agg.Stream, store.StreamRead{From: es.Version(version), Limit: store.MaxStreamLimit})
			if err != nil {
				return command.HandlerResult{}, err
			}
			for _, rec := range recs {
				e, err := cfg.Codec.Decode(rec)
				if err != nil {
					return command.HandlerResult{}, err
				}
				state = d.Evolve(state, e)
				version = int64(rec.StreamVersion)
			}
			if len(recs) < store.MaxStreamLimit {
				break
			}
		}
		out := d.Decide(state, c, decider.Context{Now: hc.Now, CommandID: hc.Command.ID, CorrelationID: hc.Command.Metadata.CorrelationID})
		switch out.Status {
		case decider.StatusRejected:
			return command.Rejected(out.Code, out.Message, out.Context), nil
		case decider.StatusSuccess, decider.StatusFailed:
		default:
			return command.HandlerResult{}, es.Errorf(decider.CodeInvalidOutcome, "decider %q returned unknown outcome %q", d.Name, out.Status)
		}
		// The events and the expected version the result points to share
		// one allocation.
		out1 := &outcome{expected: version}
		events := out1.one[:]
		if len(out.Events) != 1 {
			events = make([]es.Event, len(out.Events))
		}
		for i, e := range out.Events {
			if events[i], err = cfg.Codec.Encode(e); err != nil {
				return command.HandlerResult{}, err
			}
		}
		if out.Status == decider.StatusFailed {
			if len(events) != 1 {
				return command.HandlerResult{}, es.Errorf(decider.CodeInvalidOutcome, "decider %q: a failure must carry exactly one event, got %d", d.Name, len(events))
			}
			return command.Failed(out.Reason, events[0], &out1.expected, out.Context), nil
		}
		for _, e := range out.Events {
			state = d.Evolve(state, e)
		}
		raw, err := encState(state)
		if err != nil {
			return command.HandlerResult{}, es.Wrap(decider.CodeCodec, err, "decider handler %q: state does not encode", d.Name)
		}
		if cache != nil && agg.Stream != "" {
			// The orchestrator stores raw as the CMS state at this version
			// (dual write); if that unit of work does not commit, the next
			// load finds other bytes or another version and decodes.
			cache.put(agg.Stream, version+int64(len(events)), raw, state)
		}
		return command.HandlerResult{Status: command.OutcomeSuccess, Data: out.Data, Version: version + int64(len(events)),
			Events: events, State: raw, ExpectedVersion: &out1.expected}, nil
	}, nil
}

// outcome is the memory of a decider handler's result: room for the usual
// single event and the expected version the result points to.
type outcome struct {
	one      [1]es.Event
	expected int64
}

// FromDecider adapts a handler built by the decider handler factory
// (decider.NewHandler, decider.NewCreateHandler) to a command handler. The
// factory loads and folds the whole stream and appends in the command's
// unit of work itself; the orchestrator records the outcome, enqueues the
// follow-ups and completes the command. decode turns the command payload
// into C (nil: JSON). A missing stream (NOT_FOUND) is a rejection with code
// <STREAM TYPE>_NOT_FOUND; store conflicts abort the command.
func FromDecider[S, C, E any](h *decider.Handler[S, C, E], streamType string, decode func(command.Command) (C, error)) command.Handler {
	if decode == nil {
		decode = func(cmd command.Command) (C, error) {
			var c C
			err := cmd.Decode(&c)
			return c, err
		}
	}
	return func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
		c, err := decode(hc.Command)
		if err != nil {
			return command.HandlerResult{}, command.ValidationError(command.CodeValidation, "Invalid command arguments: "+err.Error(), nil)
		}
		extra := hc.Command.Metadata.Extra
		if u := hc.Command.Metadata.UserID; u != "" {
			extra = map[string]string{"userId": u}
			for k, v := range hc.Command.Metadata.Extra {
				extra[k] = v
			}
		}
		r, err := h.Handle(ctx, hc.Tx, decider.Command[C]{ID: hc.Command.ID, CorrelationID: hc.Command.Metadata.CorrelationID, Payload: c, Extra: extra})
		if err != nil {
			if es.CodeOf(err) == es.CodeNotFound {
				return command.Rejected(fmt.Sprintf("%s_NOT_FOUND", upper(streamType)), err.Error(), nil), nil
			}
			return command.HandlerResult{}, err
		}
		var hr command.HandlerResult
		switch r.Status {
		case decider.StatusRejected:
			return command.Rejected(r.Code, r.Message, r.Context), nil
		case decider.StatusSuccess:
			hr = command.Success(r.Data, int64(r.Version), r.Events...)
		case decider.StatusFailed:
			ev := int64(r.ExpectedVersion)
			hr = command.HandlerResult{Status: command.OutcomeFailed, Reason: r.Reason, Events: r.Events, ExpectedVersion: &ev, Context: r.Context}
		default:
			return command.HandlerResult{}, es.Errorf(decider.CodeInvalidOutcome, "decider handler returned unknown status %q", r.Status)
		}
		hr.Stream = r.Stream
		hr.Appended = &es.AppendResult{Stream: r.Stream, EventIDs: r.EventIDs, Positions: r.Positions, Version: r.Version}
		return hr, nil
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
