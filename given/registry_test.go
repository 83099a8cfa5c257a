package given_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
)

type OrderPlaced struct {
	OrderID string `json:"orderId" given:",required"`
	Amount  int    `json:"amount"`
}

type OrderCancelled struct {
	OrderID string `json:"orderId"`
	Reason  string `json:"reason"`
}

type PlaceOrder struct {
	OrderID string `json:"orderId"`
}

func newReg(t *testing.T) *given.Registry {
	t.Helper()
	r := given.NewRegistry()
	for _, err := range []error{
		given.RegisterEvent[OrderPlaced](r, ""),
		given.RegisterEvent[*OrderCancelled](r, "OrderCancelled"),
		given.RegisterCommand[PlaceOrder](r, "PlaceOrder"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestRegistryDuplicates(t *testing.T) {
	r := newReg(t)
	err := given.RegisterEvent[OrderCancelled](r, "OrderPlaced")
	if es.CodeOf(err) != given.CodeDuplicateName || !errors.Is(err, given.ErrDuplicateName) {
		t.Fatalf("same name twice: %v", err)
	}
	if !strings.Contains(err.Error(), `event name "OrderPlaced" is already registered for event given_test.OrderPlaced`) {
		t.Fatalf("message: %v", err)
	}
	// names are one namespace across kinds
	if err := given.RegisterCommand[struct{ X int }](r, "OrderPlaced"); es.CodeOf(err) != given.CodeDuplicateName {
		t.Fatalf("command with an event's name: %v", err)
	}
	err = given.RegisterEvent[OrderPlaced](r, "OrderPlacedV2")
	if es.CodeOf(err) != given.CodeDuplicateType || !errors.Is(err, given.ErrDuplicateType) {
		t.Fatalf("same type twice: %v", err)
	}
	if !strings.Contains(err.Error(), `type given_test.OrderPlaced is already registered as "OrderPlaced"; cannot register it again as "OrderPlacedV2"`) {
		t.Fatalf("message: %v", err)
	}
	if len(r.Entries("")) != 3 {
		t.Fatalf("failed registrations must not register anything: %v", r.Entries(""))
	}
}

func TestRegistryRejectsBadInput(t *testing.T) {
	r := given.NewRegistry()
	for _, err := range []error{
		given.RegisterEvent[int](r, "N"),
		given.RegisterEvent[OrderPlaced](r, "bad\x00name"),
		r.Add("query", "Q", reflect.TypeFor[OrderPlaced]()),
		r.Add(given.KindEvent, "Nil", nil),
	} {
		if es.CodeOf(err) != es.CodeInvalidArgument {
			t.Errorf("got %v, want INVALID_ARGUMENT", err)
		}
	}
}

func TestRegistryLookups(t *testing.T) {
	r := newReg(t)
	if e, err := r.Resolve(given.KindCommand, "place order"); err != nil || e.Name != "PlaceOrder" {
		t.Fatalf("loose resolve: %v %v", e, err)
	}
	if _, err := r.Resolve(given.KindEvent, "place order"); es.CodeOf(err) != given.CodeUnknownType {
		t.Fatalf("a command must not resolve as an event: %v", err)
	}
	_, err := r.Lookup("OrderShipped")
	if !errors.Is(err, given.ErrUnknownType) || !strings.Contains(err.Error(), "known: OrderCancelled, OrderPlaced, PlaceOrder") {
		t.Fatalf("unknown: %v", err)
	}
	for _, v := range []any{OrderPlaced{}, &OrderPlaced{}, OrderCancelled{}, &OrderCancelled{}} {
		if n, err := r.NameOf(v); err != nil || !strings.HasPrefix(n, "Order") {
			t.Errorf("NameOf(%T) = %q, %v", v, n, err)
		}
	}
	if _, err := r.NameOf(PlaceOrder{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NameOf(3); es.CodeOf(err) != given.CodeUnknownType {
		t.Fatalf("NameOf(int): %v", err)
	}
	var names []string
	for _, e := range r.Entries(given.KindEvent) {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "OrderPlaced,OrderCancelled" {
		t.Fatalf("entries in registration order: %v", names)
	}
}

func TestRegistryBuilders(t *testing.T) {
	r := newReg(t)
	v, err := r.Build("OrderPlaced", map[string]string{"orderId": "o-1", "amount": "5"})
	if err != nil || v != (OrderPlaced{OrderID: "o-1", Amount: 5}) {
		t.Fatalf("Build: %#v %v", v, err)
	}
	v, err = r.New("OrderCancelled")
	if err != nil || !reflect.DeepEqual(v, &OrderCancelled{}) {
		t.Fatalf("New of a pointer type: %#v %v", v, err)
	}
	v, err = r.FromJSON("OrderCancelled", []byte(`{"orderId":"o-1","reason":"late"}`))
	if err != nil || !reflect.DeepEqual(v, &OrderCancelled{OrderID: "o-1", Reason: "late"}) {
		t.Fatalf("FromJSON: %#v %v", v, err)
	}
	if _, err := r.FromJSON("OrderPlaced", []byte(`{"orderId":"o-1","colour":"red"}`)); es.CodeOf(err) != es.CodeInvalidEvent {
		t.Fatalf("unknown JSON field: %v", err)
	}
	if _, err := r.FromJSON("PlaceOrder", []byte(`[]`)); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("bad command JSON: %v", err)
	}
	vs, err := r.FromRows("OrderPlaced", [][]string{{"orderId", "amount"}, {"a", "1"}, {"b", "2"}})
	if err != nil || !reflect.DeepEqual(vs, []any{OrderPlaced{"a", 1}, OrderPlaced{"b", 2}}) {
		t.Fatalf("FromRows: %#v %v", vs, err)
	}
	_, err = r.FromTable("OrderPlaced", [][]string{{"amount", "x"}})
	errs := tableErrs(t, err)
	if len(errs) != 2 || errs[0].Target != "OrderPlaced" || errs[0].Field != "amount" || errs[1].Field != "orderId" {
		t.Fatalf("FromTable errors: %v", err)
	}
	if _, err := r.FromTable("Nope", nil); es.CodeOf(err) != given.CodeUnknownType {
		t.Fatalf("unknown name: %v", err)
	}
}

func TestFromTypedRows(t *testing.T) {
	r := newReg(t)
	got, err := r.FromTypedRows(given.KindEvent, [][]string{
		{"type", "orderId", "amount", "reason", "data"},
		{"OrderPlaced", "o-1", "10", "", ""},
		{"order cancelled", "o-1", "", "late", ""},
		{"OrderPlaced", "", "", "", `{"orderId":"o-2","amount":3}`},
		{"OrderPlaced", "", "4", "", `{"orderId":"o-3","amount":3}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []given.Typed{
		{Name: "OrderPlaced", Value: OrderPlaced{"o-1", 10}},
		{Name: "OrderCancelled", Value: &OrderCancelled{OrderID: "o-1", Reason: "late"}},
		{Name: "OrderPlaced", Value: OrderPlaced{"o-2", 3}},
		{Name: "OrderPlaced", Value: OrderPlaced{"o-3", 4}}, // columns override data
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}

	_, err = r.FromTypedRows(given.KindEvent, [][]string{
		{"event", "orderId", "reason"},
		{"OrderPlaced", "o-1", "late"},
		{"OrderShipped", "o-1", ""},
		{"PlaceOrder", "o-1", ""},
	})
	errs := tableErrs(t, err)
	if len(errs) != 3 {
		t.Fatalf("got %v", err)
	}
	if errs[0].Row != 2 || errs[0].Column != "reason" || errs[0].Target != "OrderPlaced" || !strings.Contains(errs[0].Reason, "unknown field") {
		t.Errorf("column the type lacks: %+v", errs[0])
	}
	if errs[1].Row != 3 || errs[1].Column != "event" || errs[1].Value != "OrderShipped" {
		t.Errorf("unknown type: %+v", errs[1])
	}
	if errs[2].Row != 4 || !strings.Contains(errs[2].Reason, `no event type is registered as "PlaceOrder"`) {
		t.Errorf("wrong kind: %+v", errs[2])
	}

	_, err = r.FromTypedRows("", [][]string{{"orderId"}, {"x"}})
	if errs := tableErrs(t, err); !strings.Contains(errs[0].Reason, `needs a "type" column`) {
		t.Fatalf("no type column: %v", err)
	}
	_, err = r.FromTypedRows("", [][]string{{"type", "data"}, {"OrderPlaced", "{"}})
	if errs := tableErrs(t, err); errs[0].Column != "data" || errs[0].Row != 2 {
		t.Fatalf("bad data: %v", err)
	}
}

func TestExpect(t *testing.T) {
	k := kitchenSink{ID: "o-1", Qty: 3, Labels: map[string]string{"tier": "gold"}, Any: map[string]any{"n": 2.0}}
	for path, want := range map[string]string{"orderId": "o-1", "quantity": "3", "labels.tier": "gold", "any.n": "2", "ttl": "0s", "ship": "null", "bill.city": ""} {
		if err := given.Expect(k, path, want); err != nil {
			t.Errorf("Expect(%s, %s): %v", path, want, err)
		}
	}
	err := given.Expect(&k, "quantity", "4")
	if es.CodeOf(err) != given.CodeMismatch || err.Error() != "EXPECTATION_FAILED: quantity: expected 4, got 3" {
		t.Fatalf("mismatch: %v", err)
	}
	err = given.Expect(k, "quantity", "lots")
	if es.CodeOf(err) != given.CodeMismatch || !strings.Contains(err.Error(), `expected "lots", but that is not a valid int8; actual value is 3`) {
		t.Fatalf("unparsable expectation: %v", err)
	}
	if err := given.Expect(k, "colour", "red"); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("unknown field: %v", err)
	}
	err = given.ExpectTable(k, [][]string{{"field", "value"}, {"orderId", "o-2"}, {"quantity", "3"}, {"labels.tier", "silver"}})
	if es.CodeOf(err) != given.CodeMismatch {
		t.Fatalf("ExpectTable: %v", err)
	}
	if !strings.Contains(err.Error(), `row 2: orderId: expected "o-2", got "o-1"`) || !strings.Contains(err.Error(), `row 4: labels.tier: expected "silver", got "gold"`) || strings.Contains(err.Error(), "row 3") {
		t.Fatalf("ExpectTable message: %v", err)
	}
}

func TestExpectValue(t *testing.T) {
	if err := given.ExpectValue("result", true, "yes"); err != nil {
		t.Fatal(err)
	}
	if err := given.ExpectValue("result", nil, "null"); err != nil {
		t.Fatal(err)
	}
	err := given.ExpectValue("result", 3*time.Second, "2s")
	if es.CodeOf(err) != given.CodeMismatch || err.Error() != "EXPECTATION_FAILED: result: expected 2s, got 3s" {
		t.Fatalf("got %v", err)
	}
	if err := given.ExpectValue("result", nil, "x"); es.CodeOf(err) != given.CodeMismatch {
		t.Fatalf("got %v", err)
	}
}
