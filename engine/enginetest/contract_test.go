package enginetest_test

import (
	"testing"

	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/scenario"
)

// TestDeciderKeepsTheContract runs every branch of the order decider
// through scenario.Decider, which fails when Decide or Evolve mutates a
// state it was given. Register relies on it: the orchestrator's state
// cache shares states between commands (DeciderConfig.CacheState).
func TestDeciderKeepsTheContract(t *testing.T) {
	created := enginetest.OrderCreated{OrderID: "o1", CustomerID: "c1"}
	item := enginetest.ItemAdded{OrderID: "o1", SKU: "a", Qty: 2}
	cases := []struct {
		name  string
		given []enginetest.Event
		cmd   enginetest.Command
	}{
		{"create", nil, enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}},
		{"create twice", []enginetest.Event{created}, enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}},
		{"add to a missing order", nil, enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 1}},
		{"add", []enginetest.Event{created, item}, enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 1}},
		{"add a new sku", []enginetest.Event{created, item}, enginetest.AddItem{OrderID: "o1", SKU: "b", Qty: 1}},
		{"add nothing", []enginetest.Event{created, item}, enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 0}},
		{"submit empty", []enginetest.Event{created}, enginetest.SubmitOrder{OrderID: "o1"}},
		{"submit", []enginetest.Event{created, item}, enginetest.SubmitOrder{OrderID: "o1"}},
		{"add after submit", []enginetest.Event{created, item, enginetest.OrderSubmitted{OrderID: "o1", Lines: 1}}, enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 1}},
		{"cancel", []enginetest.Event{created, item}, enginetest.CancelOrder{OrderID: "o1"}},
		{"cancel twice", []enginetest.Event{created, enginetest.OrderCancelled{OrderID: "o1"}}, enginetest.CancelOrder{OrderID: "o1"}},
	}
	for _, c := range cases {
		if err := scenario.Decider(enginetest.Decider).Given(c.given...).When(c.cmd).Err(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
