package scenario_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/scenario"
)

func ordersSetup(e *engine.Engine) error { return enginetest.Register(e.Registry()) }

var orders = scenario.Engine(enginetest.Codec, ordersSetup)

func create(id string) command.Command {
	return command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: id, CustomerID: "c1"})
}

func addItem(id, sku string, qty int) command.Command {
	return command.MustNew("AddItem", enginetest.AddItem{OrderID: id, SKU: sku, Qty: qty})
}

func TestEngineScenarioHappyPaths(t *testing.T) {
	orders.When(create("o1")).
		Then(t, enginetest.OrderCreated{OrderID: "o1", CustomerID: "c1"}).
		ThenCommandStatus(t, command.StatusExecuted).
		ThenState(t, "Order", "o1", enginetest.Order{Exists: true, Status: "draft", CustomerID: "c1"})

	orders.GivenCommands(create("o1")).When(addItem("o1", "a", 2)).
		Then(t, enginetest.ItemAdded{OrderID: "o1", SKU: "a", Qty: 2}).
		ThenState(t, "Order", "o1", enginetest.Order{Exists: true, Status: "draft", CustomerID: "c1", Items: map[string]int{"a": 2}})

	// Given events bypass the command path; the decider catches up from them.
	orders.GivenEvents("Order-o1", enginetest.OrderCreated{OrderID: "o1", CustomerID: "c1"}, enginetest.ItemAdded{OrderID: "o1", SKU: "a", Qty: 1}).
		When(command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"})).
		Then(t, enginetest.OrderSubmitted{OrderID: "o1", Lines: 1})

	orders.When(addItem("nope", "a", 1)).ThenRejected(t, "ORDER_NOT_FOUND").ThenNothing(t).ThenCommandStatus(t, command.StatusRejected)

	orders.GivenCommands(create("o1")).When(command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"})).
		ThenFailed(t, "order has no items", enginetest.SubmissionFailed{OrderID: "o1", Reason: "order has no items"}).
		ThenCommandStatus(t, command.StatusFailed)
}

func TestEngineScenarioFailureMessages(t *testing.T) {
	rec := &scenario.Recorder{}
	run := orders.GivenCommands(create("o1")).When(addItem("o1", "a", 2))
	run.Then(rec, enginetest.ItemAdded{OrderID: "o1", SKU: "b", Qty: 2})
	msgs := rec.Messages()
	if len(msgs) != 1 {
		t.Fatalf("messages = %v", msgs)
	}
	for _, want := range []string{
		"engine scenario: Then events failed",
		`Given command #1: CreateOrder {"orderId":"o1","customerId":"c1"}`,
		`When: AddItem {"orderId":"o1","sku":"a","qty":2}`,
		"Result: executed, 1 event(s)",
		`✗ 1 | ItemAdded {"orderId":"o1","sku":"b","qty":2} | ItemAdded {"orderId":"o1","sku":"a","qty":2}`,
		`#1 (ItemAdded).SKU: "b" → "a"`,
	} {
		if !strings.Contains(msgs[0], want) {
			t.Errorf("message lacks %q:\n%s", want, msgs[0])
		}
	}
	checks := []struct {
		err  error
		want string
	}{
		{run.CheckRejected("X"), "expected a rejection with code X, the command was executed"},
		{orders.When(addItem("zz", "a", 1)).CheckRejected("ORDER_NOT_DRAFT"), "expected rejection code ORDER_NOT_DRAFT, got ORDER_NOT_FOUND (order zz does not exist)"},
		{run.CheckState("Order", "o1", enginetest.Order{Exists: true}), `Status: "" → "draft"`},
		{run.CheckState("Order", "o9", enginetest.Order{}), "no command-model state"},
		{run.CheckCommandStatus(command.StatusRejected), "expected status rejected, the command log says executed"},
		{run.CheckFailed("x"), `expected a business failure "x", the command was executed`},
		{run.CheckNothing(), "expected 0 event(s), got 1"},
		{orders.GivenCommands(addItem("zz", "a", 1)).When(create("o1")).CheckEvents(), "Error (given #1): given command AddItem was rejected (ORDER_NOT_FOUND order zz does not exist)"},
	}
	for i, c := range checks {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("check %d: %v\nwant it to contain %q", i, c.err, c.want)
		}
	}
	if err := orders.GivenCommands(addItem("zz", "a", 1)).When(create("o1")).Err(); err == nil || !strings.Contains(err.Error(), "given #1") {
		t.Errorf("Err() = %v", err)
	}
}

func TestEngineScenarioIsImmutableAndIsolated(t *testing.T) {
	base := orders.GivenCommands(create("o1"))
	a := base.GivenCommands(addItem("o1", "a", 1))
	// base did not gain a's step: creating o1 again is rejected only once.
	base.When(create("o1")).ThenRejected(t, "ORDER_ALREADY_EXISTS")
	a.When(addItem("o1", "a", 1)).ThenState(t, "Order", "o1", enginetest.Order{Exists: true, Status: "draft", CustomerID: "c1", Items: map[string]int{"a": 2}})
	r1, r2 := base.When(addItem("o1", "b", 1)), base.When(addItem("o1", "b", 1))
	if r1.Result().Position != 2 || r2.Result().Position != 2 || r1.Engine() == r2.Engine() {
		t.Fatalf("runs share state: %+v %+v", r1.Result(), r2.Result())
	}
	if got := r1.Recorded(); len(got) != 1 || got[0].Type != "ItemAdded" || len(r1.Events()) != 1 {
		t.Fatalf("recorded = %+v", got)
	}
}

func ExampleEngine() {
	run := scenario.Engine(enginetest.Codec, ordersSetup).
		GivenCommands(create("o1")).
		When(addItem("o1", "a", 0))
	fmt.Println(run.CheckRejected("INVALID_QUANTITY"))
	fmt.Println(run.Result().Status, run.Result().Reason)
	// Output:
	// <nil>
	// rejected quantity must be positive, got 0
}
