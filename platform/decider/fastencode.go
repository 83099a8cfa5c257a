package decider

import (
	"bytes"
	"encoding/json"
	"github.com/eventspec/eventspec/internal/jsonfield"
	"reflect"
	"strconv"

	"github.com/eventspec/eventspec/es"
)

// This file holds JSONCodec's encoding fast path: a plan, built once per
// registered Go type, that writes a flat struct of string, bool and integer
// fields as JSON without encoding/json's reflection walk. A type gets a plan
// only when every rule of encoding/json that applies to it is one the plan
// follows exactly (field names from tags or Go names, declaration order,
// omitempty/omitzero on scalars, "-" and "-,", HTML-safe string escaping);
// anything else — other field kinds, embedded structs, the ",string"
// option, marshaler methods, duplicate or unusual names — leaves the type
// without a plan and Encode calls json.Marshal for it, so the bytes never
// differ from json.Marshal's.

// encKind is how a plan field's value is written.
type encKind uint8

const (
	encString encKind = iota
	encBool
	encInt
	encUint
)

// encField is one struct field a plan writes.
type encField struct {
	key   string  // `"name":`, escaped as encoding/json escapes the name
	index int     // reflect field index
	kind  encKind // how the value is written
	omit  bool    // omitempty or omitzero: skip the zero value
}

// encPlan writes values of one registered Go type (a struct or a pointer to
// a struct) as json.Marshal would; nil means the type has no plan.
type encPlan struct {
	ptr    bool       // the registered type is a pointer to the struct
	fields []encField // in encoding/json's order
	// size is the output size when every field is written, its strings
	// are empty and its integers take their widest form; adding the
	// string fields' lengths gives a bound for strings needing no escapes.
	size int
	// strs indexes the string fields in fields, for sizing.
	strs []int
}

// encMaxFields bounds a plan's fields; larger structs are unusual for
// events and go through json.Marshal.
const encMaxFields = 64

// marshalMethods are the method names through which a type controls its
// own JSON or text form in encoding/json (v1, and v2 that backs it under
// GOEXPERIMENT=jsonv2). A type having any of them, on value or pointer
// receiver, gets no plan.
var marshalMethods = []string{"MarshalJSON", "MarshalJSONTo", "MarshalText", "AppendText"}

// customMarshal reports whether t or *t has one of marshalMethods.
func customMarshal(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	for _, m := range marshalMethods {
		if _, ok := t.MethodByName(m); ok {
			return true
		}
		if _, ok := p.MethodByName(m); ok {
			return true
		}
	}
	return false
}

// hasIsZero reports whether t or *t has an IsZero method, which omitzero
// would consult instead of the plain zero test.
func hasIsZero(t reflect.Type) bool {
	if _, ok := t.MethodByName("IsZero"); ok {
		return true
	}
	_, ok := reflect.PointerTo(t).MethodByName("IsZero")
	return ok
}

// newEncPlan returns the plan for t, or nil when t is not a struct or a
// pointer to a struct made only of the fields the plan handles (see the
// file comment). A plan is kept only if it writes the same bytes as
// json.Marshal for a few probe values; that check is a guard against a
// rule of encoding/json the construction missed, not the reason the plan
// is right.
func newEncPlan(t reflect.Type) *encPlan {
	if t == nil {
		return nil
	}
	plan := &encPlan{}
	st := t
	if t.Kind() == reflect.Pointer {
		plan.ptr = true
		st = t.Elem()
		if customMarshal(t) {
			return nil
		}
	}
	if st.Kind() != reflect.Struct || customMarshal(st) {
		return nil
	}
	plan.size = 2 // braces
	fields, ok := jsonfield.Plain(st)
	if !ok || len(fields) > encMaxFields {
		return nil
	}
	for _, jf := range fields {
		ft := st.Field(jf.Index).Type
		if jf.OmitZero && hasIsZero(ft) {
			return nil // omitzero would call IsZero
		}
		kind, width, ok := encKindOf(ft)
		if !ok {
			return nil
		}
		f := encField{key: keyOf(jf.Name), index: jf.Index, kind: kind, omit: jf.OmitEmpty || jf.OmitZero}
		if kind == encString {
			plan.strs = append(plan.strs, len(plan.fields))
		}
		plan.fields = append(plan.fields, f)
		plan.size += 1 + len(f.key) + width // comma, key, widest value
	}
	if !plan.matchesMarshal(t) {
		return nil
	}
	return plan
}

// keyOf returns name as an object key with its colon, escaped as
// encoding/json escapes field names (HTML-safe).
func keyOf(name string) string {
	return string(append(es.AppendJSONString(nil, name), ':'))
}

// encKindOf returns how a field of type t is written and the widest form
// of its value (quotes included), or false when the plan does not handle t.
func encKindOf(t reflect.Type) (encKind, int, bool) {
	if customMarshal(t) {
		return 0, 0, false
	}
	switch t.Kind() {
	case reflect.String:
		return encString, 2, true
	case reflect.Bool:
		return encBool, len("false"), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		min := int64(-1) << (t.Bits() - 1)
		return encInt, len(strconv.FormatInt(min, 10)), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		max := uint64(1)<<(t.Bits()-1)<<1 - 1
		return encUint, len(strconv.FormatUint(max, 10)), true
	}
	return 0, 0, false // uintptr, floats, composites, pointers, interfaces
}

// matchesMarshal reports whether p writes json.Marshal's bytes for the
// probe values of t: the zero value, every field set to a non-zero value
// (strings needing escapes among them), and a nil pointer.
func (p *encPlan) matchesMarshal(t reflect.Type) bool {
	st := t
	if p.ptr {
		st = t.Elem()
	}
	zero := reflect.New(st).Elem()
	full := reflect.New(st).Elem()
	for _, f := range p.fields {
		fv := full.Field(f.index)
		switch f.kind {
		case encString:
			fv.SetString("<a&\"\u2028\xff>")
		case encBool:
			fv.SetBool(true)
		case encInt:
			fv.SetInt(-1)
		case encUint:
			fv.SetUint(1)
		}
	}
	probes := []reflect.Value{zero, full}
	if p.ptr {
		probes = []reflect.Value{reflect.Zero(t), zero.Addr(), full.Addr()}
	}
	for _, v := range probes {
		want, err := json.Marshal(v.Interface())
		if err != nil || !bytes.Equal(p.encode(v), want) {
			return false
		}
	}
	return true
}

// encode returns v's JSON; v is a value of the plan's type.
func (p *encPlan) encode(v reflect.Value) []byte {
	if p.ptr {
		if v.IsNil() {
			return []byte("null")
		}
		v = v.Elem()
	}
	n := p.size
	for _, i := range p.strs {
		n += v.Field(p.fields[i].index).Len()
	}
	buf := make([]byte, 0, n)
	buf = append(buf, '{')
	first := true
	for i := range p.fields {
		f := &p.fields[i]
		fv := v.Field(f.index)
		switch f.kind {
		case encString:
			s := fv.String()
			if f.omit && s == "" {
				continue
			}
			buf = appendKey(buf, f.key, first)
			buf = es.AppendJSONString(buf, s)
		case encBool:
			b := fv.Bool()
			if f.omit && !b {
				continue
			}
			buf = appendKey(buf, f.key, first)
			buf = strconv.AppendBool(buf, b)
		case encInt:
			x := fv.Int()
			if f.omit && x == 0 {
				continue
			}
			buf = appendKey(buf, f.key, first)
			buf = strconv.AppendInt(buf, x, 10)
		case encUint:
			x := fv.Uint()
			if f.omit && x == 0 {
				continue
			}
			buf = appendKey(buf, f.key, first)
			buf = strconv.AppendUint(buf, x, 10)
		}
		first = false
	}
	return append(buf, '}')
}

// appendKey appends key, after a comma unless it is the first one written.
func appendKey(buf []byte, key string, first bool) []byte {
	if !first {
		buf = append(buf, ',')
	}
	return append(buf, key...)
}
