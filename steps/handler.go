package steps

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/store"
)

// Handler describes a decider handler factory for the handler vocabulary
// ("When the command … is sent with:").
type Handler[S, C, E any] struct {
	// Config is the handler's configuration. Clock, IDs and Codec may be
	// left nil: each scenario then uses its World's clock and ids and the
	// suite registry's codec (given.Codec). StreamID is wrapped so the
	// stream is isolated by the World's run id.
	Config decider.Config[S, C, E]
	// Create builds the handler with decider.NewCreateHandler (commands
	// that create their stream) instead of decider.NewHandler.
	Create bool
	// Commands lists the registered command names this handler takes.
	// Empty means every registered command assignable to C that no
	// handler lists explicitly.
	Commands []string
}

// handlerEntry is a registered handler with its types erased.
type handlerEntry struct {
	name     string
	create   bool
	commands []string
	cmdType  reflect.Type
	execute  func(ctx context.Context, w *World, st store.Store, cmd any, env envelope) (decider.Result, error)
	decode   func(ev es.Event) (any, error)
}

// envelope is what a command carries besides its payload.
type envelope struct {
	id, correlation string
}

// RegisterHandler makes a decider handler available to the handler
// vocabulary. The configuration is checked now (with placeholders for the
// per-scenario Clock, IDs and Codec); problems are recorded in the suite.
func RegisterHandler[S, C, E any](s *Suite, h Handler[S, C, E]) {
	cfg := h.Config
	probe := cfg
	if probe.Clock == nil {
		probe.Clock = es.NewVirtualClock(es.DefaultVirtualStart)
	}
	if probe.IDs == nil {
		probe.IDs = es.NewSequentialIDs()
	}
	if probe.Codec == nil {
		probe.Codec = given.Codec[E](s.Registry)
	}
	build := func(c decider.Config[S, C, E]) (*decider.Handler[S, C, E], error) {
		if h.Create {
			return decider.NewCreateHandler(c)
		}
		return decider.NewHandler(c)
	}
	if _, err := build(probe); err != nil {
		s.fail(es.Errorf(CodeInvalidDomain, "handler %q: %v", cfg.Name, err))
		return
	}
	codec := probe.Codec
	if cfg.Codec != nil {
		codec = cfg.Codec
	}
	e := &handlerEntry{
		name:     cfg.Name,
		create:   h.Create,
		commands: append([]string(nil), h.Commands...),
		cmdType:  reflect.TypeFor[C](),
		decode: func(ev es.Event) (any, error) {
			v, err := codec.Decode(es.Recorded{Event: ev})
			return any(v), err
		},
	}
	e.execute = func(ctx context.Context, w *World, st store.Store, cmd any, env envelope) (decider.Result, error) {
		c, ok := cmd.(C)
		if !ok {
			return decider.Result{}, es.Errorf(es.CodeInvalidArgument, "handler %q: command %T is not a %s", cfg.Name, cmd, reflect.TypeFor[C]())
		}
		run := cfg
		if run.Clock == nil {
			run.Clock = w.Clock
		}
		if run.IDs == nil {
			run.IDs = w.IDs
		}
		run.Codec = codec
		streamOf := cfg.StreamID
		run.StreamID = func(c C) es.StreamID { return w.StreamID(string(streamOf(c))) }
		hd, err := build(run)
		if err != nil {
			return decider.Result{}, err
		}
		return hd.Execute(ctx, st, decider.Command[C]{ID: env.id, CorrelationID: env.correlation, Payload: c})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.handlers {
		if x.name == e.name {
			s.errs = append(s.errs, es.Errorf(CodeInvalidDomain, "handler %q is registered twice", e.name))
			return
		}
		for _, c := range e.commands {
			for _, d := range x.commands {
				if c == d {
					s.errs = append(s.errs, es.Errorf(CodeInvalidDomain, "command %q is claimed by handlers %q and %q", c, x.name, e.name))
				}
			}
		}
	}
	s.handlers = append(s.handlers, e)
}

// handlerFor finds the handler of the registered command entry.
func (s *Suite) handlerFor(entry given.Entry) (*handlerEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var loose []*handlerEntry
	for _, h := range s.handlers {
		for _, c := range h.commands {
			if c == entry.Name {
				return h, nil
			}
		}
		if len(h.commands) == 0 && entry.Type.AssignableTo(h.cmdType) {
			loose = append(loose, h)
		}
	}
	switch len(loose) {
	case 1:
		return loose[0], nil
	case 0:
		return nil, es.Errorf(CodeInvalidStep, "no registered handler takes command %s", entry.Name)
	}
	names := make([]string, len(loose))
	for i, h := range loose {
		names[i] = h.name
	}
	return nil, es.Errorf(CodeInvalidStep, "handlers %s all take command %s; list it in one handler's Commands", strings.Join(names, ", "), entry.Name)
}

// CommandResult is what "When the command … is sent" records in
// World.LastResult.
type CommandResult struct {
	// Command and Handler name what handled what.
	Command string
	Handler string
	// Stream is the stream the command addressed, as steps name it (run-id
	// prefix removed).
	Stream          string
	Status          decider.Status
	Code            string
	Message         string
	Reason          string
	Data            any
	Context         map[string]any
	ExpectedVersion es.Version
	Version         es.Version
	// Appended are the events written, as appended (metadata included);
	// Events the same events decoded, with their registered names.
	Appended  []es.Event
	Events    []given.Typed
	EventIDs  []string
	Positions []es.Position
}

// commandState is the handler part of a World.
type commandState struct {
	nextID      string
	correlation string
	seq         int
	race        *race
	headBefore  es.Position
	sent        bool
	eventIDs    []string
}

// race is a competing append that lands after the command has loaded its
// stream.
type race struct {
	stream es.StreamID
	events []es.Event
}

// logHead returns the head position of st's global log.
func logHead(ctx context.Context, st store.Store) (es.Position, error) {
	page, err := store.ReadAll(ctx, st, store.LogRead{Limit: 1})
	if err != nil {
		return 0, err
	}
	return page.Head, nil
}

// encodeEvents turns a typed table into es.Events with the registry codec.
func (w *World) encodeEvents(rows [][]string) ([]es.Event, error) {
	typed, err := w.Registry.FromTypedRows(given.KindEvent, rows)
	if err != nil {
		return nil, err
	}
	codec := given.Codec[any](w.Registry)
	out := make([]es.Event, len(typed))
	for i, t := range typed {
		if out[i], err = codec.Encode(t.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Send runs the registered handler of cmd (a registered command value) on
// the scenario's store and records a *CommandResult in LastResult, or the
// fault in LastErr.
func (w *World) Send(ctx context.Context, cmd any) error {
	name, err := w.Registry.NameOf(cmd)
	if err != nil {
		return err
	}
	entry, err := w.Registry.Lookup(name)
	if err != nil {
		return err
	}
	h, err := w.suite.handlerFor(entry)
	if err != nil {
		return err
	}
	st, err := w.Store()
	if err != nil {
		return err
	}
	target := st
	if r := w.cmd.race; r != nil {
		w.cmd.race = nil
		v, err := streamVersion(ctx, st, r.stream)
		if err != nil {
			return err
		}
		if _, err := store.Append(ctx, st, es.AppendRequest{Stream: r.stream, Events: r.events}); err != nil {
			return fmt.Errorf("the competing append failed: %w", err)
		}
		target = staleStore{Store: st, stream: r.stream, visible: v}
	}
	if w.cmd.headBefore, err = logHead(ctx, st); err != nil {
		return err
	}
	w.cmd.sent = true
	w.cmd.seq++
	env := envelope{id: w.cmd.nextID, correlation: w.cmd.correlation}
	if env.id == "" {
		env.id = fmt.Sprintf("cmd_test_%03d", w.cmd.seq)
	}
	w.cmd.nextID = ""
	res, err := h.execute(ctx, w, target, cmd, env)
	if err != nil {
		return w.Capture(nil, err)
	}
	cr := &CommandResult{
		Command: name, Handler: h.name, Stream: w.Unprefix(string(res.Stream)),
		Status: res.Status, Code: res.Code, Message: res.Message, Reason: res.Reason, Data: res.Data, Context: res.Context,
		ExpectedVersion: res.ExpectedVersion, Version: res.Version,
		Appended: res.Events, EventIDs: res.EventIDs, Positions: res.Positions,
	}
	for _, ev := range res.Events {
		v, err := h.decode(ev)
		if err != nil {
			return w.Capture(nil, fmt.Errorf("decoding appended event %s: %w", ev.Type, err))
		}
		cr.Events = append(cr.Events, given.Typed{Name: ev.Type, Value: v})
		w.cmd.eventIDs = append(w.cmd.eventIDs, ev.Metadata.EventID)
	}
	return w.Capture(cr, nil)
}

func streamVersion(ctx context.Context, st store.Store, stream es.StreamID) (es.Version, error) {
	var v es.Version
	err := st.Atomic(ctx, func(tx store.Tx) error {
		var err error
		v, err = tx.Events().StreamVersion(ctx, stream)
		return err
	})
	return v, err
}

// readStreamAll reads a whole stream.
func readStreamAll(ctx context.Context, st store.Store, stream es.StreamID) ([]es.Recorded, error) {
	var out []es.Recorded
	var from es.Version
	for {
		page, err := store.ReadStream(ctx, st, stream, store.StreamRead{From: from, Limit: store.MaxStreamLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < store.MaxStreamLimit {
			return out, nil
		}
		from = page[len(page)-1].StreamVersion
	}
}

// lastCommand returns the last command's result, failing when the command
// faulted or none was sent.
func lastCommand(ctx context.Context) (*World, *CommandResult, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !w.cmd.sent {
		return w, nil, failf("no command has been sent yet")
	}
	if w.LastErr != nil {
		return w, nil, failf("expected a command result, but the command failed with %v", w.LastErr)
	}
	r, ok := w.LastResult.(*CommandResult)
	if !ok {
		return w, nil, failf("the last result is a %T, not a command result", w.LastResult)
	}
	return w, r, nil
}

// registerHandlerSteps adds the handler-factory vocabulary.
func registerHandlerSteps(s *Suite) {
	s.Given(`^the events on stream "([^"]*)":$`, func(ctx context.Context, stream string, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		evs, err := w.encodeEvents(Rows(t))
		if err != nil {
			return err
		}
		st, err := w.Store()
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, st, es.AppendRequest{Stream: w.StreamID(stream), Events: evs})
		return err
	})
	s.Given(`^another writer appends to stream "([^"]*)" after the command loads it:$`, func(ctx context.Context, stream string, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		evs, err := w.encodeEvents(Rows(t))
		if err != nil {
			return err
		}
		w.cmd.race = &race{stream: w.StreamID(stream), events: evs}
		return nil
	})
	s.Given(`^the command id is "([^"]*)"$`, func(ctx context.Context, id string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		w.cmd.nextID = id
		return nil
	})
	s.Given(`^the correlation id is "([^"]*)"$`, func(ctx context.Context, id string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		w.cmd.correlation = id
		return nil
	})

	send := func(ctx context.Context, command string, rows [][]string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		entry, err := w.Registry.Resolve(given.KindCommand, command)
		if err != nil {
			return err
		}
		var cmd any
		if rows == nil {
			cmd = entry.New().Interface()
		} else if cmd, err = entry.FromTable(rows); err != nil {
			return err
		}
		return w.Send(ctx, cmd)
	}
	s.When(`^the command (\S+) is sent with:$`, func(ctx context.Context, command string, t *godog.Table) error {
		return send(ctx, command, Rows(t))
	})
	s.When(`^the command (\S+) is sent$`, func(ctx context.Context, command string) error {
		return send(ctx, command, nil)
	})

	s.Then(`^the command (?:should succeed|succeeds)$`, func(ctx context.Context) error {
		_, r, err := lastCommand(ctx)
		if err != nil {
			return err
		}
		if r.Status != decider.StatusSuccess {
			return failf("expected command %s to succeed, got %q (code %q, message %q, reason %q)", r.Command, r.Status, r.Code, r.Message, r.Reason)
		}
		return nil
	})
	s.Then(`^the command (?:should be|is) rejected with code "?([^"\s]+)"?$`, func(ctx context.Context, code string) error {
		_, r, err := lastCommand(ctx)
		if err != nil {
			return err
		}
		if r.Status != decider.StatusRejected || r.Code != code {
			return failf("expected command %s to be rejected with code %s, got %q (code %q, message %q, events %s)", r.Command, code, r.Status, r.Code, r.Message, eventNames(r.Events))
		}
		return nil
	})
	s.Then(`^the command (?:should fail|fails) with reason "(.*)"$`, func(ctx context.Context, reason string) error {
		_, r, err := lastCommand(ctx)
		if err != nil {
			return err
		}
		if r.Status != decider.StatusFailed || !strings.Contains(r.Reason, reason) {
			return failf("expected command %s to fail with reason %q, got %q (reason %q, code %q)", r.Command, reason, r.Status, r.Reason, r.Code)
		}
		return nil
	})
	appended := func(ctx context.Context, t *godog.Table, exact bool) error {
		w, r, err := lastCommand(ctx)
		if err != nil {
			return err
		}
		if err := compareEvents(w.Registry, r.Events, Rows(t), exact); err != nil {
			return err
		}
		_, err = w.stored(ctx, r)
		return err
	}
	s.Then(`^the events appended (?:are|should be):$`, func(ctx context.Context, t *godog.Table) error {
		return appended(ctx, t, false)
	})
	s.Then(`^the events appended (?:are|should be) exactly:$`, func(ctx context.Context, t *godog.Table) error {
		return appended(ctx, t, true)
	})
	s.Then(`^no events (?:are|should be|were) appended$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if !w.cmd.sent {
			return failf("no command has been sent yet")
		}
		if r, ok := w.LastResult.(*CommandResult); ok && len(r.Appended) > 0 {
			return failf("expected no events appended, got %s", eventNames(r.Events))
		}
		st, err := w.Store()
		if err != nil {
			return err
		}
		page, err := store.ReadAll(ctx, st, store.LogRead{After: w.cmd.headBefore})
		if err != nil {
			return err
		}
		if len(page.Events) > 0 {
			var names []string
			for _, e := range page.Events {
				names = append(names, fmt.Sprintf("%s on %s", e.Type, w.Unprefix(string(e.StreamID))))
			}
			return failf("expected no events appended, but the log gained %s", strings.Join(names, ", "))
		}
		return nil
	})
	s.Then(`^the stream "([^"]*)" should have version (\d+)$`, func(ctx context.Context, stream string, version int64) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		st, err := w.Store()
		if err != nil {
			return err
		}
		v, err := streamVersion(ctx, st, w.StreamID(stream))
		if err != nil {
			return err
		}
		if int64(v) != version {
			return failf("expected stream %q at version %d, got %d", stream, version, v)
		}
		return nil
	})
	s.Then(`^the stream "([^"]*)" should contain:$`, func(ctx context.Context, stream string, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		st, err := w.Store()
		if err != nil {
			return err
		}
		recs, err := readStreamAll(ctx, st, w.StreamID(stream))
		if err != nil {
			return err
		}
		codec := given.Codec[any](w.Registry)
		var evs []given.Typed
		for _, rec := range recs {
			v, err := codec.Decode(rec)
			if err != nil {
				return err
			}
			evs = append(evs, given.Typed{Name: rec.Type, Value: v})
		}
		return compareEvents(w.Registry, evs, Rows(t), false)
	})
	s.Then(`^the result (version|expected version) should be (\d+)$`, func(ctx context.Context, which string, version int64) error {
		_, r, err := lastCommand(ctx)
		if err != nil {
			return err
		}
		got := r.Version
		if which == "expected version" {
			got = r.ExpectedVersion
		}
		if int64(got) != version {
			return failf("expected the result %s to be %d, got %d", which, version, got)
		}
		return nil
	})
	s.Then(`^the result stream should be "([^"]*)"$`, func(ctx context.Context, stream string) error {
		_, r, err := lastCommand(ctx)
		if err != nil {
			return err
		}
		if r.Stream != stream {
			return failf("expected the result stream %q, got %q", stream, r.Stream)
		}
		return nil
	})
	s.Then(`^the appended events should have metadata:$`, func(ctx context.Context, t *godog.Table) error {
		w, r, err := lastCommand(ctx)
		if err != nil {
			return err
		}
		if len(r.Appended) == 0 {
			return failf("expected appended events, got none")
		}
		recs, err := w.stored(ctx, r)
		if err != nil {
			return err
		}
		for i, ev := range recs {
			if err := given.ExpectTable(ev.Metadata, Rows(t)); err != nil {
				return failf("appended event %d (%s): %s", i+1, ev.Type, trimCode(err))
			}
		}
		return nil
	})
	s.Then(`^the appended event ids should start with "([^"]*)"$`, func(ctx context.Context, prefix string) error {
		w, r, err := lastCommand(ctx)
		if err != nil {
			return err
		}
		if len(r.Appended) == 0 {
			return failf("expected appended events, got none")
		}
		recs, err := w.stored(ctx, r)
		if err != nil {
			return err
		}
		for i, ev := range recs {
			if !strings.HasPrefix(ev.Metadata.EventID, prefix) {
				return failf("appended event %d (%s) has id %q, which does not start with %q", i+1, ev.Type, ev.Metadata.EventID, prefix)
			}
		}
		return nil
	})
	s.Then(`^every appended event id should be unique$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if len(w.cmd.eventIDs) == 0 {
			return failf("no events have been appended by commands in this scenario")
		}
		seen := map[string]bool{}
		for _, id := range w.cmd.eventIDs {
			if seen[id] {
				return failf("event id %q was minted twice (ids: %s)", id, strings.Join(w.cmd.eventIDs, ", "))
			}
			seen[id] = true
		}
		return nil
	})
}

// stored returns the result's events as the store recorded them (with the
// store's defaults filled in), checking they are the stream's last events.
func (w *World) stored(ctx context.Context, r *CommandResult) ([]es.Recorded, error) {
	if len(r.Appended) == 0 {
		return nil, nil
	}
	st, err := w.Store()
	if err != nil {
		return nil, err
	}
	recs, err := readStreamAll(ctx, st, w.StreamID(r.Stream))
	if err != nil {
		return nil, err
	}
	if len(recs) < len(r.Appended) {
		return nil, failf("the result reports %d appended event(s) but stream %q holds %d", len(r.Appended), r.Stream, len(recs))
	}
	tail := recs[len(recs)-len(r.Appended):]
	for i, rec := range tail {
		if rec.Metadata.EventID != r.Appended[i].Metadata.EventID || rec.Type != r.Appended[i].Type {
			return nil, failf("appended event %d (%s %s) is not in stream %q (found %s %s at version %d)", i+1, r.Appended[i].Type, r.Appended[i].Metadata.EventID, r.Stream, rec.Type, rec.Metadata.EventID, rec.StreamVersion)
		}
	}
	return tail, nil
}

// staleStore shows one stream as it was at version visible: the handler
// loads a state that another writer has since moved past, as in a race.
type staleStore struct {
	store.Store
	stream  es.StreamID
	visible es.Version
}

func (s staleStore) Atomic(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Atomic(ctx, func(tx store.Tx) error { return fn(staleTx{Tx: tx, s: s}) })
}

type staleTx struct {
	store.Tx
	s staleStore
}

func (t staleTx) Events() store.EventLog { return staleLog{EventLog: t.Tx.Events(), s: t.s} }

type staleLog struct {
	store.EventLog
	s staleStore
}

func (l staleLog) ReadStream(ctx context.Context, stream es.StreamID, opts store.StreamRead) ([]es.Recorded, error) {
	recs, err := l.EventLog.ReadStream(ctx, stream, opts)
	if err != nil || stream != l.s.stream {
		return recs, err
	}
	out := recs[:0:0]
	for _, r := range recs {
		if r.StreamVersion <= l.s.visible {
			out = append(out, r)
		}
	}
	return out, nil
}

func (l staleLog) StreamVersion(ctx context.Context, stream es.StreamID) (es.Version, error) {
	v, err := l.EventLog.StreamVersion(ctx, stream)
	if err == nil && stream == l.s.stream && v > l.s.visible {
		v = l.s.visible
	}
	return v, err
}
