package scenario_test

import (
	"testing"

	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/scenario"
	td "github.com/eventspec/eventspec/scenario/internal/testdomain"
)

// brokenOrder records the wrong quantity, emits a stray event and writes
// into the state it is given.
var brokenOrder = func() decider.Decider[td.Order, td.Command, td.Event] {
	d := td.Decider
	d.Decide = func(o td.Order, c td.Command, ctx decider.Context) decider.Outcome[td.Event] {
		if add, ok := c.(td.AddItem); ok {
			o.Qty[add.SKU] = -1
			return decider.Success[td.Event](td.ItemAdded{SKU: add.SKU, Qty: add.Qty + 1, Price: add.Price}, td.Submitted{})
		}
		return td.Decide(o, c, ctx)
	}
	return d
}()

// The failure message of a broken decider, in full: the scenario, the
// expected | actual table with differing rows marked, the field-path diff
// and the integrity problems.
func TestBrokenDeciderMessage(t *testing.T) {
	var rec scenario.Recorder
	scenario.Decider(brokenOrder).
		Given(placed).
		When(td.AddItem{SKU: "a", Qty: 2, Price: 10}).
		Then(&rec, td.ItemAdded{SKU: "a", Qty: 2, Price: 10})
	want := `order scenario: Then events failed
  Given 1. Placed {"id":"o1","customer":"c1","at":"2026-01-01T00:00:00Z"}
  When  AddItem {"sku":"a","qty":2,"price":10}
  Got   success with 2 event(s)
expected exactly these events, in this order: 1 event(s), got 2
    # | expected                                 | actual
  ✗ 1 | ItemAdded {"sku":"a","qty":2,"price":10} | ItemAdded {"sku":"a","qty":3,"price":10}
  ✗ 2 | (none)                                   | Submitted {}
field-path diff (expected → actual):
    #1 (ItemAdded).Qty: 2 → 3
    #2 (actual only): (none) → Submitted {}
also, the decider's integrity checks failed:
    Decide mutated the state it was given (it must return events, not change state):
        Qty["a"]: (none) → -1
    replay mismatch: folding the given + new events differs from evolving the state the decision saw (replayed → evolved):
        Qty["a"]: 3 → 2`
	msgs := rec.Messages()
	if len(msgs) != 1 || msgs[0] != want {
		t.Errorf("message\n--- got ---\n%s\n--- want ---\n%s", msgs, want)
	}
}

// A rejection where events were expected shows the code and the message.
func TestUnexpectedRejectionMessage(t *testing.T) {
	err := scenario.Decider(td.Decider).Given(placed, td.Cancelled{Reason: "r"}).When(td.Submit{}).CheckEvents(td.Submitted{})
	want := `order scenario: Then events failed
  Given 1. Placed {"id":"o1","customer":"c1","at":"2026-01-01T00:00:00Z"}
    and 2. Cancelled {"reason":"r"}
  When  Submit {}
  Got   rejected: code FSM_INVALID_TRANSITION, message "Invalid transition from \"cancelled\" to \"submitted\". Valid transitions: (none - terminal state)"
expected success with exactly these events, in this order (1), got rejected: code FSM_INVALID_TRANSITION, message "Invalid transition from \"cancelled\" to \"submitted\". Valid transitions: (none - terminal state)"
    # | expected     | actual
  ✗ 1 | Submitted {} | (none)`
	if err == nil || err.Error() != want {
		t.Errorf("message\n--- got ---\n%v\n--- want ---\n%s", err, want)
	}
}
