package given

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/eventspec/eventspec/es"
)

// Kind says whether a registered type is an event or a command.
type Kind string

// Kinds of registered types.
const (
	KindEvent   Kind = "event"
	KindCommand Kind = "command"
)

// Entry is one registered type.
type Entry struct {
	// Name is the registered name, e.g. "OrderPlaced"; for events it is
	// the es.Event type.
	Name string
	Kind Kind
	// Type is the registered Go type: a struct or a pointer to a struct.
	Type reflect.Type
}

// Registry maps names to Go types for events and commands. Names form one
// namespace across kinds: an event and a command cannot share a name, and a
// Go type is registered under one name only. A Registry is safe for
// concurrent use.
type Registry struct {
	mu     sync.RWMutex
	byName map[string]Entry
	byType map[reflect.Type]string
	order  []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byName: map[string]Entry{}, byType: map[reflect.Type]string{}}
}

// RegisterEvent registers T as the event type name. An empty name means
// T's Go type name. Errors: DUPLICATE_TYPE_NAME, DUPLICATE_TYPE,
// INVALID_ARGUMENT (T is not a struct or a pointer to one, or the name is
// not a valid es name).
func RegisterEvent[T any](r *Registry, name string) error {
	return r.Add(KindEvent, name, reflect.TypeFor[T]())
}

// RegisterCommand registers T as the command type name; see RegisterEvent.
func RegisterCommand[T any](r *Registry, name string) error {
	return r.Add(KindCommand, name, reflect.TypeFor[T]())
}

// Add registers t under name with the given kind; see RegisterEvent.
func (r *Registry) Add(kind Kind, name string, t reflect.Type) error {
	if kind != KindEvent && kind != KindCommand {
		return es.Errorf(es.CodeInvalidArgument, "given: kind %q is neither %q nor %q", kind, KindEvent, KindCommand)
	}
	if t == nil {
		return es.Errorf(es.CodeInvalidArgument, "given: cannot register a nil type as %s %q", kind, name)
	}
	if _, err := structType(t); err != nil {
		return err
	}
	if name == "" {
		base := t
		if base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		name = base.Name()
	}
	if err := es.ValidateName(es.CodeInvalidArgument, "given: "+string(kind)+" name", name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.byName[name]; ok {
		return es.Errorf(CodeDuplicateName, "given: %s name %q is already registered for %s %s", kind, name, prev.Kind, typeName(prev.Type))
	}
	if prev, ok := r.byType[t]; ok {
		return es.Errorf(CodeDuplicateType, "given: type %s is already registered as %q; cannot register it again as %q", typeName(t), prev, name)
	}
	r.byName[name] = Entry{Name: name, Kind: kind, Type: t}
	r.byType[t] = name
	r.order = append(r.order, name)
	return nil
}

// Entries lists the registered types of kind ("" for all) in registration
// order.
func (r *Registry) Entries(kind Kind) []Entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Entry
	for _, n := range r.order {
		if e := r.byName[n]; kind == "" || e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// Lookup returns the entry registered under name, or UNKNOWN_TYPE listing
// the known names.
func (r *Registry) Lookup(name string) (Entry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if e, ok := r.byName[name]; ok {
		return e, nil
	}
	return Entry{}, r.unknown("", name)
}

// Resolve finds the entry of kind ("" for any) that text names: the exact
// name first, then the one name equal to text ignoring case, spaces,
// underscores and hyphens ("place order" finds "PlaceOrder"). Errors:
// UNKNOWN_TYPE, also when the loose match is ambiguous.
func (r *Registry) Resolve(kind Kind, text string) (Entry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	text = strings.TrimSpace(text)
	if e, ok := r.byName[text]; ok && (kind == "" || e.Kind == kind) {
		return e, nil
	}
	var found []Entry
	n := normalise(text)
	for _, name := range r.order {
		e := r.byName[name]
		if (kind == "" || e.Kind == kind) && normalise(name) == n {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Entry{}, r.unknown(kind, text)
	}
	names := make([]string, len(found))
	for i, e := range found {
		names[i] = e.Name
	}
	return Entry{}, es.Errorf(CodeUnknownType, "given: %q is ambiguous: it names %s", text, strings.Join(names, ", "))
}

func (r *Registry) unknown(kind Kind, name string) error {
	var names []string
	for _, n := range r.order {
		if kind == "" || r.byName[n].Kind == kind {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	what := "type"
	if kind != "" {
		what = string(kind) + " type"
	}
	known := "none are registered"
	if len(names) > 0 {
		known = "known: " + strings.Join(names, ", ")
	}
	return es.Errorf(CodeUnknownType, "given: no %s is registered as %q (%s)", what, name, known)
}

// NameOf returns the name v's type is registered under. A value whose type
// is not registered but whose pointer or element type is also resolves.
func (r *Registry) NameOf(v any) (string, error) {
	if v == nil {
		return "", es.Errorf(CodeUnknownType, "given: a nil value has no registered name")
	}
	t := reflect.TypeOf(v)
	r.mu.RLock()
	defer r.mu.RUnlock()
	if n, ok := r.byType[t]; ok {
		return n, nil
	}
	if t.Kind() == reflect.Pointer {
		if n, ok := r.byType[t.Elem()]; ok {
			return n, nil
		}
	} else if n, ok := r.byType[reflect.PointerTo(t)]; ok {
		return n, nil
	}
	return "", es.Errorf(CodeUnknownType, "given: type %s is not registered", typeName(t))
}

// New returns the zero value of the type registered as name (a struct
// value, or a pointer to a zero struct when a pointer type was registered).
func (r *Registry) New(name string) (any, error) {
	e, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.New().Interface(), nil
}

// New returns a new zero value of e.Type.
func (e Entry) New() reflect.Value {
	if e.Type.Kind() == reflect.Pointer {
		return reflect.New(e.Type.Elem())
	}
	return reflect.New(e.Type).Elem()
}

// base returns a pointer to a new struct of e's underlying struct type.
func (e Entry) base() reflect.Value {
	if e.Type.Kind() == reflect.Pointer {
		return reflect.New(e.Type.Elem())
	}
	return reflect.New(e.Type)
}

// value turns a pointer from base() into a value of e.Type.
func (e Entry) value(p reflect.Value) any {
	if e.Type.Kind() == reflect.Pointer {
		return p.Interface()
	}
	return p.Elem().Interface()
}

// Build makes the type registered as name from field → value strings,
// parsed as in tables (fields applied in sorted order).
func (r *Registry) Build(name string, fields map[string]string) (any, error) {
	return r.FromTable(name, fieldRows(fields))
}

// FromTable decodes a vertical table into the type registered as name.
func (r *Registry) FromTable(name string, rows [][]string) (any, error) {
	e, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.FromTable(rows)
}

// FromTable decodes a vertical table into a new value of e.Type.
func (e Entry) FromTable(rows [][]string) (any, error) {
	p := e.base()
	if err := decodeVertical(rows, p.Elem(), e.Name); err != nil {
		return nil, err
	}
	return e.value(p), nil
}

// FromRows decodes a horizontal table into values of the type registered
// as name, one per data row.
func (r *Registry) FromRows(name string, rows [][]string) ([]any, error) {
	e, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	ps, err := decodeHorizontal(rows, e.base().Elem().Type(), e.Name)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = e.value(p)
	}
	return out, nil
}

// FromJSON decodes data strictly (unknown fields are errors) into the type
// registered as name.
func (r *Registry) FromJSON(name string, data []byte) (any, error) {
	e, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.FromJSON(data)
}

// FromJSON decodes data strictly into a new value of e.Type. Errors are
// INVALID_EVENT for events and INVALID_ARGUMENT for commands.
func (e Entry) FromJSON(data []byte) (any, error) {
	p := e.base()
	if err := decodeJSONStrict(data, p.Interface()); err != nil {
		code := es.CodeInvalidArgument
		if e.Kind == KindEvent {
			code = es.CodeInvalidEvent
		}
		return nil, es.Errorf(code, "given: %s %q: data does not decode: %v", e.Kind, e.Name, err)
	}
	return e.value(p), nil
}

// Typed is a value decoded from a row of a typed table, with its name.
type Typed struct {
	Name  string
	Value any
}

// typeColumns are the header names a typed table may use for the type.
var typeColumns = []string{"type", "event", "command"}

// FromTypedRows decodes a horizontal table whose rows may hold different
// registered types of kind ("" for any). One column, headed "type",
// "event" or "command", names each row's type; a "data" column may hold
// the whole value as JSON; the other columns are fields. An empty cell
// leaves its field unset, so one table can mix types with different
// fields; a non-empty cell under a column the row's type lacks is an
// error.
func (r *Registry) FromTypedRows(kind Kind, rows [][]string) ([]Typed, error) {
	c := &collector{target: "typed table"}
	h := header(rows, c)
	if len(c.errs) > 0 {
		return nil, c.err()
	}
	typeCol, dataCol := -1, -1
	for j, name := range h {
		for _, tc := range typeColumns {
			if strings.EqualFold(name, tc) {
				if typeCol >= 0 {
					c.add(&TableError{Row: 1, Column: name, Reason: fmt.Sprintf("two type columns: %q and %q", h[typeCol], name)})
				}
				typeCol = j
			}
		}
		if strings.EqualFold(name, "data") {
			dataCol = j
		}
	}
	if typeCol < 0 && len(c.errs) == 0 {
		c.add(&TableError{Row: 1, Reason: "a typed table needs a \"type\" column naming each row's registered type"})
	}
	if len(c.errs) > 0 {
		return nil, c.err()
	}
	out := make([]Typed, 0, len(rows)-1)
	for i := 1; i < len(rows); i++ {
		row := rows[i]
		tname := strings.TrimSpace(row[typeCol])
		e, err := r.Resolve(kind, tname)
		if err != nil {
			c.add(&TableError{Row: i + 1, Column: h[typeCol], Value: tname, Reason: strings.TrimPrefix(err.Error(), string(CodeUnknownType)+": given: ")})
			continue
		}
		p := e.base()
		if dataCol >= 0 && row[dataCol] != "" {
			if err := decodeJSONStrict([]byte(row[dataCol]), p.Interface()); err != nil {
				c.add(&TableError{Row: i + 1, Column: h[dataCol], Value: row[dataCol], Expected: "JSON object of " + e.Name,
					Reason: fmt.Sprintf("value %q is not a valid JSON object of %s (%v)", row[dataCol], e.Name, err)})
				continue
			}
		}
		cells := make([]cell, 0, len(h))
		for j, name := range h {
			if j == typeCol || j == dataCol {
				continue
			}
			cells = append(cells, cell{row: i + 1, column: name, field: name, value: row[j]})
		}
		var preset []string
		if dataCol >= 0 && row[dataCol] != "" {
			var keys map[string]json.RawMessage
			if json.Unmarshal([]byte(row[dataCol]), &keys) == nil {
				for k := range keys {
					preset = append(preset, k)
				}
			}
		}
		sub := &collector{target: e.Name}
		assign(p.Elem(), cells, i+1, sub, preset...)
		for _, te := range sub.errs {
			c.add(te)
		}
		out = append(out, Typed{Name: e.Name, Value: e.value(p)})
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return out, nil
}
