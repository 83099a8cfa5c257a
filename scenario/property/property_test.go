package property_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/scenario/internal/testdomain"
	"github.com/eventspec/eventspec/scenario/property"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The tests below make rapid fail on purpose; do not leave fail files
	// in testdata/.
	_ = flag.Set("rapid.nofailfile", "true")
	os.Exit(m.Run())
}

// fakeTB is a rapid.TB that records failures instead of failing the test.
type fakeTB struct {
	name   string
	failed bool
	errors []string
	logs   []string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Log(args ...any)                  { f.logs = append(f.logs, fmt.Sprint(args...)) }
func (f *fakeTB) Skipf(format string, args ...any) { panic("skip") }
func (f *fakeTB) Skip(args ...any)                 { panic("skip") }
func (f *fakeTB) SkipNow()                         { panic("skip") }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.failed = true
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Error(args ...any) {
	f.failed = true
	f.errors = append(f.errors, fmt.Sprint(args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *fakeTB) Fatal(args ...any)                 { f.Error(args...) }
func (f *fakeTB) FailNow()                          { f.failed = true }
func (f *fakeTB) Fail()                             { f.failed = true }
func (f *fakeTB) Failed() bool                      { return f.failed }

var addItem = rapid.Custom(func(t *rapid.T) testdomain.Command {
	return testdomain.AddItem{
		SKU:   rapid.SampledFrom([]string{"a", "b"}).Draw(t, "sku"),
		Qty:   rapid.IntRange(-1, 5).Draw(t, "qty"),
		Price: rapid.IntRange(0, 600).Draw(t, "price"),
	}
})

// coarseAddItem draws few bits, so shrinking a failure is quick even under
// the race detector.
var coarseAddItem = rapid.Custom(func(t *rapid.T) testdomain.Command {
	return testdomain.AddItem{
		SKU:   "a",
		Qty:   rapid.IntRange(1, 3).Draw(t, "qty"),
		Price: rapid.SampledFrom([]int{100, 400, 600}).Draw(t, "price"),
	}
})

var commands = rapid.OneOf(
	rapid.Map(rapid.SampledFrom([]string{"", "o1"}), func(id string) testdomain.Command { return testdomain.Place{ID: id, Customer: "c1"} }),
	addItem,
	rapid.Just[testdomain.Command](testdomain.Submit{}),
	rapid.Just[testdomain.Command](testdomain.Confirm{By: "bob"}),
	rapid.Just[testdomain.Command](testdomain.Cancel{Reason: "changed mind"}),
)

func model() property.Model[testdomain.Order, testdomain.Command, testdomain.Event] {
	return property.Model[testdomain.Order, testdomain.Command, testdomain.Event]{
		Decider:    testdomain.Decider,
		Commands:   property.Always[testdomain.Order](commands),
		Invariants: testdomain.Invariants,
		Codec:      testdomain.Codec,
	}
}

func TestCorrectDeciderPasses(t *testing.T) {
	property.Check(t, model())
}

// failing runs property.Check on a fake TB and returns rapid's report.
func failing(t *testing.T, m property.Model[testdomain.Order, testdomain.Command, testdomain.Event]) string {
	t.Helper()
	f := &fakeTB{name: t.Name()}
	property.Check(f, m)
	if !f.failed || len(f.errors) == 0 {
		t.Fatalf("the property passed; it should have found the bug (logs: %v)", f.logs)
	}
	return f.errors[0]
}

// guided draws commands that make sense in the current state, so runs
// reach deep states (submitted, confirmed) often.
func guided(o testdomain.Order) *rapid.Generator[testdomain.Command] {
	switch o.Status {
	case testdomain.StatusNone:
		return rapid.Just[testdomain.Command](testdomain.Place{ID: "o1", Customer: "c1"})
	case testdomain.StatusDraft:
		return rapid.OneOf(coarseAddItem, rapid.Just[testdomain.Command](testdomain.Submit{}))
	}
	return rapid.OneOf(rapid.Just[testdomain.Command](testdomain.Confirm{By: "bob"}), rapid.Just[testdomain.Command](testdomain.Cancel{Reason: "r"}))
}

func withDecide(decide func(testdomain.Order, testdomain.Command, decider.Context) decider.Outcome[testdomain.Event]) property.Model[testdomain.Order, testdomain.Command, testdomain.Event] {
	m := model()
	m.Decider.Decide = decide
	m.Commands = guided
	m.MaxSteps = 12
	return m
}

var gherkinShape = regexp.MustCompile(`(?s)property of the order decider failed; minimal counterexample:

  Scenario: counterexample found by rapid
    Given the events:
      \| type +\| id +\| customer \| at +\| sku \| qty \| price \|
      \| Placed +\| o1 \| c1 +\| 2026-01-01T00:00:00Z \| +\| +\| +\|
(?:      \| ItemAdded \| +\| +\| +\| a +\| \d +\| \d+ +\|
){1,3}      \| Submitted \| +\| +\| +\| +\| +\| +\|
    When I decide to Confirm with:
      \| field \| value \|
      \| by +\| bob +\|
    Then the invariants "confirmedWithinCredit" should hold
    # violated confirmedWithinCredit \(CONFIRMED_OVER_LIMIT\): confirmed order total (\d+) exceeds 1000 \{"limit":1000,"total":\d+\}
    # outcome: success with 1 event\(s\) \[Confirmed \{"by":"bob"\}\]
    # state after: Order \{.*"Status":"confirmed".*\}
`)

// A decider that forgets the credit limit breaks an invariant; rapid
// finds it, shrinks it to one line and prints it as Gherkin.
func TestInvariantViolationShrinksToGherkin(t *testing.T) {
	msg := failing(t, withDecide(func(o testdomain.Order, c testdomain.Command, ctx decider.Context) decider.Outcome[testdomain.Event] {
		if _, ok := c.(testdomain.Confirm); ok && o.Status == testdomain.StatusSubmitted {
			return decider.Success[testdomain.Event](testdomain.Confirmed{By: "bob"})
		}
		return testdomain.Decide(o, c, ctx)
	}))
	m := gherkinShape.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("counterexample not in the expected shape:\n%s", msg)
	}
	// Shrinking kept only what the violation needs: the order, one to three
	// lines (rapid's shrinker does not always merge lines, e.g. 1×400 and
	// 2×400 stay two), the submission and the confirmation; their total is
	// over the limit, and no more than three of the largest lines make.
	if total, _ := strconv.Atoi(m[1]); total <= 1000 || total > 3*1800 {
		t.Errorf("total %d is not over the limit:\n%s", total, msg)
	}
	if !strings.Contains(msg, "To reproduce, specify -run=") {
		t.Errorf("rapid's reproduction hint missing:\n%s", msg)
	}
}

// A decide that writes into its state is caught by the scenario checks run
// at every step.
func TestMutatingDeciderIsCaught(t *testing.T) {
	msg := failing(t, withDecide(func(o testdomain.Order, c testdomain.Command, ctx decider.Context) decider.Outcome[testdomain.Event] {
		if add, ok := c.(testdomain.AddItem); ok && o.Qty != nil {
			o.Qty[add.SKU]++
		}
		return testdomain.Decide(o, c, ctx)
	}))
	for _, want := range []string{
		"Then the decider should pass its integrity checks",
		"# Decide mutated the state it was given",
		`When I decide to AddItem with:`,
		"Given the events:",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

// An Evolve that depends on hidden state breaks replay equivalence.
func TestImpureEvolveIsCaught(t *testing.T) {
	m := model()
	m.Commands = guided
	applied := 0
	m.Decider.Evolve = func(o testdomain.Order, e testdomain.Event) testdomain.Order {
		o = testdomain.Evolve(o, e)
		if _, ok := e.(testdomain.ItemAdded); ok {
			applied++
			o.Total += applied % 2 // drifts with the number of calls
		}
		return o
	}
	msg := failing(t, m)
	if !strings.Contains(msg, "replay") && !strings.Contains(msg, "Evolve") && !strings.Contains(msg, "deterministic") {
		t.Errorf("impure evolve not reported as such:\n%s", msg)
	}
}

// A per-step Check states a postcondition; breaking it is reported with
// the step's outcome.
func TestStepCheck(t *testing.T) {
	m := model()
	m.Commands = property.Always[testdomain.Order](rapid.Just[testdomain.Command](testdomain.Place{ID: "o1"}))
	m.Check = func(s property.Step[testdomain.Order, testdomain.Command, testdomain.Event]) error {
		if s.Outcome.IsRejected() && len(s.History) >= 1 && s.Outcome.Code == "ORDER_EXISTS" {
			return fmt.Errorf("placing twice must be idempotent, got %s", s.Outcome.Code)
		}
		return nil
	}
	msg := failing(t, m)
	for _, want := range []string{
		"Then the step check should pass",
		"# placing twice must be idempotent, got ORDER_EXISTS",
		`When I decide to Place with:`,
		"# outcome: rejected: code ORDER_EXISTS",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// The Step a Check sees is complete.
	var seen []property.Step[testdomain.Order, testdomain.Command, testdomain.Event]
	m.Check = func(s property.Step[testdomain.Order, testdomain.Command, testdomain.Event]) error {
		seen = append(seen, s)
		return nil
	}
	m.MinSteps, m.MaxSteps = 2, 2
	rapid.Check(t, func(rt *rapid.T) {
		seen = nil
		property.Run(rt, m)
		if len(seen) != 2 || seen[0].Index != 0 || !seen[0].Outcome.IsSuccess() || len(seen[1].History) != 1 ||
			seen[1].Before.ID != "o1" || !seen[1].Outcome.IsRejected() || seen[1].After.Status != testdomain.StatusDraft {
			rt.Fatalf("steps = %+v", seen)
		}
	})
}

func TestModelValidation(t *testing.T) {
	f := &fakeTB{name: t.Name()}
	property.Check(f, property.Model[int, int, int]{})
	if !f.failed || !strings.Contains(f.errors[0], "property model: missing Decider.Initial, Decider.Decide, Decider.Evolve, Commands") {
		t.Errorf("errors = %v", f.errors)
	}
	m := model()
	m.MinSteps, m.MaxSteps = 5, 2
	f = &fakeTB{name: t.Name()}
	property.Check(f, m)
	if !f.failed || !strings.Contains(f.errors[0], "steps bounds [5, 2] are invalid") {
		t.Errorf("errors = %v", f.errors)
	}
}

func TestDefaultContext(t *testing.T) {
	c := property.DefaultContext(2)
	if c.CommandID != "cmd_0003" || c.CorrelationID != "corr_property" || c.Now.Sub(property.DefaultContext(0).Now).Minutes() != 2 {
		t.Errorf("DefaultContext(2) = %+v", c)
	}
}
