package es_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
)

func TestAppendJSONStringMatchesMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "cmd_0190-7000", "quote\"back\\slash", "<html>&amp;", "tab\tnl\n\x01", "é ü 日本", "\u2028\u2029", "bad\xffutf8", "\x7f"} {
		want, _ := json.Marshal(s)
		if got := es.AppendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendJSONString(%q) = %s, want x%s", s, got, want)
		}
	}
}

func TestAppendJSONRawMatchesMarshal(t *testing.T) {
	for _, raw := range []string{`{"a":1}`, ` { "a" : [1, 2] } `, `"a b"`, `{"h":"<b>"}`, `"\u003c"`, `"x\"y"`, `"\\"`, "\"\u2028\"", `null`, `[ ]`, `{"s":"a\\\" b"}`} {
		want, werr := json.Marshal(json.RawMessage(raw))
		got, err := es.AppendJSONRaw(nil, []byte(raw))
		if werr != nil || err != nil || string(got) != string(want) {
			t.Errorf("AppendJSONRaw(%s) = %s, %v; want %s, %v", raw, got, err, want, werr)
		}
	}
	if got, err := es.AppendJSONRaw(nil, nil); err != nil || string(got) != "null" {
		t.Errorf("AppendJSONRaw(nil) = %s, %v; want null", got, err)
	}
	got, err := es.AppendJSONRaw([]byte("keep"), []byte(`{"a":`))
	if es.CodeOf(err) != es.CodeInvalidArgument || string(got) != "keep" {
		t.Errorf("AppendJSONRaw(invalid) = %s, %v; want keep, INVALID_ARGUMENT", got, err)
	}
}

func TestAppendJSONTimeMatchesMarshal(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 5*3600+1800)),
		{},
	} {
		want, _ := json.Marshal(tm)
		got, err := es.AppendJSONTime(nil, tm)
		if err != nil || string(got) != string(want) {
			t.Errorf("AppendJSONTime(%v) = %s, %v; want %s", tm, got, err, want)
		}
	}
	got, err := es.AppendJSONTime([]byte("k"), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	if es.CodeOf(err) != es.CodeInvalidArgument || string(got) != "k" {
		t.Errorf("AppendJSONTime(year 10000) = %s, %v; want k, INVALID_ARGUMENT", got, err)
	}
}

func FuzzAppendJSONRaw(f *testing.F) {
	for _, s := range []string{`{"a":1}`, ` [1, "x y", {"<":null}] `, `"\u2028"`, `1e5`, `{"0123456":"abcdefg&hijklmno>pqrstuvw","k":[" ","\u2029x"]}`} {
		f.Add([]byte(s))
	}
	f.Add(benchRecord)
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, werr := json.Marshal(json.RawMessage(raw))
		got, err := es.AppendJSONRaw(nil, raw)
		if len(raw) == 0 {
			return // nil RawMessage: json.Marshal writes null, as does AppendJSONRaw
		}
		if (werr == nil) != (err == nil) || (err == nil && string(got) != string(want)) {
			t.Fatalf("AppendJSONRaw(%q) = %q, %v; json.Marshal = %q, %v", raw, got, err, want, werr)
		}
	})
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a<b")
	f.Add(benchID)
	f.Add("0123456789abcdef\u2028x\x7f")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := es.AppendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendJSONString(%q) = %q, want %q", s, got, want)
		}
	})
}

func ExampleAppendJSONString() {
	b := []byte(`{"id":`)
	b = es.AppendJSONString(b, "cmd_1")
	b = append(b, `,"at":`...)
	b, _ = es.AppendJSONTime(b, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b = append(b, `,"payload":`...)
	b, _ = es.AppendJSONRaw(b, []byte(`{ "qty": 1 }`))
	b = append(b, '}')
	fmt.Println(string(b))
	// Output: {"id":"cmd_1","at":"2026-01-01T00:00:00Z","payload":{"qty":1}}
}

func BenchmarkAppendJSONRawRecord(b *testing.B) {
	b.SetBytes(int64(len(benchRecord)))
	buf := make([]byte, 0, 2*len(benchRecord))
	for b.Loop() {
		var err error
		if buf, err = es.AppendJSONRaw(buf[:0], benchRecord); err != nil || len(buf) != len(benchRecord) {
			b.Fatalf("AppendJSONRaw(benchRecord) = %d bytes, %v", len(buf), err)
		}
	}
}

// benchID is a 40-byte command id, the most common AppendJSONString input.
const benchID = "cmd_01905f3c-7a1e-7b2d-9c4f-3e8a1b6d2f70"

func BenchmarkAppendJSONStringID(b *testing.B) {
	b.SetBytes(int64(len(benchID)))
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = es.AppendJSONString(buf[:0], benchID)
	}
	if string(buf) != `"`+benchID+`"` {
		b.Fatalf("AppendJSONString(benchID) = %s", buf)
	}
}

func TestAppendJSONStringWordBoundaries(t *testing.T) {
	for _, s := range boundaryBodies() {
		want, _ := json.Marshal(s)
		if got := es.AppendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendJSONString(%q) = %s, want x%s", s, got, want)
		}
	}
}

func TestAppendJSONRawWordBoundaries(t *testing.T) {
	for _, raw := range boundaryDocs() {
		want, werr := json.Marshal(json.RawMessage(raw))
		got, err := es.AppendJSONRaw([]byte("x"), []byte(raw))
		switch {
		case werr != nil:
			if es.CodeOf(err) != es.CodeInvalidArgument || string(got) != "x" {
				t.Errorf("AppendJSONRaw(%q) = %q, %v; want x, INVALID_ARGUMENT (json.Marshal: %v)", raw, got, err, werr)
			}
		case err != nil || string(got) != "x"+string(want):
			t.Errorf("AppendJSONRaw(%q) = %q, %v; want x%s", raw, got, err, want)
		}
	}
}
