package commandbus_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/commandbus"
)

func ExampleBus() {
	ctx := context.Background()
	s := memstore.New()
	bus := commandbus.New(s, s.Clock())
	req := commandbus.RecordRequest{CommandID: "cmd-1", CommandType: "CreateOrder", CorrelationID: "corr-1",
		Payload: json.RawMessage(`{"orderId":"o1"}`)}
	first, _ := bus.Record(ctx, req)
	ok, _ := bus.Complete(ctx, "cmd-1", command.StatusExecuted, json.RawMessage(`{"version":1}`))
	again, _ := bus.Record(ctx, req)
	fmt.Println(first.New, ok, again.New, again.ExistingStatus, string(again.ExistingResult))
	// Output: true true false executed {"version":1}
}
