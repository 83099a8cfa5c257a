// Package fsm is a small declarative finite-state machine for status
// fields: declare the states, the initial state and, for each state, the
// states it may move to; then ask whether a transition is allowed, assert
// it (a typed *TransitionError with code FSM_INVALID_TRANSITION), or list
// what is possible. Deciders use it to validate status changes.
//
// Semantics (spec patterns-runtime §5):
//
//   - Can(from, to) is true iff to is listed under from; an unknown from is
//     false.
//   - Assert(from, to) fails with the message
//     `Invalid transition from "<from>" to "<to>". Valid transitions: a, b`,
//     or `... Valid transitions: (none - terminal state)` when from has none.
//   - Valid(from) lists the targets in definition order; terminal and
//     unknown states have none.
//   - IsTerminal(s) is true iff s has no entry or an empty list (an
//     undeclared state is therefore terminal).
//   - IsValid(s) is true iff s is a declared state (case-sensitive).
//
// The original does not check that the initial state and every target are
// declared; Validate does, and Define never does so implicitly.
//
// An FSM is immutable after Define and safe for concurrent use.
package fsm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eventspec/eventspec/es"
)

// Error codes of this package.
const (
	// CodeInvalidTransition is the code of a *TransitionError.
	CodeInvalidTransition es.Code = "FSM_INVALID_TRANSITION"
	// CodeInvalidDefinition is the code of the error Validate returns.
	CodeInvalidDefinition es.Code = "FSM_INVALID_DEFINITION"
)

// ErrInvalidTransition matches every *TransitionError with errors.Is.
var ErrInvalidTransition = &es.Error{ErrCode: CodeInvalidTransition, Message: "invalid state transition"}

// ErrInvalidDefinition matches every error Validate returns with errors.Is.
var ErrInvalidDefinition = &es.Error{ErrCode: CodeInvalidDefinition, Message: "invalid state machine definition"}

// FSM is a finite-state machine over the string-like state type S.
type FSM[S ~string] struct {
	initial S
	order   []S
	next    map[S][]S
}

// Transition is one allowed move.
type Transition[S ~string] struct {
	From, To S
}

// Define builds an FSM from its initial state and the allowed transitions
// per state. Declare terminal states with an empty (or nil) list so they
// count as declared. The map and its slices are copied: later changes to
// them do not affect the FSM.
//
// States are listed (States, Transitions, TerminalStates, …) in a
// deterministic order: the initial state first, then the states reachable
// from it in breadth-first order following each list's order, then any
// other declared state in byte order.
func Define[S ~string](initial S, transitions map[S][]S) *FSM[S] {
	f := &FSM[S]{initial: initial, next: make(map[S][]S, len(transitions))}
	for s, targets := range transitions {
		f.next[s] = slices.Clip(slices.Clone(targets))
	}
	seen := make(map[S]bool, len(transitions))
	queue := []S{initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if seen[s] {
			continue
		}
		if _, declared := f.next[s]; !declared {
			continue
		}
		seen[s] = true
		f.order = append(f.order, s)
		queue = append(queue, f.next[s]...)
	}
	var rest []S
	for s := range f.next {
		if !seen[s] {
			rest = append(rest, s)
		}
	}
	slices.Sort(rest)
	f.order = append(f.order, rest...)
	return f
}

// Initial returns the initial state.
func (f *FSM[S]) Initial() S { return f.initial }

// IsInitial reports whether s is the initial state.
func (f *FSM[S]) IsInitial(s S) bool { return s == f.initial }

// Can reports whether from may move to to. An undeclared from is false.
func (f *FSM[S]) Can(from, to S) bool {
	return slices.Contains(f.next[from], to)
}

// Assert returns nil when from may move to to, else a *TransitionError.
func (f *FSM[S]) Assert(from, to S) error {
	if f.Can(from, to) {
		return nil
	}
	valid := f.next[from]
	names := make([]string, len(valid))
	for i, v := range valid {
		names[i] = string(v)
	}
	return &TransitionError{From: string(from), To: string(to), Valid: names}
}

// Transition returns to when from may move to it, else the zero state
// and a *TransitionError naming from and to.
func (f *FSM[S]) Transition(from, to S) (S, error) {
	if err := f.Assert(from, to); err != nil {
		var zero S
		return zero, err
	}
	return to, nil
}

// Valid lists the states from may move to, in definition order; it is
// empty (non-nil) for terminal and undeclared states. The slice is a copy.
func (f *FSM[S]) Valid(from S) []S {
	return append([]S{}, f.next[from]...)
}

// IsTerminal reports whether s allows no transition: it is declared with an
// empty list, or not declared at all.
func (f *FSM[S]) IsTerminal(s S) bool { return len(f.next[s]) == 0 }

// IsValid reports whether s is a declared state (case-sensitive).
func (f *FSM[S]) IsValid(s S) bool {
	_, ok := f.next[s]
	return ok
}

// States lists every declared state in the FSM's deterministic order.
func (f *FSM[S]) States() []S { return slices.Clone(f.order) }

// TerminalStates lists the declared states that allow no transition.
func (f *FSM[S]) TerminalStates() []S {
	var out []S
	for _, s := range f.order {
		if f.IsTerminal(s) {
			out = append(out, s)
		}
	}
	return out
}

// NonTerminalStates lists the declared states that allow at least one
// transition.
func (f *FSM[S]) NonTerminalStates() []S {
	var out []S
	for _, s := range f.order {
		if !f.IsTerminal(s) {
			out = append(out, s)
		}
	}
	return out
}

// Transitions lists every allowed (from, to) pair: states in the FSM's
// order, targets in definition order.
func (f *FSM[S]) Transitions() []Transition[S] {
	var out []Transition[S]
	for _, s := range f.order {
		for _, t := range f.next[s] {
			out = append(out, Transition[S]{From: s, To: t})
		}
	}
	return out
}

// Validate reports every problem with the definition in one
// FSM_INVALID_DEFINITION error: an undeclared initial state, a target that
// is not a declared state, and a target listed twice under one state. It
// returns nil for a sound definition.
func (f *FSM[S]) Validate() error {
	var problems []string
	if !f.IsValid(f.initial) {
		problems = append(problems, fmt.Sprintf("initial state %q is not a declared state", f.initial))
	}
	for _, s := range f.order {
		for i, t := range f.next[s] {
			if !f.IsValid(t) {
				problems = append(problems, fmt.Sprintf("state %q lists undeclared target %q", s, t))
			}
			if slices.Contains(f.next[s][:i], t) {
				problems = append(problems, fmt.Sprintf("state %q lists target %q twice", s, t))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return es.Errorf(CodeInvalidDefinition, "%s", strings.Join(problems, "; "))
}

// TransitionError reports a transition the FSM does not allow. Its code is
// FSM_INVALID_TRANSITION; errors.Is(err, ErrInvalidTransition) matches it
// and es.CodeOf returns the code.
type TransitionError struct {
	From  string
	To    string
	Valid []string
}

// Name is the error's kind as the original names it: "FSMTransitionError".
func (e *TransitionError) Name() string { return "FSMTransitionError" }

// Error renders the message of spec §5 rule 3.
func (e *TransitionError) Error() string {
	valid := "(none - terminal state)"
	if len(e.Valid) > 0 {
		valid = strings.Join(e.Valid, ", ")
	}
	return `Invalid transition from "` + e.From + `" to "` + e.To + `". Valid transitions: ` + valid
}

// Code returns FSM_INVALID_TRANSITION.
func (e *TransitionError) Code() es.Code { return CodeInvalidTransition }

// Is matches any eventspec error carrying FSM_INVALID_TRANSITION.
func (e *TransitionError) Is(target error) bool {
	c, ok := target.(es.Coder)
	return ok && c.Code() == CodeInvalidTransition
}

// CanTransition is f.Can(from, to).
func CanTransition[S ~string](f *FSM[S], from, to S) bool { return f.Can(from, to) }

// AssertTransition is f.Assert(from, to).
func AssertTransition[S ~string](f *FSM[S], from, to S) error { return f.Assert(from, to) }

// ValidTransitions is f.Valid(from).
func ValidTransitions[S ~string](f *FSM[S], from S) []S { return f.Valid(from) }

// IsTerminal is f.IsTerminal(s).
func IsTerminal[S ~string](f *FSM[S], s S) bool { return f.IsTerminal(s) }

// IsValidState is f.IsValid(s).
func IsValidState[S ~string](f *FSM[S], s S) bool { return f.IsValid(s) }
