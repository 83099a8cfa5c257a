package batch_test

import (
	"context"
	"fmt"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/batch"
	"github.com/eventspec/eventspec/platform/command"
)

func ExampleRunner_Execute() {
	e := engine.New(memstore.New())
	_ = enginetest.Register(e.Registry())
	r, _ := batch.New(batch.Config{Executor: e.Dispatch, Lookup: e.Registry(), Clock: e.Clock(), IDs: e.IDs(), Sequential: true})
	res := r.Execute(context.Background(), []command.Command{
		command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}),
		command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 0}),
		command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"}),
	}, batch.Options{Mode: batch.Atomic})
	for _, it := range res.Items {
		fmt.Printf("%s %s %q\n", it.CommandType, it.Status, it.Error)
	}
	fmt.Println(res.Status)
	// Output:
	// CreateOrder success ""
	// AddItem rejected "quantity must be positive, got 0"
	// SubmitOrder skipped "Skipped due to earlier failure in atomic batch"
	// failed
}
