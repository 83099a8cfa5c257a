package event_test

import (
	"fmt"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/event"
)

func ExampleBuilder_New() {
	b := event.NewBuilder(es.NewSequentialIDs(), es.NewVirtualClock(time.Time{}))
	d, err := b.New(event.Input{
		EventType: "OrderSubmitted", StreamType: "Order", StreamID: "ord_1", BoundedContext: "orders",
		Payload: map[string]any{"orderId": "ord_1"}, CorrelationID: "corr_1", CausationID: "cmd_1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := d.Event()
	fmt.Println(d.EventID)
	fmt.Println(d.Stream(), e.Type, string(e.Data))
	fmt.Println(e.Metadata.Category, e.Metadata.SchemaVersion, e.Metadata.Extra[event.ExtraOccurredAt])
	// Output:
	// orders_event_00000000-0000-7000-8000-000000000001
	// Order-ord_1 OrderSubmitted {"orderId":"ord_1"}
	// domain 1 2026-01-01T00:00:00Z
}

func ExampleBuilder_NewWithID() {
	b := event.NewBuilder(es.NewSequentialIDs(), es.NewVirtualClock(time.Time{}))
	d, _ := b.NewWithID("inventory_event_42", event.Input{
		EventType: "StockReserved", StreamType: "Product", StreamID: "p1", Payload: nil,
		CorrelationID: "corr_1", CausationID: "cmd_1",
	})
	fmt.Println(d.EventID, d.BoundedContext)
	// Output: inventory_event_42 inventory
}

func ExampleNormalizeSchemaVersion() {
	fmt.Println(event.NormalizeSchemaVersion(3), event.NormalizeSchemaVersion(1.5), event.NormalizeSchemaVersion("2"), event.NormalizeSchemaVersion(nil))
	fmt.Println(event.NormalizeCategory("fat"), event.NormalizeCategory("FAT"), event.Trigger.IsExternal(), event.Integration.IsCrossContext())
	// Output:
	// 3 1 1 1
	// fat domain true true
}

type orderCreated struct {
	OrderID string  `json:"orderId"`
	Total   float64 `json:"total"`
}

func ExampleDomainSchema() {
	s := event.DomainSchema("OrderCreated", 2, event.JSON[orderCreated]())
	meta := `"eventId":"orders_event_1","streamType":"Order","streamId":"o1","version":1,"globalPosition":0,` +
		`"timestamp":1767225600000,"correlationId":"corr_1","boundedContext":"orders"`
	e, err := s.Parse([]byte(`{"eventType":"OrderCreated",` + meta + `,"payload":{"orderId":"o1","total":9.5}}`))
	fmt.Println(e.Category, e.SchemaVersion, e.Payload.OrderID, e.Payload.Total, err)

	_, err = s.Parse([]byte(`{"eventType":"OrderCreated",` + meta + `,"schemaVersion":3,"payload":{"orderId":5}}`))
	fmt.Println(err)
	// Output:
	// domain 2 o1 9.5 <nil>
	// INVALID_EVENT: event "OrderCreated" (v2) is invalid: schemaVersion: expected 2, received 3; payload.orderId: expected string, received number
}

func ExampleRegistry_Check() {
	r := event.NewRegistry()
	_ = r.Register(event.TriggerSchema("OrderShipped", "orderId", 1))
	e := es.MustEvent("OrderShipped", map[string]string{"orderId": "o1"})
	e.Metadata.Category = string(event.Trigger)
	fmt.Println(r.Check(e))
	e.Metadata.SchemaVersion = 2
	fmt.Println(r.Check(e))
	// Output:
	// <nil>
	// INVALID_EVENT: event "OrderShipped" schema version 2 is not registered (registered: [1])
}
