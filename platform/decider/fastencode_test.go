package decider

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Event types with an encoding plan.

type feItemAdded struct {
	OrderID string `json:"orderId"`
	SKU     string `json:"sku"`
	Qty     int    `json:"qty"`
}

func (feItemAdded) isFEEvent() {}

type (
	feName  string
	feCount int16
	feFlag  bool
	feSize  uint32
)

// feAllKinds has every supported kind and tag form.
type feAllKinds struct {
	S        string  `json:"s"`
	SOmit    string  `json:"sOmit,omitempty"`
	SZero    string  `json:"sZero,omitzero"`
	Untagged string  // key "Untagged"
	OptsOnly string  `json:",omitempty"` // key "OptsOnly"
	Skipped  string  `json:"-"`
	Dash     string  `json:"-,"` // key "-"
	HTML     string  `json:"a<b&c>"`
	Spaced   string  `json:"a b"`
	Both     string  `json:"both,omitempty,omitzero"`
	B        bool    `json:"b"`
	BOmit    bool    `json:"bOmit,omitempty"`
	I        int     `json:"i"`
	I8       int8    `json:"i8"`
	I16      int16   `json:"i16"`
	I32      int32   `json:"i32"`
	I64      int64   `json:"i64"`
	IOmit    int64   `json:"iOmit,omitempty"`
	U        uint    `json:"u"`
	U8       uint8   `json:"u8"`
	U16      uint16  `json:"u16"`
	U32      uint32  `json:"u32"`
	U64      uint64  `json:"u64"`
	UOmit    uint8   `json:"uOmit,omitempty"`
	Name     feName  `json:"name"`
	NameOmit feName  `json:"nameOmit,omitempty"`
	Count    feCount `json:"count"`
	Flag     feFlag  `json:"flag,omitempty"`
	Size     feSize  `json:"size"`
	hidden   string
	_        int
}

type feEmpty struct{}

type feOnlyUnexported struct {
	a string
	b int `json:"-"`
}

// Event types without a plan (each breaks one rule).

type feFloat struct {
	F float64 `json:"f"`
}
type feMap struct {
	M map[string]int `json:"m"`
}
type feSlice struct {
	S []string `json:"s"`
}
type feBytes struct {
	B []byte `json:"b"`
}
type feNested struct {
	N feItemAdded `json:"n"`
}
type feEmbedded struct {
	feItemAdded
	X int `json:"x"`
}
type feEmbeddedExported struct {
	FeInner
	X int `json:"x"`
}
type FeInner struct {
	Y int `json:"y"`
}
type feIface struct {
	V any `json:"v"`
}
type fePtrField struct {
	P *int `json:"p"`
}
type feStringOpt struct {
	N int `json:"n,string"`
}
type feUnknownOpt struct {
	N int `json:"n,inline"`
}
type feUintptr struct {
	P uintptr `json:"p"`
}
type feTime struct {
	T time.Time `json:"t"`
}

// feStruct returns a zero value of a struct type built from fields: the
// types go vet rightly flags as mistakes (duplicate tags, a tag on an
// unexported field) are made this way.
func feStruct(fields ...reflect.StructField) any {
	return reflect.New(reflect.StructOf(fields)).Elem().Interface()
}

var (
	feDuplicate = feStruct(
		reflect.StructField{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"x"`},
		reflect.StructField{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"x"`})
	feDuplicateDash = feStruct(
		reflect.StructField{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"-,"`},
		reflect.StructField{Name: "B", Type: reflect.TypeFor[int](), Tag: `json:"-,omitempty"`})
	feUnexportedTagged = feStruct(
		reflect.StructField{Name: "a", PkgPath: "github.com/eventspec/eventspec/platform/decider", Type: reflect.TypeFor[string](), Tag: `json:"a"`},
		reflect.StructField{Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"b"`})
)

type feDashOmit struct {
	D int `json:"-,omitempty"`
}
type feDuplicateGoName struct {
	A string `json:"B"`
	B string
}
type feCaseVariant struct {
	A string `json:"key"`
	B string `json:"Key"`
}
type feBadTagName struct {
	A string `json:"a'b"` // invalid tag name: encoding/json uses "A"
}
type feNonASCIIName struct {
	A string `json:"héllo"`
}
type feSelfMarshal struct {
	A string `json:"a"`
}

func (feSelfMarshal) MarshalJSON() ([]byte, error) { return []byte(`"self"`), nil }

type feSelfMarshalPtr struct {
	A string `json:"a"`
}

func (*feSelfMarshalPtr) MarshalJSON() ([]byte, error) { return []byte(`"self"`), nil }

type feSelfText struct {
	A string `json:"a"`
}

func (feSelfText) MarshalText() ([]byte, error) { return []byte("self"), nil }

type feTextName string

func (n feTextName) MarshalText() ([]byte, error) { return []byte("T:" + n), nil }

type feTextField struct {
	N feTextName `json:"n"`
}

type feTextPtrInt int

func (n *feTextPtrInt) MarshalText() ([]byte, error) { return []byte("ptr"), nil }

type feTextPtrField struct {
	N feTextPtrInt `json:"n"`
}

type feAppendInt int

func (n feAppendInt) AppendText(b []byte) ([]byte, error) { return append(b, "app"...), nil }

type feAppendField struct {
	N feAppendInt `json:"n"`
}

type feZeroer int

func (feZeroer) IsZero() bool { return true }

type feOmitZeroMethod struct {
	N feZeroer `json:"n,omitzero"`
}

type feNote string

// feTypes lists every test event type and whether it must get a plan.
var feTypes = []struct {
	proto any
	plan  bool
}{
	{feItemAdded{}, true},
	{&feItemAdded{}, true},
	{feAllKinds{}, true},
	{&feAllKinds{}, true},
	{feEmpty{}, true},
	{&feEmpty{}, true},
	{feOnlyUnexported{}, true},
	{feDashOmit{}, true},
	{feFloat{}, false},
	{feMap{}, false},
	{feSlice{}, false},
	{feBytes{}, false},
	{feNested{}, false},
	{feEmbedded{}, false},
	{feEmbeddedExported{}, false},
	{feIface{}, false},
	{fePtrField{}, false},
	{feStringOpt{}, false},
	{feUnknownOpt{}, false},
	{feUintptr{}, false},
	{feTime{}, false},
	{feDuplicate, false},
	{feDuplicateDash, false},
	{feDuplicateGoName{}, false},
	{feCaseVariant{}, false},
	{feUnexportedTagged, false},
	{feBadTagName{}, false},
	{feNonASCIIName{}, false},
	{feSelfMarshal{}, false},
	{&feSelfMarshal{}, false},
	{feSelfMarshalPtr{}, false},
	{&feSelfMarshalPtr{}, false},
	{feSelfText{}, false},
	{feTextField{}, false},
	{feTextPtrField{}, false},
	{feAppendField{}, false},
	{feOmitZeroMethod{}, false},
	{feNote(""), false},
	{new(int), false},
}

// feCodec registers every feTypes prototype under a name of its own.
func feCodec(t testing.TB) *JSONCodec[any] {
	t.Helper()
	c, err := NewJSONCodec[any]()
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range feTypes {
		if err := c.Register(fmt.Sprintf("t%d", i), tt.proto); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestFastEncodePlans(t *testing.T) {
	c := feCodec(t)
	got := map[string]bool{}
	want := map[string]bool{}
	for _, tt := range feTypes {
		typ := reflect.TypeOf(tt.proto)
		got[typ.String()] = c.byType[typ].plan != nil
		want[typ.String()] = tt.plan
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("which types have a plan (-want +got):\n%s", d)
	}
}

// feStrings are string values covering every escaping rule.
var feStrings = func() []string {
	var ctl strings.Builder
	for b := 0; b < 0x20; b++ {
		ctl.WriteByte(byte(b))
	}
	ctl.WriteByte(0x7f)
	return []string{
		"",
		"plain ascii 123",
		`<>&"\`,
		`a<b>c&d"e\f`,
		ctl.String(),
		"\t\n\r\b\f",
		"\u2028\u2029",
		"x\u2028y\u2029z",
		"\xff",
		"a\xc3",
		"\xed\xa0\x80",
		"\xf4\x90\x80\x80",
		"héllo 世界 🎉",
		"\ufffd",
		"<script>alert('x')</script>",
		strings.Repeat("long-", 100),
	}
}()

// feFill sets every field of the struct v of a kind the plan handles: strings
// to s, bools to b, signed integers to the minimum (lo) or maximum of their
// width or to n, unsigned ones to their maximum (lo false) or n's magnitude.
func feFill(v reflect.Value, s string, b bool, n int64, extreme int) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(s)
		case reflect.Bool:
			f.SetBool(b)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			bits := f.Type().Bits()
			switch extreme {
			case -1:
				f.SetInt(-1 << (bits - 1))
			case 1:
				f.SetInt(1<<(bits-1) - 1)
			default:
				if !f.OverflowInt(n) {
					f.SetInt(n)
				}
			}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			bits := f.Type().Bits()
			u := uint64(n)
			if n < 0 {
				u = uint64(-n)
			}
			switch extreme {
			case -1:
				f.SetUint(0)
			case 1:
				f.SetUint(math.MaxUint64 >> (64 - bits))
			default:
				if !f.OverflowUint(u) {
					f.SetUint(u)
				}
			}
		}
	}
}

// feValues returns values of the registered type typ: the zero value and
// fillings covering feStrings and the integer extremes; for a pointer type
// also the nil pointer.
func feValues(typ reflect.Type) []any {
	st, ptr := typ, typ.Kind() == reflect.Pointer
	if ptr {
		st = typ.Elem()
	}
	if st.Kind() != reflect.Struct {
		return []any{reflect.Zero(typ).Interface()}
	}
	var out []any
	add := func(fill func(v reflect.Value)) {
		p := reflect.New(st)
		fill(p.Elem())
		if ptr {
			out = append(out, p.Interface())
		} else {
			out = append(out, p.Elem().Interface())
		}
	}
	if ptr {
		out = append(out, reflect.Zero(typ).Interface())
	}
	add(func(reflect.Value) {})
	for _, s := range feStrings {
		add(func(v reflect.Value) { feFill(v, s, true, 7, 0) })
	}
	for _, ext := range []int{-1, 1} {
		add(func(v reflect.Value) { feFill(v, "x", false, 0, ext) })
	}
	for _, n := range []int64{-1, 1, 0, 127, 128, -129, 255, 256, 65535, 1 << 40} {
		add(func(v reflect.Value) { feFill(v, "", n%2 == 0, n, 0) })
	}
	return out
}

func TestFastEncodeMatchesMarshal(t *testing.T) {
	c := feCodec(t)
	for _, tt := range feTypes {
		typ := reflect.TypeOf(tt.proto)
		for i, v := range feValues(typ) {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s value %d: json.Marshal: %v", typ, i, err)
			}
			ev, err := c.Encode(v)
			if err != nil {
				t.Fatalf("%s value %d: Encode: %v", typ, i, err)
			}
			if string(ev.Data) != string(want) {
				t.Errorf("%s value %d (%#v):\n got %s\nwant %s", typ, i, v, ev.Data, want)
			}
		}
	}
}

// TestFastEncodeExamples pins a few outputs, so the plan's bytes are checked
// against fixed text as well as against json.Marshal.
func TestFastEncodeExamples(t *testing.T) {
	c := feCodec(t)
	var nilItem *feItemAdded
	cases := []struct {
		in   any
		want string
	}{
		{feItemAdded{OrderID: "o-1", SKU: "<b>&\u2028\xff", Qty: -3}, `{"orderId":"o-1","sku":"\u003cb\u003e\u0026\u2028\ufffd","qty":-3}`},
		{&feItemAdded{Qty: math.MaxInt}, `{"orderId":"","sku":"","qty":9223372036854775807}`},
		{nilItem, `null`},
		{feEmpty{}, `{}`},
		{feOnlyUnexported{a: "x", b: 1}, `{}`},
		{feDashOmit{D: 5}, `{"-":5}`},
		{feDashOmit{}, `{}`},
		{feAllKinds{Skipped: "no", hidden: "no", U64: math.MaxUint64, I8: math.MinInt8},
			`{"s":"","Untagged":"","-":"","a\u003cb\u0026c\u003e":"","a b":"","b":false,` +
				`"i":0,"i8":-128,"i16":0,"i32":0,"i64":0,"u":0,"u8":0,"u16":0,"u32":0,"u64":18446744073709551615,` +
				`"name":"","count":0,"size":0}`},
	}
	for _, tc := range cases {
		if p := c.byType[reflect.TypeOf(tc.in)].plan; p == nil {
			t.Fatalf("%T has no plan", tc.in)
		}
		ev, err := c.Encode(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(ev.Data) != tc.want {
			t.Errorf("Encode(%#v)\n got %s\nwant %s", tc.in, ev.Data, tc.want)
		}
		if want, _ := json.Marshal(tc.in); string(want) != tc.want {
			t.Errorf("json.Marshal(%#v) = %s, the test expects %s", tc.in, want, tc.want)
		}
	}
}

func FuzzFastEncodeMatchesMarshal(f *testing.F) {
	c := feCodec(f)
	if c.byType[reflect.TypeFor[feAllKinds]()].plan == nil || c.byType[reflect.TypeFor[*feAllKinds]()].plan == nil {
		f.Fatal("feAllKinds has no plan")
	}
	for _, s := range feStrings {
		f.Add(s, "x", true, int64(-1), uint64(1))
	}
	f.Add("", "", false, int64(0), uint64(0))
	f.Add("a", "\xff", true, int64(math.MinInt64), uint64(math.MaxUint64))
	f.Add("<", "\u2028", false, int64(math.MaxInt64), uint64(1<<31))
	f.Fuzz(func(t *testing.T, s1, s2 string, b bool, i int64, u uint64) {
		v := feAllKinds{
			S: s1, SOmit: s2, SZero: s1, Untagged: s2, OptsOnly: s1, Skipped: s2, Dash: s2,
			HTML: s1 + s2, Spaced: s2, Both: s1,
			B: b, BOmit: !b,
			I: int(i), I8: int8(i), I16: int16(i), I32: int32(i), I64: i, IOmit: i >> 7,
			U: uint(u), U8: uint8(u), U16: uint16(u), U32: uint32(u), U64: u, UOmit: uint8(u >> 8),
			Name: feName(s2), NameOmit: feName(s1), Count: feCount(i >> 3), Flag: feFlag(b), Size: feSize(u >> 5),
			hidden: s1,
		}
		for _, in := range []any{v, &v} {
			want, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := c.Encode(in)
			if err != nil {
				t.Fatal(err)
			}
			if string(ev.Data) != string(want) {
				t.Fatalf("Encode(%#v)\n got %s\nwant %s", in, ev.Data, want)
			}
		}
	})
}

// feEvent is an event interface like a decider's.
type feEvent interface{ isFEEvent() }

// feItemCodecs returns a codec for feItemAdded with its plan and one
// without (Encode then uses json.Marshal).
func feItemCodecs(t testing.TB) (plan, marshal *JSONCodec[feEvent]) {
	t.Helper()
	plan = MustJSONCodec[feEvent](feItemAdded{})
	marshal = MustJSONCodec[feEvent](feItemAdded{})
	typ := reflect.TypeFor[feItemAdded]()
	if plan.byType[typ].plan == nil {
		t.Fatal("feItemAdded has no plan")
	}
	ct := marshal.byType[typ]
	ct.plan = nil
	marshal.byType[typ] = ct
	return plan, marshal
}

func TestFastEncodeAllocs(t *testing.T) {
	plan, marshal := feItemCodecs(t)
	var e feEvent = feItemAdded{OrderID: "order-12345", SKU: "sku-987", Qty: 3}
	want := `{"orderId":"order-12345","sku":"sku-987","qty":3}`
	for name, c := range map[string]*JSONCodec[feEvent]{"plan": plan, "marshal": marshal} {
		ev, err := c.Encode(e)
		if err != nil || string(ev.Data) != want {
			t.Fatalf("%s: Encode = %s, %v; want %s", name, ev.Data, err, want)
		}
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := plan.Encode(e); err != nil {
			t.Fatal(err)
		}
	})
	marshalAllocs := testing.AllocsPerRun(200, func() {
		if _, err := marshal.Encode(e); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("Encode allocations: plan %v, json.Marshal %v", allocs, marshalAllocs)
	if allocs > 1 {
		t.Errorf("Encode with a plan: %v allocations, want at most 1", allocs)
	}
	ev, _ := plan.Encode(e)
	if len(ev.Data) > cap(ev.Data) || cap(ev.Data)-len(ev.Data) > 64 {
		t.Errorf("data buffer: len %d cap %d", len(ev.Data), cap(ev.Data))
	}
}

func BenchmarkJSONCodecEncode(b *testing.B) {
	plan, marshal := feItemCodecs(b)
	var e feEvent = feItemAdded{OrderID: "order-12345", SKU: "sku-987", Qty: 3}
	for _, bc := range []struct {
		name string
		c    *JSONCodec[feEvent]
	}{{"plan", plan}, {"marshal", marshal}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.Encode(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
