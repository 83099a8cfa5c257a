package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/scenario/internal/report"
	"github.com/eventspec/eventspec/store"
)

// EngineScenario is a Given/When/Then scenario that runs commands through
// the whole engine (middleware, command log, CMS, handler or decider, dual
// write, follow-ups) on a fresh store:
//
//	scenario.Engine(orders.Codec, orders.Setup).
//		GivenCommands(createOrder).
//		When(addItem).
//		Then(t, orders.ItemAdded{OrderID: "o1", SKU: "a", Qty: 1})
//
// E is the domain event type; codec decodes recorded events into it for
// comparison and encodes GivenEvents. Like DeciderScenario it is immutable:
// the Given methods return a new scenario, and every When builds a new
// engine on a new store, so a base scenario can be shared.
type EngineScenario[E any] struct {
	codec    decider.Codec[E]
	setup    func(*engine.Engine) error
	newStore func() store.Store
	engOpts  []engine.Option
	opts     cmp.Options
	steps    []givenStep[E]
}

type givenStep[E any] struct {
	stream es.StreamID
	events []E
	cmd    *command.Command
}

// EngineOption configures an engine scenario.
type EngineOption func(*engineConfig)

type engineConfig struct {
	newStore func() store.Store
	engOpts  []engine.Option
	cmpOpts  []cmp.Option
}

// OnStore makes every When run on a store from newStore (default: a fresh
// memstore). The engine reads time and ids from the store when it exposes
// them.
func OnStore(newStore func() store.Store) EngineOption {
	return func(c *engineConfig) { c.newStore = newStore }
}

// WithEngineOptions passes options to engine.New (a pipeline, a seed, …).
func WithEngineOptions(opts ...engine.Option) EngineOption {
	return func(c *engineConfig) { c.engOpts = append(c.engOpts, opts...) }
}

// WithEngineCmpOptions adds go-cmp options to the scenario's comparisons.
func WithEngineCmpOptions(opts ...cmp.Option) EngineOption {
	return func(c *engineConfig) { c.cmpOpts = append(c.cmpOpts, opts...) }
}

// Engine starts an engine scenario. setup registers the domain on each new
// engine (command definitions, job handlers, workers).
func Engine[E any](codec decider.Codec[E], setup func(*engine.Engine) error, opts ...EngineOption) *EngineScenario[E] {
	var c engineConfig
	for _, o := range opts {
		o(&c)
	}
	if c.newStore == nil {
		c.newStore = func() store.Store { return memstore.New() }
	}
	return &EngineScenario[E]{codec: codec, setup: setup, newStore: c.newStore, engOpts: c.engOpts, opts: report.Options(c.cmpOpts...)}
}

func (s *EngineScenario[E]) with(step givenStep[E]) *EngineScenario[E] {
	c := *s
	c.steps = append(append([]givenStep[E](nil), s.steps...), step)
	return &c
}

// GivenEvents appends events to stream (whatever its version) before the
// command runs.
func (s *EngineScenario[E]) GivenEvents(stream es.StreamID, events ...E) *EngineScenario[E] {
	return s.with(givenStep[E]{stream: stream, events: events})
}

// GivenCommands dispatches cmds, in order, before the command runs; each
// must execute (a rejection fails the scenario at When).
func (s *EngineScenario[E]) GivenCommands(cmds ...command.Command) *EngineScenario[E] {
	out := s
	for i := range cmds {
		c := cmds[i]
		out = out.with(givenStep[E]{cmd: &c})
	}
	return out
}

// When builds a fresh engine, plays the Given steps and dispatches cmd.
func (s *EngineScenario[E]) When(cmd command.Command) *EngineRun[E] {
	r := &EngineRun[E]{sc: s, cmd: cmd}
	r.run()
	return r
}

// EngineRun is the outcome of an engine scenario's When.
type EngineRun[E any] struct {
	sc      *EngineScenario[E]
	cmd     command.Command
	eng     *engine.Engine
	res     command.Result
	err     error // a setup or Given failure, or Dispatch's error
	stage   string
	events  []es.Recorded
	decoded []E
}

func (r *EngineRun[E]) run() {
	ctx := context.Background()
	st := r.sc.newStore()
	r.eng = engine.New(st, r.sc.engOpts...)
	if r.sc.setup != nil {
		if err := r.sc.setup(r.eng); err != nil {
			r.err, r.stage = err, "setup"
			return
		}
	}
	for i, g := range r.sc.steps {
		if g.cmd != nil {
			res, err := r.eng.Dispatch(ctx, *g.cmd)
			if err == nil && res.Status != command.StatusExecuted {
				err = fmt.Errorf("given command %s was %s (%s %s)", g.cmd.Type, res.Status, res.Code, res.Reason)
			}
			if err != nil {
				r.err, r.stage = err, fmt.Sprintf("given #%d", i+1)
				return
			}
			continue
		}
		evs := make([]es.Event, len(g.events))
		for j, e := range g.events {
			ev, err := r.sc.codec.Encode(e)
			if err != nil {
				r.err, r.stage = err, fmt.Sprintf("given #%d (encoding event %d)", i+1, j+1)
				return
			}
			evs[j] = ev
		}
		if _, err := store.Append(ctx, st, es.AppendRequest{Stream: g.stream, Events: evs}); err != nil {
			r.err, r.stage = err, fmt.Sprintf("given #%d (appending to %s)", i+1, g.stream)
			return
		}
	}
	head, err := logHead(ctx, st)
	if err != nil {
		r.err, r.stage = err, "reading the log head"
		return
	}
	r.res, r.err = r.eng.Dispatch(ctx, r.cmd)
	if r.err != nil {
		r.stage = "when"
		return
	}
	for after := head; ; {
		page, err := store.ReadAll(ctx, st, store.LogRead{After: after, Limit: store.MaxLogLimit})
		if err != nil {
			r.err, r.stage = err, "reading new events"
			return
		}
		r.events = append(r.events, page.Events...)
		if !page.HasMore {
			break
		}
		after = page.Next
	}
	for _, rec := range r.events {
		e, err := r.sc.codec.Decode(rec)
		if err != nil {
			r.err, r.stage = err, "decoding new events"
			return
		}
		r.decoded = append(r.decoded, e)
	}
}

func logHead(ctx context.Context, st store.Store) (es.Position, error) {
	page, err := store.ReadAll(ctx, st, store.LogRead{Limit: 1})
	return page.Head, err
}

// Engine returns the engine the scenario ran on (for further inspection).
func (r *EngineRun[E]) Engine() *engine.Engine { return r.eng }

// Result returns the When command's result.
func (r *EngineRun[E]) Result() command.Result { return r.res }

// Err returns a setup, Given or Dispatch error, if any.
func (r *EngineRun[E]) Err() error {
	if r.err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", r.stage, r.err)
}

// Events returns the events recorded by the When command, decoded.
func (r *EngineRun[E]) Events() []E { return append([]E(nil), r.decoded...) }

// Recorded returns the events recorded by the When command, as stored.
func (r *EngineRun[E]) Recorded() []es.Recorded { return append([]es.Recorded(nil), r.events...) }

func (r *EngineRun[E]) describe() string {
	var b strings.Builder
	for i, g := range r.sc.steps {
		if g.cmd != nil {
			fmt.Fprintf(&b, "  Given command #%d: %s %s\n", i+1, g.cmd.Type, g.cmd.Payload)
			continue
		}
		for _, e := range g.events {
			fmt.Fprintf(&b, "  Given event on %s: %s\n", g.stream, report.Value(e))
		}
	}
	fmt.Fprintf(&b, "  When: %s %s\n", r.cmd.Type, r.cmd.Payload)
	if r.err != nil {
		fmt.Fprintf(&b, "  Error (%s): %v\n", r.stage, r.err)
	} else {
		fmt.Fprintf(&b, "  Result: %s", r.res.Status)
		if r.res.Code != "" {
			fmt.Fprintf(&b, " %s", r.res.Code)
		}
		if r.res.Reason != "" {
			fmt.Fprintf(&b, " %q", r.res.Reason)
		}
		fmt.Fprintf(&b, ", %d event(s)\n", len(r.events))
	}
	return b.String()
}

func (r *EngineRun[E]) fail(what, details string) error {
	return &Failure{Scenario: "engine", Check: what, Context: r.describe(), Details: strings.TrimRight(details, "\n")}
}

func (r *EngineRun[E]) eventsDiff(want []E) string {
	if eq, err := report.Equal(want, r.decoded, r.sc.opts); err != nil {
		return err.Error()
	} else if eq || (len(want) == 0 && len(r.decoded) == 0) {
		return ""
	}
	n := max(len(want), len(r.decoded))
	rows := make([][]string, n)
	marks := make([]bool, n)
	for i := range n {
		w, g := "(none)", "(none)"
		var wv, gv any
		if i < len(want) {
			wv, w = want[i], report.Value(want[i])
		}
		if i < len(r.decoded) {
			gv, g = r.decoded[i], report.Value(r.decoded[i])
		}
		eq, _ := report.Equal(wv, gv, r.sc.opts)
		rows[i], marks[i] = []string{fmt.Sprint(i + 1), w, g}, !eq
	}
	var b strings.Builder
	fmt.Fprintf(&b, "expected %d event(s), got %d\n", len(want), len(r.decoded))
	b.WriteString(report.Table([]string{"#", "expected", "actual"}, rows, marks))
	b.WriteString("field-path diff (expected → actual):\n")
	b.WriteString(indent(report.EventPaths(want, r.decoded, r.sc.opts)))
	return b.String()
}

// CheckEvents checks that the command executed and recorded exactly these
// events, in order.
func (r *EngineRun[E]) CheckEvents(events ...E) error {
	if r.err != nil {
		return r.fail("Then events", "the scenario did not run to its end")
	}
	if r.res.Status != command.StatusExecuted {
		return r.fail("Then events", fmt.Sprintf("expected the command to execute, it was %s", r.res.Status))
	}
	if d := r.eventsDiff(events); d != "" {
		return r.fail("Then events", d)
	}
	return nil
}

// Then asserts CheckEvents.
func (r *EngineRun[E]) Then(t T, events ...E) *EngineRun[E] {
	t.Helper()
	return r.report(t, r.CheckEvents(events...))
}

// CheckRejected checks that the command was rejected with code and wrote
// no event.
func (r *EngineRun[E]) CheckRejected(code string) error {
	switch {
	case r.err != nil:
		return r.fail("Then rejected "+code, "the scenario did not run to its end")
	case r.res.Status != command.StatusRejected:
		return r.fail("Then rejected "+code, fmt.Sprintf("expected a rejection with code %s, the command was %s", code, r.res.Status))
	case r.res.Code != code:
		return r.fail("Then rejected "+code, fmt.Sprintf("expected rejection code %s, got %s (%s)", code, r.res.Code, r.res.Reason))
	case len(r.events) > 0:
		return r.fail("Then rejected "+code, fmt.Sprintf("a rejection must record nothing, but %d event(s) were recorded", len(r.events)))
	}
	return nil
}

// ThenRejected asserts CheckRejected.
func (r *EngineRun[E]) ThenRejected(t T, code string) *EngineRun[E] {
	t.Helper()
	return r.report(t, r.CheckRejected(code))
}

// CheckFailed checks a business failure with reason and, when given,
// exactly these recorded events.
func (r *EngineRun[E]) CheckFailed(reason string, events ...E) error {
	switch {
	case r.err != nil:
		return r.fail("Then failed", "the scenario did not run to its end")
	case r.res.Status != command.StatusFailed || r.res.Code != "":
		return r.fail("Then failed", fmt.Sprintf("expected a business failure %q, the command was %s %s", reason, r.res.Status, r.res.Code))
	case r.res.Reason != reason:
		return r.fail("Then failed", fmt.Sprintf("expected failure reason %q, got %q", reason, r.res.Reason))
	}
	if len(events) > 0 {
		if d := r.eventsDiff(events); d != "" {
			return r.fail("Then failed", d)
		}
	}
	return nil
}

// ThenFailed asserts CheckFailed.
func (r *EngineRun[E]) ThenFailed(t T, reason string, events ...E) *EngineRun[E] {
	t.Helper()
	return r.report(t, r.CheckFailed(reason, events...))
}

// CheckCommandStatus checks the When command's status in the command log.
func (r *EngineRun[E]) CheckCommandStatus(status command.Status) error {
	if r.err != nil {
		return r.fail("Then command status "+string(status), "the scenario did not run to its end")
	}
	c, err := commandbus.New(r.eng.Store(), r.eng.Clock()).Get(context.Background(), r.res.CommandID)
	switch {
	case err != nil:
		return r.fail("Then command status "+string(status), err.Error())
	case c == nil:
		return r.fail("Then command status "+string(status), fmt.Sprintf("command %s is not in the command log", r.res.CommandID))
	case c.Status != status:
		return r.fail("Then command status "+string(status), fmt.Sprintf("expected status %s, the command log says %s", status, c.Status))
	}
	return nil
}

// ThenCommandStatus asserts CheckCommandStatus.
func (r *EngineRun[E]) ThenCommandStatus(t T, status command.Status) *EngineRun[E] {
	t.Helper()
	return r.report(t, r.CheckCommandStatus(status))
}

// CheckState checks the stored command-model state (CMS) of aggregate id
// of aggType: it is decoded into a value of want's type and compared.
func (r *EngineRun[E]) CheckState(aggType, id string, want any) error {
	what := fmt.Sprintf("Then state of %s %s", aggType, id)
	if r.err != nil {
		return r.fail(what, "the scenario did not run to its end")
	}
	var doc store.Document
	err := r.eng.Store().Atomic(context.Background(), func(tx store.Tx) error {
		var err error
		doc, err = tx.Documents().Get(context.Background(), orchestrator.CMSCollectionPrefix+aggType, id)
		return err
	})
	if err != nil {
		return r.fail(what, "no command-model state: "+err.Error())
	}
	var cms orchestrator.CMSDocument
	if err := json.Unmarshal(doc.Data, &cms); err != nil {
		return r.fail(what, "the stored state does not decode: "+err.Error())
	}
	got := reflect.New(reflect.TypeOf(want))
	if err := json.Unmarshal(cms.State, got.Interface()); err != nil {
		return r.fail(what, fmt.Sprintf("the stored state does not decode into %T: %v", want, err))
	}
	gv := got.Elem().Interface()
	if eq, err := report.Equal(want, gv, r.sc.opts); err != nil {
		return r.fail(what, err.Error())
	} else if !eq {
		return r.fail(what, fmt.Sprintf("expected %s\n  actual   %s\nfield-path diff (expected → actual):\n%s",
			report.Value(want), report.Value(gv), indent(report.Paths(want, gv, r.sc.opts))))
	}
	return nil
}

// ThenState asserts CheckState.
func (r *EngineRun[E]) ThenState(t T, aggType, id string, want any) *EngineRun[E] {
	t.Helper()
	return r.report(t, r.CheckState(aggType, id, want))
}

// CheckNothing checks that the command recorded no event.
func (r *EngineRun[E]) CheckNothing() error {
	if r.err != nil {
		return r.fail("Then nothing", "the scenario did not run to its end")
	}
	if len(r.events) > 0 {
		return r.fail("Then nothing", r.eventsDiff(nil))
	}
	return nil
}

// ThenNothing asserts CheckNothing.
func (r *EngineRun[E]) ThenNothing(t T) *EngineRun[E] {
	t.Helper()
	return r.report(t, r.CheckNothing())
}

func (r *EngineRun[E]) report(t T, err error) *EngineRun[E] {
	t.Helper()
	if err != nil {
		t.Errorf("%v", err)
	}
	return r
}
