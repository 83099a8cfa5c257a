package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/fsm"
)

// fsmEntry is a registered state machine with its state type erased to
// string.
type fsmEntry struct {
	name        string
	initial     string
	can         func(from, to string) bool
	assert      func(from, to string) error
	transition  func(from, to string) (string, error)
	valid       func(from string) []string
	isTerminal  func(s string) bool
	isValid     func(s string) bool
	isInitial   func(s string) bool
	states      func() []string
	terminal    func() []string
	nonTerminal func() []string
	pairs       func() [][2]string
	validate    func() error
	// standalone checks the package-level functions agree with the methods
	// for one pair of states; it returns a description of any difference.
	standalone func(from, to string) string
}

func toStrings[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// RegisterFSM makes f available to the FSM vocabulary under name ("Given
// the <name> state machine"). Problems are recorded in the suite.
func RegisterFSM[S ~string](s *Suite, name string, f *fsm.FSM[S]) {
	if f == nil {
		s.fail(es.Errorf(CodeInvalidDomain, "state machine %q is nil", name))
		return
	}
	if err := es.ValidateName(CodeInvalidDomain, "state machine name", name); err != nil {
		s.fail(err)
		return
	}
	e := &fsmEntry{
		name:       name,
		initial:    string(f.Initial()),
		can:        func(from, to string) bool { return f.Can(S(from), S(to)) },
		assert:     func(from, to string) error { return f.Assert(S(from), S(to)) },
		transition: func(from, to string) (string, error) { st, err := f.Transition(S(from), S(to)); return string(st), err },
		valid:      func(from string) []string { return toStrings(f.Valid(S(from))) },
		isTerminal: func(st string) bool { return f.IsTerminal(S(st)) },
		isValid:    func(st string) bool { return f.IsValid(S(st)) },
		isInitial:  func(st string) bool { return f.IsInitial(S(st)) },
		states:     func() []string { return toStrings(f.States()) },
		terminal:   func() []string { return toStrings(f.TerminalStates()) },
		nonTerminal: func() []string {
			return toStrings(f.NonTerminalStates())
		},
		pairs: func() [][2]string {
			var out [][2]string
			for _, t := range f.Transitions() {
				out = append(out, [2]string{string(t.From), string(t.To)})
			}
			return out
		},
		validate: f.Validate,
		standalone: func(from, to string) string {
			a, b := S(from), S(to)
			var diffs []string
			if fsm.CanTransition(f, a, b) != f.Can(a, b) {
				diffs = append(diffs, "CanTransition")
			}
			if fmt.Sprint(fsm.AssertTransition(f, a, b)) != fmt.Sprint(f.Assert(a, b)) {
				diffs = append(diffs, "AssertTransition")
			}
			if !slices.Equal(fsm.ValidTransitions(f, a), f.Valid(a)) {
				diffs = append(diffs, "ValidTransitions")
			}
			if fsm.IsTerminal(f, a) != f.IsTerminal(a) {
				diffs = append(diffs, "IsTerminal")
			}
			if fsm.IsValidState(f, a) != f.IsValid(a) {
				diffs = append(diffs, "IsValidState")
			}
			return strings.Join(diffs, ", ")
		},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.fsms[name]; dup {
		s.errs = append(s.errs, es.Errorf(CodeInvalidDomain, "state machine %q is registered twice", name))
		return
	}
	s.fsms[name] = e
	s.fsmOrder = append(s.fsmOrder, name)
}

// currentFSM is the scenario's state machine: the one named by "Given the
// <name> state machine", else the only one registered.
func currentFSM(ctx context.Context) (*World, *fsmEntry, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, nil, err
	}
	if w.fsm != nil {
		return w, w.fsm, nil
	}
	w.suite.mu.Lock()
	defer w.suite.mu.Unlock()
	if len(w.suite.fsmOrder) == 1 {
		w.fsm = w.suite.fsms[w.suite.fsmOrder[0]]
		return w, w.fsm, nil
	}
	return w, nil, es.Errorf(CodeInvalidStep, "name the state machine first with \"Given the <name> state machine\" (registered: %s)", strings.Join(w.suite.fsmOrder, ", "))
}

func listEq(got, want []string, anyOrder bool) bool {
	if anyOrder {
		got, want = slices.Clone(got), slices.Clone(want)
		sort.Strings(got)
		sort.Strings(want)
	}
	return slices.Equal(got, want)
}

func showList(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}

// registerFSMSteps adds the FSM vocabulary (spec §5 and §14 rule 10).
func registerFSMSteps(s *Suite) {
	s.Given(`^the ([\w-]+) state machine$`, func(ctx context.Context, name string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		w.suite.mu.Lock()
		defer w.suite.mu.Unlock()
		e, ok := w.suite.fsms[name]
		if !ok {
			return es.Errorf(CodeInvalidStep, "no state machine %q is registered (registered: %s)", name, strings.Join(w.suite.fsmOrder, ", "))
		}
		w.fsm = e
		return nil
	})
	s.Then(`^the transition from "([^"]*)" to "([^"]*)" should (not )?be allowed$`, func(ctx context.Context, from, to, not string) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		if got := f.can(from, to); got != (not == "") {
			return failf("expected the transition from %q to %q to be %sallowed, but it is %s (valid from %q: %s)", from, to, not, map[bool]string{true: "allowed", false: "not allowed"}[got], from, showList(f.valid(from)))
		}
		return nil
	})
	s.When(`^I transition from "([^"]*)" to "([^"]*)"$`, func(ctx context.Context, from, to string) error {
		w, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		st, err := f.transition(from, to)
		if err != nil {
			return w.Capture(nil, err)
		}
		return w.Capture(st, nil)
	})
	s.When(`^I assert the transition from "([^"]*)" to "([^"]*)"$`, func(ctx context.Context, from, to string) error {
		w, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		return w.Capture(nil, f.assert(from, to))
	})
	s.Then(`^the transition error should name from "([^"]*)" and to "([^"]*)"$`, func(ctx context.Context, from, to string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		var te *fsm.TransitionError
		if !errors.As(w.LastErr, &te) {
			return failf("expected a transition error, got %s", describeErr(w.LastErr))
		}
		if te.From != from || te.To != to {
			return failf("expected the transition error to name from %q to %q, got from %q to %q", from, to, te.From, te.To)
		}
		return nil
	})
	s.Then(`^the transition error should list the valid transitions "([^"]*)"$`, func(ctx context.Context, list string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		var te *fsm.TransitionError
		if !errors.As(w.LastErr, &te) {
			return failf("expected a transition error, got %s", describeErr(w.LastErr))
		}
		if want := splitNames(list); !slices.Equal(te.Valid, want) && !(len(te.Valid) == 0 && len(want) == 0) {
			return failf("expected the transition error to list %s, got %s", showList(want), showList(te.Valid))
		}
		return nil
	})
	s.Then(`^the valid transitions from "([^"]*)" should be "([^"]*)"( in any order)?$`, func(ctx context.Context, from, list, anyOrder string) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		got, want := f.valid(from), splitNames(list)
		if !listEq(got, want, anyOrder != "") {
			return failf("expected the valid transitions from %q to be %s, got %s", from, showList(want), showList(got))
		}
		return nil
	})
	s.Then(`^there should be no valid transitions from "([^"]*)"$`, func(ctx context.Context, from string) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		if got := f.valid(from); got == nil || len(got) != 0 {
			return failf("expected an empty list of valid transitions from %q, got %s (nil: %v)", from, showList(got), got == nil)
		}
		return nil
	})
	s.Then(`^"([^"]*)" should (not )?be a terminal state$`, func(ctx context.Context, st, not string) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		if f.isTerminal(st) != (not == "") {
			return failf("expected %q %sto be a terminal state (valid transitions: %s)", st, not, showList(f.valid(st)))
		}
		return nil
	})
	s.Then(`^"([^"]*)" should (not )?be a valid state$`, func(ctx context.Context, st, not string) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		if f.isValid(st) != (not == "") {
			return failf("expected %q %sto be a valid state (states: %s)", st, not, showList(f.states()))
		}
		return nil
	})
	s.Then(`^"([^"]*)" should (not )?be the initial state$`, func(ctx context.Context, st, not string) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		if f.isInitial(st) != (not == "") {
			return failf("expected %q %sto be the initial state (initial: %q)", st, not, f.initial)
		}
		return nil
	})
	s.Then(`^the (terminal |non-terminal )?states should be "([^"]*)"( in any order)?$`, func(ctx context.Context, which, list, anyOrder string) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		var got []string
		switch which {
		case "terminal ":
			got = f.terminal()
		case "non-terminal ":
			got = f.nonTerminal()
		default:
			got = f.states()
		}
		if want := splitNames(list); !listEq(got, want, anyOrder != "") {
			return failf("expected the %sstates %s, got %s", which, showList(want), showList(got))
		}
		return nil
	})
	s.Then(`^the allowed transitions should be:$`, func(ctx context.Context, t *godog.Table) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		rows := Rows(t)
		if len(rows) == 0 || len(rows[0]) != 2 || !strings.EqualFold(rows[0][0], "from") || !strings.EqualFold(rows[0][1], "to") {
			return es.Errorf(CodeInvalidStep, "the allowed transitions table needs the header | from | to |")
		}
		var want, got []string
		for _, r := range rows[1:] {
			want = append(want, r[0]+" -> "+r[1])
		}
		for _, p := range f.pairs() {
			got = append(got, p[0]+" -> "+p[1])
		}
		if !slices.Equal(got, want) {
			return failf("expected the allowed transitions\n  %s\ngot\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
		}
		return nil
	})
	s.Then(`^the state machine definition should be valid$`, func(ctx context.Context) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		if err := f.validate(); err != nil {
			return failf("expected a valid definition, got %v", err)
		}
		return nil
	})
	s.When(`^I validate the state machine definition$`, func(ctx context.Context) error {
		w, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		return w.Capture(nil, f.validate())
	})
	s.Then(`^the standalone functions should agree with the methods for every pair of states$`, func(ctx context.Context) error {
		_, f, err := currentFSM(ctx)
		if err != nil {
			return err
		}
		states := append(f.states(), "", "unknown")
		var diffs []string
		for _, a := range states {
			for _, b := range states {
				if d := f.standalone(a, b); d != "" {
					diffs = append(diffs, fmt.Sprintf("%q -> %q: %s", a, b, d))
				}
			}
		}
		if len(diffs) > 0 {
			return failf("standalone functions differ from the methods:\n  %s", strings.Join(diffs, "\n  "))
		}
		return nil
	})
}
