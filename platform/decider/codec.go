package decider

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"

	"github.com/eventspec/eventspec/es"
)

// Codes of codec errors.
const (
	// CodeUnknownEventType: Decode met an event type the codec does not
	// know, or Encode an event whose Go type is not registered.
	CodeUnknownEventType es.Code = "UNKNOWN_EVENT_TYPE"
	// CodeCodec: an event did not encode to, or decode from, its JSON.
	CodeCodec es.Code = "CODEC_ERROR"
)

// Codec maps a decider's domain events E to the store's es.Event and back.
// Encode fills Type, Data and optionally Tags and Metadata (the handler
// stamps event id, correlation, causation and schema version on top);
// Decode turns a recorded event back into the domain event.
//
// The given package's registry implements Codec; JSONCodec is a small
// generic implementation for tests and examples.
type Codec[E any] interface {
	Encode(event E) (es.Event, error)
	Decode(rec es.Recorded) (E, error)
}

// JSONCodec is a Codec that stores each registered Go type's JSON under an
// event type name. Register every concrete event type (struct or pointer to
// struct) implementing E. It is safe for concurrent use once registration
// is over.
type JSONCodec[E any] struct {
	byName map[string]reflect.Type
	byType map[reflect.Type]codecType
	names  []string
	tags   func(E) []es.Tag
}

// codecType is what a JSONCodec keeps per registered Go type.
type codecType struct {
	name string
	plan *encPlan // nil: Encode uses json.Marshal
}

// NewJSONCodec returns a codec that knows the Go types of prototypes, each
// under its Go type name without package or pointer (a prototype of type
// *orders.Placed is stored as "Placed"). Two prototypes with the same name
// or the same type are an INVALID_ARGUMENT error.
func NewJSONCodec[E any](prototypes ...E) (*JSONCodec[E], error) {
	c := &JSONCodec[E]{byName: map[string]reflect.Type{}, byType: map[reflect.Type]codecType{}}
	for _, p := range prototypes {
		t := reflect.TypeOf(any(p))
		if t == nil {
			return nil, es.Errorf(es.CodeInvalidArgument, "json codec: a prototype is nil")
		}
		if err := c.Register(TypeName(any(p)), p); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// MustJSONCodec is NewJSONCodec for package-level declarations; it panics
// on error.
func MustJSONCodec[E any](prototypes ...E) *JSONCodec[E] {
	c, err := NewJSONCodec(prototypes...)
	if err != nil {
		panic(err)
	}
	return c
}

// Register adds prototype's Go type under name. Registering a name or a
// type twice is an INVALID_ARGUMENT error. A flat struct type (or pointer
// to one) of string, bool and integer fields gets an encoding plan here
// that Encode uses in place of json.Marshal, with the same bytes (see
// fastencode.go).
func (c *JSONCodec[E]) Register(name string, prototype E) error {
	t := reflect.TypeOf(any(prototype))
	if t == nil {
		return es.Errorf(es.CodeInvalidArgument, "json codec: prototype for %q is nil", name)
	}
	if err := es.ValidateName(es.CodeInvalidArgument, "json codec: event type name", name); err != nil {
		return err
	}
	if prev, ok := c.byName[name]; ok {
		return es.Errorf(es.CodeInvalidArgument, "json codec: event type %q is already registered (for %s)", name, prev)
	}
	if prev, ok := c.byType[t]; ok {
		return es.Errorf(es.CodeInvalidArgument, "json codec: Go type %s is already registered as %q", t, prev.name)
	}
	c.byName[name] = t
	c.byType[t] = codecType{name: name, plan: newEncPlan(t)}
	c.names = append(c.names, name)
	return nil
}

// WithTags makes Encode attach the DCB tags fn returns for each event.
// It returns c.
func (c *JSONCodec[E]) WithTags(fn func(E) []es.Tag) *JSONCodec[E] {
	c.tags = fn
	return c
}

// Types lists the registered event type names in registration order.
func (c *JSONCodec[E]) Types() []string { return slices.Clone(c.names) }

// Name returns the event type name of event's Go type.
func (c *JSONCodec[E]) Name(event E) (string, bool) {
	ct, ok := c.byType[reflect.TypeOf(any(event))]
	return ct.name, ok
}

// Encode stores event as JSON under its registered name: the bytes of
// json.Marshal(event), written by the type's encoding plan when it has one.
func (c *JSONCodec[E]) Encode(event E) (es.Event, error) {
	ct, ok := c.byType[reflect.TypeOf(any(event))]
	if !ok {
		return es.Event{}, es.Errorf(CodeUnknownEventType, "json codec: Go type %T is not registered", any(event))
	}
	var data []byte
	if ct.plan != nil {
		data = ct.plan.encode(reflect.ValueOf(any(event)))
	} else {
		var err error
		if data, err = json.Marshal(event); err != nil {
			return es.Event{}, es.Wrap(CodeCodec, err, "json codec: encoding %s", ct.name)
		}
	}
	ev := es.Event{Type: ct.name, Data: data}
	if c.tags != nil {
		ev.Tags = c.tags(event)
	}
	return ev, nil
}

// Decode rebuilds the domain event from rec's type and data. Unknown JSON
// fields are an error, so a misspelt field does not vanish silently.
func (c *JSONCodec[E]) Decode(rec es.Recorded) (E, error) {
	var zero E
	t, ok := c.byName[rec.Type]
	if !ok {
		return zero, es.Errorf(CodeUnknownEventType, "json codec: unknown event type %q (known: %v)", rec.Type, c.names)
	}
	base := t
	if t.Kind() == reflect.Pointer {
		base = t.Elem()
	}
	v := reflect.New(base)
	dec := json.NewDecoder(bytes.NewReader(rec.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return zero, es.Wrap(CodeCodec, err, "json codec: decoding %s", rec.Type)
	}
	if t.Kind() != reflect.Pointer {
		v = v.Elem()
	}
	e, ok := v.Interface().(E)
	if !ok { // unreachable: registered types come from values of E
		return zero, es.Errorf(CodeCodec, "json codec: %s does not implement the event type", t)
	}
	return e, nil
}

// TypeName returns the Go type name of v without package path or pointer
// stars: "Placed" for orders.Placed and *orders.Placed, "" for nil.
func TypeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
