// Package report compares values and renders what differs, for scenario
// failure messages: a deterministic go-cmp field-path diff, one-line value
// renderings and aligned tables.
package report

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Options returns the comparison options scenarios use: every field
// (unexported ones too) is compared, function values are ignored, NaNs
// equal NaNs, then the user's options apply.
func Options(user ...cmp.Option) cmp.Options {
	return cmp.Options{
		cmp.Exporter(func(reflect.Type) bool { return true }),
		cmpopts.EquateNaNs(),
		cmp.FilterPath(func(p cmp.Path) bool {
			return p.Last().Type() != nil && p.Last().Type().Kind() == reflect.Func
		}, cmp.Ignore()),
		cmp.Options(user),
	}
}

// Equal reports whether x and y are equal under opts. A panic inside
// go-cmp (for example from a user option) is returned as an error.
func Equal(x, y any, opts cmp.Options) (eq bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			eq, err = false, fmt.Errorf("cannot compare %T values: %v", x, p)
		}
	}()
	if reflect.DeepEqual(x, y) {
		// Fast path: values that are deeply equal are equal under go-cmp
		// too (options only ever relax equality in practice).
		return true, nil
	}
	return cmp.Equal(x, y, opts), nil
}

// Paths lists where x and y differ, one line per differing leaf:
// "<path>: <x> → <y>", where a missing side (an element only one slice
// has) reads "(none)". The listing is deterministic.
func Paths(x, y any, opts cmp.Options) []string {
	return paths(x, y, opts, false)
}

// EventPaths is Paths for two lists of events: the list index is rendered
// one-based as "#1", "#2 (actual only)", "#3 (expected only)".
func EventPaths(x, y any, opts cmp.Options) []string {
	return paths(x, y, opts, true)
}

func paths(x, y any, opts cmp.Options, events bool) (paths []string) {
	defer func() {
		if p := recover(); p != nil {
			paths = []string{fmt.Sprintf("cannot compare %T values: %v", x, p)}
		}
	}()
	r := &pathReporter{events: events}
	cmp.Equal(x, y, opts, cmp.Reporter(r))
	return r.diffs
}

type pathReporter struct {
	path   cmp.Path
	diffs  []string
	events bool
}

func (r *pathReporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }

func (r *pathReporter) PopStep() { r.path = r.path[:len(r.path)-1] }

func (r *pathReporter) Report(res cmp.Result) {
	if res.Equal() {
		return
	}
	vx, vy := r.path.Last().Values()
	p := pathString(r.path, r.events)
	if p == "" {
		p = "(value)"
	}
	r.diffs = append(r.diffs, fmt.Sprintf("%s: %s → %s", p, reflectValue(vx), reflectValue(vy)))
}

// pathString renders a path like "[1].(Confirmed).By" or "Items[\"a\"]".
func pathString(p cmp.Path, events bool) string {
	var label string
	var b strings.Builder
	for i, step := range p[1:] { // p[0] is the root
		switch s := step.(type) {
		case cmp.StructField:
			b.WriteString("." + s.Name())
		case cmp.SliceIndex:
			kx, ky := s.SplitKeys()
			if i == 0 && events {
				label = eventLabel(kx, ky)
				continue
			}
			switch {
			case kx == ky:
				fmt.Fprintf(&b, "[%d]", kx)
			case kx < 0:
				fmt.Fprintf(&b, "[+%d]", ky) // only in y
			case ky < 0:
				fmt.Fprintf(&b, "[-%d]", kx) // only in x
			default:
				fmt.Fprintf(&b, "[%d→%d]", kx, ky)
			}
		case cmp.MapIndex:
			fmt.Fprintf(&b, "[%#v]", s.Key())
		case cmp.TypeAssertion:
			b.WriteString(".(" + typeName(s.Type()) + ")")
		case cmp.Indirect, cmp.Transform:
			// transparent
		}
	}
	rest := strings.TrimPrefix(b.String(), ".")
	switch {
	case label == "":
		return rest
	case rest == "":
		return label
	}
	return label + " " + rest
}

// eventLabel names an element of an event list, one-based.
func eventLabel(kx, ky int) string {
	switch {
	case kx == ky:
		return fmt.Sprintf("#%d", kx+1)
	case kx < 0:
		return fmt.Sprintf("#%d (actual only)", ky+1)
	case ky < 0:
		return fmt.Sprintf("#%d (expected only)", kx+1)
	}
	return fmt.Sprintf("#%d→#%d", kx+1, ky+1)
}

func reflectValue(v reflect.Value) string {
	if !v.IsValid() {
		return "(none)"
	}
	if !v.CanInterface() {
		return fmt.Sprint(v)
	}
	return Value(v.Interface())
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() != "" {
		return t.Name()
	}
	return t.String()
}

// Value renders v on one line: a named struct type's name followed by its
// JSON ("Placed {"id":"o1"}"), a scalar as Go syntax, "(nil)" for nil.
func Value(v any) string {
	if v == nil {
		return "(nil)"
	}
	rv := reflect.ValueOf(v)
	t := rv.Type()
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	switch base.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Pointer && rv.IsNil() {
			return "(nil " + typeName(t) + ")"
		}
		raw, err := json.Marshal(v)
		if err != nil {
			raw = []byte(fmt.Sprintf("%+v", v))
		}
		if base.Name() != "" && base.Kind() == reflect.Struct {
			return base.Name() + " " + string(raw)
		}
		return string(raw)
	case reflect.String:
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%v", v)
}

// Table renders rows under header with columns separated by " | ", each
// row prefixed by a marker column: "✗" where mark is true, blank otherwise.
// Cells are truncated to maxCell runes.
func Table(header []string, rows [][]string, mark []bool) string {
	const maxCell = 100
	cells := append([][]string{header}, rows...)
	widths := make([]int, len(header))
	for _, row := range cells {
		for i := range row {
			if len(row[i]) > maxCell*4 || utf8.RuneCountInString(row[i]) > maxCell {
				row[i] = string([]rune(row[i])[:maxCell-1]) + "…"
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(row[i]))
		}
	}
	var b strings.Builder
	for r, row := range cells {
		marker := " "
		if r > 0 && r-1 < len(mark) && mark[r-1] {
			marker = "✗"
		}
		b.WriteString("  " + marker + " ")
		for i, c := range row {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Guard runs fn and turns a panic into an error naming what panicked.
func Guard(what string, fn func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", what, p)
		}
	}()
	fn()
	return nil
}
