package given

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/eventspec/eventspec/es"
)

// Error codes of this package.
const (
	// CodeInvalidTable: a table does not decode (bad shape, unknown column,
	// missing required field, bad value).
	CodeInvalidTable es.Code = "INVALID_TABLE"
	// CodeDuplicateName: a registry name is already taken.
	CodeDuplicateName es.Code = "DUPLICATE_TYPE_NAME"
	// CodeDuplicateType: a Go type is already registered under another name.
	CodeDuplicateType es.Code = "DUPLICATE_TYPE"
	// CodeUnknownType: no type is registered under a name, or a value's type
	// is not registered.
	CodeUnknownType es.Code = "UNKNOWN_TYPE"
)

// Sentinels for errors.Is; each matches every error with its code.
var (
	ErrInvalidTable  = &es.Error{ErrCode: CodeInvalidTable, Message: "invalid table"}
	ErrDuplicateName = &es.Error{ErrCode: CodeDuplicateName, Message: "name already registered"}
	ErrDuplicateType = &es.Error{ErrCode: CodeDuplicateType, Message: "type already registered"}
	ErrUnknownType   = &es.Error{ErrCode: CodeUnknownType, Message: "unknown type"}
)

// TableError is a problem with one place of a table. Its code is
// INVALID_TABLE.
type TableError struct {
	// Target names what the table was decoded into (a registered name or a
	// Go type).
	Target string
	// Row is the 1-based line of the table as written (a header row is row
	// 1); 0 when the problem concerns the whole table.
	Row int
	// Column is the header of the column in a horizontal table, or "value"
	// / "field" in a vertical table; empty for whole-row problems.
	Column string
	// Field is the field name as the table wrote it, when known.
	Field string
	// Value is the offending cell, when there is one.
	Value string
	// Expected is the form the cell must take, e.g. "int" or "time (RFC
	// 3339, …)"; empty when the problem is not a bad value.
	Expected string
	// Reason says what is wrong.
	Reason string
}

// Error renders "INVALID_TABLE: <target>: row R, column "C" (field "F"): <reason>".
func (e *TableError) Error() string {
	var b strings.Builder
	b.WriteString(string(CodeInvalidTable))
	b.WriteString(": ")
	if e.Target != "" {
		b.WriteString(e.Target)
		b.WriteString(": ")
	}
	if e.Row > 0 {
		b.WriteString("row ")
		b.WriteString(strconv.Itoa(e.Row))
	} else {
		b.WriteString("table")
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	if e.Column != "" && e.Field != "" && e.Field != e.Column {
		fmt.Fprintf(&b, " (field %q)", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Code returns INVALID_TABLE.
func (e *TableError) Code() es.Code { return CodeInvalidTable }

// Is matches every error with code INVALID_TABLE.
func (e *TableError) Is(target error) bool {
	c, ok := target.(es.Coder)
	return ok && c.Code() == CodeInvalidTable
}

// TableErrors is several problems found in one table, in table order.
// errors.As finds the first *TableError.
type TableErrors []*TableError

// maxTableErrors caps how many problems one decode reports.
const maxTableErrors = 20

// Error lists every problem, one per line.
func (errs TableErrors) Error() string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Code returns INVALID_TABLE.
func (errs TableErrors) Code() es.Code { return CodeInvalidTable }

// Is matches every error with code INVALID_TABLE.
func (errs TableErrors) Is(target error) bool {
	c, ok := target.(es.Coder)
	return ok && c.Code() == CodeInvalidTable
}

// Unwrap returns the individual problems.
func (errs TableErrors) Unwrap() []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

// collector gathers table problems.
type collector struct {
	target string
	errs   TableErrors
}

func (c *collector) add(e *TableError) {
	if len(c.errs) < maxTableErrors {
		if e.Target == "" {
			e.Target = c.target
		}
		c.errs = append(c.errs, e)
	}
}

func (c *collector) err() error {
	switch len(c.errs) {
	case 0:
		return nil
	case 1:
		return c.errs[0]
	}
	return c.errs
}

// cell is one field assignment read from a table.
type cell struct {
	row    int
	column string
	field  string
	value  string
}

// assign applies cells to root (an addressable struct value) and checks
// required fields. row is the row reported for missing fields.
func assign(root reflect.Value, cells []cell, row int, c *collector, preset ...string) {
	info := infoOf(root.Type())
	set := make([]bool, len(info.fields))
	for _, name := range preset {
		if i, ok := info.exact[name]; ok {
			set[i] = true
		}
	}
	seen := map[string]cell{}
	for _, cl := range cells {
		if cl.value == "" {
			continue // an empty cell leaves the field unset
		}
		key := normalise(cl.field)
		if prev, dup := seen[key]; dup {
			c.add(&TableError{Row: cl.row, Column: cl.column, Field: cl.field, Value: cl.value,
				Reason: fmt.Sprintf("field %q is set twice (first at row %d)", cl.field, prev.row)})
			continue
		}
		seen[key] = cl
		tg, err := resolve(root, cl.field)
		if err != nil {
			c.add(&TableError{Row: cl.row, Column: cl.column, Field: cl.field, Value: cl.value, Reason: err.Error()})
			continue
		}
		if err := tg.set(cl.value); err != nil {
			var ve *valueError
			reason := err.Error()
			exp := ""
			if errors.As(err, &ve) {
				exp = ve.expected
				reason = fmt.Sprintf("value %q is %s", cl.value, ve.Error())
			}
			c.add(&TableError{Row: cl.row, Column: cl.column, Field: cl.field, Value: cl.value, Expected: exp, Reason: reason})
			continue
		}
		if tg.top >= 0 {
			set[tg.top] = true
		}
	}
	for i, f := range info.fields {
		if f.required && !set[i] {
			c.add(&TableError{Row: row, Field: f.name, Expected: Describe(f.typ),
				Reason: fmt.Sprintf("required field %q (%s) is missing", f.name, Describe(f.typ))})
		}
	}
}

// structType returns the struct type a destination of type t decodes
// into (t itself or the element of a pointer), or an error.
func structType(t reflect.Type) (reflect.Type, error) {
	base := t
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if base.Kind() != reflect.Struct || isLeaf(base) {
		return nil, es.Errorf(es.CodeInvalidArgument, "given: %s is not a struct type; tables decode into structs", typeName(t))
	}
	return base, nil
}

// isVerticalHeader reports a "| field | value |" header row.
func isVerticalHeader(row []string) bool {
	return len(row) == 2 && strings.EqualFold(strings.TrimSpace(row[0]), "field") && strings.EqualFold(strings.TrimSpace(row[1]), "value")
}

// verticalCells reads a vertical table into cells, checking its shape.
func verticalCells(rows [][]string, c *collector) []cell {
	start := 0
	if len(rows) > 0 && isVerticalHeader(rows[0]) {
		start = 1
	}
	var cells []cell
	for i := start; i < len(rows); i++ {
		r := rows[i]
		if len(r) != 2 {
			c.add(&TableError{Row: i + 1, Reason: fmt.Sprintf("a vertical table has 2 columns (field | value); this row has %d", len(r))})
			continue
		}
		name := strings.TrimSpace(r[0])
		if name == "" {
			c.add(&TableError{Row: i + 1, Column: "field", Value: r[1], Reason: "the field name is empty"})
			continue
		}
		cells = append(cells, cell{row: i + 1, column: "value", field: name, value: r[1]})
	}
	return cells
}

// DecodeTable decodes a vertical table ("| field | value |" rows, with or
// without that header) into dst, a non-nil pointer to a struct.
func DecodeTable(rows [][]string, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return es.Errorf(es.CodeInvalidArgument, "given: DecodeTable needs a non-nil pointer to a struct, got %T", dst)
	}
	if _, err := structType(v.Elem().Type()); err != nil || v.Elem().Kind() != reflect.Struct {
		return es.Errorf(es.CodeInvalidArgument, "given: DecodeTable needs a pointer to a struct, got %T", dst)
	}
	return decodeVertical(rows, v.Elem(), typeName(v.Elem().Type()))
}

func decodeVertical(rows [][]string, root reflect.Value, target string) error {
	c := &collector{target: target}
	cells := verticalCells(rows, c)
	if len(c.errs) == 0 {
		assign(root, cells, 0, c) // a missing field has no row in a vertical table
	}
	return c.err()
}

// header reads the header row of a horizontal table.
func header(rows [][]string, c *collector) []string {
	if len(rows) == 0 {
		c.add(&TableError{Reason: "the table is empty; a horizontal table needs a header row"})
		return nil
	}
	h := make([]string, len(rows[0]))
	seen := map[string]int{}
	for j, name := range rows[0] {
		name = strings.TrimSpace(name)
		h[j] = name
		if name == "" {
			c.add(&TableError{Row: 1, Reason: fmt.Sprintf("header column %d is empty", j+1)})
			continue
		}
		if k, dup := seen[normalise(name)]; dup {
			c.add(&TableError{Row: 1, Column: name, Reason: fmt.Sprintf("column %q repeats column %d (%q)", name, k+1, h[k])})
			continue
		}
		seen[normalise(name)] = j
	}
	for i := 1; i < len(rows); i++ {
		if len(rows[i]) != len(h) {
			c.add(&TableError{Row: i + 1, Reason: fmt.Sprintf("row has %d cells; the header has %d", len(rows[i]), len(h))})
		}
	}
	return h
}

// DecodeRows decodes a horizontal table — a header row of field names,
// then one row per value — into dst, a pointer to a slice of structs (or
// of pointers to structs). Unknown columns are reported once, on the
// header row.
func DecodeRows(rows [][]string, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Slice {
		return es.Errorf(es.CodeInvalidArgument, "given: DecodeRows needs a non-nil pointer to a slice, got %T", dst)
	}
	elem := v.Elem().Type().Elem()
	base, err := structType(elem)
	if err != nil {
		return err
	}
	out, err := decodeHorizontal(rows, base, typeName(base))
	if err != nil {
		return err
	}
	s := reflect.MakeSlice(v.Elem().Type(), len(out), len(out))
	for i, o := range out {
		if elem.Kind() == reflect.Pointer {
			s.Index(i).Set(o)
		} else {
			s.Index(i).Set(o.Elem())
		}
	}
	v.Elem().Set(s)
	return nil
}

// decodeHorizontal returns one *base per data row.
func decodeHorizontal(rows [][]string, base reflect.Type, target string) ([]reflect.Value, error) {
	c := &collector{target: target}
	h := header(rows, c)
	if len(c.errs) > 0 {
		return nil, c.err()
	}
	info := infoOf(base)
	for j, name := range h {
		root := strings.TrimSpace(strings.SplitN(name, ".", 2)[0])
		if _, err := info.lookup(root); err != nil {
			c.add(&TableError{Row: 1, Column: name, Reason: err.Error()})
			h[j] = ""
		}
	}
	if len(c.errs) > 0 {
		return nil, c.err()
	}
	out := make([]reflect.Value, 0, len(rows)-1)
	for i := 1; i < len(rows); i++ {
		p := reflect.New(base)
		cells := make([]cell, 0, len(h))
		for j, name := range h {
			cells = append(cells, cell{row: i + 1, column: name, field: name, value: rows[i][j]})
		}
		assign(p.Elem(), cells, i+1, c)
		out = append(out, p)
	}
	return out, c.err()
}

// Decode decodes a vertical table into a new T (a struct or a pointer to
// one).
func Decode[T any](rows [][]string) (T, error) {
	var zero T
	t := reflect.TypeFor[T]()
	base, err := structType(t)
	if err != nil {
		return zero, err
	}
	p := reflect.New(base)
	if err := decodeVertical(rows, p.Elem(), typeName(base)); err != nil {
		return zero, err
	}
	if t.Kind() == reflect.Pointer {
		return p.Interface().(T), nil
	}
	return p.Elem().Interface().(T), nil
}

// DecodeAll decodes a horizontal table into one T per data row.
func DecodeAll[T any](rows [][]string) ([]T, error) {
	var out []T
	if err := DecodeRows(rows, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DecodeFields decodes field → value pairs into dst, a non-nil pointer to
// a struct. Fields are applied in sorted order so errors are
// deterministic; the rows in errors count from 1 in that order.
func DecodeFields(fields map[string]string, dst any) error {
	return DecodeTable(fieldRows(fields), dst)
}

// fieldRows turns a map into vertical rows sorted by field name.
func fieldRows(fields map[string]string) [][]string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([][]string, len(keys))
	for i, k := range keys {
		rows[i] = []string{k, fields[k]}
	}
	return rows
}

// Set parses value into the field at path (dotted for nested fields) of
// dst, a non-nil pointer to a struct.
func Set(dst any, path, value string) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return es.Errorf(es.CodeInvalidArgument, "given: Set needs a non-nil pointer to a struct, got %T", dst)
	}
	tg, err := resolve(v.Elem(), path)
	if err != nil {
		return es.Errorf(es.CodeInvalidArgument, "given: %s: field %q: %v", typeName(v.Elem().Type()), path, err)
	}
	if err := tg.set(value); err != nil {
		return es.Errorf(es.CodeInvalidArgument, "given: %s: field %q: value %q is %v", typeName(v.Elem().Type()), path, value, err)
	}
	return nil
}
