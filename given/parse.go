package given

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// valueError is a parse failure of one cell: the type expected and why.
type valueError struct {
	expected string
	reason   string
}

func (e *valueError) Error() string {
	if e.reason == "" {
		return "not a valid " + e.expected
	}
	return "not a valid " + e.expected + " (" + e.reason + ")"
}

// Describe names the form a table cell must take to decode into t, as
// table errors print it: "int", "bool (true/false, yes/no, 1/0)",
// "time (RFC 3339)", "[]string (JSON array or comma-separated)", ….
func Describe(t reflect.Type) string {
	switch {
	case t == timeType:
		return "time (RFC 3339, e.g. 2026-01-02T15:04:05Z)"
	case t == durationType:
		return "duration (e.g. 90s, 1h30m)"
	case t == rawMessageType:
		return "JSON"
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return typeName(t) + " (text)"
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return typeName(t) + " (JSON)"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return Describe(t.Elem()) + " or null"
	case reflect.Bool:
		return "bool (true/false, yes/no, 1/0)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		if t.Name() != t.Kind().String() {
			return typeName(t) + " (" + t.Kind().String() + ")"
		}
		return t.Kind().String()
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "bytes (text)"
		}
		return typeName(t) + " (JSON array or comma-separated)"
	case reflect.Array:
		return typeName(t) + " (JSON array or comma-separated)"
	case reflect.Interface:
		return "JSON"
	}
	return typeName(t) + " (JSON)"
}

// parseInto parses s into v (settable) by v's type. The errors it returns
// are *valueError.
func parseInto(v reflect.Value, s string) error {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if s == "null" {
			v.Set(reflect.Zero(t))
			return nil
		}
		p := reflect.New(t.Elem())
		if err := parseInto(p.Elem(), s); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	bad := func(reason string) error { return &valueError{expected: Describe(t), reason: reason} }
	switch t {
	case timeType:
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return bad("")
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	case durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return bad("")
		}
		v.SetInt(int64(d))
		return nil
	case rawMessageType:
		if !json.Valid([]byte(s)) {
			return bad("invalid JSON")
		}
		v.SetBytes(bytes.Clone([]byte(s)))
		return nil
	}
	if pt := reflect.PointerTo(t); pt.Implements(textUnmarshalerType) {
		p := reflect.New(t)
		if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return bad(err.Error())
		}
		v.Set(p.Elem())
		return nil
	} else if pt.Implements(jsonUnmarshalerType) {
		return parseJSON(v, s, bad)
	}
	switch t.Kind() {
	case reflect.String:
		if s == `""` {
			s = ""
		}
		v.SetString(s)
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "true", "yes", "1":
			v.SetBool(true)
		case "false", "no", "0":
			v.SetBool(false)
		default:
			return bad("")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return bad(numReason(err, t))
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(s, 10, t.Bits())
		if err != nil {
			return bad(numReason(err, t))
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return bad(numReason(err, t))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xX_") {
			return bad("only finite decimal numbers")
		}
		v.SetFloat(f)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			v.SetBytes(bytes.Clone([]byte(s)))
			return nil
		}
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			return parseJSON(v, s, bad)
		}
		parts := splitList(s)
		out := reflect.MakeSlice(t, len(parts), len(parts))
		for i, p := range parts {
			if err := parseInto(out.Index(i), p); err != nil {
				return bad(fmt.Sprintf("element %d %q: %v", i+1, p, err))
			}
		}
		v.Set(out)
	case reflect.Array:
		if strings.HasPrefix(strings.TrimSpace(s), "[") {
			return parseJSON(v, s, bad)
		}
		parts := splitList(s)
		if len(parts) != t.Len() {
			return bad(fmt.Sprintf("%d elements, want %d", len(parts), t.Len()))
		}
		out := reflect.New(t).Elem()
		for i, p := range parts {
			if err := parseInto(out.Index(i), p); err != nil {
				return bad(fmt.Sprintf("element %d %q: %v", i+1, p, err))
			}
		}
		v.Set(out)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return bad("cannot decode into the non-empty interface " + typeName(t))
		}
		return parseJSON(v, s, bad)
	case reflect.Map, reflect.Struct:
		return parseJSON(v, s, bad)
	default:
		return bad("unsupported field type")
	}
	return nil
}

// splitList splits a comma-separated cell into trimmed elements; an empty
// cell is an empty list.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func numReason(err error, t reflect.Type) string {
	if errors.Is(err, strconv.ErrRange) {
		return "out of range for " + t.Kind().String()
	}
	return ""
}

// parseJSON decodes s strictly into v: unknown struct fields and trailing
// data are errors.
func parseJSON(v reflect.Value, s string, bad func(string) error) error {
	if err := decodeJSONStrict([]byte(s), v.Addr().Interface()); err != nil {
		return bad(err.Error())
	}
	return nil
}

// decodeJSONStrict unmarshals data into ptr rejecting unknown fields and
// anything after the first JSON value.
func decodeJSONStrict(data []byte, ptr any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}
