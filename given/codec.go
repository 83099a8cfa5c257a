package given

import (
	"encoding/json"
	"reflect"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/decider"
)

// Tagged is implemented by events that carry DCB tags; the codec copies
// them into es.Event.Tags.
type Tagged interface {
	Tags() []es.Tag
}

// EventCodec is a decider.Codec over the event types of a Registry: an
// event is stored under its registered name with its JSON encoding as data
// and, when it implements Tagged, its tags. Build it with Codec.
type EventCodec[E any] struct {
	reg *Registry
}

var _ decider.Codec[any] = (*EventCodec[any])(nil)

// Codec returns the decider.Codec of E — usually the sealed interface a
// decider's events implement — over the events registered in r. Types
// registered later are known too.
func Codec[E any](r *Registry) *EventCodec[E] {
	return &EventCodec[E]{reg: r}
}

// Encode stores event under its registered name. Errors:
// UNKNOWN_EVENT_TYPE when event's type is not a registered event,
// CODEC_ERROR when it does not encode as JSON.
func (c *EventCodec[E]) Encode(event E) (es.Event, error) {
	v := any(event)
	name, err := c.reg.NameOf(v)
	if err != nil {
		return es.Event{}, es.Errorf(decider.CodeUnknownEventType, "given codec: %s", trimCode(err))
	}
	if e, _ := c.reg.Lookup(name); e.Kind != KindEvent {
		return es.Event{}, es.Errorf(decider.CodeUnknownEventType, "given codec: %q is registered as a %s, not an event", name, e.Kind)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return es.Event{}, es.Wrap(decider.CodeCodec, err, "given codec: encoding %s", name)
	}
	ev := es.Event{Type: name, Data: data}
	if t, ok := v.(Tagged); ok {
		ev.Tags = t.Tags()
	}
	return ev, nil
}

// Decode rebuilds the event registered as rec.Type from its data; unknown
// JSON fields are errors. Errors: UNKNOWN_EVENT_TYPE when rec.Type is not
// a registered event or its Go type does not implement E, CODEC_ERROR when
// the data does not decode.
func (c *EventCodec[E]) Decode(rec es.Recorded) (E, error) {
	var zero E
	e, err := c.reg.Lookup(rec.Type)
	if err != nil || e.Kind != KindEvent {
		return zero, es.Errorf(decider.CodeUnknownEventType, "given codec: %q is not a registered event type", rec.Type)
	}
	if !e.Type.AssignableTo(reflect.TypeFor[E]()) {
		return zero, es.Errorf(decider.CodeUnknownEventType, "given codec: event %q (%s) is not a %s", rec.Type, typeName(e.Type), typeName(reflect.TypeFor[E]()))
	}
	v, err := e.FromJSON(rec.Data)
	if err != nil {
		return zero, es.Wrap(decider.CodeCodec, err, "given codec: decoding %s", rec.Type)
	}
	return v.(E), nil
}
