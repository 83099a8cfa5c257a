// Package scenario is the Given/When/Then DSL for deciders:
//
//	scenario.Decider(order.Decider).
//		Given(order.Placed{ID: "o1"}).
//		When(order.Confirm{ID: "o1"}).
//		Then(t, order.Confirmed{ID: "o1"})
//
// Given sets the history (events folded from the decider's initial state,
// or from GivenState), When decides once and returns a *Decision, and the
// Then methods assert on it: Then (success with exactly these events, in
// order), ThenUnordered and ThenContains (explicit opt-ins for a looser
// comparison), ThenRejected(code), ThenFailed(reason), ThenState(state),
// ThenNothing(), ThenStatus and ThenData.
//
// Every Then method reports to a T — *testing.T and *testing.B satisfy it
// — and has a Check twin returning an error instead (CheckEvents,
// CheckRejected, …) for godog steps, which return errors. A failure names
// the scenario (Given/When/outcome), prints an expected | actual table of
// events with the differing rows marked ✗, and a go-cmp field-path diff;
// a rejection is always shown with its code and message.
//
// When also checks the decider itself, and every Then/Check reports what
// it finds:
//
//   - Decide must not mutate the state it is given: the state is
//     deep-copied (unexported fields, maps, slices and pointers included)
//     before deciding and compared afterwards;
//   - folding the given events plus the new events must equal evolving the
//     state the decision saw with the new events (replay equivalence);
//   - Evolve must not mutate its input state;
//   - deciding again on a freshly folded state must give the same outcome;
//   - a panic in Initial, Evolve or Decide is reported, never propagated.
//
// So Decide runs twice per When (and Initial and Evolve several times): a
// decider that counts its calls sees that. The command is deep-copied
// before each run.
//
// Comparison is go-cmp with every field compared (unexported too), func
// values ignored, NaN equal to NaN, and types' Equal methods honoured; add
// options (for example cmpopts.EquateEmpty) with WithCmpOptions.
//
// Decisions use DefaultContext (the virtual clock's start instant,
// "cmd_test_001", "corr_test_001") unless WithContext says otherwise.
//
// Integrity problems are reported by the first Then method called on a
// Decision (once per Decision) and by every Check method, and are
// available from Err.
//
// Engine (engine.go) runs the same style of scenario through the command
// engine and a store instead of a bare decider.
package scenario

import (
	"errors"
	"fmt"
	"strings"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/scenario/internal/clone"
	"github.com/eventspec/eventspec/scenario/internal/report"
	"github.com/google/go-cmp/cmp"
)

// T is the part of testing.TB a scenario reports to. *testing.T,
// *testing.B, *rapid.T and godog's testing adapter satisfy it; so does
// *Recorder.
type T interface {
	Helper()
	Errorf(format string, args ...any)
}

// DefaultContext is the decision context scenarios use unless told
// otherwise: the virtual clock's start instant and fixed ids, so results
// are the same on every run. Treat it as a constant.
var DefaultContext = decider.Context{
	Now:           es.DefaultVirtualStart,
	CommandID:     "cmd_test_001",
	CorrelationID: "corr_test_001",
}

// Option configures a scenario.
type Option func(*config)

type config struct {
	cmpOpts []cmp.Option
}

// WithCmpOptions adds go-cmp options to every comparison the scenario
// makes (events, states, data, outcomes).
func WithCmpOptions(opts ...cmp.Option) Option {
	return func(c *config) { c.cmpOpts = append(c.cmpOpts, opts...) }
}

// DeciderScenario is the Given part of a decider scenario. It is immutable:
// Given, GivenState and WithContext return a new scenario, so a base
// scenario can be shared by several tests.
type DeciderScenario[S, C, E any] struct {
	d     decider.Decider[S, C, E]
	opts  cmp.Options
	given []E
	state *S
	ctx   decider.Context
}

// Decider starts a scenario for d with no history and DefaultContext.
func Decider[S, C, E any](d decider.Decider[S, C, E], opts ...Option) *DeciderScenario[S, C, E] {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return &DeciderScenario[S, C, E]{d: d, opts: report.Options(c.cmpOpts...), ctx: DefaultContext}
}

func (s *DeciderScenario[S, C, E]) copy() *DeciderScenario[S, C, E] {
	n := *s
	n.given = append([]E(nil), s.given...)
	return &n
}

// Given appends events to the scenario's history.
func (s *DeciderScenario[S, C, E]) Given(events ...E) *DeciderScenario[S, C, E] {
	n := s.copy()
	n.given = append(n.given, events...)
	return n
}

// GivenState starts the history from state instead of the decider's
// initial state; events given (before or after) are folded on top of it.
// The scenario keeps its own deep copy of state.
func (s *DeciderScenario[S, C, E]) GivenState(state S) *DeciderScenario[S, C, E] {
	n := s.copy()
	c := clone.Of(state)
	n.state = &c
	return n
}

// WithContext sets the decision context (clock instant, command id,
// correlation id).
func (s *DeciderScenario[S, C, E]) WithContext(ctx decider.Context) *DeciderScenario[S, C, E] {
	n := s.copy()
	n.ctx = ctx
	return n
}

// Events returns a copy of the given history.
func (s *DeciderScenario[S, C, E]) Events() []E { return append([]E(nil), s.given...) }

func (s *DeciderScenario[S, C, E]) name() string {
	if s.d.Name != "" {
		return s.d.Name
	}
	return "decider"
}

// base returns a fresh initial state: a deep copy of the given state, or
// the decider's Initial().
func (s *DeciderScenario[S, C, E]) base() (st S, err error) {
	if s.state != nil {
		return clone.Of(*s.state), nil
	}
	if s.d.Initial == nil {
		return st, errors.New("the decider has no Initial function")
	}
	err = report.Guard("Initial", func() { st = s.d.Initial() })
	return st, err
}

// evolve applies events to st in order.
func (s *DeciderScenario[S, C, E]) evolve(st S, events []E) (S, error) {
	if s.d.Evolve == nil && len(events) > 0 {
		return st, errors.New("the decider has no Evolve function")
	}
	for i, e := range events {
		if err := report.Guard("Evolve", func() { st = s.d.Evolve(st, e) }); err != nil {
			return st, fmt.Errorf("applying event #%d %s: %w", i+1, report.Value(e), err)
		}
	}
	return st, nil
}

// fold is base() evolved through the given events.
func (s *DeciderScenario[S, C, E]) fold(extra []E) (S, error) {
	st, err := s.base()
	if err != nil {
		return st, err
	}
	return s.evolve(st, append(append([]E(nil), s.given...), extra...))
}

// When decides cmd on the folded history and checks the decider's
// integrity (see the package doc). It never panics.
func (s *DeciderScenario[S, C, E]) When(cmd C) *Decision[S, C, E] {
	dc := &Decision[S, C, E]{sc: s, cmd: cmd}
	dc.run()
	return dc
}

// Decision is the When part: one decision and what it led to.
type Decision[S, C, E any] struct {
	sc        *DeciderScenario[S, C, E]
	cmd       C
	out       decider.Outcome[E]
	decided   bool
	before    S
	after     S
	integrity []string
	reported  bool // integrity problems already reported to a T
}

func (dc *Decision[S, C, E]) fail(format string, args ...any) {
	dc.integrity = append(dc.integrity, fmt.Sprintf(format, args...))
}

func (dc *Decision[S, C, E]) run() {
	s := dc.sc
	seen, err := s.fold(nil)
	if err != nil {
		dc.fail("folding the given events: %v", err)
		return
	}
	dc.before = clone.Of(seen)
	if s.d.Decide == nil {
		dc.fail("the decider has no Decide function")
		return
	}
	cmd := clone.Of(dc.cmd)
	if err := report.Guard("Decide", func() { dc.out = s.d.Decide(seen, cmd, s.ctx) }); err != nil {
		dc.fail("%v", err)
		dc.after = dc.before
		return
	}
	dc.decided = true

	if eq, err := report.Equal(dc.before, seen, s.opts); err != nil {
		dc.fail("comparing the state before and after Decide: %v", err)
	} else if !eq {
		dc.fail("Decide mutated the state it was given (it must return events, not change state):\n%s",
			indent(report.Paths(dc.before, seen, s.opts)))
	}

	// Determinism: decide again on a freshly folded state.
	if again, err := s.fold(nil); err == nil {
		var out2 decider.Outcome[E]
		if err := report.Guard("Decide (second run)", func() { out2 = s.d.Decide(again, clone.Of(dc.cmd), s.ctx) }); err != nil {
			dc.fail("%v", err)
		} else if eq, _ := report.Equal(dc.out, out2, s.opts); !eq {
			dc.fail("Decide is not deterministic: deciding again on the same history gave a different outcome:\n%s",
				indent(report.Paths(dc.out, out2, s.opts)))
		}
	}

	emitted := dc.emitted()
	// Replay equivalence: fold(given + new) == evolve(state seen, new),
	// checking on the way that Evolve leaves its input alone.
	evolved := seen
	for i, e := range emitted {
		in := clone.Of(evolved)
		var next S
		if err := report.Guard("Evolve", func() { next = s.d.Evolve(evolved, e) }); err != nil {
			dc.fail("applying new event #%d %s: %v", i+1, report.Value(e), err)
			return
		}
		if eq, _ := report.Equal(in, evolved, s.opts); !eq {
			dc.fail("Evolve mutated its input state while applying new event #%d %s:\n%s",
				i+1, report.Value(e), indent(report.Paths(in, evolved, s.opts)))
		}
		evolved = next
	}
	replayed, err := s.fold(emitted)
	if err != nil {
		dc.fail("folding the given and new events: %v", err)
		dc.after = evolved
		return
	}
	dc.after = replayed
	if eq, err := report.Equal(replayed, evolved, s.opts); err != nil {
		dc.fail("comparing replayed and evolved state: %v", err)
	} else if !eq {
		dc.fail("replay mismatch: folding the given + new events differs from evolving the state the decision saw (replayed → evolved):\n%s",
			indent(report.Paths(replayed, evolved, s.opts)))
	}
}

// emitted returns the events the outcome records: a success's events or a
// failure's event.
func (dc *Decision[S, C, E]) emitted() []E {
	if !dc.decided || dc.out.IsRejected() {
		return nil
	}
	return dc.out.Events
}

// Outcome returns the decision's outcome (the zero Outcome when Decide
// could not run).
func (dc *Decision[S, C, E]) Outcome() decider.Outcome[E] { return dc.out }

// Events returns the events the decision records (a success's events, a
// failure's event, none for a rejection).
func (dc *Decision[S, C, E]) Events() []E { return append([]E(nil), dc.emitted()...) }

// StateBefore returns (a copy of) the state the decision saw.
func (dc *Decision[S, C, E]) StateBefore() S { return clone.Of(dc.before) }

// StateAfter returns (a copy of) the state after the decision's events:
// the fold of the given and new events.
func (dc *Decision[S, C, E]) StateAfter() S { return clone.Of(dc.after) }

// Err reports the integrity problems When found (mutation, replay
// mismatch, non-determinism, panics), or nil.
func (dc *Decision[S, C, E]) Err() error {
	if len(dc.integrity) == 0 {
		return nil
	}
	return dc.failure("decider integrity", strings.Join(dc.integrity, "\n"), false)
}

// Failure is the error a Check method returns. Error() is the full,
// human-readable message; the fields let a step library show parts of it.
type Failure struct {
	// Scenario is the decider's name.
	Scenario string
	// Check names what was asserted, e.g. "Then events".
	Check string
	// Context describes the Given, the When and the outcome.
	Context string
	// Details is the mismatch: table, field-path diff, integrity problems.
	Details string
}

// Error renders the whole failure: what failed, the Given/When/outcome
// and the details.
func (f *Failure) Error() string {
	return fmt.Sprintf("%s scenario: %s failed\n%s%s", f.Scenario, f.Check, f.Context, f.Details)
}

func (dc *Decision[S, C, E]) failure(check, details string, withIntegrity bool) *Failure {
	if withIntegrity && len(dc.integrity) > 0 {
		details = strings.TrimRight(details, "\n") + "\nalso, the decider's integrity checks failed:\n" + indent(dc.integrity)
	}
	return &Failure{Scenario: dc.sc.name(), Check: check, Context: dc.describe(), Details: strings.TrimRight(details, "\n")}
}

// describe renders Given / When / Outcome.
func (dc *Decision[S, C, E]) describe() string {
	var b strings.Builder
	if dc.sc.state != nil {
		fmt.Fprintf(&b, "  Given state %s\n", report.Value(*dc.sc.state))
	}
	if len(dc.sc.given) == 0 && dc.sc.state == nil {
		b.WriteString("  Given no events\n")
	}
	for i, e := range dc.sc.given {
		kw := "Given"
		if i > 0 || dc.sc.state != nil {
			kw = "  and"
		}
		fmt.Fprintf(&b, "  %s %d. %s\n", kw, i+1, report.Value(e))
	}
	fmt.Fprintf(&b, "  When  %s\n", report.Value(dc.cmd))
	fmt.Fprintf(&b, "  Got   %s\n", dc.outcomeLine())
	return b.String()
}

func (dc *Decision[S, C, E]) outcomeLine() string {
	o := dc.out
	switch {
	case !dc.decided:
		return "no outcome (Decide did not run)"
	case o.IsRejected():
		return fmt.Sprintf("rejected: code %s, message %q", o.Code, o.Message)
	case o.IsFailed():
		return fmt.Sprintf("failed: reason %q, %d event(s)", o.Reason, len(o.Events))
	case o.IsSuccess():
		return fmt.Sprintf("success with %d event(s)", len(o.Events))
	}
	return fmt.Sprintf("unknown status %q", o.Status)
}

func indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		for _, sub := range strings.Split(strings.TrimRight(l, "\n"), "\n") {
			b.WriteString("    " + sub + "\n")
		}
	}
	return b.String()
}

// Recorder is a T that collects what is reported instead of failing a
// test, for code that wants an error value (a godog step, a helper that
// retries). The zero value is ready to use; it is not safe for concurrent
// use.
type Recorder struct {
	msgs []string
}

// Helper does nothing; it makes Recorder a T.
func (r *Recorder) Helper() {}

// Errorf records a failure.
func (r *Recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// Failed reports whether anything was recorded.
func (r *Recorder) Failed() bool { return len(r.msgs) > 0 }

// Messages returns the recorded failures in order.
func (r *Recorder) Messages() []string { return append([]string(nil), r.msgs...) }

// Err returns the recorded failures joined into one error, or nil.
func (r *Recorder) Err() error {
	if len(r.msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(r.msgs, "\n"))
}
