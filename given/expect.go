package given

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
)

// CodeMismatch is the code of a failed expectation (Expect, ExpectTable).
const CodeMismatch es.Code = "EXPECTATION_FAILED"

// Get returns the value at path in v: a dotted path of field names (matched
// as in tables) and map keys. v may be a struct, a pointer to one or a map
// with string keys.
func Get(v any, path string) (any, error) {
	rv, err := getValue(v, path)
	if err != nil {
		return nil, err
	}
	return rv.Interface(), nil
}

func getValue(v any, path string) (reflect.Value, error) {
	if v == nil {
		return reflect.Value{}, es.Errorf(es.CodeInvalidArgument, "given: cannot read %q of nil", path)
	}
	rv, err := get(reflect.ValueOf(v), path)
	if err != nil {
		return reflect.Value{}, es.Errorf(es.CodeInvalidArgument, "given: %s: field %q: %v", typeName(reflect.TypeOf(v)), path, err)
	}
	return rv, nil
}

// Expect checks that the value at path in v equals want, parsed by the
// value's type as a table cell would be (so "3" equals int 3, "1h" a
// one-hour duration, and times compare as instants). A mismatch is an
// EXPECTATION_FAILED error naming the path, the expected and the actual
// value.
func Expect(v any, path, want string) error {
	got, err := getValue(v, path)
	if err != nil {
		return err
	}
	return compare(path, got, want)
}

// ExpectValue checks that got equals want parsed in got's type, as Expect
// does for a field; what names the value in the message.
func ExpectValue(what string, got any, want string) error {
	if got == nil {
		if want == "null" || want == "" {
			return nil
		}
		return es.Errorf(CodeMismatch, "%s: expected %q, got null", what, want)
	}
	return compare(what, reflect.ValueOf(got), want)
}

// compare checks got against want parsed in got's type.
func compare(path string, got reflect.Value, want string) error {
	for got.Kind() == reflect.Interface {
		if got.IsNil() {
			if want == "null" || want == "" {
				return nil
			}
			return es.Errorf(CodeMismatch, "%s: expected %q, got null", path, want)
		}
		got = got.Elem()
	}
	exp := reflect.New(got.Type()).Elem()
	if err := parseInto(exp, want); err != nil {
		return es.Errorf(CodeMismatch, "%s: expected %q, but that is %v; actual value is %s", path, want, err, Render(got.Interface()))
	}
	if !equal(exp, got) {
		return es.Errorf(CodeMismatch, "%s: expected %s, got %s", path, Render(exp.Interface()), Render(got.Interface()))
	}
	return nil
}

// equal compares values of one type; times compare as instants.
func equal(a, b reflect.Value) bool {
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	if a.Kind() == reflect.Pointer && a.Type().Elem() == timeType && !a.IsNil() && !b.IsNil() {
		return a.Elem().Interface().(time.Time).Equal(b.Elem().Interface().(time.Time))
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// ExpectTable checks every row of a vertical "| field | value |" table
// against v and reports every mismatch, one per line, naming the row.
func ExpectTable(v any, rows [][]string) error {
	c := &collector{target: "expected " + typeName(reflect.TypeOf(v))}
	for _, cl := range verticalCells(rows, c) {
		if err := Expect(v, cl.field, cl.value); err != nil {
			c.add(&TableError{Row: cl.row, Column: "value", Field: cl.field, Value: cl.value, Reason: strings.TrimPrefix(trimCode(err), "given: ")})
		}
	}
	if len(c.errs) == 0 {
		return nil
	}
	lines := make([]string, len(c.errs))
	for i, e := range c.errs {
		lines[i] = fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return es.Errorf(CodeMismatch, "%s differs:\n  %s", typeName(reflect.TypeOf(v)), strings.Join(lines, "\n  "))
}

func trimCode(err error) string {
	s := err.Error()
	if c := es.CodeOf(err); c != "" {
		s = strings.TrimPrefix(s, string(c)+": ")
	}
	return s
}

// Render formats v for a message: strings quoted, times in RFC 3339,
// durations as 1h30m0s, byte slices as text, structs, maps and slices as
// JSON.
func Render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case time.Duration:
		return x.String()
	case []byte:
		return strconv.Quote(string(x))
	case json.RawMessage:
		return string(x)
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return strconv.Quote(rv.String())
	case reflect.Pointer:
		if rv.IsNil() {
			return "null"
		}
		return Render(rv.Elem().Interface())
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
		if raw, err := json.Marshal(v); err == nil {
			return string(raw)
		}
	}
	return fmt.Sprint(v)
}
