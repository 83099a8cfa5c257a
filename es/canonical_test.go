package es_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/eventspec/eventspec/es"
)

func TestCanonicalJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":2}`: `{"a":2,"b":1}`,
		" { \"z\" : [ 3 , {\"y\":1,\"x\":2} ] }\n": `{"z":[3,{"x":2,"y":1}]}`,
		`1.50`:                            `1.50`,
		`[1e3, -0, 12345678901234567890]`: `[1e3,-0,12345678901234567890]`,
		`"<a & b>"`:                       `"<a & b>"`,
		`"ü€𝄞"`:                           `"ü€𝄞"`,
		`"\u00fc"`:                        `"ü"`,
		`null`:                            `null`,
		`{"a":1,"a":2}`:                   `{"a":2}`,
	} {
		got, err := es.CanonicalJSON([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("CanonicalJSON(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{``, `{`, `{"a":}`, `1 2`, `{} []`} {
		_, err := es.CanonicalJSON([]byte(in))
		wantErr(t, "CanonicalJSON("+in+")", err, es.CodeInvalidArgument, "not valid JSON")
	}
}

func TestFingerprint(t *testing.T) {
	base := func() es.AppendRequest {
		return es.AppendRequest{Stream: "order-1", Events: []es.Event{
			{Type: "OrderPlaced", Data: json.RawMessage(`{"id":1,"total":9.50}`), Tags: []es.Tag{"order:1", "customer:c"}},
			{Type: "OrderPaid", Data: json.RawMessage(`{}`)},
		}}
	}
	fp := func(r es.AppendRequest) string {
		t.Helper()
		s, err := es.Fingerprint(r)
		if err != nil {
			t.Fatalf("Fingerprint: %v", err)
		}
		return s
	}
	ref := fp(base())
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ref) {
		t.Fatalf("fingerprint %q is not 64 hex digits", ref)
	}
	same := map[string]func(r *es.AppendRequest){
		"tags reordered": func(r *es.AppendRequest) { r.Events[0].Tags = []es.Tag{"customer:c", "order:1"} },
		"event ids":      func(r *es.AppendRequest) { r.Events[0].Metadata.EventID = "e-1"; r.Events[1].Metadata.EventID = "e-2" },
		"correlation, causation": func(r *es.AppendRequest) {
			r.Events[0].Metadata.CorrelationID = "c"
			r.Events[0].Metadata.CausationID = "k"
		},
		"key order and spacing": func(r *es.AppendRequest) { r.Events[0].Data = json.RawMessage(`{ "total" : 9.50, "id" : 1 }`) },
		"explicit defaults": func(r *es.AppendRequest) {
			r.Events[1].Metadata.Category = "domain"
			r.Events[1].Metadata.SchemaVersion = 1
		},
		"expected version": func(r *es.AppendRequest) { r.Expected = es.Exact(4) },
		"idempotency key":  func(r *es.AppendRequest) { r.Idempotency = &es.Idempotency{Key: "k"} },
	}
	for name, edit := range same {
		r := base()
		edit(&r)
		if got := fp(r); got != ref {
			t.Errorf("%s changed the fingerprint", name)
		}
	}
	differ := map[string]func(r *es.AppendRequest){
		"stream":     func(r *es.AppendRequest) { r.Stream = "order-2" },
		"no stream":  func(r *es.AppendRequest) { r.Stream = "" },
		"type":       func(r *es.AppendRequest) { r.Events[1].Type = "OrderCancelled" },
		"data value": func(r *es.AppendRequest) { r.Events[0].Data = json.RawMessage(`{"id":1,"total":9.5}`) },
		"a tag":      func(r *es.AppendRequest) { r.Events[0].Tags = []es.Tag{"order:1"} },
		"tag moved to an event": func(r *es.AppendRequest) {
			r.Events[0].Tags = r.Events[0].Tags[:1]
			r.Events[1].Tags = []es.Tag{"customer:c"}
		},
		"category":        func(r *es.AppendRequest) { r.Events[1].Metadata.Category = "integration" },
		"schema version":  func(r *es.AppendRequest) { r.Events[1].Metadata.SchemaVersion = 2 },
		"event order":     func(r *es.AppendRequest) { r.Events[0], r.Events[1] = r.Events[1], r.Events[0] },
		"one event fewer": func(r *es.AppendRequest) { r.Events = r.Events[:1] },
	}
	for name, edit := range differ {
		r := base()
		edit(&r)
		if got := fp(r); got == ref {
			t.Errorf("%s did not change the fingerprint", name)
		}
	}
	r := base()
	r.Events[1].Data = json.RawMessage(`{`)
	_, err := es.Fingerprint(r)
	wantErr(t, "invalid data", err, es.CodeInvalidEvent, "events[1].data")
}
