package decider_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/decider"
)

type shape interface{ area() int }

type square struct {
	Side int `json:"side"`
}

type rect struct {
	W int `json:"w"`
	H int `json:"h"`
}

func (s square) area() int { return s.Side * s.Side }
func (r *rect) area() int  { return r.W * r.H }

func TestJSONCodecRoundTrip(t *testing.T) {
	c, err := decider.NewJSONCodec[shape](square{}, &rect{})
	if err != nil {
		t.Fatal(err)
	}
	c.WithTags(func(s shape) []es.Tag { return []es.Tag{es.Tag("area:" + strings.Repeat("x", s.area()))} })
	if got := c.Types(); !reflect.DeepEqual(got, []string{"square", "rect"}) {
		t.Errorf("Types = %v", got)
	}
	for _, in := range []shape{square{Side: 2}, &rect{W: 1, H: 3}} {
		ev, err := c.Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		if want := es.Tag("area:" + strings.Repeat("x", in.area())); len(ev.Tags) != 1 || ev.Tags[0] != want {
			t.Errorf("tags = %v", ev.Tags)
		}
		out, err := c.Decode(es.Recorded{Event: ev})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(in, out) {
			t.Errorf("round trip %#v -> %s -> %#v", in, ev.Data, out)
		}
	}
	ev, _ := c.Encode(square{Side: 4})
	if ev.Type != "square" || string(ev.Data) != `{"side":4}` {
		t.Errorf("encoded = %s %s", ev.Type, ev.Data)
	}
	if name, ok := c.Name(&rect{}); !ok || name != "rect" {
		t.Errorf("Name = %q %v", name, ok)
	}
}

func TestJSONCodecErrors(t *testing.T) {
	if _, err := decider.NewJSONCodec[shape](square{}, square{Side: 1}); es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("duplicate type: %v", err)
	}
	if _, err := decider.NewJSONCodec[shape](nil); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("nil prototype: %v", err)
	}
	c := decider.MustJSONCodec[shape](square{})
	if err := c.Register("square", &rect{}); es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), `event type "square" is already registered`) {
		t.Errorf("duplicate name: %v", err)
	}
	if err := c.Register("", &rect{}); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("empty name: %v", err)
	}
	if err := c.Register("Rectangle", &rect{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Encode(nil); es.CodeOf(err) != decider.CodeUnknownEventType {
		t.Errorf("encode nil: %v", err)
	}
	cases := map[string]es.Recorded{
		`unknown event type "circle"`: {Event: es.Event{Type: "circle", Data: []byte(`{}`)}},
		`decoding square`:             {Event: es.Event{Type: "square", Data: []byte(`{"side":"two"}`)}},
		`unknown field "sides"`:       {Event: es.Event{Type: "square", Data: []byte(`{"sides":2}`)}},
	}
	for want, rec := range cases {
		_, err := c.Decode(rec)
		if err == nil || !strings.Contains(err.Error(), want) || es.CodeOf(err) == "" {
			t.Errorf("decode %s: %v", rec.Type, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustJSONCodec did not panic")
		}
	}()
	decider.MustJSONCodec[shape](square{}, square{})
}

func TestTypeName(t *testing.T) {
	if decider.TypeName(square{}) != "square" || decider.TypeName(&rect{}) != "rect" || decider.TypeName(nil) != "" {
		t.Error("TypeName")
	}
}

func TestOutcomes(t *testing.T) {
	s := decider.Success[shape](square{Side: 1}).WithData(42)
	r := decider.Rejected[shape]("CODE", "message")
	f := decider.Failed[shape]("reason", square{Side: 2})
	for _, c := range []struct {
		o                  decider.Outcome[shape]
		success, rej, fail bool
	}{{s, true, false, false}, {r, false, true, false}, {f, false, false, true}} {
		if c.o.IsSuccess() != c.success || c.o.IsRejected() != c.rej || c.o.IsFailed() != c.fail {
			t.Errorf("%+v: predicates", c.o)
		}
	}
	if s.Data != 42 || len(s.Events) != 1 || s.Context != nil {
		t.Errorf("success = %+v", s)
	}
	if r.Code != "CODE" || r.Message != "message" || r.Context != nil || r.Events != nil {
		t.Errorf("rejected = %+v", r)
	}
	if f.Reason != "reason" || len(f.Events) != 1 || f.Context != nil {
		t.Errorf("failed = %+v", f)
	}
	if rc := r.WithContext(map[string]any{"k": 1}); rc.Context["k"] != 1 || r.Context != nil {
		t.Error("WithContext must return a copy carrying the context")
	}
	d := decider.Decider[int, int, int]{Initial: func() int { return 10 }, Evolve: func(s, e int) int { return s + e }}
	if d.Fold(1, 2, 3) != 16 || d.Fold() != 10 {
		t.Error("Fold")
	}
}
