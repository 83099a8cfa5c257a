package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
)

func testBuilder() (*Builder, *es.VirtualClock) {
	clock := es.NewVirtualClock(time.Time{})
	return NewBuilder(es.NewSequentialIDs(), clock), clock
}

func orderInput() Input {
	return Input{
		EventType: "OrderSubmitted", StreamType: "Order", StreamID: "ord_1", BoundedContext: "orders",
		Payload:       map[string]any{"orderId": "ord_1", "items": []any{map[string]any{"sku": "a", "qty": 2}}},
		CorrelationID: "corr_1", CausationID: "cmd_1",
	}
}

func TestBuilderNew(t *testing.T) {
	b, _ := testBuilder()
	d, err := b.New(orderInput())
	if err != nil {
		t.Fatal(err)
	}
	want := Data{
		EventID: "orders_event_00000000-0000-7000-8000-000000000001", EventType: "OrderSubmitted",
		StreamType: "Order", StreamID: "ord_1", BoundedContext: "orders",
		Payload:  json.RawMessage(`{"items":[{"qty":2,"sku":"a"}],"orderId":"ord_1"}`),
		Metadata: DataMetadata{CorrelationID: "corr_1", CausationID: "cmd_1"},
		Category: Domain, SchemaVersion: 1, OccurredAt: es.DefaultVirtualStart,
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Fatalf("data (-want +got):\n%s", diff)
	}
	d2, _ := b.New(orderInput())
	if d2.EventID != "orders_event_00000000-0000-7000-8000-000000000002" {
		t.Fatalf("second id %s", d2.EventID)
	}
}

func TestBuilderEventAndStored(t *testing.T) {
	b, clock := testBuilder()
	clock.Advance(1500 * time.Millisecond)
	in := orderInput()
	in.Category, in.SchemaVersion, in.UserID, in.Tags = Fat, 3, "u1", []es.Tag{"order:ord_1"}
	d, err := b.New(in)
	if err != nil {
		t.Fatal(err)
	}
	if d.Stream() != "Order-ord_1" { // orchestrator.StreamFor's convention (checked there)
		t.Fatalf("stream %s", d.Stream())
	}
	e := d.Event()
	want := es.Event{Type: "OrderSubmitted", Data: d.Payload, Tags: []es.Tag{"order:ord_1"}, Metadata: es.Metadata{
		EventID: d.EventID, CorrelationID: "corr_1", CausationID: "cmd_1", SchemaVersion: 3, Category: "fat",
		Extra: map[string]string{"streamType": "Order", "boundedContext": "orders", "occurredAt": "2026-01-01T00:00:01.5Z", "userId": "u1"},
	}}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Fatalf("event (-want +got):\n%s", diff)
	}
	if at, ok := OccurredAt(e.Metadata); !ok || !at.Equal(clock.Now()) {
		t.Fatalf("OccurredAt = %v, %v", at, ok)
	}
	rec := es.Recorded{Event: e, StreamID: d.Stream(), StreamVersion: 4, Position: 9, RecordedAt: clock.Now()}
	s := Stored(rec)
	wantMeta := EnhancedMetadata{Metadata: Metadata{EventID: d.EventID, EventType: "OrderSubmitted", StreamType: "Order",
		StreamID: "ord_1", Version: 4, GlobalPosition: 9, Timestamp: clock.Now().UnixMilli(), CorrelationID: "corr_1",
		CausationID: "cmd_1", BoundedContext: "orders"}, Category: Fat, SchemaVersion: 3}
	if diff := cmp.Diff(wantMeta, s.EnhancedMetadata); diff != "" {
		t.Fatalf("stored (-want +got):\n%s", diff)
	}
	if s.Meta["userId"] != "u1" || s.Meta["occurredAt"] != "2026-01-01T00:00:01.5Z" || len(s.Meta) != 2 {
		t.Fatalf("stored meta %v", s.Meta)
	}
}

func TestStoredWithoutBuilderMetadata(t *testing.T) {
	rec := es.Recorded{Event: es.MustEvent("X", 1), StreamID: "plain", StreamVersion: 1, Position: 1}
	s := Stored(rec)
	if s.StreamType != "" || s.StreamID != "plain" || s.Category != Domain || s.SchemaVersion != 1 || s.Meta != nil {
		t.Fatalf("stored %+v", s)
	}
}

func TestBuilderNewWithID(t *testing.T) {
	b, _ := testBuilder()
	cases := []struct{ id, explicit, wantBC string }{
		{"orders_event_pre-generated-uuid", "", "orders"},
		{"inventory_event_some-uuid", "", "inventory"},
		{"orders_event_some-uuid", "custom-context", "custom-context"},
		{"malformed-event-id", "", "malformed-event-id"},
		{"my_bounded_context_event_uuid-v7", "", "my"},
	}
	for _, c := range cases {
		in := orderInput()
		in.BoundedContext = c.explicit
		d, err := b.NewWithID(c.id, in)
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		if d.EventID != c.id || d.BoundedContext != c.wantBC || d.EventType != "OrderSubmitted" || d.Metadata.CausationID != "cmd_1" {
			t.Errorf("%s: got id %s bc %s", c.id, d.EventID, d.BoundedContext)
		}
	}
	if _, err := b.NewWithID("", orderInput()); es.CodeOf(err) != es.CodeInvalidEvent || !strings.Contains(err.Error(), "eventId is empty") {
		t.Fatalf("empty id: %v", err)
	}
}

func TestBuilderRejects(t *testing.T) {
	b, _ := testBuilder()
	cases := []struct {
		name string
		edit func(*Input)
		code es.Code
		msg  string
	}{
		{"empty context", func(in *Input) { in.BoundedContext = "" }, es.CodeInvalidEvent, "boundedContext cannot be empty"},
		{"uppercase context", func(in *Input) { in.BoundedContext = "Orders" }, es.CodeInvalidEvent, `Invalid boundedContext "Orders"`},
		{"underscore context", func(in *Input) { in.BoundedContext = "my_ctx" }, es.CodeInvalidEvent, `Invalid boundedContext "my_ctx"`},
		{"long context", func(in *Input) { in.BoundedContext = strings.Repeat("a", 65) }, es.CodeInvalidEvent, "too long"},
		{"empty type", func(in *Input) { in.EventType = "" }, es.CodeInvalidEvent, "eventType is empty"},
		{"empty stream type", func(in *Input) { in.StreamType = "" }, es.CodeInvalidEvent, "streamType is empty"},
		{"empty stream id", func(in *Input) { in.StreamID = "" }, es.CodeInvalidEvent, "streamId is empty"},
		{"empty correlation", func(in *Input) { in.CorrelationID = "" }, es.CodeInvalidEvent, "correlationId is empty"},
		{"empty causation", func(in *Input) { in.CausationID = "" }, es.CodeInvalidEvent, "causationId is empty"},
		{"bad category", func(in *Input) { in.Category = "DOMAIN" }, es.CodeInvalidEvent, `unknown category "DOMAIN"`},
		{"negative version", func(in *Input) { in.SchemaVersion = -1 }, es.CodeInvalidEvent, "schemaVersion -1 is negative"},
		{"unencodable", func(in *Input) { in.Payload = func() {} }, es.CodeInvalidEvent, "payload does not encode"},
		{"bad raw", func(in *Input) { in.Payload = json.RawMessage("{") }, es.CodeInvalidEvent, "payload does not encode"},
		{"bytes", func(in *Input) { in.Payload = []byte("{}") }, es.CodeInvalidEvent, "pass json.RawMessage"},
		{"too large", func(in *Input) { in.Payload = strings.Repeat("x", es.MaxPayloadBytes) }, es.CodePayloadTooLarge, "at most 65536"},
		{"duplicate tag", func(in *Input) { in.Tags = []es.Tag{"a", "a"} }, es.CodeInvalidTag, "duplicate tag"},
	}
	for _, c := range cases {
		in := orderInput()
		c.edit(&in)
		_, err := b.New(in)
		if es.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v, want %s containing %q", c.name, err, c.code, c.msg)
		}
	}
}

func TestBuilderRawPayloadKept(t *testing.T) {
	b, _ := testBuilder()
	in := orderInput()
	in.Payload = json.RawMessage(`{"b":1, "a":2}`)
	d, err := b.New(in)
	if err != nil || string(d.Payload) != `{"b":1, "a":2}` {
		t.Fatalf("%s %v", d.Payload, err)
	}
	in.Payload = json.RawMessage(nil)
	if d, err = b.New(in); err != nil || string(d.Payload) != "null" {
		t.Fatalf("%s %v", d.Payload, err)
	}
}

func TestNewBuilderDefaults(t *testing.T) {
	d, err := NewBuilder(nil, es.NewVirtualClock(time.Time{})).New(orderInput())
	if err != nil {
		t.Fatal(err)
	}
	// a UUIDv7 on the virtual clock: its first 48 bits are the clock's milliseconds
	id := strings.TrimPrefix(d.EventID, "orders_event_")
	if len(id) != 36 || id[14] != '7' || !strings.HasPrefix(id, "019b7") {
		t.Fatalf("id %s", d.EventID)
	}
}
