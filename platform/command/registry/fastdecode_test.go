package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"testing"
)

// referenceDecoder is SchemaDecoder as it was before the fast path: the
// pure json.Unmarshal path every result must match.
func referenceDecoder[P any]() ArgsDecoder {
	return func(payload json.RawMessage) (json.RawMessage, any, []FieldError) {
		var p P
		raw := payload
		if len(bytes.TrimSpace(raw)) == 0 {
			raw = json.RawMessage("null")
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, nil, []FieldError{{Path: te.Field, Code: "invalid_type",
					Message: fmt.Sprintf("expected %s, received %s", te.Type, te.Value)}}
			}
			return nil, nil, []FieldError{{Path: "", Code: "invalid_json", Message: err.Error()}}
		}
		if v, ok := any(&p).(Validatable); ok {
			if errs := v.Validate(); len(errs) > 0 {
				return nil, nil, errs
			}
		} else if v, ok := any(p).(Validatable); ok {
			if errs := v.Validate(); len(errs) > 0 {
				return nil, nil, errs
			}
		}
		return payload, p, nil
	}
}

// fdAddItem is the command pipeline benchmark's AddItem shape.
type fdAddItem struct {
	OrderID string `json:"orderId"`
	SKU     string `json:"sku"`
	Qty     int    `json:"qty"`
}

type fdName string

// fdScalars has every kind the fast path handles, plus fields encoding/json
// ignores.
type fdScalars struct {
	S      string
	B      bool    `json:"b"`
	I      int     `json:"i"`
	I8     int8    `json:"i8"`
	I16    int16   `json:"i16,omitempty"`
	I32    int32   `json:"i32,omitzero"`
	I64    int64   `json:"i64"`
	U      uint    `json:"u"`
	U8     uint8   `json:"u8"`
	U16    uint16  `json:"u16"`
	U32    uint32  `json:"u32"`
	U64    uint64  `json:"u64"`
	F32    float32 `json:"f32"`
	F64    float64 `json:"f64"`
	Skip   string  `json:"-"`
	Dash   string  `json:"-,"`
	Named  fdName  `json:"named"`
	hidden int
}

// fdValidated validates itself (pointer receiver).
type fdValidated struct {
	ID string `json:"id"`
	N  int    `json:"n"`
}

func (v *fdValidated) Validate() []FieldError {
	var out []FieldError
	if v.ID == "" {
		out = append(out, FieldError{Path: "id", Code: "required", Message: "id is required"})
	}
	if v.N < 0 {
		out = append(out, FieldError{Path: "n", Code: "too_small", Message: "n cannot be negative"})
	}
	return out
}

// fdValueValidated validates itself with a value receiver.
type fdValueValidated struct {
	ID string `json:"id"`
}

func (v fdValueValidated) Validate() []FieldError {
	if v.ID == "" {
		return []FieldError{{Path: "id", Code: "required", Message: "id is required"}}
	}
	return nil
}

var decValueValidated = SchemaDecoder[fdValueValidated]()

var (
	decAddItem   = SchemaDecoder[fdAddItem]()
	decScalars   = SchemaDecoder[fdScalars]()
	decValidated = SchemaDecoder[fdValidated]()
	refAddItem   = referenceDecoder[fdAddItem]()
	refScalars   = referenceDecoder[fdScalars]()
	refValidated = referenceDecoder[fdValidated]()
)

// sameResult fails t unless got and want are the same result, bit for bit.
func sameResult(t testing.TB, name string, payload []byte, got, want ArgsDecoder) {
	t.Helper()
	d1, a1, e1 := got(payload)
	d2, a2, e2 := want(payload)
	if (d1 == nil) != (d2 == nil) || !bytes.Equal(d1, d2) {
		t.Fatalf("%s %q: data %q, json.Unmarshal path %q", name, payload, d1, d2)
	}
	if !reflect.DeepEqual(a1, a2) || fmt.Sprintf("%#v", a1) != fmt.Sprintf("%#v", a2) {
		t.Fatalf("%s %q: args %#v, json.Unmarshal path %#v", name, payload, a1, a2)
	}
	if !reflect.DeepEqual(e1, e2) {
		t.Fatalf("%s %q: errors %+v, json.Unmarshal path %+v", name, payload, e1, e2)
	}
}

// fastTaken reports whether P's fast path accepts payload.
func fastTaken[P any](payload []byte) bool {
	plan := newFastPlan(reflect.TypeFor[P]())
	if plan == nil {
		return false
	}
	var p P
	return plan.decode(payload, reflect.ValueOf(&p).Elem())
}

func TestFastPlanOnlyForPlainScalarStructs(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  reflect.Type
		want bool
	}{
		{"AddItem", reflect.TypeFor[fdAddItem](), true},
		{"scalars", reflect.TypeFor[fdScalars](), true},
		{"validated", reflect.TypeFor[fdValidated](), true},
		{"empty struct", reflect.TypeFor[struct{}](), true},
		{"pointer", reflect.TypeFor[*fdAddItem](), false},
		{"map", reflect.TypeFor[map[string]any](), false},
		{"interface", reflect.TypeFor[any](), false},
		{"string", reflect.TypeFor[string](), false},
		{"string option", reflect.TypeFor[struct {
			N int `json:"n,string"`
		}](), false},
		{"unknown option", reflect.TypeFor[struct {
			N int `json:"n,inline"`
		}](), false},
		{"embedded", reflect.TypeFor[struct{ fdValidated }](), false},
		{"embedded pointer", reflect.TypeFor[struct{ *fdValidated }](), false},
		// Built with StructOf: go vet rejects these tags in source.
		{"unexported tagged", reflect.StructOf([]reflect.StructField{
			{Name: "n", PkgPath: "registry", Type: reflect.TypeFor[int](), Tag: `json:"n"`}}), false},
		{"same name", reflect.StructOf([]reflect.StructField{
			{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"x"`},
			{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"x"`}}), false},
		{"case-variant names", reflect.TypeFor[struct {
			A string `json:"x"`
			B string `json:"X"`
		}](), false},
		{"non-ASCII name", reflect.TypeFor[struct {
			A string `json:"é"`
		}](), false},
		{"invalid tag name", reflect.TypeFor[struct {
			A string `json:"a\\b"`
		}](), false},
		{"slice field", reflect.TypeFor[struct{ A []int }](), false},
		{"pointer field", reflect.TypeFor[struct{ A *int }](), false},
		{"interface field", reflect.TypeFor[struct{ A any }](), false},
		{"struct field", reflect.TypeFor[struct{ A fdAddItem }](), false},
		{"uintptr field", reflect.TypeFor[struct{ A uintptr }](), false},
		{"complex field", reflect.TypeFor[struct{ A complex128 }](), false},
		{"json.Unmarshaler field", reflect.TypeFor[struct{ A fdSelfDecoding }](), false},
		{"TextUnmarshaler field", reflect.TypeFor[struct{ A fdText }](), false},
		{"json.Number field", reflect.TypeFor[struct{ A json.Number }](), false},
		{"json.Unmarshaler", reflect.TypeFor[fdSelfDecodingStruct](), false},
		{"TextUnmarshaler", reflect.TypeFor[fdTextStruct](), false},
	} {
		if got := newFastPlan(c.typ) != nil; got != c.want {
			t.Errorf("%s: fast plan %v, want %v", c.name, got, c.want)
		}
	}
}

// fdSelfDecoding is a string kind that decodes itself.
type fdSelfDecoding string

func (s *fdSelfDecoding) UnmarshalJSON(b []byte) error { *s = "custom"; return nil }

// fdText is an int kind that decodes itself from text.
type fdText int

func (x *fdText) UnmarshalText(b []byte) error { *x = 7; return nil }

type fdSelfDecodingStruct struct {
	A string `json:"a"`
}

func (s *fdSelfDecodingStruct) UnmarshalJSON(b []byte) error { s.A = "custom"; return nil }

type fdTextStruct struct {
	A string `json:"a"`
}

func (s fdTextStruct) UnmarshalText(b []byte) error { return nil }

// fastCases are payloads for the AddItem shape: fast says whether the fast
// path must take it (else it must leave it to json.Unmarshal).
var fastCases = []struct {
	payload string
	fast    bool
}{
	{`{"orderId":"o0001","sku":"a","qty":1}`, true},
	{`{}`, true},
	{` { } `, true},
	{"\t\r\n{\"qty\" : -12 ,\n\"sku\":\"\"}\r\n", true},
	{`{"qty":0}`, true},
	{`{"qty":-0}`, true},
	{`{"qty":9223372036854775807}`, true},
	{`{"qty":922337203685477580}`, true},
	{`{"qty":-922337203685477580}`, true},
	{`{"qty":1000000000000000000}`, true},
	{`{"qty":-9223372036854775808}`, true},
	{`{"qty":-9223372036854775809}`, false},
	{`{"qty":9223372036854775808}`, false},
	{`{"qty":99999999999999999999}`, false},
	{`{"qty":1.0}`, false},
	{`{"qty":1.5}`, false},
	{`{"qty":1e2}`, false},
	{`{"qty":1E2}`, false},
	{`{"qty":01}`, false},
	{`{"qty":-}`, false},
	{`{"qty":+1}`, false},
	{`{"qty":"1"}`, false},
	{`{"qty":null}`, false},
	{`{"qty":true}`, false},
	{`{"qty":[1]}`, false},
	{`{"qty":{}}`, false},
	{`{"sku":1}`, false},
	{`{"sku":null}`, false},
	{`{"sku":"a\"b"}`, false},
	{`{"sku":"a\nb"}`, false},
	{`{"sku":"\u00e9"}`, false},
	{`{"sku":"é日本"}`, true},
	{"{\"sku\":\"a\xffb\"}", false},
	{"{\"sku\":\"\xed\xa0\x80\"}", false},
	{"{\"sku\":\"a\tb\"}", false},
	{"{\"sku\":\"a\x00b\"}", false},
	{"{\"sku\":\"\u2028\"}", true},
	{`{"OrderId":"o1"}`, false},
	{`{"ORDERID":"o1"}`, false},
	{`{"SKU":"a"}`, false},
	{`{"orderId":"o1","orderId":"o2"}`, false},
	{`{"orderId":"o1","OrderId":"o2"}`, false},
	{`{"qty":1,"qty":2}`, false},
	{`{"other":1}`, false},
	{`{"orderId":"o1","extra":{"a":[1,2,{"b":null}]}}`, false},
	{`{"extra":"x","qty":"bad"}`, false},
	{`{"order\u0049d":"o1"}`, false},
	{`{"orderId":"o1",}`, false},
	{`{"orderId":"o1"`, false},
	{`{"orderId":"o1`, false},
	{`{"orderId" "o1"}`, false},
	{`{"orderId":}`, false},
	{`{,}`, false},
	{`{"orderId":"o1"} x`, false},
	{`{"orderId":"o1"}{}`, false},
	{`{"orderId":"o1"}}`, false},
	{`{'orderId':"o1"}`, false},
	{`[]`, false},
	{`[`, false},
	{`null`, false},
	{`"x"`, false},
	{`1`, false},
	{``, false},
	{`   `, false},
	{"\v{}", false},
	{"{}\u00a0", false},
	{"\ufeff{}", false},
	{`{"qty":1}garbage`, false},
	{`{"qty":1 2}`, false},
	{`{"orderId":"o1" "sku":"a"}`, false},
}

func TestSchemaDecoderFastPathMatchesUnmarshal(t *testing.T) {
	for _, c := range fastCases {
		p := []byte(c.payload)
		if got := fastTaken[fdAddItem](p); got != c.fast {
			t.Errorf("%q: fast path taken %v, want %v", c.payload, got, c.fast)
		}
		sameResult(t, "AddItem", p, decAddItem, refAddItem)
		sameResult(t, "scalars", p, decScalars, refScalars)
		sameResult(t, "validated", p, decValidated, refValidated)
	}
}

func TestSchemaDecoderFastPathScalars(t *testing.T) {
	for _, c := range []struct {
		payload string
		fast    bool
	}{
		{`{"S":"s","b":true,"i":-1,"i8":-128,"i16":32767,"i32":-2147483648,"i64":-9223372036854775,"u":1,"u8":255,"u16":65535,"u32":4294967295,"u64":1844674407370955161,"f32":1.5,"f64":-2.5e-3,"-":"dash","named":"n"}`, true},
		{`{"b":false}`, true},
		{`{"b":truex}`, false},
		{`{"b":tru}`, false},
		{`{"b":"true"}`, false},
		{`{"b":1}`, false},
		{`{"i8":127}`, true},
		{`{"i8":128}`, false},
		{`{"i8":-129}`, false},
		{`{"u8":256}`, false},
		{`{"u8":-0}`, false},
		{`{"u8":-1}`, false},
		{`{"u32":4294967296}`, false},
		{`{"u64":18446744073709551615}`, false},
		{`{"i":9223372036854775807}`, true},
		{`{"u64":9999999999999999999}`, true},
		{`{"f64":0}`, true},
		{`{"f64":-0}`, true},
		{`{"f64":-0.0}`, true},
		{`{"f64":1e308}`, true},
		{`{"f64":1e309}`, false},
		{`{"f64":1e-400}`, true},
		{`{"f64":123456789012345678901234567890}`, true},
		{`{"f64":0.1E+2}`, true},
		{`{"f64":.5}`, false},
		{`{"f64":5.}`, false},
		{`{"f64":1e}`, false},
		{`{"f64":1e+}`, false},
		{`{"f64":00.5}`, false},
		{`{"f64":0x10}`, false},
		{`{"f64":Infinity}`, false},
		{`{"f64":NaN}`, false},
		{`{"f64":1_0}`, false},
		{`{"f32":3.4028235e38}`, true},
		{`{"f32":3.5e38}`, false},
		{`{"f32":0.1}`, true},
		{`{"Skip":"x"}`, false},
		{`{"skip":"x"}`, false},
		{`{"hidden":1}`, false},
		{`{"Dash":"x"}`, false},
		{`{"s":"lower"}`, false},
		{`{"named":"x","S":"y"}`, true},
	} {
		p := []byte(c.payload)
		if got := fastTaken[fdScalars](p); got != c.fast {
			t.Errorf("%q: fast path taken %v, want %v", c.payload, got, c.fast)
		}
		sameResult(t, "scalars", p, decScalars, refScalars)
	}
	// The full payload decodes to exactly these values.
	_, args, errs := decScalars([]byte(`{"S":"s","b":true,"i8":-128,"u64":1844674407370955161,"f32":0.1,"-":"dash","named":"n"}`))
	want := fdScalars{S: "s", B: true, I8: -128, U64: 1844674407370955161, F32: 0.1, Dash: "dash", Named: "n"}
	if errs != nil || args != want {
		t.Fatalf("scalars = %#v %v, want %#v", args, errs, want)
	}
}

func TestSchemaDecoderFastPathIntegerBounds(t *testing.T) {
	for _, c := range []struct {
		key      string
		min, max string // the field's range
		below    string // min-1
		above    string // max+1
	}{
		{"i", "-9223372036854775808", "9223372036854775807", "-9223372036854775809", "9223372036854775808"},
		{"i8", "-128", "127", "-129", "128"},
		{"i16", "-32768", "32767", "-32769", "32768"},
		{"i32", "-2147483648", "2147483647", "-2147483649", "2147483648"},
		{"i64", "-9223372036854775808", "9223372036854775807", "-9223372036854775809", "9223372036854775808"},
		{"u", "0", "18446744073709551615", "-1", "18446744073709551616"},
		{"u8", "0", "255", "-1", "256"},
		{"u16", "0", "65535", "-1", "65536"},
		{"u32", "0", "4294967295", "-1", "4294967296"},
		{"u64", "0", "18446744073709551615", "-1", "18446744073709551616"},
	} {
		for _, v := range []struct {
			text string
			fast bool
		}{
			{c.min, true},
			{c.max, len(c.max) <= maxFastDigits}, // 20-digit uint64 maxima go to encoding/json
			{c.below, false},
			{c.above, false},
		} {
			p := []byte(`{"` + c.key + `":` + v.text + `}`)
			if got := fastTaken[fdScalars](p); got != v.fast {
				t.Errorf("%s: fast path taken %v, want %v", p, got, v.fast)
			}
			sameResult(t, "scalars", p, decScalars, refScalars)
		}
	}
}

func TestSchemaDecoderFastPathValidates(t *testing.T) {
	data, args, errs := decValidated([]byte(`{"n":-1}`))
	want := []FieldError{{Path: "id", Code: "required", Message: "id is required"},
		{Path: "n", Code: "too_small", Message: "n cannot be negative"}}
	if data != nil || args != nil || !reflect.DeepEqual(errs, want) {
		t.Fatalf("invalid = %s %#v %+v", data, args, errs)
	}
	in := []byte(`{"id":"x","n":2}`)
	data, args, errs = decValidated(in)
	if !bytes.Equal(data, in) || args != (fdValidated{ID: "x", N: 2}) || errs != nil {
		t.Fatalf("valid = %s %#v %+v", data, args, errs)
	}
}

func TestSchemaDecoderTakesTheFastPath(t *testing.T) {
	fallbacks := 0
	onFallback = func() { fallbacks++ }
	defer func() { onFallback = nil }()
	for _, c := range fastCases {
		before := fallbacks
		decAddItem([]byte(c.payload))
		if took := fallbacks == before; took != c.fast {
			t.Errorf("%q: SchemaDecoder took the fast path %v, want %v", c.payload, took, c.fast)
		}
	}
	before := fallbacks
	decScalars([]byte(`{"S":"s","b":true,"i8":-128,"u64":1844674407370955161,"f32":0.1,"-":"dash","named":"n"}`))
	decValidated([]byte(`{"id":"x","n":-1}`))
	if fallbacks != before {
		t.Errorf("scalars and validated payloads: %d fallbacks, want 0", fallbacks-before)
	}
	// A type without a plan always falls back.
	before = fallbacks
	SchemaDecoder[map[string]any]()([]byte(`{"a":1}`))
	if fallbacks != before+1 {
		t.Errorf("map payload: %d fallbacks, want 1", fallbacks-before)
	}
}

func TestSchemaDecoderFastPathAllocations(t *testing.T) {
	p := []byte(`{"orderId":"o0001","sku":"a","qty":1}`)
	fast := testing.AllocsPerRun(100, func() { decAddItem(p) })
	ref := testing.AllocsPerRun(100, func() { refAddItem(p) })
	// The decoded struct boxed as args, and "o0001" ("a" is a static
	// one-byte string): the struct itself stays on the stack, and AddItem
	// has no Validate, so nothing is boxed for that check. The
	// json.Unmarshal path takes 8 with Go 1.26's default encoding/json.
	if fast > 2 {
		t.Fatalf("allocs per decode: fast path %v, want at most 2 (json.Unmarshal path %v)", fast, ref)
	}
	t.Logf("allocs per decode: fast path %v, json.Unmarshal path %v", fast, ref)
}

// TestSchemaDecoderValueReceiverValidate: a value-receiver Validate runs
// (a failure is the decoder's result) and costs no allocation beyond the
// boxed arguments.
func TestSchemaDecoderValueReceiverValidate(t *testing.T) {
	if _, args, errs := decValueValidated([]byte(`{"id":""}`)); args != nil || len(errs) != 1 || errs[0].Path != "id" || errs[0].Code != "required" {
		t.Fatalf("invalid: args %#v, errs %+v; want one id/required error", args, errs)
	}
	in := []byte(`{"id":"x7"}`)
	data, args, errs := decValueValidated(in)
	if !bytes.Equal(data, in) || args != (fdValueValidated{ID: "x7"}) || errs != nil {
		t.Fatalf("valid: %s %#v %+v", data, args, errs)
	}
	// The box and "x7".
	if n := testing.AllocsPerRun(100, func() { decValueValidated(in) }); n > 2 {
		t.Fatalf("allocs per validated decode: %v, want at most 2", n)
	}
}

func FuzzSchemaDecoderMatchesUnmarshal(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c.payload))
	}
	f.Add([]byte(`{"S":"s","b":true,"i":-1,"i8":-128,"u8":255,"f32":1.5,"f64":-2.5e-3,"-":"dash","named":"n"}`))
	f.Add([]byte(`{"id":"x","n":2}`))
	f.Add([]byte(`{"id":"","n":-2}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		sameResult(t, "AddItem", payload, decAddItem, refAddItem)
		sameResult(t, "scalars", payload, decScalars, refScalars)
		sameResult(t, "validated", payload, decValidated, refValidated)
	})
}

// FuzzSchemaDecoderFieldValues is FuzzSchemaDecoderMatchesUnmarshal aimed
// at field values: payloads {"key1":text,"key2":number} with keys picked
// from the test types' names (or arbitrary) and the number formatted from a
// fuzzed int64, uint64 or float64, so boundaries are near the seeds.
func FuzzSchemaDecoderFieldValues(f *testing.F) {
	keys := []string{"orderId", "sku", "qty", "S", "b", "i", "i8", "i16", "i32", "i64", "u", "u8", "u16", "u32",
		"u64", "f32", "f64", "-", "named", "id", "n"}
	bits := map[string]int{"i8": 8, "u8": 8, "i16": 16, "u16": 16, "i32": 32, "u32": 32}
	for i, k := range keys {
		b := bits[k]
		if b == 0 {
			b = 64
		}
		k1 := uint8((i + 1) % len(keys))
		maxInt, minInt, maxUint := int64(1)<<(b-1)-1, int64(-1)<<(b-1), uint64(1)<<b-1
		f.Add(k1, "", `"x"`, uint8(i), uint8(0), maxInt, maxUint, 1.5)
		f.Add(k1, "", `true`, uint8(i), uint8(0), minInt, maxUint, 1.5)
		f.Add(k1, "", `-1`, uint8(i), uint8(1), maxInt, maxUint, 1.5)
		f.Add(k1, "", `1.5`, uint8(i), uint8(2), maxInt, maxUint, 3.4028235e38)
		f.Add(k1, "", `null`, uint8(i), uint8(4), maxInt, maxUint, 1e-45)
	}
	f.Fuzz(func(t *testing.T, k1 uint8, other, text string, k2, form uint8, n int64, u uint64, x float64) {
		key := other
		if int(k1) < len(keys) {
			key = keys[k1]
		}
		var num string
		switch form % 5 {
		case 0:
			num = strconv.FormatInt(n, 10)
		case 1:
			num = strconv.FormatUint(u, 10)
		case 2:
			num = strconv.FormatFloat(x, 'g', -1, 64)
		case 3:
			num = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			num = strconv.FormatFloat(x, 'e', -1, 32)
		}
		payload := []byte(`{"` + key + `":` + text + `,"` + keys[int(k2)%len(keys)] + `":` + num + `}`)
		sameResult(t, "AddItem", payload, decAddItem, refAddItem)
		sameResult(t, "scalars", payload, decScalars, refScalars)
		sameResult(t, "validated", payload, decValidated, refValidated)
	})
}

func BenchmarkSchemaDecoder(b *testing.B) {
	payload := []byte(`{"orderId":"o0001","sku":"a","qty":1}`)
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p fdAddItem
			if err := json.Unmarshal(payload, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, errs := refAddItem(payload); errs != nil {
				b.Fatal(errs)
			}
		}
	})
	b.Run("SchemaDecoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, errs := decAddItem(payload); errs != nil {
				b.Fatal(errs)
			}
		}
	})
}
