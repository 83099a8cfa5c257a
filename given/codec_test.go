package given_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/decider"
)

type courseEvent interface{ isCourseEvent() }

type CourseDefined struct {
	CourseID string `json:"courseId"`
	Capacity int    `json:"capacity"`
}

func (CourseDefined) isCourseEvent() {}
func (e CourseDefined) Tags() []es.Tag {
	return []es.Tag{es.Tag("course:" + e.CourseID)}
}

type StudentSubscribed struct {
	CourseID  string `json:"courseId"`
	StudentID string `json:"studentId"`
}

func (*StudentSubscribed) isCourseEvent() {}

func TestCodecRoundTrip(t *testing.T) {
	r := given.NewRegistry()
	if err := errors.Join(
		given.RegisterEvent[CourseDefined](r, ""),
		given.RegisterEvent[*StudentSubscribed](r, ""),
		given.RegisterEvent[OrderPlaced](r, ""),
		given.RegisterCommand[PlaceOrder](r, ""),
	); err != nil {
		t.Fatal(err)
	}
	var c decider.Codec[courseEvent] = given.Codec[courseEvent](r)
	for _, ev := range []courseEvent{CourseDefined{"c1", 10}, &StudentSubscribed{"c1", "s1"}} {
		enc, err := c.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Decode(es.Recorded{Event: enc})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, ev) {
			t.Fatalf("round trip: %#v -> %#v", ev, back)
		}
	}
	enc, _ := c.Encode(CourseDefined{"c1", 10})
	if enc.Type != "CourseDefined" || string(enc.Data) != `{"courseId":"c1","capacity":10}` || len(enc.Tags) != 1 || enc.Tags[0] != "course:c1" {
		t.Fatalf("encoded %+v (%s)", enc, enc.Data)
	}

	bad := []struct {
		rec  es.Recorded
		code es.Code
	}{
		{es.Recorded{Event: es.Event{Type: "Nope", Data: []byte(`{}`)}}, decider.CodeUnknownEventType},
		{es.Recorded{Event: es.Event{Type: "PlaceOrder", Data: []byte(`{}`)}}, decider.CodeUnknownEventType},
		{es.Recorded{Event: es.Event{Type: "OrderPlaced", Data: []byte(`{}`)}}, decider.CodeUnknownEventType}, // not a courseEvent
		{es.Recorded{Event: es.Event{Type: "CourseDefined", Data: []byte(`{"courseId":1}`)}}, decider.CodeCodec},
		{es.Recorded{Event: es.Event{Type: "CourseDefined", Data: []byte(`{"colour":"red"}`)}}, decider.CodeCodec},
	}
	for _, b := range bad {
		if _, err := c.Decode(b.rec); es.CodeOf(err) != b.code {
			t.Errorf("Decode(%s %s) = %v, want %s", b.rec.Type, b.rec.Data, err, b.code)
		}
	}
	anyCodec := given.Codec[any](r)
	if _, err := anyCodec.Encode(PlaceOrder{}); es.CodeOf(err) != decider.CodeUnknownEventType {
		t.Errorf("encoding a command: %v", err)
	}
	if _, err := anyCodec.Encode(struct{}{}); es.CodeOf(err) != decider.CodeUnknownEventType {
		t.Errorf("encoding an unregistered type: %v", err)
	}
	if _, err := anyCodec.Encode(OrderPlaced{}); err != nil {
		t.Errorf("encoding a registered event through Codec[any]: %v", err)
	}
}
