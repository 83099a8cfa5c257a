package fsm_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/fsm"
)

type status string

// reference is the FSM of spec §5 rule 8.
func reference() *fsm.FSM[status] {
	return fsm.Define[status]("draft", map[status][]status{
		"draft":     {"submitted", "cancelled"},
		"submitted": {"confirmed", "cancelled"},
		"confirmed": {},
		"cancelled": nil,
	})
}

func TestCan(t *testing.T) {
	f := reference()
	cases := []struct {
		from, to status
		want     bool
	}{
		{"draft", "submitted", true},
		{"draft", "cancelled", true},
		{"submitted", "confirmed", true},
		{"submitted", "cancelled", true},
		{"draft", "confirmed", false},
		{"draft", "draft", false},
		{"confirmed", "draft", false},
		{"cancelled", "submitted", false},
		{"unknown", "draft", false},
		{"DRAFT", "submitted", false},
		{"", "submitted", false},
	}
	for _, c := range cases {
		if got := f.Can(c.from, c.to); got != c.want {
			t.Errorf("Can(%q, %q) = %v, want %v", c.from, c.to, got, c.want)
		}
		if got := fsm.CanTransition(f, c.from, c.to); got != c.want {
			t.Errorf("CanTransition(%q, %q) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

func TestAssertMessages(t *testing.T) {
	f := reference()
	cases := []struct {
		from, to status
		msg      string
		valid    []string
	}{
		{"draft", "confirmed", `Invalid transition from "draft" to "confirmed". Valid transitions: submitted, cancelled`, []string{"submitted", "cancelled"}},
		{"confirmed", "draft", `Invalid transition from "confirmed" to "draft". Valid transitions: (none - terminal state)`, []string{}},
		{"unknown", "draft", `Invalid transition from "unknown" to "draft". Valid transitions: (none - terminal state)`, []string{}},
	}
	for _, c := range cases {
		err := f.Assert(c.from, c.to)
		if err == nil {
			t.Fatalf("Assert(%q, %q) = nil, want an error", c.from, c.to)
		}
		if err.Error() != c.msg {
			t.Errorf("message\n got %s\nwant %s", err, c.msg)
		}
		var te *fsm.TransitionError
		if !errors.As(err, &te) {
			t.Fatalf("error %T is not a *TransitionError", err)
		}
		if te.From != string(c.from) || te.To != string(c.to) || len(te.Valid) != len(c.valid) {
			t.Errorf("fields = %+v", te)
		}
		for i := range c.valid {
			if te.Valid[i] != c.valid[i] {
				t.Errorf("Valid = %v, want %v", te.Valid, c.valid)
			}
		}
		if te.Name() != "FSMTransitionError" || es.CodeOf(err) != "FSM_INVALID_TRANSITION" || !errors.Is(err, fsm.ErrInvalidTransition) {
			t.Errorf("name %q, code %q, Is %v", te.Name(), es.CodeOf(err), errors.Is(err, fsm.ErrInvalidTransition))
		}
		if errors.Is(err, es.ErrConcurrency) {
			t.Error("a transition error matches ErrConcurrency")
		}
		if fsm.AssertTransition(f, c.from, c.to).Error() != c.msg {
			t.Error("AssertTransition differs from Assert")
		}
	}
	if err := f.Assert("draft", "submitted"); err != nil {
		t.Errorf("valid transition: %v", err)
	}
}

func TestTransition(t *testing.T) {
	f := reference()
	got, err := f.Transition("submitted", "confirmed")
	if err != nil || got != "confirmed" {
		t.Errorf("Transition = %q, %v", got, err)
	}
	got, err = f.Transition("confirmed", "cancelled")
	if got != "" || es.CodeOf(err) != fsm.CodeInvalidTransition {
		t.Errorf("Transition from terminal = %q, %v", got, err)
	}
}

func TestValidTerminalAndStates(t *testing.T) {
	f := reference()
	if got := f.Valid("draft"); !reflect.DeepEqual(got, []status{"submitted", "cancelled"}) {
		t.Errorf("Valid(draft) = %v (definition order expected)", got)
	}
	for _, s := range []status{"confirmed", "cancelled", "nope"} {
		if got := f.Valid(s); got == nil || len(got) != 0 {
			t.Errorf("Valid(%q) = %#v, want empty non-nil", s, got)
		}
	}
	// Valid returns a copy.
	v := f.Valid("draft")
	v[0] = "hacked"
	if f.Valid("draft")[0] != "submitted" {
		t.Error("Valid exposed the FSM's slice")
	}
	terminal := map[status]bool{"draft": false, "submitted": false, "confirmed": true, "cancelled": true, "unknown": true}
	for s, want := range terminal {
		if f.IsTerminal(s) != want || fsm.IsTerminal(f, s) != want {
			t.Errorf("IsTerminal(%q) = %v, want %v", s, f.IsTerminal(s), want)
		}
	}
	valid := map[status]bool{"draft": true, "confirmed": true, "cancelled": true, "": false, "unknown": false, "DRAFT": false}
	for s, want := range valid {
		if f.IsValid(s) != want || fsm.IsValidState(f, s) != want {
			t.Errorf("IsValid(%q) = %v, want %v", s, f.IsValid(s), want)
		}
	}
	if !reflect.DeepEqual(fsm.ValidTransitions(f, "submitted"), []status{"confirmed", "cancelled"}) {
		t.Error("ValidTransitions differs")
	}
	if f.Initial() != "draft" || !f.IsInitial("draft") || f.IsInitial("submitted") {
		t.Error("initial state")
	}
	if got := f.States(); !reflect.DeepEqual(got, []status{"draft", "submitted", "cancelled", "confirmed"}) {
		t.Errorf("States = %v", got)
	}
	if got := f.TerminalStates(); !reflect.DeepEqual(got, []status{"cancelled", "confirmed"}) {
		t.Errorf("TerminalStates = %v", got)
	}
	if got := f.NonTerminalStates(); !reflect.DeepEqual(got, []status{"draft", "submitted"}) {
		t.Errorf("NonTerminalStates = %v", got)
	}
	want := []fsm.Transition[status]{
		{"draft", "submitted"}, {"draft", "cancelled"}, {"submitted", "confirmed"}, {"submitted", "cancelled"},
	}
	if got := f.Transitions(); !reflect.DeepEqual(got, want) {
		t.Errorf("Transitions = %v", got)
	}
}

func TestStateOrderIsDeterministic(t *testing.T) {
	def := map[status][]status{
		"a": {"b"}, "b": {}, "z": {"y"}, "y": {}, "m": {},
	}
	first := fsm.Define[status]("a", def).States()
	for range 20 {
		if got := fsm.Define[status]("a", def).States(); !reflect.DeepEqual(got, first) {
			t.Fatalf("States order changed: %v vs %v", got, first)
		}
	}
	if want := []status{"a", "b", "m", "y", "z"}; !reflect.DeepEqual(first, want) {
		t.Errorf("States = %v, want %v (reachable first, then sorted)", first, want)
	}
}

func TestDefineCopiesInput(t *testing.T) {
	def := map[status][]status{"a": {"b"}, "b": {}}
	f := fsm.Define[status]("a", def)
	def["a"][0] = "x"
	def["c"] = nil
	if !f.Can("a", "b") || f.IsValid("c") {
		t.Error("FSM changed with its input map")
	}
}

func TestValidate(t *testing.T) {
	if err := reference().Validate(); err != nil {
		t.Errorf("reference FSM: %v", err)
	}
	bad := fsm.Define[status]("start", map[status][]status{
		"a": {"b", "ghost", "b"},
		"b": {},
	})
	err := bad.Validate()
	if es.CodeOf(err) != fsm.CodeInvalidDefinition || !errors.Is(err, fsm.ErrInvalidDefinition) {
		t.Fatalf("Validate = %v", err)
	}
	want := `FSM_INVALID_DEFINITION: initial state "start" is not a declared state; state "a" lists undeclared target "ghost"; state "a" lists target "b" twice`
	if err.Error() != want {
		t.Errorf("Validate message\n got %s\nwant %s", err, want)
	}
}

func TestEmptyDefinition(t *testing.T) {
	f := fsm.Define[status]("draft", nil)
	if f.IsValid("draft") || f.Can("draft", "x") || !f.IsTerminal("draft") || len(f.States()) != 0 || f.Transitions() != nil {
		t.Error("an empty FSM allows something")
	}
	if err := f.Validate(); err == nil || err.Error() != `FSM_INVALID_DEFINITION: initial state "draft" is not a declared state` {
		t.Errorf("Validate = %v", err)
	}
}
