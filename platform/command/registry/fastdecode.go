package registry

import (
	"encoding"
	"encoding/json"
	"github.com/eventspec/eventspec/internal/jsonfield"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/eventspec/eventspec/es"
)

// This file holds SchemaDecoder's fast path: a decoder for flat JSON objects
// into flat structs of scalar fields. It only accepts inputs whose result is
// certainly the one encoding/json gives (strictly valid JSON, every key an
// exact match of a distinct field, every value of the field's own kind and in
// range, no escapes, no nulls); for anything else it reports false and
// SchemaDecoder falls back to json.Unmarshal, which then decides the value or
// the error exactly as before.

// onFallback, when set (by tests only, before decoding), is called each
// time a SchemaDecoder leaves a payload to json.Unmarshal.
var onFallback func()

// fastKind is how a fast-path field's JSON value is read.
type fastKind uint8

const (
	fastString fastKind = iota
	fastBool
	fastInt
	fastUint
	fastFloat
)

// fastField is one struct field the fast path can set.
type fastField struct {
	name  string // JSON key (exact, ASCII)
	index int    // reflect field index
	kind  fastKind
	bits  int    // float size for strconv.ParseFloat
	min   int64  // fastInt range
	max   int64  // fastInt range
	umax  uint64 // fastUint range
}

// fastPlan decodes JSON objects into one struct type without encoding/json;
// nil means the type has no fast path.
type fastPlan struct {
	fields []fastField
}

// fastMaxFields bounds a plan's fields (the duplicate-key check is a bit set).
const fastMaxFields = 64

var (
	jsonNumberType      = reflect.TypeFor[json.Number]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// implementsUnmarshaler reports whether t or *t decodes itself.
func implementsUnmarshaler(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshalerType) || t.Implements(textUnmarshalerType) ||
		p.Implements(jsonUnmarshalerType) || p.Implements(textUnmarshalerType)
}

// newFastPlan returns the fast-path plan for t, or nil when t is not a
// struct made only of exported scalar fields with plain names (see the
// file comment): anything unusual goes to encoding/json.
func newFastPlan(t reflect.Type) *fastPlan {
	if t == nil || t.Kind() != reflect.Struct || implementsUnmarshaler(t) {
		return nil
	}
	fields, ok := jsonfield.Plain(t)
	if !ok || len(fields) > fastMaxFields {
		return nil
	}
	plan := &fastPlan{}
	for _, jf := range fields {
		f, ok := newFastField(t.Field(jf.Index).Type)
		if !ok {
			return nil
		}
		f.name, f.index = jf.Name, jf.Index
		plan.fields = append(plan.fields, f)
	}
	return plan
}

// newFastField returns how a field of type t is read, or false when the
// fast path does not handle t (json.Number, a string kind, takes numbers in
// encoding/json).
func newFastField(t reflect.Type) (fastField, bool) {
	if t == jsonNumberType || implementsUnmarshaler(t) {
		return fastField{}, false
	}
	switch t.Kind() {
	case reflect.String:
		return fastField{kind: fastString}, true
	case reflect.Bool:
		return fastField{kind: fastBool}, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		return fastField{kind: fastInt, min: -1 << (bits - 1), max: 1<<(bits-1) - 1}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		bits := t.Bits()
		return fastField{kind: fastUint, umax: 1<<bits - 1}, true
	case reflect.Float32, reflect.Float64:
		return fastField{kind: fastFloat, bits: t.Bits()}, true
	}
	return fastField{}, false
}

// lookup returns the index in p.fields of the field named key, or -1.
func (p *fastPlan) lookup(key []byte) int {
	for i := range p.fields {
		if p.fields[i].name == string(key) {
			return i
		}
	}
	return -1
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// decode sets v (an addressable value of the plan's struct type, zero on
// entry) from data and reports true, or reports false when data is not a
// case it handles — v may then be partly written and must be reset.
func (p *fastPlan) decode(data []byte, v reflect.Value) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	var seen uint64
	for {
		// Key: a plain ASCII string naming a field not seen yet.
		if i >= len(data) || data[i] != '"' {
			return false
		}
		start := i + 1
		j := start
		for ; j < len(data) && data[j] != '"'; j++ {
			if c := data[j]; c < 0x20 || c == '\\' || c >= utf8.RuneSelf {
				return false
			}
		}
		if j >= len(data) {
			return false
		}
		fi := p.lookup(data[start:j])
		if fi < 0 || seen&(1<<uint(fi)) != 0 {
			return false
		}
		seen |= 1 << uint(fi)
		i = skipSpace(data, j+1)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		f := &p.fields[fi]
		var ok bool
		switch f.kind {
		case fastString:
			i, ok = decodeString(data, i, v.Field(f.index))
		case fastBool:
			i, ok = decodeBool(data, i, v.Field(f.index))
		case fastInt:
			i, ok = decodeInt(data, i, f, v.Field(f.index))
		case fastUint:
			i, ok = decodeUint(data, i, f, v.Field(f.index))
		case fastFloat:
			i, ok = decodeFloat(data, i, f, v.Field(f.index))
		}
		if !ok {
			return false
		}
		// A value ends at whitespace, ',' or '}'; "truex", "01" or "1.5"
		// in an int field all stop here.
		i = skipSpace(data, i)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// decodeString reads a string without escapes or control characters and
// holding valid UTF-8 (what encoding/json copies unchanged) into fv.
func decodeString(data []byte, i int, fv reflect.Value) (int, bool) {
	if i >= len(data) || data[i] != '"' {
		return i, false
	}
	start := i + 1
	j := start
	ascii := true
	for ; j < len(data) && data[j] != '"'; j++ {
		c := data[j]
		if c < 0x20 || c == '\\' {
			return j, false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if j >= len(data) {
		return j, false
	}
	s := data[start:j]
	if !ascii && !utf8.Valid(s) {
		return j, false // encoding/json replaces invalid bytes
	}
	fv.SetString(string(s))
	return j + 1, true
}

// decodeBool reads the literal true or false into fv.
func decodeBool(data []byte, i int, fv reflect.Value) (int, bool) {
	rest := data[i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		fv.SetBool(true)
		return i + 4, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		fv.SetBool(false)
		return i + 5, true
	}
	return i, false
}

// maxFastDigits is the most digits the integer readers take: below 10^19,
// so the magnitude fits a uint64; longer numbers go to encoding/json.
const maxFastDigits = 19

// readDigits reads a JSON integer's digits (0 or [1-9][0-9]*, at most
// maxFastDigits) from i and returns their value and the end index.
func readDigits(data []byte, i int) (uint64, int, bool) {
	if i >= len(data) || data[i] < '0' || data[i] > '9' {
		return 0, i, false
	}
	if data[i] == '0' {
		return 0, i + 1, true // a digit after it fails the caller's end check
	}
	var n uint64
	start := i
	for ; i < len(data) && '0' <= data[i] && data[i] <= '9'; i++ {
		if i-start == maxFastDigits {
			return 0, i, false
		}
		n = n*10 + uint64(data[i]-'0')
	}
	return n, i, true
}

// decodeInt reads a plain integer (no fraction or exponent) within f's
// range into fv.
func decodeInt(data []byte, i int, f *fastField, fv reflect.Value) (int, bool) {
	neg := false
	if i < len(data) && data[i] == '-' {
		neg = true
		i++
	}
	mag, i, ok := readDigits(data, i)
	if !ok {
		return i, false
	}
	var n int64
	if neg {
		if mag > uint64(-(f.min+1))+1 {
			return i, false
		}
		n = -int64(mag)
	} else {
		if mag > uint64(f.max) {
			return i, false
		}
		n = int64(mag)
	}
	fv.SetInt(n)
	return i, true
}

// decodeUint reads a plain non-negative integer within f's range into fv.
func decodeUint(data []byte, i int, f *fastField, fv reflect.Value) (int, bool) {
	mag, i, ok := readDigits(data, i)
	if !ok || mag > f.umax {
		return i, false
	}
	fv.SetUint(mag)
	return i, true
}

// decodeFloat reads a JSON number (strict grammar) into fv with
// strconv.ParseFloat at the field's size, as encoding/json does; a number
// out of range goes to encoding/json.
func decodeFloat(data []byte, i int, f *fastField, fv reflect.Value) (int, bool) {
	start := i
	i, ok := es.ScanJSONNumber(data, i)
	if !ok {
		return i, false
	}
	x, err := strconv.ParseFloat(string(data[start:i]), f.bits)
	if err != nil {
		return i, false
	}
	fv.SetFloat(x)
	return i, true
}
