package registry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
)

func nop(context.Context, *command.HandlerContext) (command.HandlerResult, error) {
	return command.Success(nil, 0), nil
}

func reg(typ, bc string) registry.Registration {
	return registry.Registration{Meta: registry.Metadata{CommandType: typ, BoundedContext: bc}, Handler: nop}
}

func TestRegisterDefaultsAndDuplicate(t *testing.T) {
	clk := es.NewVirtualClock(time.Time{})
	r := registry.New(registry.WithClock(clk))
	if err := r.Register(reg("CreateOrder", "orders")); err != nil {
		t.Fatal(err)
	}
	got, ok := r.Get("CreateOrder")
	if !ok || got.Meta.Category != command.CategoryAggregate || got.Meta.SchemaVersion != 1 || got.Meta.Tags == nil ||
		!got.RegisteredAt.Equal(es.DefaultVirtualStart) {
		t.Fatalf("defaults: %+v", got)
	}
	err := r.Register(reg("CreateOrder", "billing"))
	want := `Duplicate command registration: "CreateOrder" is already registered in context "orders"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("duplicate: %v", err)
	}
	if r.Size() != 1 {
		t.Fatalf("size %d", r.Size())
	}
}

func TestRegisterInvalid(t *testing.T) {
	r := registry.New(registry.WithNamingPolicy())
	cases := []struct {
		reg  registry.Registration
		want string
	}{
		{reg("", "orders"), "command type is empty"},
		{reg("CreateOrder", ""), "bounded context is empty"},
		{registry.Registration{Meta: registry.Metadata{CommandType: "CreateOrder", BoundedContext: "o"}}, "handler is nil"},
		{registry.Registration{Meta: registry.Metadata{CommandType: "CreateOrder", BoundedContext: "o", Category: "saga"}, Handler: nop}, `unknown category "saga"`},
		{registry.Registration{Meta: registry.Metadata{CommandType: "CreateOrder", BoundedContext: "o", TargetAggregate: &command.AggregateTarget{Type: "Order"}}, Handler: nop}, "empty idField"},
		{reg("OrderCreate", "orders"), "does not follow naming conventions"},
	}
	for _, c := range cases {
		if err := r.Register(c.reg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Register(%+v) = %v, want %q", c.reg.Meta, err, c.want)
		}
	}
	if r.Size() != 0 {
		t.Fatalf("invalid registrations stored: %d", r.Size())
	}
}

func TestQueries(t *testing.T) {
	r := registry.New()
	if got := r.List(); got == nil || len(got) != 0 {
		t.Fatalf("empty List = %#v", got)
	}
	if got := r.GroupByContext(); got == nil || len(got) != 0 {
		t.Fatalf("empty GroupByContext = %#v", got)
	}
	a := reg("CreateOrder", "orders")
	a.Meta.Tags = []string{"write"}
	a.Meta.TargetAggregate = &command.AggregateTarget{Type: "Order", IDField: "orderId"}
	a.Projection = &registry.Route{Name: "orderSummary"}
	a.Secondary = []registry.Route{{Name: "customerOrders"}}
	b := reg("ReserveStock", "inventory")
	b.Meta.Category = command.CategoryProcess
	b.Meta.TargetProcess = "fulfilment"
	b.Saga = &registry.Route{Name: "fulfilment"}
	b.Failed = &registry.Route{Name: "failures"}
	c := reg("CancelOrder", "orders")
	for _, x := range []registry.Registration{a, b, c} {
		if err := r.Register(x); err != nil {
			t.Fatal(err)
		}
	}
	names := func(in []registry.Info) []string {
		var out []string
		for _, i := range in {
			out = append(out, i.CommandType)
		}
		return out
	}
	if got := names(r.List()); !slices.Equal(got, []string{"CreateOrder", "ReserveStock", "CancelOrder"}) {
		t.Fatalf("List order = %v", got)
	}
	if got := names(r.ListByContext("orders")); !slices.Equal(got, []string{"CreateOrder", "CancelOrder"}) {
		t.Fatalf("ListByContext = %v", got)
	}
	if got := names(r.ListByCategory(command.CategoryProcess)); !slices.Equal(got, []string{"ReserveStock"}) {
		t.Fatalf("ListByCategory = %v", got)
	}
	if got := names(r.ListByTag("write")); !slices.Equal(got, []string{"CreateOrder"}) {
		t.Fatalf("ListByTag = %v", got)
	}
	if got := r.GroupByContext(); len(got) != 2 || len(got["orders"]) != 2 || len(got["inventory"]) != 1 {
		t.Fatalf("GroupByContext = %v", got)
	}
	info := r.List()[0]
	want := registry.Info{CommandType: "CreateOrder", BoundedContext: "orders", Category: "aggregate", TargetAggregate: "Order",
		SchemaVersion: 1, Tags: []string{"write"}, HasProjection: true, HasSecondaryProjections: true}
	if fmt.Sprint(info) != fmt.Sprint(want) {
		t.Fatalf("Info = %+v\nwant %+v", info, want)
	}
	info = r.List()[1]
	if info.TargetProcess != "fulfilment" || !info.HasSagaRoute || !info.HasFailedProjection || info.HasProjection {
		t.Fatalf("Info = %+v", info)
	}
	if len(r.ByContext("orders")) != 2 || !r.Has("CancelOrder") || r.Has("Nope") {
		t.Fatal("ByContext/Has")
	}
	if !r.Unregister("ReserveStock") || r.Unregister("ReserveStock") || r.Size() != 2 {
		t.Fatal("Unregister")
	}
	if got := names(r.List()); !slices.Equal(got, []string{"CreateOrder", "CancelOrder"}) {
		t.Fatalf("after unregister = %v", got)
	}
	if _, ok := r.Get("ReserveStock"); ok {
		t.Fatal("Get after unregister")
	}
	r.Clear()
	if r.Size() != 0 || len(r.List()) != 0 {
		t.Fatal("Clear")
	}
}

type createOrder struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Qty        int    `json:"qty"`
}

func (c createOrder) Validate() []registry.FieldError {
	var out []registry.FieldError
	if c.OrderID == "" {
		out = append(out, registry.FieldError{Path: "orderId", Code: "required", Message: "orderId is required"})
	}
	if c.Qty < 0 {
		out = append(out, registry.FieldError{Path: "qty", Code: "too_small", Message: "qty cannot be negative"})
	}
	return out
}

func TestValidate(t *testing.T) {
	r := registry.New()
	x := reg("CreateOrder", "orders")
	x.Args = registry.Schema[createOrder]()
	if err := r.Register(x); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(reg("Ping", "system")); err != nil {
		t.Fatal(err)
	}
	res := r.Validate("Nope", nil)
	if res.Valid || len(res.Errors) != 1 || res.Errors[0] != (registry.FieldError{Path: "", Code: "UNKNOWN_COMMAND", Message: "Unknown command type: Nope"}) {
		t.Fatalf("unknown = %+v", res)
	}
	res = r.Validate("CreateOrder", json.RawMessage(`{"orderId":"o1","qty":2,"extra":true}`))
	if !res.Valid || string(res.Data) != `{"orderId":"o1","qty":2,"extra":true}` {
		t.Fatalf("valid = %+v", res)
	}
	res = r.Validate("CreateOrder", json.RawMessage(`{"qty":-1}`))
	if res.Valid || len(res.Errors) != 2 || res.Errors[0].Path != "orderId" || res.Errors[1].Path != "qty" {
		t.Fatalf("invalid = %+v", res)
	}
	res = r.Validate("CreateOrder", json.RawMessage(`{"orderId":"o1","qty":"two"}`))
	if res.Valid || len(res.Errors) != 1 || res.Errors[0].Path != "qty" || res.Errors[0].Code != "invalid_type" {
		t.Fatalf("wrong type = %+v", res)
	}
	if res := r.Validate("Ping", json.RawMessage(`[1]`)); !res.Valid {
		t.Fatalf("no validator = %+v", res)
	}
}

func TestDefineHelpers(t *testing.T) {
	r := registry.New()
	a, err := registry.DefineAggregate(r, registry.AggregateDef{CommandType: "CreateOrder", BoundedContext: "orders",
		TargetAggregate: "Order", AggregateIDField: "orderId", Handler: nop,
		Projection: &registry.Route{Name: "orderSummary"},
		Secondary: []registry.Route{{Name: "byCustomer", Partition: func(p map[string]any) registry.Partition {
			return registry.Partition{Name: "customerId", Value: registry.FieldString(p, "customerId")}
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	payload := map[string]any{"orderId": "o1", "customerId": "c9"}
	if a.Meta.Category != command.CategoryAggregate || *a.Meta.TargetAggregate != (command.AggregateTarget{Type: "Order", IDField: "orderId"}) || a.Meta.SchemaVersion != 1 {
		t.Fatalf("meta = %+v", a.Meta)
	}
	if p := a.PartitionFor(*a.Projection, payload); p != (registry.Partition{Name: "orderId", Value: "o1"}) {
		t.Fatalf("default partition = %+v", p)
	}
	if p := a.PartitionFor(a.Secondary[0], payload); p != (registry.Partition{Name: "customerId", Value: "c9"}) {
		t.Fatalf("override partition = %+v", p)
	}
	if !r.Has("CreateOrder") {
		t.Fatal("aggregate not auto-registered")
	}
	if _, err := registry.DefineAggregate(r, registry.AggregateDef{CommandType: "X", BoundedContext: "o", TargetAggregate: "Order", Handler: nop}); err == nil {
		t.Fatal("missing id field accepted")
	}
	if _, err := registry.DefineAggregate(r, registry.AggregateDef{CommandType: "CancelOrder", BoundedContext: "orders", TargetAggregate: "Order", AggregateIDField: "orderId", Handler: nop, NoRegister: true}); err != nil || r.Has("CancelOrder") {
		t.Fatalf("NoRegister: %v", err)
	}
	p, err := registry.DefineProcess(r, registry.ProcessDef{CommandType: "StartFulfilment", BoundedContext: "orders", TargetProcess: "fulfilment", ProcessIDField: "processId", Handler: nop})
	if err != nil || p.Meta.Category != command.CategoryProcess || p.Meta.TargetAggregate != nil || p.Meta.TargetProcess != "fulfilment" {
		t.Fatalf("process = %+v %v", p.Meta, err)
	}
	if pk := p.PartitionFor(registry.Route{Name: "x"}, map[string]any{"processId": 7.0}); pk != (registry.Partition{Name: "processId", Value: "7"}) {
		t.Fatalf("process partition = %+v", pk)
	}
	s, err := registry.DefineSystem(r, registry.SystemDef{CommandType: "CleanupExpired", BoundedContext: "ops", Subsystem: "commands", Handler: nop})
	if err != nil || s.Meta.Category != command.CategorySystem || s.Projection != nil || s.Meta.SchemaVersion != 1 || r.Has("CleanupExpired") {
		t.Fatalf("system without projection: %+v %v registered=%v", s.Meta, err, r.Has("CleanupExpired"))
	}
	if pk := s.PartitionFor(registry.Route{}, nil); pk != (registry.Partition{Name: "system", Value: "CleanupExpired"}) {
		t.Fatalf("system partition = %+v", pk)
	}
	if _, err := registry.DefineSystem(r, registry.SystemDef{CommandType: "RebuildIndex", BoundedContext: "ops", Subsystem: "search", Handler: nop, Projection: &registry.Route{Name: "ops"}}); err != nil || !r.Has("RebuildIndex") {
		t.Fatalf("system with projection not registered: %v", err)
	}
}

func TestDefault(t *testing.T) {
	registry.ResetDefaultForTesting()
	t.Cleanup(registry.ResetDefaultForTesting)
	d := registry.Default()
	if registry.Default() != d {
		t.Fatal("Default not a singleton")
	}
	if _, err := registry.DefineAggregate(nil, registry.AggregateDef{CommandType: "CreateCart", BoundedContext: "shop", TargetAggregate: "Cart", AggregateIDField: "cartId", Handler: nop}); err != nil {
		t.Fatal(err)
	}
	if !d.Has("CreateCart") {
		t.Fatal("nil registry must mean Default")
	}
	registry.ResetDefaultForTesting()
	if registry.Default() == d || registry.Default().Has("CreateCart") {
		t.Fatal("reset did not give a new registry")
	}
}

func ExampleRegistry_Register() {
	r := registry.New()
	_, _ = registry.DefineAggregate(r, registry.AggregateDef{
		CommandType: "CreateOrder", BoundedContext: "orders", TargetAggregate: "Order", AggregateIDField: "orderId",
		Handler: func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
			return command.Rejected("NOT_IMPLEMENTED", "todo", nil), nil
		},
	})
	err := r.Register(registry.Registration{Meta: registry.Metadata{CommandType: "CreateOrder", BoundedContext: "billing"}, Handler: nop})
	fmt.Println(err)
	// Output:
	// DUPLICATE_COMMAND: Duplicate command registration: "CreateOrder" is already registered in context "orders"
}
