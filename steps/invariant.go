package steps

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/invariant"
)

// invariantEntry is a registered invariant with its state type erased.
type invariantEntry struct {
	name     string
	check    func(state any) (bool, error)
	assert   func(state any) error
	validate func(state any) (invariant.Result, error)
}

// setEntry is a registered invariant set with its state type erased.
type setEntry struct {
	name        string
	checkAll    func(state any) (bool, error)
	assertAll   func(state any) error
	validateAll func(state any) (invariant.SetResult, error)
}

func stateAs[S any](agg string, state any) (S, error) {
	s, ok := state.(S)
	if !ok {
		var zero S
		return zero, es.Errorf(CodeInvalidStep, "the scenario's state is a %T; the %s invariants need a %s", state, agg, reflect.TypeFor[S]())
	}
	return s, nil
}

// onState adapts f, which works on the aggregate's state type S, to the
// untyped state a scenario carries: the state is converted with stateAs
// first, and a state of another type is an error.
func onState[S, R any](agg string, f func(S) R) func(any) (R, error) {
	return func(state any) (R, error) {
		st, err := stateAs[S](agg, state)
		if err != nil {
			var zero R
			return zero, err
		}
		return f(st), nil
	}
}

// assertOn is onState for assertions, whose only result is an error.
func assertOn[S any](agg string, f func(S) error) func(any) error {
	g := onState(agg, f)
	return func(state any) error {
		err, convErr := g(state)
		if convErr != nil {
			return convErr
		}
		return err
	}
}

// RegisterInvariants makes invariants available to the invariant
// vocabulary, by name, for the aggregate (whose state type S they check;
// "Given an <aggregate> state:" decodes into S). Problems are recorded in
// the suite.
func RegisterInvariants[S any](s *Suite, aggregate string, invariants ...invariant.Invariant[S]) {
	agg, err := registerAggregate[S](s, aggregate)
	if err != nil {
		s.fail(err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, inv := range invariants {
		inv := inv
		if _, dup := agg.invariants[inv.Name()]; dup {
			s.errs = append(s.errs, es.Errorf(CodeInvalidDomain, "invariant %q of %q is registered twice", inv.Name(), aggregate))
			continue
		}
		agg.invariants[inv.Name()] = &invariantEntry{
			name:     inv.Name(),
			check:    onState(aggregate, inv.Check),
			assert:   assertOn(aggregate, inv.Assert),
			validate: onState(aggregate, inv.Validate),
		}
		agg.invOrder = append(agg.invOrder, inv.Name())
	}
}

// RegisterInvariantSet makes set available to the invariant vocabulary as
// the aggregate's set name ("When I validate the "<name>" invariants").
func RegisterInvariantSet[S any](s *Suite, aggregate, name string, set invariant.Set[S]) {
	agg, err := registerAggregate[S](s, aggregate)
	if err != nil {
		s.fail(err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := agg.sets[name]; dup {
		s.errs = append(s.errs, es.Errorf(CodeInvalidDomain, "invariant set %q of %q is registered twice", name, aggregate))
		return
	}
	agg.sets[name] = &setEntry{
		name:        name,
		checkAll:    onState(aggregate, set.CheckAll),
		assertAll:   assertOn(aggregate, set.AssertAll),
		validateAll: onState(aggregate, set.ValidateAll),
	}
}

// runInvariantStep runs the check, assert or validate form of an invariant
// (or set) on the scenario's state and captures the outcome for the Then
// steps; a state of the wrong type fails the step.
func runInvariantStep[R any](w *World, how string, st any, check func(any) (bool, error), assert func(any) error, validate func(any) (R, error)) error {
	switch how {
	case "check":
		ok, err := check(st)
		if err != nil {
			return err
		}
		return w.Capture(ok, nil)
	case "assert":
		return w.Capture(assertOutcome{}, assert(st))
	}
	r, err := validate(st)
	if err != nil {
		return err
	}
	return w.Capture(r, nil)
}

// invariantTarget returns the scenario's aggregate and its current state.
func invariantTarget(ctx context.Context) (*World, *aggregate, any, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if w.dec.agg == nil {
		return w, nil, nil, es.Errorf(CodeInvalidStep, "no state is given yet: start with \"Given an <aggregate> state:\"")
	}
	st, err := w.dec.build()
	if err != nil {
		return w, nil, nil, err
	}
	return w, w.dec.agg, st, nil
}

// invariantVerdict normalises the results invariant When steps record.
type invariantVerdict struct {
	valid      bool
	violations []invariant.Violation
}

func verdictOf(w *World) (invariantVerdict, error) {
	switch r := w.LastResult.(type) {
	case bool:
		return invariantVerdict{valid: r}, nil
	case invariant.Result:
		v := invariantVerdict{valid: r.Valid}
		if !r.Valid {
			v.violations = []invariant.Violation{{Code: r.Code, Message: r.Message, Context: r.Context}}
		}
		return v, nil
	case invariant.SetResult:
		return invariantVerdict{valid: r.Valid, violations: r.Violations}, nil
	case assertOutcome:
		var ie *invariant.Error
		if w.LastErr == nil {
			return invariantVerdict{valid: true}, nil
		}
		if errors.As(w.LastErr, &ie) {
			return invariantVerdict{violations: []invariant.Violation{{Code: ie.ErrCode, Message: ie.Message, Context: ie.Data}}}, nil
		}
		return invariantVerdict{}, w.LastErr
	}
	return invariantVerdict{}, failf("no invariant has been checked, asserted or validated yet (last result %T)", w.LastResult)
}

// quoted finds the double-quoted names of a list like "a", "b".
var quoted = regexp.MustCompile(`"([^"]*)"`)

// assertOutcome marks LastResult after an assert step, whose verdict is
// LastErr.
type assertOutcome struct{}

func codesOf(vs []invariant.Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Code
	}
	return out
}

// registerInvariantSteps adds the invariant vocabulary (spec core §26).
func registerInvariantSteps(s *Suite) {
	s.When(`^I (check|assert|validate) the invariant "([^"]*)"$`, func(ctx context.Context, how, name string) error {
		w, agg, st, err := invariantTarget(ctx)
		if err != nil {
			return err
		}
		inv, ok := agg.invariants[name]
		if !ok {
			return es.Errorf(CodeInvalidStep, "aggregate %q has no invariant %q (registered: %s)", agg.name, name, strings.Join(agg.invOrder, ", "))
		}
		return runInvariantStep(w, how, st, inv.check, inv.assert, inv.validate)
	})
	s.When(`^I (check|assert|validate) the "([^"]*)" invariants$`, func(ctx context.Context, how, name string) error {
		w, agg, st, err := invariantTarget(ctx)
		if err != nil {
			return err
		}
		set, ok := agg.sets[name]
		if !ok {
			return es.Errorf(CodeInvalidStep, "aggregate %q has no invariant set %q", agg.name, name)
		}
		return runInvariantStep(w, how, st, set.checkAll, set.assertAll, set.validateAll)
	})
	s.Then(`^the invariants? should (hold|be violated)$`, func(ctx context.Context, how string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		v, err := verdictOf(w)
		if err != nil {
			return err
		}
		if want := how == "hold"; v.valid != want {
			if want {
				return failf("expected the invariant to hold, but it is violated: %s", showList(codesOf(v.violations)))
			}
			return failf("expected the invariant to be violated, but it holds")
		}
		return nil
	})
	s.Then(`^the invariants? ("[^"]*"(?:, "[^"]*")*) should (hold|be violated)$`, func(ctx context.Context, list, how string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if w.LastErr != nil {
			return failf("expected a state to check, but the last step failed with %v", w.LastErr)
		}
		if w.dec.agg == nil {
			return es.Errorf(CodeInvalidStep, "no state is given yet: start with \"Given an <aggregate> state:\" or \"Given the events:\"")
		}
		st, err := currentState(ctx)
		if err != nil {
			return err
		}
		agg := w.dec.agg
		var broken []string
		for _, m := range quoted.FindAllStringSubmatch(list, -1) {
			name := m[1]
			inv, ok := agg.invariants[name]
			if !ok {
				return es.Errorf(CodeInvalidStep, "aggregate %q has no invariant %q (registered: %s)", agg.name, name, strings.Join(agg.invOrder, ", "))
			}
			r, err := inv.validate(st)
			if err != nil {
				return err
			}
			if !r.Valid {
				broken = append(broken, fmt.Sprintf("%s (%s): %s", name, r.Code, r.Message))
			}
		}
		switch {
		case how == "hold" && len(broken) > 0:
			return failf("expected the invariants to hold on %s, but:\n  %s", given.Render(st), strings.Join(broken, "\n  "))
		case how == "be violated" && len(broken) == 0:
			return failf("expected %s to be violated on %s, but they hold", list, given.Render(st))
		}
		return nil
	})
	s.Then(`^the violation codes should be "([^"]*)"$`, func(ctx context.Context, list string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		v, err := verdictOf(w)
		if err != nil {
			return err
		}
		if got, want := codesOf(v.violations), splitNames(list); !listEq(got, want, false) {
			return failf("expected the violation codes %s, got %s", showList(want), showList(got))
		}
		return nil
	})
	s.Then(`^the violations should be:$`, func(ctx context.Context, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		v, err := verdictOf(w)
		if err != nil {
			return err
		}
		want, err := given.DecodeAll[invariant.Violation](Rows(t))
		if err != nil {
			return err
		}
		rows := Rows(t)
		if len(want) != len(v.violations) {
			return failf("expected %d violation(s), got %d: %s", len(want), len(v.violations), showList(codesOf(v.violations)))
		}
		for i := range want {
			for j, col := range rows[0] {
				if cell := rows[i+1][j]; cell != "" {
					if err := given.Expect(v.violations[i], col, cell); err != nil {
						return failf("violation %d: %s", i+1, trimCode(err))
					}
				}
			}
		}
		return nil
	})
	s.Then(`^the violation (?:context|data) should have (\S+) (.+)$`, func(ctx context.Context, key, value string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		v, err := verdictOf(w)
		if err != nil {
			return err
		}
		if len(v.violations) != 1 {
			return failf("expected exactly one violation, got %s", showList(codesOf(v.violations)))
		}
		if v.violations[0].Context == nil {
			return failf("expected violation %s to carry context, got none", v.violations[0].Code)
		}
		return asFailure(given.Expect(v.violations[0].Context, key, unquote(value)))
	})
	s.Then(`^the violation should have no context$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		v, err := verdictOf(w)
		if err != nil {
			return err
		}
		for _, x := range v.violations {
			if x.Context != nil {
				return failf("expected violation %s to have no context, got %s", x.Code, given.Render(x.Context))
			}
		}
		return nil
	})
	s.Then(`^the error should be an? (\w+) with code "([^"]*)"$`, func(ctx context.Context, name, code string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		var ie *invariant.Error
		if !errors.As(w.LastErr, &ie) {
			return failf("expected a %s with code %s, got %s", name, code, describeErr(w.LastErr))
		}
		if ie.Name() != name || ie.ErrCode != code {
			return failf("expected a %s with code %s, got a %s with code %s", name, code, ie.Name(), ie.ErrCode)
		}
		if !invariant.IsInvariantError(w.LastErr) || !invariant.HasCode(w.LastErr, code) {
			return failf("IsInvariantError/HasCode do not recognise %v", w.LastErr)
		}
		return nil
	})
}
