package schema_test

import (
	"fmt"

	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/command/schema"
)

type addItem struct {
	OrderID string `json:"orderId"`
	SKU     string `json:"sku"`
}

func (a addItem) Validate() []registry.FieldError {
	if a.SKU == "" {
		return []registry.FieldError{{Path: "sku", Code: "required", Message: "Required"}}
	}
	return nil
}

func ExampleAggregate() {
	s := schema.Aggregate[addItem]("AddOrderItem", schema.AggregateConfig{
		Target: &command.AggregateTarget{Type: "Order", IDField: "orderId"},
	})
	c, err := s.Parse([]byte(`{"commandId":"cmd_1","commandType":"AddOrderItem","correlationId":"corr_1",
		"timestamp":1767225600000,"targetContext":"orders","payload":{"orderId":"o1","sku":"a"}}`))
	fmt.Println(c.Category, c.AggregateTarget.Type, c.Payload.SKU, err)

	_, err = s.Parse([]byte(`{"commandId":"cmd_1","commandType":"AddOrderItem","timestamp":0,
		"targetContext":"orders","category":"system","payload":{"orderId":"o1"}}`))
	fmt.Println(err)
	// Output:
	// aggregate Order a <nil>
	// VALIDATION_ERROR: command "AddOrderItem" is invalid: correlationId: Required; timestamp: must be an integer >= 1, received 0; category: expected "aggregate", received "system"; payload.sku: Required
}

func ExampleBatch() {
	s := schema.Batch[addItem]("BulkAddItems", schema.BatchSchemaConfig{Config: &schema.BatchConfig{MaxItems: 10}})
	c, err := s.Parse([]byte(`{"commandId":"cmd_1","commandType":"BulkAddItems","correlationId":"corr_1","timestamp":1,
		"targetContext":"orders","payload":{"items":[{"orderId":"o1","sku":"a"},{"orderId":"o1","sku":"b"}]}}`))
	fmt.Println(len(c.Payload.Items), c.BatchConfig.MaxItems, c.BatchConfig.ContinueOnError, err)
	// Output: 2 10 false <nil>
}

func ExampleCategoryOf() {
	c, ok := schema.CategoryOf(schema.System[struct{}]("RunHealthCheck", schema.SystemConfig{}))
	fmt.Println(c, ok)
	_, ok = schema.CategoryOf("not a schema")
	fmt.Println(ok)
	// Output:
	// system true
	// false
}

func ExampleParseResult() {
	r, err := schema.ParseResult([]byte(`{"status":"conflict","code":"CONCURRENT_MODIFICATION","currentVersion":10}`))
	fmt.Println(r.Status, r.CurrentVersion, err)
	_, err = schema.ParseResult([]byte(`{"status":"unknown"}`))
	fmt.Println(err)
	// Output:
	// conflict 10 <nil>
	// VALIDATION_ERROR: command result is invalid: status: expected one of "success" | "rejected" | "conflict" | "error", received "unknown"
}
