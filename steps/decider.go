package steps

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/cucumber/godog"
	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/scenario"
)

// aggregate is a named state type: deciders and invariant sets attach to
// it, and "Given an <aggregate> state:" decodes into it.
type aggregate struct {
	name        string
	stateType   reflect.Type
	decodeState func(rows [][]string) (any, error)
	invariants  map[string]*invariantEntry
	invOrder    []string
	sets        map[string]*setEntry
}

// registerAggregate returns the aggregate name with state type S, creating
// it on first use. Another state type under the same name is an error.
func registerAggregate[S any](s *Suite, name string) (*aggregate, error) {
	if err := es.ValidateName(CodeInvalidDomain, "aggregate name", name); err != nil {
		return nil, err
	}
	t := reflect.TypeFor[S]()
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.aggregates[name]; ok {
		if a.stateType != t {
			return nil, es.Errorf(CodeInvalidDomain, "aggregate %q has state type %s; cannot register it again with %s", name, a.stateType, t)
		}
		return a, nil
	}
	a := &aggregate{
		name:        name,
		stateType:   t,
		decodeState: func(rows [][]string) (any, error) { return given.Decode[S](rows) },
		invariants:  map[string]*invariantEntry{},
		sets:        map[string]*setEntry{},
	}
	s.aggregates[name] = a
	s.aggOrder = append(s.aggOrder, name)
	return a, nil
}

// lookupAggregate finds an aggregate by the name a step uses (loosely, as
// registry names are matched).
func (s *Suite) lookupAggregate(name string) (*aggregate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.aggregates[name]; ok {
		return a, nil
	}
	for _, n := range s.aggOrder {
		if strings.EqualFold(strings.ReplaceAll(n, " ", ""), strings.ReplaceAll(name, " ", "")) {
			return s.aggregates[n], nil
		}
	}
	return nil, es.Errorf(CodeInvalidDomain, "no aggregate %q is registered (known: %s)", name, strings.Join(s.aggOrder, ", "))
}

// outcome is a decider.Outcome with its events type-erased.
type outcome struct {
	Status  decider.Status
	Events  []any
	Data    any
	Code    string
	Message string
	Reason  string
	Context map[string]any
}

// deciderEntry is a registered decider with its types erased.
type deciderEntry struct {
	name    string
	agg     *aggregate
	cmdType reflect.Type
	evtType reflect.Type
	initial func() (any, error)
	// decide runs the decision through package scenario on the base state
	// (nil: the initial state) with events folded on top, and returns the
	// outcome and the state after its events. Integrity problems the
	// scenario finds (Decide or Evolve mutating state, replay mismatch,
	// non-determinism, panics) are the error.
	decide func(base any, events []any, cmd any, ctx decider.Context) (outcome, any, error)
	evolve func(state, event any) (any, error)
}

func (d *deciderEntry) acceptsCommand(v any) bool {
	return v != nil && reflect.TypeOf(v).AssignableTo(d.cmdType)
}

func (d *deciderEntry) acceptsEvent(v any) bool {
	return v != nil && reflect.TypeOf(v).AssignableTo(d.evtType)
}

// guarded runs fn, turning a panic into a DECIDER_PANIC error.
func guarded(what string, fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = es.Errorf(decider.CodePanic, "%s panicked: %v", what, r)
		}
	}()
	fn()
	return nil
}

// RegisterDecider makes d available to the decider vocabulary under
// d.Name, which is also the aggregate name steps use ("Given an order
// state:" decodes a table into S). Its commands are the registered
// commands assignable to C; its events the registered events assignable
// to E. Problems are recorded in the suite (see Suite.Err).
func RegisterDecider[S, C, E any](s *Suite, d decider.Decider[S, C, E]) {
	if d.Initial == nil || d.Decide == nil || d.Evolve == nil {
		s.fail(es.Errorf(CodeInvalidDomain, "decider %q: Initial, Decide and Evolve are required", d.Name))
		return
	}
	agg, err := registerAggregate[S](s, d.Name)
	if err != nil {
		s.fail(es.Errorf(CodeInvalidDomain, "decider %q: %v", d.Name, trimCode(err)))
		return
	}
	e := &deciderEntry{
		name:    d.Name,
		agg:     agg,
		cmdType: reflect.TypeFor[C](),
		evtType: reflect.TypeFor[E](),
	}
	e.initial = func() (st any, err error) {
		err = guarded(d.Name+" Initial", func() { st = d.Initial() })
		return st, err
	}
	e.decide = func(base any, events []any, cmd any, ctx decider.Context) (outcome, any, error) {
		c, ok := cmd.(C)
		if !ok {
			return outcome{}, nil, es.Errorf(es.CodeInvalidArgument, "decider %q: command %T is not a %s", d.Name, cmd, reflect.TypeFor[C]())
		}
		sc := scenario.Decider(d).WithContext(ctx)
		if base != nil {
			st, ok := base.(S)
			if !ok {
				return outcome{}, nil, es.Errorf(es.CodeInvalidArgument, "decider %q: state is a %T, not a %s", d.Name, base, reflect.TypeFor[S]())
			}
			sc = sc.GivenState(st)
		}
		for _, ev := range events {
			x, ok := ev.(E)
			if !ok {
				return outcome{}, nil, es.Errorf(es.CodeInvalidArgument, "decider %q: event %T is not a %s", d.Name, ev, reflect.TypeFor[E]())
			}
			sc = sc.Given(x)
		}
		dc := sc.When(c)
		if err := dc.Err(); err != nil {
			return outcome{}, nil, failf("%v", err)
		}
		out := dc.Outcome()
		o := outcome{Status: out.Status, Data: out.Data, Code: out.Code, Message: out.Message, Reason: out.Reason, Context: out.Context}
		for _, ev := range out.Events {
			o.Events = append(o.Events, any(ev))
		}
		return o, dc.StateAfter(), nil
	}
	e.evolve = func(state, event any) (next any, err error) {
		st, ok := state.(S)
		if !ok && state != nil {
			return nil, es.Errorf(es.CodeInvalidArgument, "decider %q: state is a %T, not a %s", d.Name, state, reflect.TypeFor[S]())
		}
		ev, ok := event.(E)
		if !ok {
			return nil, es.Errorf(es.CodeInvalidArgument, "decider %q: event %T is not a %s", d.Name, event, reflect.TypeFor[E]())
		}
		err = guarded(d.Name+" Evolve", func() { next = d.Evolve(st, ev) })
		return next, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.deciders {
		if x.name == d.Name {
			s.errs = append(s.errs, es.Errorf(CodeInvalidDomain, "decider %q is registered twice", d.Name))
			return
		}
	}
	s.deciders = append(s.deciders, e)
	s.checked = false
}

// Decision is what "When I decide to …" records in World.LastResult.
type Decision struct {
	// Decider and Command name what decided what.
	Decider string
	Command string
	// Status, Code, Message, Reason, Data and Context are the outcome's.
	Status  decider.Status
	Code    string
	Message string
	Reason  string
	Data    any
	Context map[string]any
	// Events are the events the outcome carries, with their registered
	// names.
	Events []given.Typed
	// State is the state after evolving the outcome's events.
	State any
}

// deciderState is the decider part of a World.
type deciderState struct {
	entry  *deciderEntry
	agg    *aggregate
	rows   [][]string // the state table, when one was given
	events []any      // events folded on top of the base state, in order
	ctx    *decider.Context
}

// base returns the state before the scenario's events: the state table
// decoded, or the decider's initial state.
func (d *deciderState) base() (any, error) {
	if d.rows != nil {
		return d.agg.decodeState(d.rows)
	}
	if d.entry == nil {
		return nil, es.Errorf(CodeInvalidStep, "no decider is known yet: start with \"Given an <aggregate> state:\", \"Given no existing <aggregate> state\" or \"Given the <name> decider\"")
	}
	return d.entry.initial()
}

// build rebuilds the current state from its recipe: the base state, then
// every event evolved in order. Building twice gives equal states because
// deciders are pure.
func (d *deciderState) build() (any, error) {
	st, err := d.base()
	if err != nil {
		return nil, err
	}
	for i, ev := range d.events {
		if d.entry == nil {
			return nil, es.Errorf(CodeInvalidStep, "events were given but no decider evolves them")
		}
		if st, err = d.entry.evolve(st, ev); err != nil {
			return nil, fmt.Errorf("evolving event %d (%T): %w", i+1, ev, err)
		}
	}
	return st, nil
}

// useDecider makes e the scenario's decider, checking it agrees with the
// aggregate and decider chosen so far.
func (w *World) useDecider(e *deciderEntry) error {
	if w.dec.entry != nil && w.dec.entry != e {
		return es.Errorf(CodeInvalidStep, "the scenario already uses decider %q; it cannot switch to %q", w.dec.entry.name, e.name)
	}
	if w.dec.agg != nil && w.dec.agg != e.agg {
		return es.Errorf(CodeInvalidStep, "the scenario's state is a %q state; decider %q decides on %q", w.dec.agg.name, e.name, e.agg.name)
	}
	w.dec.entry, w.dec.agg = e, e.agg
	return nil
}

// findDecider picks the decider that accepts every value by accepts: the
// scenario's decider when it does, else the one registered decider that
// does.
func (w *World) findDecider(what string, accepts func(*deciderEntry) bool) (*deciderEntry, error) {
	if w.dec.entry != nil {
		if accepts(w.dec.entry) {
			return w.dec.entry, nil
		}
		return nil, es.Errorf(CodeInvalidStep, "decider %q does not take %s", w.dec.entry.name, what)
	}
	w.suite.mu.Lock()
	var found []*deciderEntry
	for _, d := range w.suite.deciders {
		if (w.dec.agg == nil || d.agg == w.dec.agg) && accepts(d) {
			found = append(found, d)
		}
	}
	w.suite.mu.Unlock()
	switch len(found) {
	case 0:
		return nil, es.Errorf(CodeInvalidStep, "no registered decider takes %s", what)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, d := range found {
		names[i] = d.name
	}
	return nil, es.Errorf(CodeInvalidStep, "deciders %s all take %s; name one with \"Given the <name> decider\"", strings.Join(names, ", "), what)
}

// decisionContext returns the context a decision sees: the one given, or
// the defaults of spec §14 rule 8 at the scenario clock's instant.
func (w *World) decisionContext() decider.Context {
	if w.dec.ctx != nil {
		return *w.dec.ctx
	}
	return decider.Context{Now: w.Clock.Now(), CommandID: "cmd_test_001", CorrelationID: "corr_test_001"}
}

// Decide runs the scenario's decider on cmd (a registered command value)
// in the scenario's state, records the Decision in LastResult, and folds
// the outcome's events into the state. The decision goes through package
// scenario, so a decider that breaks its promises — Decide or Evolve
// mutating state, a replay that differs from the evolved state, a decision
// that differs on a second run, a panic — fails the step with scenario's
// report.
func (w *World) Decide(cmd any) error {
	name, err := w.Registry.NameOf(cmd)
	if err != nil {
		return err
	}
	e, err := w.findDecider(fmt.Sprintf("command %s (%T)", name, cmd), func(d *deciderEntry) bool { return d.acceptsCommand(cmd) })
	if err != nil {
		return err
	}
	if err := w.useDecider(e); err != nil {
		return err
	}
	var base any
	if w.dec.rows != nil {
		if base, err = w.dec.agg.decodeState(w.dec.rows); err != nil {
			return err
		}
	}
	out, after, err := e.decide(base, w.dec.events, cmd, w.decisionContext())
	if err != nil {
		return err
	}
	d := &Decision{Decider: e.name, Command: name, Status: out.Status, Code: out.Code, Message: out.Message,
		Reason: out.Reason, Data: out.Data, Context: out.Context, State: after}
	for _, ev := range out.Events {
		n, err := w.Registry.NameOf(ev)
		if err != nil {
			return es.Errorf(CodeInvalidDomain, "decider %q emitted an event of unregistered type %T", e.name, ev)
		}
		d.Events = append(d.Events, given.Typed{Name: n, Value: ev})
	}
	w.dec.events = append(w.dec.events, out.Events...)
	return w.Capture(d, nil)
}

// stateDiff compares two states field by field, unexported fields
// included; "" means equal.
func stateDiff(a, b any) string {
	return cmp.Diff(a, b, cmp.Exporter(func(reflect.Type) bool { return true }))
}

// Apply evolves the scenario's state with event (a registered event
// value) and records the new state in LastResult.
func (w *World) Apply(event any) error {
	name, err := w.Registry.NameOf(event)
	if err != nil {
		return err
	}
	e, err := w.findDecider(fmt.Sprintf("event %s (%T)", name, event), func(d *deciderEntry) bool { return d.acceptsEvent(event) })
	if err != nil {
		return err
	}
	if err := w.useDecider(e); err != nil {
		return err
	}
	w.dec.events = append(w.dec.events, event)
	st, err := w.dec.build()
	if err != nil {
		return w.Capture(nil, err)
	}
	return w.Capture(st, nil)
}

// State returns the scenario's current aggregate state.
func (w *World) State() (any, error) { return w.dec.build() }

// registerDeciderSteps adds the decider vocabulary of spec §14 rule 18.
func registerDeciderSteps(s *Suite) {
	s.Given(`^a decider context$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		c := decider.Context{Now: w.Clock.Now(), CommandID: "cmd_test_001", CorrelationID: "corr_test_001"}
		w.dec.ctx = &c
		return nil
	})
	s.Given(`^a decider context:$`, func(ctx context.Context, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		c := decider.Context{Now: w.Clock.Now(), CommandID: "cmd_test_001", CorrelationID: "corr_test_001"}
		if err := given.DecodeTable(Rows(t), &c); err != nil {
			return err
		}
		w.dec.ctx = &c
		return nil
	})
	s.Given(`^the ([\w-]+) decider$`, func(ctx context.Context, name string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		e, err := w.findDecider("the name "+name, func(d *deciderEntry) bool { return strings.EqualFold(d.name, name) })
		if err != nil {
			return err
		}
		return w.useDecider(e)
	})
	s.Given(`^an? ([\w-]+) state:$`, func(ctx context.Context, name string, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if err := w.useAggregate(name); err != nil {
			return err
		}
		rows := Rows(t)
		if _, err := w.dec.agg.decodeState(rows); err != nil {
			return err
		}
		w.dec.rows, w.dec.events = rows, nil
		return nil
	})
	s.Given(`^no existing ([\w-]+) state$`, func(ctx context.Context, name string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if err := w.useAggregate(name); err != nil {
			return err
		}
		w.dec.rows, w.dec.events = nil, nil
		if w.dec.entry == nil {
			return es.Errorf(CodeInvalidStep, "no decider is registered for %q, so it has no initial state", name)
		}
		return nil
	})
	s.Given(`^the events:$`, func(ctx context.Context, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		evs, err := w.Registry.FromTypedRows(given.KindEvent, Rows(t))
		if err != nil {
			return err
		}
		for _, ev := range evs {
			v := ev.Value
			e, err := w.findDecider(fmt.Sprintf("event %s", ev.Name), func(d *deciderEntry) bool { return d.acceptsEvent(v) })
			if err != nil {
				return err
			}
			if err := w.useDecider(e); err != nil {
				return err
			}
			w.dec.events = append(w.dec.events, v)
		}
		_, err = w.dec.build()
		return err
	})

	s.When(`^I decide to ([^:]+?) with:$`, func(ctx context.Context, command string, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		entry, err := w.Registry.Resolve(given.KindCommand, command)
		if err != nil {
			return err
		}
		cmd, err := entry.FromTable(Rows(t))
		if err != nil {
			return err
		}
		return w.Decide(cmd)
	})
	s.When(`^I decide to ([^:]+)$`, func(ctx context.Context, command string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		entry, err := w.Registry.Resolve(given.KindCommand, command)
		if err != nil {
			return err
		}
		return w.Decide(entry.New().Interface())
	})
	apply := func(ctx context.Context, event string, rows [][]string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		entry, err := w.Registry.Resolve(given.KindEvent, event)
		if err != nil {
			return err
		}
		ev, err := entry.FromTable(rows)
		if err != nil {
			return err
		}
		return w.Apply(ev)
	}
	s.When(`^(?:the |an? )?(\w+) event is applied:$`, func(ctx context.Context, event string, t *godog.Table) error {
		return apply(ctx, event, Rows(t))
	})
	s.When(`^(?:the |an? )?(\w+) event is applied$`, func(ctx context.Context, event string) error {
		return apply(ctx, event, nil)
	})

	s.Then(`^the decision should be "([^"]*)"$`, func(ctx context.Context, status string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		switch decider.Status(status) {
		case decider.StatusSuccess, decider.StatusRejected, decider.StatusFailed:
		default:
			return es.Errorf(CodeInvalidStep, "%q is not a decision status; use success, rejected or failed", status)
		}
		if o.status != decider.Status(status) {
			return failf("expected the decision to be %q, got %q%s", status, o.status, o.detail())
		}
		return nil
	})
	s.Then(`^the rejection code should be "([^"]*)"$`, func(ctx context.Context, code string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if o.status != decider.StatusRejected {
			return failf("expected a rejection with code %q, got %q%s", code, o.status, o.detail())
		}
		if o.code != code {
			return failf("expected rejection code %q, got %q (message %q)", code, o.code, o.message)
		}
		return nil
	})
	s.Then(`^the rejection message should (be|contain) "(.*)"$`, func(ctx context.Context, how, msg string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if o.status != decider.StatusRejected {
			return failf("expected a rejection, got %q%s", o.status, o.detail())
		}
		return matchText("rejection message", how, msg, o.message)
	})
	s.Then(`^the failure reason should (be|contain) "(.*)"$`, func(ctx context.Context, how, reason string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if o.status != decider.StatusFailed {
			return failf("expected a failure, got %q%s", o.status, o.detail())
		}
		return matchText("failure reason", how, reason, o.reason)
	})
	s.Then(`^the failure event type should be "([^"]*)"$`, func(ctx context.Context, typ string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if o.status != decider.StatusFailed {
			return failf("expected a failure, got %q%s", o.status, o.detail())
		}
		if len(o.events) != 1 || o.events[0].Name != typ {
			return failf("expected the failure event %s, got %s", typ, eventNames(o.events))
		}
		return nil
	})
	s.Then(`^the event type should be "([^"]*)"$`, func(ctx context.Context, typ string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if len(o.events) != 1 || o.events[0].Name != typ {
			return failf("expected one event of type %s, got %s%s", typ, eventNames(o.events), o.detail())
		}
		return nil
	})
	s.Then(`^the event (?:payload )?should have (\S+) (.+)$`, func(ctx context.Context, field, value string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if len(o.events) != 1 {
			return failf("expected exactly one event, got %s%s", eventNames(o.events), o.detail())
		}
		return asFailure(given.Expect(o.events[0].Value, field, unquote(value)))
	})
	s.Then(`^the events should be:$`, func(ctx context.Context, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		return compareEvents(w.Registry, o.events, Rows(t), false)
	})
	s.Then(`^the events should be exactly:$`, func(ctx context.Context, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		return compareEvents(w.Registry, o.events, Rows(t), true)
	})
	s.Then(`^no events should be (?:emitted|produced)$`, func(ctx context.Context) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if len(o.events) != 0 {
			return failf("expected no events, got %s", eventNames(o.events))
		}
		return nil
	})
	s.Then(`^the data should have (\S+) (.+)$`, func(ctx context.Context, field, value string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if o.data == nil {
			return failf("expected data with %s, got no data%s", field, o.detail())
		}
		return asFailure(given.Expect(o.data, field, unquote(value)))
	})
	s.Then(`^the (?:decision|rejection|failure) context should have (\S+) (.+)$`, func(ctx context.Context, key, value string) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if o.context == nil {
			return failf("expected a context with %s, got none%s", key, o.detail())
		}
		return asFailure(given.Expect(o.context, key, unquote(value)))
	})
	s.Then(`^the (?:decision|rejection|failure) should have no context$`, func(ctx context.Context) error {
		o, err := lastOutcome(ctx)
		if err != nil {
			return err
		}
		if o.context != nil {
			return failf("expected no context, got %s", given.Render(o.context))
		}
		return nil
	})
	// Decisions are checked by package scenario in the When step; this
	// step makes the counterexamples scenario/property prints runnable.
	s.Then(`^the decider should pass its integrity checks$`, func(ctx context.Context) error {
		_, err := lastOutcome(ctx)
		return err
	})
	s.Then(`^(?:the )?(?:evolved )?state should have (\S+) (.+)$`, func(ctx context.Context, field, value string) error {
		st, err := currentState(ctx)
		if err != nil {
			return err
		}
		return asFailure(given.Expect(st, field, unquote(value)))
	})
	s.Then(`^(?:the )?(?:evolved )?state should have:$`, func(ctx context.Context, t *godog.Table) error {
		st, err := currentState(ctx)
		if err != nil {
			return err
		}
		return asFailure(given.ExpectTable(st, Rows(t)))
	})
}

// useAggregate makes the named aggregate the scenario's, and its decider
// (when one is registered under that name) the scenario's decider.
func (w *World) useAggregate(name string) error {
	a, err := w.suite.lookupAggregate(name)
	if err != nil {
		return err
	}
	if w.dec.agg != nil && w.dec.agg != a {
		return es.Errorf(CodeInvalidStep, "the scenario already uses aggregate %q; it cannot switch to %q", w.dec.agg.name, a.name)
	}
	w.dec.agg = a
	w.suite.mu.Lock()
	defer w.suite.mu.Unlock()
	for _, d := range w.suite.deciders {
		if d.agg == a && w.dec.entry == nil {
			w.dec.entry = d
		}
	}
	return nil
}

// currentState is the state Then steps inspect: the state after the last
// decision or applied event.
func currentState(ctx context.Context) (any, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, err
	}
	if d, ok := w.LastResult.(*Decision); ok && d.State != nil {
		return d.State, nil
	}
	return w.dec.build()
}

func matchText(what, how, want, got string) error {
	if how == "contain" {
		if !strings.Contains(got, want) {
			return failf("expected the %s to contain %q, got %q", what, want, got)
		}
		return nil
	}
	if got != want {
		return failf("expected the %s to be %q, got %q", what, want, got)
	}
	return nil
}

// lastOutcomeView is the part of a decision or a command result the
// shared Then steps read.
type lastOutcomeView struct {
	status                decider.Status
	code, message, reason string
	events                []given.Typed
	data                  any
	context               map[string]any
}

func (o lastOutcomeView) detail() string {
	switch o.status {
	case decider.StatusRejected:
		return fmt.Sprintf(" (code %q, message %q)", o.code, o.message)
	case decider.StatusFailed:
		return fmt.Sprintf(" (reason %q, events %s)", o.reason, eventNames(o.events))
	case decider.StatusSuccess:
		return fmt.Sprintf(" (events %s)", eventNames(o.events))
	}
	return ""
}

// lastOutcome reads the last decision or command result from the World;
// an error from the When step, or no When step at all, is a failure that
// says so.
func lastOutcome(ctx context.Context) (lastOutcomeView, error) {
	w, err := world(ctx)
	if err != nil {
		return lastOutcomeView{}, err
	}
	if w.LastErr != nil {
		return lastOutcomeView{}, failf("expected an outcome, but the last step failed with %v", w.LastErr)
	}
	switch r := w.LastResult.(type) {
	case *Decision:
		return lastOutcomeView{status: r.Status, code: r.Code, message: r.Message, reason: r.Reason, events: r.Events, data: r.Data, context: r.Context}, nil
	case *CommandResult:
		return lastOutcomeView{status: r.Status, code: r.Code, message: r.Message, reason: r.Reason, events: r.Events, data: r.Data, context: r.Context}, nil
	case nil:
		return lastOutcomeView{}, failf("no decision or command has been made yet")
	}
	return lastOutcomeView{}, failf("the last result is a %T, not a decision or a command result", w.LastResult)
}

func eventNames(evs []given.Typed) string {
	if len(evs) == 0 {
		return "no events"
	}
	names := make([]string, len(evs))
	for i, e := range evs {
		names[i] = e.Name
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// compareEvents checks actual against a typed table: same count, same
// types in order, and every non-empty cell equal to the field it names (a
// "data" cell is the whole event as JSON). With exact, each row is decoded
// to a whole event and compared with all its fields (unset means zero).
// A mismatch prints every difference and an expected | actual listing.
func compareEvents(reg *given.Registry, actual []given.Typed, rows [][]string, exact bool) error {
	var problems []string
	var expected []given.Typed
	if exact {
		var err error
		if expected, err = reg.FromTypedRows(given.KindEvent, rows); err != nil {
			return err
		}
		for i := 0; i < len(expected) && i < len(actual); i++ {
			e, a := expected[i], actual[i]
			if e.Name != a.Name {
				problems = append(problems, fmt.Sprintf("row %d (event %d): expected %s, got %s", i+2, i+1, e.Name, a.Name))
				continue
			}
			if diff := stateDiff(e.Value, a.Value); diff != "" {
				problems = append(problems, fmt.Sprintf("row %d (event %d, %s) differs (-expected +actual):\n%s", i+2, i+1, a.Name, diff))
			}
		}
	} else {
		if len(rows) == 0 {
			return es.Errorf(given.CodeInvalidTable, "the expected events table is empty")
		}
		header := rows[0]
		typeCol, dataCol := -1, -1
		for j, h := range header {
			switch strings.ToLower(strings.TrimSpace(h)) {
			case "type", "event":
				typeCol = j
			case "data":
				dataCol = j
			}
		}
		if typeCol < 0 {
			return es.Errorf(given.CodeInvalidTable, "the expected events table needs a \"type\" column")
		}
		for i, row := range rows[1:] {
			if len(row) != len(header) {
				return es.Errorf(given.CodeInvalidTable, "row %d has %d cells; the header has %d", i+2, len(row), len(header))
			}
			entry, err := reg.Resolve(given.KindEvent, row[typeCol])
			if err != nil {
				return es.Errorf(given.CodeInvalidTable, "row %d, column %q: %v", i+2, header[typeCol], trimCode(err))
			}
			expected = append(expected, given.Typed{Name: entry.Name})
			if i >= len(actual) {
				continue
			}
			a := actual[i]
			if a.Name != entry.Name {
				problems = append(problems, fmt.Sprintf("row %d (event %d): expected %s, got %s", i+2, i+1, entry.Name, a.Name))
				continue
			}
			for j, cell := range row {
				if j == typeCol || cell == "" {
					continue
				}
				if j == dataCol {
					want, err := entry.FromJSON([]byte(cell))
					if err != nil {
						return es.Errorf(given.CodeInvalidTable, "row %d, column %q: %v", i+2, header[j], trimCode(err))
					}
					if diff := stateDiff(want, a.Value); diff != "" {
						problems = append(problems, fmt.Sprintf("row %d (event %d, %s): data differs (-expected +actual):\n%s", i+2, i+1, a.Name, diff))
					}
					continue
				}
				if err := given.Expect(a.Value, header[j], cell); err != nil {
					if es.CodeOf(err) != given.CodeMismatch {
						return es.Errorf(given.CodeInvalidTable, "row %d, column %q: %v", i+2, header[j], trimCode(err))
					}
					problems = append(problems, fmt.Sprintf("row %d (event %d, %s): %s", i+2, i+1, a.Name, trimCode(err)))
				}
			}
		}
	}
	if len(expected) != len(actual) {
		problems = append([]string{fmt.Sprintf("expected %d event(s), got %d", len(expected), len(actual))}, problems...)
	}
	if len(problems) == 0 {
		return nil
	}
	return failf("events differ:\n  %s\n%s", strings.Join(problems, "\n  "), eventListing(expected, actual))
}

// eventListing prints expected and actual events side by side, marking
// the rows that differ by type or presence.
func eventListing(expected, actual []given.Typed) string {
	n := max(len(expected), len(actual))
	var b strings.Builder
	b.WriteString("  # | expected | actual\n")
	for i := 0; i < n; i++ {
		e, a := "-", "-"
		mark := " "
		if i < len(expected) {
			e = expected[i].Name
		}
		if i < len(actual) {
			a = actual[i].Name + " " + given.Render(actual[i].Value)
		}
		if i >= len(expected) || i >= len(actual) || expected[i].Name != actual[i].Name {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %d | %s | %s\n", mark, i+1, e, a)
	}
	return strings.TrimRight(b.String(), "\n")
}

// trimCode drops the "<CODE>: " prefix of an eventspec error's text.
func trimCode(err error) string {
	s := err.Error()
	if c := es.CodeOf(err); c != "" {
		s = strings.TrimPrefix(s, string(c)+": ")
	}
	return strings.TrimPrefix(s, "given: ")
}
