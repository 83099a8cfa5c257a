package event

import (
	"strings"
	"testing"

	"github.com/eventspec/eventspec/es"
)

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	type v1 struct {
		OrderID string `json:"orderId"`
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Register(DomainSchema("OrderCreated", 1, JSON[v1]())))
	must(r.Register(DomainSchema("OrderCreated", 2, JSON[created]())))
	must(r.Register(TriggerSchema("OrderShipped", "orderId", 1)))
	must(r.Register(New("Anything", JSON[any]())))
	if err := r.Register(DomainSchema("OrderCreated", 2, JSON[v1]())); es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), `"OrderCreated" version 2 is already registered`) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := r.Register(New("", JSON[v1]())); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("empty type: %v", err)
	}
	if got := r.String(); got != "event.Registry{Anything[0], OrderCreated[1 2], OrderShipped[1]}" {
		t.Fatalf("String() = %s", got)
	}
	ev := func(typ string, data any, cat string, version int) es.Event {
		e := es.MustEvent(typ, data)
		e.Metadata.Category, e.Metadata.SchemaVersion = cat, version
		return e
	}
	ok := []es.Event{
		ev("OrderCreated", map[string]any{"orderId": "o"}, "", 0),
		ev("OrderCreated", map[string]any{"orderId": "o"}, "domain", 1),
		ev("OrderCreated", map[string]any{"orderId": "o", "quantity": 1}, "", 2),
		ev("OrderShipped", map[string]any{"orderId": "o"}, "trigger", 1),
		ev("Anything", 5, "fat", 9),
	}
	for i, e := range ok {
		if err := r.Check(e); err != nil {
			t.Errorf("ok[%d]: %v", i, err)
		}
	}
	if err := r.CheckAll(ok); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		e    es.Event
		want string
	}{
		{ev("Unknown", 1, "", 0), `event "Unknown" has no registered schema`},
		{ev("OrderCreated", map[string]any{"orderId": "o"}, "", 3), "schema version 3 is not registered (registered: [1 2])"},
		{ev("OrderShipped", map[string]any{"orderId": "o"}, "", 1), `has category "domain"; its schema requires "trigger"`},
		{ev("OrderCreated", map[string]any{"orderId": "o", "quantity": -2}, "", 2), "quantity must be positive"},
		{ev("OrderCreated", map[string]any{"orderId": 1}, "", 1), "payload.orderId: expected string"},
	}
	for _, c := range bad {
		if err := r.Check(c.e); es.CodeOf(err) != es.CodeInvalidEvent || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s v%d: %v, want %q", c.e.Type, c.e.Metadata.SchemaVersion, err, c.want)
		}
	}
	if err := r.CheckAll([]es.Event{ok[0], bad[0].e}); es.CodeOf(err) != es.CodeInvalidEvent || !strings.Contains(err.Error(), "events[1]") {
		t.Fatalf("CheckAll: %v", err)
	}
}
