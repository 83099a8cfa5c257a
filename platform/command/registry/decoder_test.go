package registry_test

import (
	"encoding/json"
	"testing"

	"github.com/eventspec/eventspec/platform/command/registry"
)

func TestSchemaDecoderReturnsTheDecodedArguments(t *testing.T) {
	dec := registry.SchemaDecoder[createOrder]()
	data, args, errs := dec(json.RawMessage(`{"orderId":"o1","qty":2,"extra":true}`))
	if len(errs) != 0 || string(data) != `{"orderId":"o1","qty":2,"extra":true}` || args != (createOrder{OrderID: "o1", Qty: 2}) {
		t.Fatalf("decode = %s, %#v, %v", data, args, errs)
	}
	data, args, errs = dec(json.RawMessage(`{"qty":-1}`))
	if data != nil || args != nil || len(errs) != 2 || errs[0].Path != "orderId" || errs[1].Path != "qty" {
		t.Fatalf("invalid = %s, %#v, %+v", data, args, errs)
	}
	// Schema is the same validation without the arguments.
	for _, p := range []string{`{"orderId":"o1"}`, `{"qty":-1}`, `{"orderId":"o1","qty":"two"}`, `[`, ``} {
		d1, e1 := registry.Schema[createOrder]()(json.RawMessage(p))
		d2, e2 := dec.Validator()(json.RawMessage(p))
		if string(d1) != string(d2) || len(e1) != len(e2) || (len(e1) > 0 && e1[0] != e2[0]) {
			t.Fatalf("%s: Schema %s %+v, Validator %s %+v", p, d1, e1, d2, e2)
		}
	}
}

func TestDecodeOnlyDefinitionsValidate(t *testing.T) {
	r := registry.New()
	a, err := registry.DefineAggregate(r, registry.AggregateDef{CommandType: "CreateOrder", BoundedContext: "orders",
		TargetAggregate: "Order", AggregateIDField: "orderId", Handler: nop, Decode: registry.SchemaDecoder[createOrder]()})
	if err != nil {
		t.Fatal(err)
	}
	if a.Args == nil || a.Decode == nil {
		t.Fatalf("registration: Args set %v, Decode set %v", a.Args != nil, a.Decode != nil)
	}
	if res := r.Validate("CreateOrder", json.RawMessage(`{"qty":-1}`)); res.Valid || len(res.Errors) != 2 {
		t.Fatalf("Validate with Decode only = %+v", res)
	}
	x := reg("Ping", "system")
	x.Decode = registry.SchemaDecoder[createOrder]()
	if err := r.Register(x); err != nil {
		t.Fatal(err)
	}
	if res := r.Validate("Ping", json.RawMessage(`{}`)); res.Valid {
		t.Fatalf("Register did not take Args from Decode: %+v", res)
	}
}
