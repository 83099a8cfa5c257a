package scenario_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/scenario"
	td "github.com/eventspec/eventspec/scenario/internal/testdomain"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var placed = td.Placed{ID: "o1", Customer: "c1", At: scenario.DefaultContext.Now}

func order() *scenario.DeciderScenario[td.Order, td.Command, td.Event] {
	return scenario.Decider(td.Decider)
}

// expectPass runs assertions against a Recorder and fails when anything
// was reported.
func expectPass(t *testing.T, assert func(scenario.T)) {
	t.Helper()
	var rec scenario.Recorder
	assert(&rec)
	if rec.Failed() {
		t.Errorf("unexpected failure:\n%s", strings.Join(rec.Messages(), "\n"))
	}
}

// expectFail runs assertions against a Recorder and returns what was
// reported, failing when nothing was.
func expectFail(t *testing.T, assert func(scenario.T)) []string {
	t.Helper()
	var rec scenario.Recorder
	assert(&rec)
	if !rec.Failed() {
		t.Fatal("expected a reported failure, got none")
	}
	return rec.Messages()
}

func TestHappyPathsWithTestingT(t *testing.T) {
	order().When(td.Place{ID: "o1", Customer: "c1"}).Then(t, placed)
	order().Given(placed).
		When(td.AddItem{SKU: "a", Qty: 2, Price: 10}).
		Then(t, td.ItemAdded{SKU: "a", Qty: 2, Price: 10}).
		ThenStatus(t, decider.StatusSuccess).
		ThenState(t, td.Order{ID: "o1", Status: td.StatusDraft, Customer: "c1", Lines: []td.Line{{SKU: "a", Qty: 2, Price: 10}}, Qty: map[string]int{"a": 2}, Total: 20})
	order().Given(placed).When(td.Confirm{}).ThenRejected(t, "FSM_INVALID_TRANSITION")
	order().Given(placed, td.ItemAdded{SKU: "a", Qty: 1, Price: 2000}, td.Submitted{}).
		When(td.Confirm{By: "bob"}).
		ThenFailed(t, "credit limit exceeded", td.ConfirmationFailed{Reason: "credit limit exceeded", Total: 2000})
	order().Given(placed, td.ItemAdded{SKU: "a", Qty: 1, Price: 5}, td.Submitted{}).
		When(td.Confirm{By: "bob"}).
		Then(t, td.Confirmed{By: "bob"}).
		ThenData(t, 5)
}

func TestRejectionLeavesStateAlone(t *testing.T) {
	dc := order().Given(placed).When(td.AddItem{SKU: "a", Qty: 0})
	expectPass(t, func(t scenario.T) {
		dc.ThenRejected(t, "INVALID_QUANTITY").ThenState(t, dc.StateBefore())
	})
	if dc.Outcome().Message != "quantity 0 must be positive" || dc.Events() != nil || dc.Err() != nil {
		t.Errorf("outcome %+v, events %v, err %v", dc.Outcome(), dc.Events(), dc.Err())
	}
}

func TestGivenIsImmutableAndComposable(t *testing.T) {
	base := order().Given(placed)
	withItem := base.Given(td.ItemAdded{SKU: "a", Qty: 1, Price: 1})
	if len(base.Events()) != 1 || len(withItem.Events()) != 2 {
		t.Fatalf("Given changed its receiver: %d, %d", len(base.Events()), len(withItem.Events()))
	}
	expectPass(t, func(t scenario.T) {
		base.When(td.Submit{}).ThenRejected(t, "ORDER_EMPTY")
		withItem.When(td.Submit{}).Then(t, td.Submitted{})
	})
}

func TestGivenStateStartsFromAState(t *testing.T) {
	st := td.Order{ID: "o9", Status: td.StatusSubmitted, Lines: []td.Line{{SKU: "x", Qty: 1, Price: 3}}, Qty: map[string]int{"x": 1}, Total: 3}
	sc := order().GivenState(st)
	st.Lines[0].SKU = "changed after GivenState" // the scenario keeps its own copy
	expectPass(t, func(t scenario.T) {
		sc.When(td.Cancel{Reason: "r"}).Then(t, td.Cancelled{Reason: "r"}).
			ThenState(t, td.Order{ID: "o9", Status: td.StatusCancelled, Lines: []td.Line{{SKU: "x", Qty: 1, Price: 3}}, Qty: map[string]int{"x": 1}, Total: 3})
		sc.Given(td.Cancelled{}).When(td.Submit{}).ThenRejected(t, "FSM_INVALID_TRANSITION")
	})
}

func TestContextReachesTheDecider(t *testing.T) {
	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	expectPass(t, func(t scenario.T) {
		order().WithContext(decider.Context{Now: at, CommandID: "c", CorrelationID: "k"}).
			When(td.Place{ID: "o1"}).Then(t, td.Placed{ID: "o1", At: at})
	})
}

func TestOrderingModes(t *testing.T) {
	two := td.Decider
	two.Decide = func(o td.Order, c td.Command, ctx decider.Context) decider.Outcome[td.Event] {
		return decider.Success[td.Event](td.Submitted{}, td.Cancelled{Reason: "r"})
	}
	dc := scenario.Decider(two).Given(placed).When(td.Submit{})
	expectPass(t, func(t scenario.T) {
		dc.Then(t, td.Submitted{}, td.Cancelled{Reason: "r"})
		dc.ThenUnordered(t, td.Cancelled{Reason: "r"}, td.Submitted{})
		dc.ThenContains(t, td.Cancelled{Reason: "r"})
		dc.ThenContains(t)
	})
	msgs := expectFail(t, func(t scenario.T) { dc.Then(t, td.Cancelled{Reason: "r"}, td.Submitted{}) })
	if !strings.Contains(msgs[0], "expected exactly these events, in this order: 2 event(s), got 2") {
		t.Errorf("exact order mismatch message:\n%s", msgs[0])
	}
	msgs = expectFail(t, func(t scenario.T) { dc.ThenUnordered(t, td.Submitted{}) })
	for _, s := range []string{"0 expected event(s) not found, 1 unexpected", "✗ -↔2 | (not expected)", `Cancelled {"reason":"r"}`} {
		if !strings.Contains(msgs[0], s) {
			t.Errorf("unordered message lacks %q:\n%s", s, msgs[0])
		}
	}
	msgs = expectFail(t, func(t scenario.T) { dc.ThenContains(t, td.Cancelled{Reason: "other"}) })
	for _, s := range []string{"at least these events, in any order", `✗ 1↔- | Cancelled {"reason":"other"} | (missing)`,
		"expected #1 vs actual #2:", `Reason: "other" → "r"`} {
		if !strings.Contains(msgs[0], s) {
			t.Errorf("contains message lacks %q:\n%s", s, msgs[0])
		}
	}
}

func TestNothingStatusAndData(t *testing.T) {
	noop := td.Decider
	noop.Decide = func(td.Order, td.Command, decider.Context) decider.Outcome[td.Event] {
		return decider.Outcome[td.Event]{Status: decider.StatusSuccess, Events: []td.Event{}}.WithData(map[string]int{"n": 1})
	}
	dc := scenario.Decider(noop).When(td.Submit{})
	expectPass(t, func(t scenario.T) {
		dc.ThenNothing(t).Then(t).ThenData(t, map[string]int{"n": 1}).ThenStatus(t, decider.StatusSuccess)
	})
	msgs := expectFail(t, func(t scenario.T) { order().When(td.Submit{}).ThenNothing(t) })
	if !strings.Contains(msgs[0], `expected success with exactly these events, in this order (0), got rejected: code ORDER_NOT_FOUND, message "the order does not exist"`) {
		t.Errorf("ThenNothing on a rejection:\n%s", msgs[0])
	}
	msgs = expectFail(t, func(t scenario.T) { dc.ThenData(t, map[string]int{"n": 2}).ThenStatus(t, decider.StatusRejected) })
	if len(msgs) != 2 || !strings.Contains(msgs[0], `["n"]: 2 → 1`) || !strings.Contains(msgs[1], "expected status rejected, got success with 0 event(s)") {
		t.Errorf("data/status messages:\n%s", strings.Join(msgs, "\n"))
	}
}

func TestRejectionAndFailureMessages(t *testing.T) {
	dc := order().Given(placed).When(td.AddItem{SKU: "a", Qty: -1})
	msgs := expectFail(t, func(t scenario.T) { dc.Then(t, td.ItemAdded{SKU: "a", Qty: -1}) })
	for _, s := range []string{
		`Got   rejected: code INVALID_QUANTITY, message "quantity -1 must be positive"`,
		`expected success with exactly these events, in this order (1), got rejected: code INVALID_QUANTITY, message "quantity -1 must be positive"`,
		`✗ 1 | ItemAdded {"sku":"a","qty":-1,"price":0} | (none)`,
	} {
		if !strings.Contains(msgs[0], s) {
			t.Errorf("message lacks %q:\n%s", s, msgs[0])
		}
	}
	msgs = expectFail(t, func(t scenario.T) { dc.ThenRejected(t, "INVALID_PRICE") })
	if !strings.Contains(msgs[0], `expected rejection code INVALID_PRICE, got INVALID_QUANTITY (message "quantity -1 must be positive")`) {
		t.Errorf("wrong code message:\n%s", msgs[0])
	}
	msgs = expectFail(t, func(t scenario.T) { order().When(td.Place{ID: "o1"}).ThenRejected(t, "ORDER_EXISTS") })
	if !strings.Contains(msgs[0], "expected rejected with code ORDER_EXISTS, got success with 1 event(s)") ||
		!strings.Contains(msgs[0], `✗ 1 | (none)   | Placed {"id":"o1","customer":"","at":"2026-01-01T00:00:00Z"}`) {
		t.Errorf("unexpected success message:\n%s", msgs[0])
	}
	failing := order().Given(placed, td.ItemAdded{SKU: "a", Qty: 1, Price: 2000}, td.Submitted{}).When(td.Confirm{})
	msgs = expectFail(t, func(t scenario.T) {
		failing.ThenFailed(t, "no credit")
		failing.ThenFailed(t, "credit limit exceeded", td.ConfirmationFailed{Reason: "credit limit exceeded", Total: 1})
		order().When(td.Place{ID: "o1"}).ThenFailed(t, "x")
	})
	if len(msgs) != 3 ||
		!strings.Contains(msgs[0], `expected failure reason "no credit", got "credit limit exceeded"`) ||
		!strings.Contains(msgs[1], `#1 (ConfirmationFailed).Total: 1 → 2000`) ||
		!strings.Contains(msgs[2], `expected failed with reason "x", got success with 1 event(s)`) {
		t.Errorf("failure messages:\n%s", strings.Join(msgs, "\n---\n"))
	}
}

func TestThenStateMismatch(t *testing.T) {
	msgs := expectFail(t, func(t scenario.T) {
		order().Given(placed).When(td.AddItem{SKU: "a", Qty: 2, Price: 10}).
			ThenState(t, td.Order{ID: "o1", Status: td.StatusDraft, Customer: "c1", Qty: map[string]int{"a": 3}, Total: 30})
	})
	for _, s := range []string{"the state after the decision differs", `Lines: null → [{"SKU":"a","Qty":2,"Price":10}]`,
		`Qty["a"]: 3 → 2`, `Total: 30 → 20`} {
		if !strings.Contains(msgs[0], s) {
			t.Errorf("state message lacks %q:\n%s", s, msgs[0])
		}
	}
}

func TestCmpOptions(t *testing.T) {
	sc := scenario.Decider(td.Decider, scenario.WithCmpOptions(cmpopts.IgnoreFields(td.Placed{}, "At")))
	expectPass(t, func(t scenario.T) {
		sc.When(td.Place{ID: "o1", Customer: "c1"}).Then(t, td.Placed{ID: "o1", Customer: "c1"})
	})
}

func TestCheckMethodsReturnFailures(t *testing.T) {
	dc := order().Given(placed).When(td.AddItem{SKU: "a", Qty: 1, Price: 1})
	if err := dc.CheckEvents(td.ItemAdded{SKU: "a", Qty: 1, Price: 1}); err != nil {
		t.Errorf("CheckEvents: %v", err)
	}
	for _, err := range []error{dc.CheckEventsUnordered(td.ItemAdded{SKU: "a", Qty: 1, Price: 1}), dc.CheckEventsContain(), dc.CheckStatus(decider.StatusSuccess), dc.CheckData(nil)} {
		if err != nil {
			t.Errorf("unexpected: %v", err)
		}
	}
	err := dc.CheckRejected("X")
	var f *scenario.Failure
	if !errors.As(err, &f) {
		t.Fatalf("CheckRejected = %v", err)
	}
	if f.Scenario != "order" || f.Check != "Then rejected" || !strings.Contains(f.Context, "When  AddItem") ||
		!strings.HasPrefix(f.Details, "expected rejected with code X, got success with 1 event(s)") ||
		!strings.HasPrefix(err.Error(), "order scenario: Then rejected failed\n  Given 1. Placed") {
		t.Errorf("failure = %#v\n%s", f, err)
	}
	for _, err := range []error{dc.CheckFailed("r"), dc.CheckNothing(), dc.CheckState(td.Order{}), dc.CheckEventsContain(td.Submitted{}), dc.CheckEventsUnordered()} {
		if err == nil {
			t.Error("a Check that should fail passed")
		}
	}
}

// --- integrity checks ---

func TestDecideMutatingMapIsCaught(t *testing.T) {
	broken := td.Decider
	broken.Decide = func(o td.Order, c td.Command, ctx decider.Context) decider.Outcome[td.Event] {
		if add, ok := c.(td.AddItem); ok {
			o.Qty[add.SKU] += add.Qty // mutates the map shared with the caller's state
		}
		return td.Decide(o, c, ctx)
	}
	dc := scenario.Decider(broken).Given(placed).When(td.AddItem{SKU: "a", Qty: 2, Price: 1})
	err := dc.Err()
	if err == nil {
		t.Fatal("mutation not detected")
	}
	for _, s := range []string{"Decide mutated the state it was given", `Qty["a"]: (none) → 2`, "replay mismatch"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("integrity message lacks %q:\n%s", s, err)
		}
	}
	// The expectation itself holds, but the Then still fails — once.
	msgs := expectFail(t, func(t scenario.T) {
		dc.Then(t, td.ItemAdded{SKU: "a", Qty: 2, Price: 1}).ThenStatus(t, decider.StatusSuccess)
	})
	if len(msgs) != 1 || !strings.Contains(msgs[0], "the expectation held, but the decider's integrity checks failed") {
		t.Errorf("integrity reported %d times:\n%s", len(msgs), strings.Join(msgs, "\n"))
	}
	// Check methods report it every time (each godog step stands alone).
	if dc.CheckStatus(decider.StatusSuccess) == nil || dc.CheckStatus(decider.StatusSuccess) == nil {
		t.Error("Check methods must include integrity problems")
	}
}

func TestDecideMutatingSliceElementIsCaught(t *testing.T) {
	broken := td.Decider
	broken.Decide = func(o td.Order, c td.Command, ctx decider.Context) decider.Outcome[td.Event] {
		if len(o.Lines) > 0 {
			o.Lines[0].Qty = 99
		}
		return td.Decide(o, c, ctx)
	}
	err := scenario.Decider(broken).Given(placed, td.ItemAdded{SKU: "a", Qty: 1, Price: 1}).When(td.Submit{}).Err()
	if err == nil || !strings.Contains(err.Error(), "Lines[0].Qty: 1 → 99") {
		t.Errorf("slice mutation: %v", err)
	}
}

type counter struct{ N int }

func TestDecideMutatingPointerStateIsCaught(t *testing.T) {
	d := decider.Decider[*counter, int, int]{
		Name:    "counter",
		Initial: func() *counter { return &counter{} },
		Decide: func(s *counter, c int, _ decider.Context) decider.Outcome[int] {
			s.N += c // mutation through the pointer
			return decider.Success(c)
		},
		Evolve: func(s *counter, e int) *counter { return &counter{N: s.N + e} },
	}
	dc := scenario.Decider(d).Given(1, 2).When(5)
	err := dc.Err()
	if err == nil || !strings.Contains(err.Error(), "Decide mutated the state it was given") || !strings.Contains(err.Error(), "N: 3 → 8") {
		t.Fatalf("pointer mutation: %v", err)
	}
	if !strings.Contains(err.Error(), "replay mismatch") || !strings.Contains(err.Error(), "N: 8 → 13") {
		t.Errorf("replay check should see the corrupted state:\n%s", err)
	}
}

func TestEvolveMutatingInputIsCaught(t *testing.T) {
	d := decider.Decider[*counter, int, int]{
		Initial: func() *counter { return &counter{} },
		Decide:  func(_ *counter, c int, _ decider.Context) decider.Outcome[int] { return decider.Success(c) },
		Evolve: func(s *counter, e int) *counter {
			s.N += e
			return s
		},
	}
	err := scenario.Decider(d).Given(1).When(2).Err()
	if err == nil || !strings.Contains(err.Error(), "Evolve mutated its input state while applying new event #1 2") {
		t.Errorf("evolve mutation: %v", err)
	}
}

func TestNonDeterministicDecideIsCaught(t *testing.T) {
	calls := 0
	d := decider.Decider[int, int, int]{
		Initial: func() int { return 0 },
		Decide: func(_ int, c int, _ decider.Context) decider.Outcome[int] {
			calls++
			return decider.Success(c + calls)
		},
		Evolve: func(s, e int) int { return s + e },
	}
	err := scenario.Decider(d).When(1).Err()
	if err == nil || !strings.Contains(err.Error(), "Decide is not deterministic") || !strings.Contains(err.Error(), "Events[0]: 2 → 3") {
		t.Errorf("non-determinism: %v", err)
	}
}

func TestReplayMismatchFromImpureEvolve(t *testing.T) {
	applied := 0
	d := decider.Decider[int, int, int]{
		Initial: func() int { return 0 },
		Decide:  func(_ int, c int, _ decider.Context) decider.Outcome[int] { return decider.Success(c) },
		Evolve: func(s, e int) int {
			applied++
			return s + e*applied // depends on how often it ran
		},
	}
	err := scenario.Decider(d).Given(1).When(1).Err()
	if err == nil || !strings.Contains(err.Error(), "replay mismatch: folding the given + new events differs from evolving the state the decision saw") {
		t.Errorf("impure evolve: %v", err)
	}
}

func TestPanicsAreReported(t *testing.T) {
	d := decider.Decider[int, int, int]{
		Name:    "boom",
		Initial: func() int { return 0 },
		Decide:  func(int, int, decider.Context) decider.Outcome[int] { panic("kaboom") },
		Evolve:  func(s, e int) int { return s + e },
	}
	dc := scenario.Decider(d).When(1)
	msgs := expectFail(t, func(t scenario.T) { dc.ThenRejected(t, "X") })
	if !strings.Contains(msgs[0], "Decide panicked: kaboom") || !strings.Contains(msgs[0], "got no outcome (Decide did not run)") {
		t.Errorf("panic message:\n%s", msgs[0])
	}
	d.Evolve = func(int, int) int { panic("evolve exploded") }
	if err := scenario.Decider(d).Given(1).When(1).Err(); err == nil || !strings.Contains(err.Error(), "applying event #1 1: Evolve panicked: evolve exploded") {
		t.Errorf("evolve panic: %v", err)
	}
	if err := scenario.Decider(decider.Decider[int, int, int]{}).When(1).Err(); err == nil || !strings.Contains(err.Error(), "no Initial function") {
		t.Errorf("empty decider: %v", err)
	}
}

func TestRecorder(t *testing.T) {
	var r scenario.Recorder
	if r.Err() != nil || r.Failed() {
		t.Error("zero Recorder reports a failure")
	}
	r.Helper()
	r.Errorf("a %d", 1)
	r.Errorf("b")
	if !r.Failed() || r.Err().Error() != "a 1\nb" || len(r.Messages()) != 2 {
		t.Errorf("Recorder = %v", r.Messages())
	}
}
