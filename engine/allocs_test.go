//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
)

// dispatchAllocBudget is what one AddItem costs end to end on memstore:
// the domain's own 5 (deciding, evolving the items map, encoding the
// state) and the event's data; the argument box and the decoded order id;
// the command and correlation ids (one allocation), the event id and the
// stream name; the unit of work; the CMS read's copy and the stored CMS
// document; the decider's events; the append's result. Records in the
// command log and the event log come from chunks (their growth, amortized,
// stays under one per command), and the correlation cursor is built
// straight into the command log's.
const dispatchAllocBudget = 16

// TestDispatchAllocationBudget keeps the command path's allocations from
// creeping up unnoticed: a change that adds one fails here and must
// update the budget and its list on purpose.
func TestDispatchAllocationBudget(t *testing.T) {
	ctx := context.Background()
	e := engine.New(memstore.New())
	if err := enginetest.Register(e.Registry(), enginetest.WithoutProjections()); err != nil {
		t.Fatal(err)
	}
	const orders = 50
	cmds := make([]command.Command, orders)
	for i := range orders {
		id := fmt.Sprintf("o%03d", i)
		if r, err := e.Dispatch(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: id, CustomerID: "c"})); err != nil || !r.Succeeded() {
			t.Fatalf("CreateOrder %s: %+v %v", id, r, err)
		}
		cmds[i] = command.MustNew("AddItem", enginetest.AddItem{OrderID: id, SKU: "a", Qty: 1})
	}
	n := 0
	allocs := testing.AllocsPerRun(500, func() {
		r, err := e.Dispatch(ctx, cmds[n%orders])
		n++
		if err != nil || r.Status != command.StatusExecuted {
			t.Fatalf("AddItem: %+v %v", r, err)
		}
	})
	if allocs > dispatchAllocBudget {
		t.Fatalf("one AddItem dispatch allocates %.1f times, over the budget of %d", allocs, dispatchAllocBudget)
	}
	t.Logf("one AddItem dispatch: %.1f allocations (budget %d)", allocs, dispatchAllocBudget)
}
