package ids_test

import (
	"fmt"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/ids"
)

func ExampleGenerate() {
	src := es.NewSequentialIDs() // es.NewUUIDv7(clock) in production
	id, err := ids.Generate(src, "orders", "order")
	fmt.Println(id, err)
	_, err = ids.Generate(src, "orders_context", "order")
	fmt.Println(err)
	_, err = ids.Generate(src, "orders", "")
	fmt.Println(err)
	// Output:
	// orders_order_00000000-0000-7000-8000-000000000001 <nil>
	// INVALID_ARGUMENT: Invalid context "orders_context": only lowercase letters and digits are allowed
	// INVALID_ARGUMENT: type cannot be empty
}

func ExampleParse() {
	p, ok := ids.Parse("orders_order_0190a7c4-1234-7abc-8def-1234567890ab")
	fmt.Printf("%+v %v\n", p, ok)
	_, ok = ids.Parse("orders_order")
	fmt.Println(ok)
	// Output:
	// {Context:orders Type:order UUID:0190a7c4-1234-7abc-8def-1234567890ab} true
	// false
}

func ExampleNewCommandID() {
	src := es.NewSequentialIDs()
	cmd := ids.NewCommandID(src)
	corr := ids.NewCorrelationID(src)
	evt, _ := ids.NewEventID(src, "orders")
	fmt.Println(cmd)
	fmt.Println(corr)
	fmt.Println(evt)
	fmt.Println(ids.NewIntegrationEventID(src))
	// Output:
	// cmd_00000000-0000-7000-8000-000000000001
	// corr_00000000-0000-7000-8000-000000000002
	// orders_event_00000000-0000-7000-8000-000000000003
	// int_evt_00000000-0000-7000-8000-000000000004
}

func ExampleParseCommandID() {
	id, err := ids.ParseCommandID("cmd_123")
	fmt.Printf("%q %v\n", id, err)
	_, err = ids.ParseCommandID("")
	fmt.Println(err)
	// Output:
	// "cmd_123" <nil>
	// INVALID_ARGUMENT: Invalid CommandId: must be a non-empty string
}

func ExampleNewSubscriptionID() {
	src := es.NewSequentialIDs()
	sub, _ := ids.NewSubscriptionID(src, "churnrisk")
	life, _ := ids.NewLifecycleDecisionID(src, "churnrisk")
	fmt.Println(sub)
	fmt.Println(life)
	fmt.Println(ids.NewApprovalID(src), ids.NewDecisionID(src))
	// Output:
	// sub_churnrisk_00000000-0000-7000-8000-000000000001
	// lifecycle_churnrisk_00000000-0000-7000-8000-000000000002
	// apr_00000000-0000-7000-8000-000000000003 dec_00000000-0000-7000-8000-000000000004
}
