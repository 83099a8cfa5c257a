package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/event/field"
)

// metaJSON returns valid event metadata as a JSON object, with edits
// applied: a nil value deletes the key.
func metaJSON(edits map[string]any) []byte {
	m := map[string]any{
		"eventId": "orders_event_1", "eventType": "OrderCreated", "streamType": "Order", "streamId": "ord_1",
		"version": 1, "globalPosition": 5, "timestamp": 1767225600000, "correlationId": "corr_1", "boundedContext": "orders",
	}
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

func issues(t *testing.T, err error) []field.Issue {
	t.Helper()
	var fe *field.Error
	if !errors.As(err, &fe) {
		t.Fatalf("expected *field.Error, got %v", err)
	}
	if es.CodeOf(err) != es.CodeInvalidEvent || !errors.Is(err, es.ErrInvalidEvent) {
		t.Fatalf("code %s", es.CodeOf(err))
	}
	return fe.Issues
}

func TestParseMetadata(t *testing.T) {
	m, err := ParseMetadata(metaJSON(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Metadata{EventID: "orders_event_1", EventType: "OrderCreated", StreamType: "Order", StreamID: "ord_1",
		Version: 1, GlobalPosition: 5, Timestamp: 1767225600000, CorrelationID: "corr_1", BoundedContext: "orders"}
	if m != want {
		t.Fatalf("got %+v", m)
	}
	if m, err = ParseMetadata(metaJSON(map[string]any{"causationId": "cause_123", "globalPosition": 0})); err != nil || m.CausationID != "cause_123" || m.GlobalPosition != 0 {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestParseMetadataRejects(t *testing.T) {
	is := issues(t, func() error { _, err := ParseMetadata([]byte(`{}`)); return err }())
	if len(is) != 9 {
		t.Fatalf("empty object: %d issues %v", len(is), is)
	}
	is = issues(t, func() error { _, err := ParseMetadata([]byte(`{"eventId":"e"}`)); return err }())
	if len(is) != 8 || is[0].Path != "eventType" || is[0].Code != field.CodeRequired {
		t.Fatalf("partial: %v", is)
	}
	cases := []struct {
		edit map[string]any
		path string
		code string
	}{
		{map[string]any{"version": 0}, "version", field.CodeTooSmall},
		{map[string]any{"version": -1}, "version", field.CodeTooSmall},
		{map[string]any{"version": 1.5}, "version", field.CodeInvalidType},
		{map[string]any{"version": "1"}, "version", field.CodeInvalidType},
		{map[string]any{"globalPosition": -1}, "globalPosition", field.CodeTooSmall},
		{map[string]any{"timestamp": 0}, "timestamp", field.CodeTooSmall},
		{map[string]any{"eventId": ""}, "eventId", field.CodeTooSmall},
		{map[string]any{"correlationId": 7}, "correlationId", field.CodeInvalidType},
		{map[string]any{"boundedContext": nil}, "boundedContext", field.CodeRequired},
	}
	for _, c := range cases {
		_, err := ParseMetadata(metaJSON(c.edit))
		is := issues(t, err)
		if len(is) != 1 || is[0].Path != c.path || is[0].Code != c.code {
			t.Errorf("%v: issues %v", c.edit, is)
		}
	}
	if _, err := ParseMetadata([]byte(`[]`)); err == nil || !strings.Contains(err.Error(), "expected object, received array") {
		t.Fatalf("array: %v", err)
	}
}

func TestParseEnhancedMetadata(t *testing.T) {
	m, err := ParseEnhancedMetadata(metaJSON(nil))
	if err != nil || m.Category != Domain || m.SchemaVersion != 1 {
		t.Fatalf("%+v %v", m, err)
	}
	for _, c := range Categories() {
		m, err := ParseEnhancedMetadata(metaJSON(map[string]any{"category": string(c), "schemaVersion": 4}))
		if err != nil || m.Category != c || m.SchemaVersion != 4 {
			t.Errorf("%s: %+v %v", c, m, err)
		}
	}
	for _, bad := range []map[string]any{{"category": "invalid"}, {"category": "DOMAIN"}, {"schemaVersion": 0}, {"schemaVersion": 1.5}} {
		if _, err := ParseEnhancedMetadata(metaJSON(bad)); len(issues(t, err)) != 1 {
			t.Errorf("%v accepted", bad)
		}
	}
}

type created struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Quantity   int    `json:"quantity"`
}

func (c created) Validate() error {
	if c.OrderID == "" {
		return &field.Error{ErrCode: es.CodeInvalidEvent, What: "payload", Issues: []field.Issue{{Path: "orderId", Code: field.CodeRequired, Message: "Required"}}}
	}
	if c.Quantity < 0 {
		return fmt.Errorf("quantity must be positive")
	}
	return nil
}

func eventJSON(edits map[string]any, payload any) []byte {
	var m map[string]any
	_ = json.Unmarshal(metaJSON(edits), &m)
	if payload != nil {
		m["payload"] = payload
	}
	for k, v := range edits {
		if k == "metadata" {
			m[k] = v
		}
	}
	raw, _ := json.Marshal(m)
	return raw
}

func TestNewSchema(t *testing.T) {
	s := New("OrderCreated", JSON[created]())
	e, err := s.Parse(eventJSON(nil, map[string]any{"orderId": "order_123", "customerId": "customer_456", "extra": true}))
	if err != nil {
		t.Fatal(err)
	}
	if e.EventType != "OrderCreated" || e.Payload != (created{OrderID: "order_123", CustomerID: "customer_456"}) || e.Meta != nil || e.Category != "" || e.SchemaVersion != 0 {
		t.Fatalf("%+v", e)
	}
	e, err = s.Parse(eventJSON(map[string]any{"metadata": map[string]any{"source": "api", "requestId": "req_123"}}, map[string]any{"orderId": "o"}))
	if err != nil || !cmp.Equal(e.Meta, map[string]any{"source": "api", "requestId": "req_123"}) {
		t.Fatalf("%v %v", e.Meta, err)
	}
	check := func(raw []byte, path, code string) {
		t.Helper()
		_, err := s.Parse(raw)
		is := issues(t, err)
		if len(is) != 1 || is[0].Path != path || is[0].Code != code {
			t.Errorf("issues %v, want %s %s", is, path, code)
		}
	}
	check(eventJSON(map[string]any{"eventType": "WrongEvent"}, map[string]any{"orderId": "o"}), "eventType", field.CodeInvalidLiteral)
	check(eventJSON(nil, map[string]any{"orderId": "o", "quantity": -1}), "payload", field.CodeCustom)
	check(eventJSON(nil, map[string]any{"customerId": "c"}), "payload.orderId", field.CodeRequired)
	check(eventJSON(nil, map[string]any{"orderId": 5}), "payload.orderId", field.CodeInvalidType)
	check(eventJSON(nil, nil), "payload", field.CodeRequired)
	check(eventJSON(map[string]any{"metadata": "x"}, map[string]any{"orderId": "o"}), "metadata", field.CodeInvalidType)
}

func TestFactorySchemas(t *testing.T) {
	type id struct {
		ID string `json:"id"`
	}
	cases := []struct {
		s    Schema[id]
		cat  Category
		ver  int
		name string
	}{
		{DomainSchema("Test", 0, JSON[id]()), Domain, 1, "domain"},
		{DomainSchema("Test", 2, JSON[id]()), Domain, 2, "domain v2"},
		{IntegrationSchema("Test", 0, JSON[id]()), Integration, 1, "integration"},
		{FatSchema("Test", 5, JSON[id]()), Fat, 5, "fat v5"},
	}
	for _, c := range cases {
		if c.s.Category() != c.cat || c.s.SchemaVersion() != c.ver || c.s.EventType() != "Test" {
			t.Fatalf("%s: accessors %s %d", c.name, c.s.Category(), c.s.SchemaVersion())
		}
		ev := func(edits map[string]any) []byte {
			if edits == nil {
				edits = map[string]any{}
			}
			edits["eventType"] = "Test"
			return eventJSON(edits, map[string]any{"id": "x"})
		}
		e, err := c.s.Parse(ev(nil))
		if err != nil || e.Category != c.cat || e.SchemaVersion != c.ver || e.Payload.ID != "x" {
			t.Fatalf("%s defaults: %+v %v", c.name, e, err)
		}
		if e, err = c.s.Parse(ev(map[string]any{"category": string(c.cat), "schemaVersion": c.ver})); err != nil || e.SchemaVersion != c.ver {
			t.Fatalf("%s explicit: %v", c.name, err)
		}
		for _, bad := range []map[string]any{{"schemaVersion": c.ver + 1}, {"category": "invalid"}, {"category": string(Trigger)}, {"schemaVersion": 0}} {
			if _, err := c.s.Parse(ev(bad)); len(issues(t, err)) != 1 {
				t.Errorf("%s: %v accepted", c.name, bad)
			}
		}
	}
}

func TestTriggerSchema(t *testing.T) {
	s := TriggerSchema("OrderShipmentStarted", "orderId", 0)
	raw := func(payload any, edits map[string]any) []byte {
		if edits == nil {
			edits = map[string]any{}
		}
		edits["eventType"] = "OrderShipmentStarted"
		return eventJSON(edits, payload)
	}
	e, err := s.Parse(raw(map[string]any{"orderId": "order_123", "total": 5}, nil))
	if err != nil || e.Category != Trigger || e.SchemaVersion != 1 || !cmp.Equal(e.Payload, TriggerPayload{"orderId": "order_123"}) {
		t.Fatalf("%+v %v", e, err)
	}
	for _, p := range []any{map[string]any{}, map[string]any{"orderId": 1}, map[string]any{"orderId": ""}, "x"} {
		_, err := s.Parse(raw(p, nil))
		is := issues(t, err)
		if len(is) != 1 || !strings.HasPrefix(is[0].Path, "payload") {
			t.Errorf("%v: %v", p, is)
		}
	}
	if e, err := TriggerSchema("OrderShipmentStarted", "orderId", 3).Parse(raw(map[string]any{"orderId": "1"}, nil)); err != nil || e.SchemaVersion != 3 {
		t.Fatalf("v3: %+v %v", e, err)
	}
}

func TestParseDomainEvents(t *testing.T) {
	raw := eventJSON(map[string]any{"metadata": map[string]any{"k": "v"}}, map[string]any{"anything": []any{1, "two"}})
	e, err := ParseDomainEvent(raw)
	if err != nil || string(e.Payload) != `{"anything":[1,"two"]}` || e.Category != "" || e.Meta["k"] != "v" {
		t.Fatalf("%+v %v", e, err)
	}
	e, err = ParseEnhancedDomainEvent(raw)
	if err != nil || e.Category != Domain || e.SchemaVersion != 1 {
		t.Fatalf("%+v %v", e, err)
	}
	if _, err := ParseEnhancedDomainEvent(eventJSON(map[string]any{"category": "nope"}, 1)); len(issues(t, err)) != 1 {
		t.Fatal("bad category accepted")
	}
	if e, err := ParseDomainEvent(metaJSON(nil)); err != nil || e.Payload != nil {
		t.Fatalf("no payload: %v", err)
	}
}

func TestParseRecordedRoundTrip(t *testing.T) {
	b, _ := testBuilder()
	in := orderInput()
	in.EventType, in.Payload, in.Category, in.SchemaVersion = "OrderCreated", map[string]any{"orderId": "o1", "customerId": "c1"}, Integration, 2
	d, err := b.New(in)
	if err != nil {
		t.Fatal(err)
	}
	rec := es.Recorded{Event: d.Event(), StreamID: d.Stream(), StreamVersion: 1, Position: 3, RecordedAt: es.DefaultVirtualStart}
	e, err := IntegrationSchema("OrderCreated", 2, JSON[created]()).ParseRecorded(rec)
	if err != nil || e.Payload.CustomerID != "c1" || e.StreamID != "ord_1" || e.BoundedContext != "orders" {
		t.Fatalf("%+v %v", e, err)
	}
	if _, err := DomainSchema("OrderCreated", 2, JSON[created]()).ParseRecorded(rec); len(issues(t, err)) != 1 {
		t.Fatal("integration event accepted by a domain schema")
	}
}
