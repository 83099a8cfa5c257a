package schema

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/event/field"
)

type createOrder struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
}

func (c createOrder) Validate() []registry.FieldError {
	if c.OrderID == "" {
		return []registry.FieldError{{Path: "orderId", Code: "required", Message: "Required"}}
	}
	return nil
}

type item struct {
	ID    string  `json:"id"`
	Value float64 `json:"value"`
}

func (i item) Validate() []registry.FieldError {
	if i.Value < 0 {
		return []registry.FieldError{{Path: "value", Code: "too_small", Message: "must be positive"}}
	}
	return nil
}

// wire returns a valid command in wire form with edits (nil deletes).
func wire(typ string, payload any, edits map[string]any) []byte {
	m := map[string]any{"commandId": "cmd_1", "commandType": typ, "correlationId": "corr_1", "timestamp": 1767225600000,
		"targetContext": "orders", "payload": payload}
	for k, v := range edits {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	raw, _ := json.Marshal(m)
	return raw
}

func issuesOf(t *testing.T, err error) []field.Issue {
	t.Helper()
	var fe *field.Error
	if !errors.As(err, &fe) || es.CodeOf(err) != es.Code(command.CodeValidation) {
		t.Fatalf("want a VALIDATION_ERROR *field.Error, got %v", err)
	}
	return fe.Issues
}

func onlyIssue(t *testing.T, err error, path, code string) {
	t.Helper()
	is := issuesOf(t, err)
	if len(is) != 1 || is[0].Path != path || is[0].Code != code {
		t.Errorf("issues %v, want one %s at %q", is, code, path)
	}
}

func TestParseMetadata(t *testing.T) {
	m, err := ParseMetadata([]byte(`{"commandId":"cmd_123","commandType":"TestCommand","correlationId":"corr_456","userId":"user_789","timestamp":1767225600000}`))
	want := Metadata{CommandID: "cmd_123", CommandType: "TestCommand", CorrelationID: "corr_456", UserID: "user_789", Timestamp: 1767225600000}
	if err != nil || m != want {
		t.Fatalf("%+v %v", m, err)
	}
	for _, ts := range []string{"1234.56", "-1000", "0", `"1"`} {
		_, err := ParseMetadata([]byte(`{"commandId":"c","commandType":"T","correlationId":"x","timestamp":` + ts + `}`))
		is := issuesOf(t, err)
		if len(is) != 1 || is[0].Path != "timestamp" {
			t.Errorf("timestamp %s: %v", ts, is)
		}
	}
	is := issuesOf(t, func() error { _, err := ParseMetadata([]byte(`{"commandId":"cmd_123"}`)); return err }())
	if len(is) != 3 {
		t.Fatalf("partial: %v", is)
	}
	em, err := ParseEnhancedMetadata([]byte(`{"commandId":"c","commandType":"T","correlationId":"x","timestamp":1}`))
	if err != nil || em.Category != command.CategoryAggregate {
		t.Fatalf("%+v %v", em, err)
	}
	if em, err = ParseEnhancedMetadata([]byte(`{"commandId":"c","commandType":"T","correlationId":"x","timestamp":1,"category":"batch"}`)); err != nil || em.Category != command.CategoryBatch {
		t.Fatalf("%+v %v", em, err)
	}
	if _, err := ParseEnhancedMetadata([]byte(`{"commandId":"c","commandType":"T","correlationId":"x","timestamp":1,"category":"AGGREGATE"}`)); err == nil {
		t.Fatal("AGGREGATE accepted")
	}
}

func TestCategoryValues(t *testing.T) {
	for _, c := range command.Categories() {
		if !IsCategory(string(c)) || !IsCategory(c) || NormalizeCategory(string(c)) != c {
			t.Errorf("%s", c)
		}
	}
	for _, v := range []any{"invalid", "AGGREGATE", "", nil, 123, 1.5} {
		if IsCategory(v) || NormalizeCategory(v) != command.CategoryAggregate {
			t.Errorf("%#v", v)
		}
	}
}

func TestNewSchema(t *testing.T) {
	s := New[createOrder]("CreateOrder")
	c, err := s.Parse(wire("CreateOrder", map[string]any{"orderId": "o1", "customerId": "c1", "extra": 42}, map[string]any{"userId": "u1"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Command[createOrder]{Metadata: Metadata{CommandID: "cmd_1", CommandType: "CreateOrder", CorrelationID: "corr_1", UserID: "u1", Timestamp: 1767225600000},
		TargetContext: "orders", Payload: createOrder{OrderID: "o1", CustomerID: "c1"}}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if _, ok := CategoryOf(s); ok || s.Category() != "" || s.CommandType() != "CreateOrder" {
		t.Fatal("New schema has a category")
	}
	env, err := c.Envelope()
	wantEnv := command.Command{ID: "cmd_1", Type: "CreateOrder", TargetContext: "orders", Payload: json.RawMessage(`{"orderId":"o1","customerId":"c1"}`),
		Metadata: command.Metadata{CorrelationID: "corr_1", UserID: "u1", Timestamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if err != nil || !cmp.Equal(wantEnv, env) {
		t.Fatalf("envelope %s %v", cmp.Diff(wantEnv, env), err)
	}
	if err := env.Validate(); err != nil {
		t.Fatal(err)
	}
	onlyIssue(t, func() error { _, err := s.Parse(wire("WrongType", map[string]any{"orderId": "o"}, nil)); return err }(), "commandType", field.CodeInvalidLiteral)
	onlyIssue(t, func() error { _, err := s.Parse(wire("CreateOrder", map[string]any{"orderId": 123}, nil)); return err }(), "payload.orderId", "invalid_type")
	onlyIssue(t, func() error { _, err := s.Parse(wire("CreateOrder", map[string]any{}, nil)); return err }(), "payload.orderId", "required")
	onlyIssue(t, func() error {
		_, err := s.Parse(wire("CreateOrder", map[string]any{"orderId": "o"}, map[string]any{"targetContext": nil}))
		return err
	}(), "targetContext", field.CodeRequired)
	for _, missing := range []string{"commandId", "correlationId", "timestamp", "targetContext", "payload", "commandType"} {
		_, err := s.Parse(wire("CreateOrder", map[string]any{"orderId": "o"}, map[string]any{missing: nil}))
		onlyIssue(t, err, missing, field.CodeRequired)
	}
}

func TestAggregateSchema(t *testing.T) {
	target := &command.AggregateTarget{Type: "Order", IDField: "orderId"}
	s := Aggregate[createOrder]("AddOrderItem", AggregateConfig{Target: target})
	c, err := s.Parse(wire("AddOrderItem", map[string]any{"orderId": "o1"}, nil))
	if err != nil || c.Category != command.CategoryAggregate || !cmp.Equal(c.AggregateTarget, target) {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = s.Parse(wire("AddOrderItem", map[string]any{"orderId": "o1"}, map[string]any{"category": "aggregate", "aggregateTarget": map[string]any{"type": "Cart", "idField": "cartId"}}))
	if err != nil || c.AggregateTarget.Type != "Cart" {
		t.Fatalf("%+v %v", c, err)
	}
	onlyIssue(t, func() error {
		_, err := s.Parse(wire("AddOrderItem", map[string]any{"orderId": "o1"}, map[string]any{"category": "process"}))
		return err
	}(), "category", field.CodeInvalidLiteral)
	onlyIssue(t, func() error {
		_, err := s.Parse(wire("AddOrderItem", map[string]any{"orderId": "o1"}, map[string]any{"aggregateTarget": map[string]any{"type": "", "idField": "x"}}))
		return err
	}(), "aggregateTarget.type", field.CodeTooSmall)
	onlyIssue(t, func() error {
		_, err := s.Parse(wire("AddOrderItem", map[string]any{"orderId": "o1"}, map[string]any{"aggregateTarget": map[string]any{"type": "Order"}}))
		return err
	}(), "aggregateTarget.idField", field.CodeRequired)
	bare := Aggregate[createOrder]("CreateOrder", AggregateConfig{})
	if c, err := bare.Parse(wire("CreateOrder", map[string]any{"orderId": "o1"}, nil)); err != nil || c.AggregateTarget != nil {
		t.Fatalf("%+v %v", c, err)
	}
	broken := Aggregate[createOrder]("CreateOrder", AggregateConfig{Target: &command.AggregateTarget{Type: "Order"}})
	if _, err := broken.Parse(wire("CreateOrder", map[string]any{"orderId": "o1"}, nil)); err == nil || !strings.Contains(err.Error(), "configured target") {
		t.Fatalf("bad configured target: %v", err)
	}
}

func TestProcessAndSystemSchemas(t *testing.T) {
	p := Process[map[string]any]("StartOrderFulfillment", ProcessConfig{ProcessType: "OrderFulfillmentSaga"})
	c, err := p.Parse(wire("StartOrderFulfillment", map[string]any{"orderId": "o"}, nil))
	if err != nil || c.Category != command.CategoryProcess || c.ProcessType != "OrderFulfillmentSaga" {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err = p.Parse(wire("StartOrderFulfillment", map[string]any{}, map[string]any{"processType": "Other"})); err != nil || c.ProcessType != "Other" {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err := Process[map[string]any]("StartProcess", ProcessConfig{}).Parse(wire("StartProcess", map[string]any{}, nil)); err != nil || c.ProcessType != "" {
		t.Fatalf("%+v %v", c, err)
	}
	onlyIssue(t, func() error {
		_, err := p.Parse(wire("StartOrderFulfillment", map[string]any{}, map[string]any{"processType": 3}))
		return err
	}(), "processType", field.CodeInvalidType)

	sys := System[map[string]any]("RunHealthCheck", SystemConfig{})
	sc, err := sys.Parse(wire("RunHealthCheck", map[string]any{}, nil))
	if err != nil || sc.Category != command.CategorySystem || sc.RequiresIdempotency {
		t.Fatalf("%+v %v", sc, err)
	}
	if sc, err = System[map[string]any]("MigrateData", SystemConfig{RequiresIdempotency: true}).Parse(wire("MigrateData", map[string]any{}, nil)); err != nil || !sc.RequiresIdempotency {
		t.Fatalf("%+v %v", sc, err)
	}
	if sc, err = sys.Parse(wire("RunHealthCheck", map[string]any{}, map[string]any{"requiresIdempotency": true})); err != nil || !sc.RequiresIdempotency {
		t.Fatalf("%+v %v", sc, err)
	}
	onlyIssue(t, func() error {
		_, err := sys.Parse(wire("RunHealthCheck", map[string]any{}, map[string]any{"requiresIdempotency": "yes"}))
		return err
	}(), "requiresIdempotency", field.CodeInvalidType)
}

func TestBatchSchema(t *testing.T) {
	s := Batch[item]("BulkProcess", BatchSchemaConfig{Config: &BatchConfig{MaxItems: 2, ContinueOnError: true}})
	c, err := s.Parse(wire("BulkProcess", map[string]any{"items": []any{map[string]any{"id": "a", "value": 1}, map[string]any{"id": "b", "value": 2}}}, nil))
	if err != nil || c.Category != command.CategoryBatch || len(c.Payload.Items) != 2 || c.Payload.Items[1] != (item{"b", 2}) || *c.BatchConfig != (BatchConfig{2, true}) {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err = s.Parse(wire("BulkProcess", map[string]any{"items": []any{}}, nil)); err != nil || len(c.Payload.Items) != 0 {
		t.Fatalf("empty: %+v %v", c, err)
	}
	onlyIssue(t, func() error {
		_, err := s.Parse(wire("BulkProcess", map[string]any{"items": []any{map[string]any{"id": "a", "value": -5}}}, nil))
		return err
	}(), "payload.items.0.value", "too_small")
	onlyIssue(t, func() error {
		_, err := s.Parse(wire("BulkProcess", map[string]any{"items": []any{map[string]any{"id": 1}}}, nil))
		return err
	}(), "payload.items.0.id", "invalid_type")
	onlyIssue(t, func() error {
		_, err := s.Parse(wire("BulkProcess", map[string]any{"items": []any{map[string]any{}, map[string]any{}, map[string]any{}}}, nil))
		return err
	}(), "payload.items", field.CodeTooBig)
	onlyIssue(t, func() error { _, err := s.Parse(wire("BulkProcess", map[string]any{}, nil)); return err }(), "payload.items", field.CodeRequired)
	onlyIssue(t, func() error {
		_, err := s.Parse(wire("BulkProcess", map[string]any{"items": []any{}}, map[string]any{"batchConfig": map[string]any{"maxItems": 0}}))
		return err
	}(), "batchConfig.maxItems", field.CodeTooSmall)
	c, err = s.Parse(wire("BulkProcess", map[string]any{"items": []any{}}, map[string]any{"batchConfig": map[string]any{"maxItems": 5}}))
	if err != nil || *c.BatchConfig != (BatchConfig{MaxItems: 5}) {
		t.Fatalf("explicit config: %+v %v", c.BatchConfig, err)
	}
	if c, err := Batch[item]("BulkProcess", BatchSchemaConfig{}).Parse(wire("BulkProcess", map[string]any{"items": []any{}}, nil)); err != nil || c.BatchConfig != nil {
		t.Fatalf("no config: %+v %v", c, err)
	}
	if _, errs := s.Validate(json.RawMessage(`{"items":[{"value":-1}]}`)); len(errs) != 1 || errs[0].Path != "items.0.value" {
		t.Fatalf("Validate: %v", errs)
	}
	if raw, errs := s.Validate(json.RawMessage(`{"items":[]}`)); errs != nil || string(raw) != `{"items":[]}` {
		t.Fatalf("Validate ok: %v", errs)
	}
}

func TestCategoryOf(t *testing.T) {
	schemas := map[command.Category]any{
		command.CategoryAggregate: Aggregate[createOrder]("A", AggregateConfig{}),
		command.CategoryProcess:   Process[createOrder]("P", ProcessConfig{}),
		command.CategorySystem:    System[createOrder]("S", SystemConfig{}),
		command.CategoryBatch:     Batch[item]("B", BatchSchemaConfig{}),
	}
	for want, s := range schemas {
		if got, ok := CategoryOf(s); !ok || got != want {
			t.Errorf("%s: %s %v", want, got, ok)
		}
	}
	for _, v := range []any{"string", 42, map[string]any{"category": "batch"}, New[createOrder]("X"), nil} {
		if c, ok := CategoryOf(v); ok || c != "" {
			t.Errorf("%#v: %s", v, c)
		}
	}
}

func TestSchemaAsRegistryArgs(t *testing.T) {
	r := registry.New(registry.WithClock(es.NewVirtualClock(time.Time{})))
	s := Aggregate[createOrder]("CreateOrder", AggregateConfig{})
	handler := func(context.Context, *command.HandlerContext) (command.HandlerResult, error) {
		return command.Success(nil, 1), nil
	}
	if err := r.Register(registry.Registration{Meta: registry.Metadata{CommandType: "CreateOrder", BoundedContext: "orders"}, Args: s.Validate, Handler: handler}); err != nil {
		t.Fatal(err)
	}
	if v := r.Validate("CreateOrder", json.RawMessage(`{"orderId":"o1"}`)); !v.Valid || string(v.Data) != `{"orderId":"o1"}` {
		t.Fatalf("%+v", v)
	}
	v := r.Validate("CreateOrder", json.RawMessage(`{"customerId":"c"}`))
	if v.Valid || len(v.Errors) != 1 || v.Errors[0] != (registry.FieldError{Path: "orderId", Code: "required", Message: "Required"}) {
		t.Fatalf("%+v", v)
	}
}
