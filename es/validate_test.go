package es_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/es"
)

// jsonText returns a JSON string literal of exactly n bytes.
func jsonText(n int) json.RawMessage {
	return json.RawMessage(`"` + strings.Repeat("x", n-2) + `"`)
}

// wantErr checks err has code and a message containing mention ("" for a nil err).
func wantErr(t *testing.T, what string, err error, code es.Code, mention string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("%s: unexpected error %v", what, err)
		}
		return
	}
	if es.CodeOf(err) != code {
		t.Errorf("%s: got %v, want code %s", what, err, code)
		return
	}
	if !strings.Contains(err.Error(), mention) {
		t.Errorf("%s: message %q does not mention %q", what, err, mention)
	}
}

func TestValidateEvent(t *testing.T) {
	ok := func() es.Event {
		return es.Event{Type: "OrderPlaced", Data: json.RawMessage(`{"id":1}`), Tags: []es.Tag{"order:1"}}
	}
	tags := func(n int) []es.Tag {
		out := make([]es.Tag, n)
		for i := range out {
			out[i] = es.Tag(fmt.Sprint("t", i))
		}
		return out
	}
	cases := []struct {
		name    string
		edit    func(e *es.Event)
		code    es.Code
		mention string
	}{
		{"valid", func(e *es.Event) {}, "", ""},
		{"null data", func(e *es.Event) { e.Data = json.RawMessage(`null`) }, "", ""},
		{"no tags", func(e *es.Event) { e.Tags = nil }, "", ""},
		{"empty type", func(e *es.Event) { e.Type = "" }, es.CodeInvalidEvent, "events[3].type is empty"},
		{"type with NUL", func(e *es.Event) { e.Type = "a\x00" }, es.CodeInvalidEvent, "events[3].type"},
		{"type of 256 bytes", func(e *es.Event) { e.Type = strings.Repeat("t", 256) }, "", ""},
		{"type of 257 bytes", func(e *es.Event) { e.Type = strings.Repeat("t", 257) }, es.CodeInvalidEvent, "257 bytes"},
		{"type not UTF-8", func(e *es.Event) { e.Type = "\xff" }, es.CodeInvalidEvent, "not valid UTF-8"},
		{"empty data", func(e *es.Event) { e.Data = nil }, es.CodeInvalidEvent, "events[3].data is empty"},
		{"invalid JSON", func(e *es.Event) { e.Data = json.RawMessage(`{"a":}`) }, es.CodeInvalidEvent, "events[3].data is not valid JSON"},
		{"two JSON values", func(e *es.Event) { e.Data = json.RawMessage(`1 2`) }, es.CodeInvalidEvent, "not valid JSON"},
		{"data of exactly the limit", func(e *es.Event) { e.Data = jsonText(es.MaxPayloadBytes) }, "", ""},
		{"data over the limit", func(e *es.Event) { e.Data = jsonText(es.MaxPayloadBytes + 1) }, es.CodePayloadTooLarge, "events[3].data is 65537 bytes"},
		{"64 tags", func(e *es.Event) { e.Tags = tags(64) }, "", ""},
		{"65 tags", func(e *es.Event) { e.Tags = tags(65) }, es.CodeInvalidTag, "65 tags"},
		{"duplicate tag", func(e *es.Event) { e.Tags = []es.Tag{"a", "b", "a"} }, es.CodeInvalidTag, `duplicate tag "a"`},
		{"empty tag", func(e *es.Event) { e.Tags = []es.Tag{"a", ""} }, es.CodeInvalidTag, "events[3].tags[1] is empty"},
		{"tag with escape", func(e *es.Event) { e.Tags = []es.Tag{"a\x1b"} }, es.CodeInvalidTag, "control character"},
		{"negative schema version", func(e *es.Event) { e.Metadata.SchemaVersion = -2 }, es.CodeInvalidEvent, "schemaVersion -2"},
		{"event id of 257 bytes", func(e *es.Event) { e.Metadata.EventID = strings.Repeat("i", 257) }, es.CodeInvalidEvent, "longer than 256"},
		{"NUL in event id", func(e *es.Event) { e.Metadata.EventID = "id\x00" }, es.CodeInvalidEvent, "events[3].metadata.eventId contains a NUL byte (at byte 2)"},
		{"NUL in correlation id", func(e *es.Event) { e.Metadata.CorrelationID = "\x00c" }, es.CodeInvalidEvent, "events[3].metadata.correlationId contains a NUL byte"},
		{"invalid UTF-8 causation id", func(e *es.Event) { e.Metadata.CausationID = "c\xfe" }, es.CodeInvalidEvent, "events[3].metadata.causationId is not valid UTF-8"},
		{"truncated rune in category", func(e *es.Event) { e.Metadata.Category = "caf\xc3" }, es.CodeInvalidEvent, "events[3].metadata.category is not valid UTF-8"},
		{"NUL in extra value", func(e *es.Event) { e.Metadata.Extra = map[string]string{"ok": "v", "k": "a\x00b"} }, es.CodeInvalidEvent, `events[3].metadata.extra["k"] contains a NUL byte`},
		{"invalid UTF-8 extra value", func(e *es.Event) { e.Metadata.Extra = map[string]string{"k": "\xff"} }, es.CodeInvalidEvent, `events[3].metadata.extra["k"] is not valid UTF-8`},
		{"NUL in extra key", func(e *es.Event) { e.Metadata.Extra = map[string]string{"k\x00": "v"} }, es.CodeInvalidEvent, `events[3].metadata.extra key "k\x00" contains a NUL byte`},
		{"invalid UTF-8 extra key", func(e *es.Event) { e.Metadata.Extra = map[string]string{"\xc0k": "v"} }, es.CodeInvalidEvent, `metadata.extra key "\xc0k" is not valid UTF-8`},
		// Several bad entries: the smallest key is named, whatever the map order.
		{"several bad extra entries", func(e *es.Event) {
			e.Metadata.Extra = map[string]string{"z": "\x00", "b": "\xff", "c\x00": "v", "a": "fine"}
		}, es.CodeInvalidEvent, `metadata.extra["b"] is not valid UTF-8`},
		{"printable Unicode and controls other than NUL in metadata", func(e *es.Event) {
			e.Metadata.CorrelationID = "corr-ü-€-𝄞"
			e.Metadata.Category = "line\nbreak\ttab"
			e.Metadata.Extra = map[string]string{"clé": "välue\r\n"}
		}, "", ""},
		{"metadata just under the limit", func(e *es.Event) {
			e.Metadata.Extra = map[string]string{"k": strings.Repeat("m", es.MaxPayloadBytes-100)}
		}, "", ""},
		{"metadata over the limit", func(e *es.Event) {
			e.Metadata.Extra = map[string]string{"k": strings.Repeat("m", es.MaxPayloadBytes)}
		}, es.CodePayloadTooLarge, "events[3].metadata is"},
		// Regression: escaping grows control characters sixfold, so 20,000
		// NUL bytes are 120,000 bytes of JSON; the cheap size estimate used
		// to let them through.
		{"metadata over the limit once escaped", func(e *es.Event) {
			e.Metadata.Extra = map[string]string{"k": strings.Repeat("\x00", 20000)}
		}, es.CodePayloadTooLarge, "events[3].metadata is 120018 bytes"},
		{"HTML characters escaped over the limit", func(e *es.Event) {
			e.Metadata.CorrelationID = "c"
			e.Metadata.Extra = map[string]string{"a": strings.Repeat("<", 11000)}
		}, es.CodePayloadTooLarge, "events[3].metadata"},
	}
	for _, c := range cases {
		e := ok()
		c.edit(&e)
		wantErr(t, c.name, es.ValidateEvent(e, 3), c.code, c.mention)
	}
}

func TestValidateNameAndLimit(t *testing.T) {
	wantErr(t, "collection", es.ValidateName(es.CodeInvalidCollection, "collection", ""), es.CodeInvalidCollection, "collection is empty")
	wantErr(t, "key", es.ValidateName(es.CodeInvalidKey, "document key", "a\nb"), es.CodeInvalidKey, `document key "a\nb" has a control character at byte 1`)
	wantErr(t, "valid", es.ValidateName(es.CodeInvalidKey, "key", "k-1"), "", "")
	for _, c := range []struct {
		limit, def, max, want int
		code                  es.Code
	}{
		{0, 100, 1000, 100, ""},
		{1, 100, 1000, 1, ""},
		{1000, 100, 1000, 1000, ""},
		{1001, 100, 1000, 1000, ""},
		{-1, 100, 1000, 0, es.CodeInvalidArgument},
	} {
		got, err := es.ValidateLimit(c.limit, c.def, c.max)
		wantErr(t, fmt.Sprint("limit ", c.limit), err, c.code, fmt.Sprint(c.limit))
		if got != c.want {
			t.Errorf("ValidateLimit(%d, %d, %d) = %d, want %d", c.limit, c.def, c.max, got, c.want)
		}
	}
}

func TestAppendRequestValidate(t *testing.T) {
	ev := []es.Event{{Type: "E", Data: json.RawMessage(`{}`)}}
	bad := es.FailIfMatch(es.Items(es.QueryItem{}))
	neg := es.FailIfMatch(es.All()).WithAfter(-1)
	many := make([]es.Event, es.MaxEventsPerAppend+1)
	for i := range many {
		many[i] = ev[0]
	}
	cases := []struct {
		name    string
		req     es.AppendRequest
		code    es.Code
		mention string
	}{
		{"stream append", es.AppendRequest{Stream: "s", Expected: es.Exact(2), Events: ev}, "", ""},
		{"stream-less append", es.AppendRequest{Events: ev}, "", ""},
		{"no stream but NoStream", es.AppendRequest{Expected: es.NoStream, Events: ev}, es.CodeInvalidStreamID, "stream id is empty"},
		{"bad stream id", es.AppendRequest{Stream: "a\x00", Events: ev}, es.CodeInvalidStreamID, "stream id"},
		{"negative expected version", es.AppendRequest{Stream: "s", Expected: es.Exact(-1), Events: ev}, es.CodeInvalidArgument, "expected version -1 is negative"},
		{"malformed condition", es.AppendRequest{Condition: &bad, Events: ev}, es.CodeInvalidQuery, "neither types nor tags"},
		{"negative condition after", es.AppendRequest{Condition: &neg, Events: ev}, es.CodeInvalidArgument, "after -1 is negative"},
		{"empty idempotency key", es.AppendRequest{Idempotency: &es.Idempotency{}, Events: ev}, es.CodeInvalidArgument, "idempotency key"},
		{"empty to a stream", es.AppendRequest{Stream: "s"}, es.CodeEmptyAppend, `append to stream "s" holds no events`},
		{"empty to the log", es.AppendRequest{}, es.CodeEmptyAppend, "append to the log holds no events"},
		{"101 events", es.AppendRequest{Stream: "s", Events: many}, es.CodeTooManyEvents, "101 events; at most 100"},
		{"100 events", es.AppendRequest{Stream: "s", Events: many[:100]}, "", ""},
		{"bad second event", es.AppendRequest{Events: append(ev, es.Event{Type: "E"})}, es.CodeInvalidEvent, "events[1].data"},
		{"distinct explicit event ids", es.AppendRequest{Events: withIDs("a", "", "b", "")}, "", ""},
		{"repeated explicit event id", es.AppendRequest{Events: withIDs("a", "", "b", "a")}, es.CodeInvalidEvent, `events[3].metadata.eventId "a" repeats events[0].metadata.eventId`},
		{"repeated event id in a large append", es.AppendRequest{Events: withIDs(append(idList(40), "id-7")...)}, es.CodeInvalidEvent, `events[40].metadata.eventId "id-7" repeats events[7]`},
		{"distinct event ids in a large append", es.AppendRequest{Events: withIDs(append(idList(40), "", "")...)}, "", ""},
	}
	for _, c := range cases {
		wantErr(t, c.name, c.req.Validate(), c.code, c.mention)
	}
}

func TestWithDefaults(t *testing.T) {
	ids := es.NewSequentialIDs()
	got := es.WithDefaults(es.Event{Type: "E"}, ids)
	want := es.Metadata{EventID: "00000000-0000-7000-8000-000000000001", Category: es.DefaultCategory, SchemaVersion: es.DefaultSchemaVersion}
	if fmt.Sprint(got.Metadata) != fmt.Sprint(want) {
		t.Errorf("defaults %+v, want %+v", got.Metadata, want)
	}
	kept := es.WithDefaults(es.Event{Type: "E", Metadata: es.Metadata{EventID: "mine", Category: "integration", SchemaVersion: 3}}, ids)
	if kept.Metadata.EventID != "mine" || kept.Metadata.Category != "integration" || kept.Metadata.SchemaVersion != 3 {
		t.Errorf("explicit metadata changed: %+v", kept.Metadata)
	}
	if next := ids.NewID(); next != "00000000-0000-7000-8000-000000000002" {
		t.Errorf("WithDefaults used an id for an event that had one: next id is %s", next)
	}
}

func TestNewEvent(t *testing.T) {
	e, err := es.NewEvent("Paid", map[string]int{"amount": 5}, "order:1")
	if err != nil || e.Type != "Paid" || string(e.Data) != `{"amount":5}` || len(e.Tags) != 1 || e.Tags[0] != "order:1" {
		t.Errorf("NewEvent = %+v, %v", e, err)
	}
	_, err = es.NewEvent("Bad", make(chan int))
	wantErr(t, "unencodable data", err, es.CodeInvalidEvent, `event "Bad"`)
	if !e.HasTag("order:1") || e.HasTag("order:2") {
		t.Errorf("HasTag is wrong for %v", e.Tags)
	}
}

// withIDs returns one valid event per id, with that explicit event id ("":
// none).
func withIDs(ids ...string) []es.Event {
	out := make([]es.Event, len(ids))
	for i, id := range ids {
		out[i] = es.Event{Type: "E", Data: json.RawMessage(`{}`), Metadata: es.Metadata{EventID: id}}
	}
	return out
}

// idList returns the ids id-0 … id-(n-1).
func idList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint("id-", i)
	}
	return out
}

// TestPrintableASCIIMatchesBytewise compares PrintableASCII with a byte-at-
// a-time check for every byte value at every position of strings of 1 to
// 24 bytes (the word loop, the overlapping tail and the short path), on a
// printable background and next to other bad bytes.
func TestPrintableASCIIMatchesBytewise(t *testing.T) {
	naive := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] >= 0x7f {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 24; n++ {
		base := []byte(strings.Repeat("a~ Z", 6)[:n])
		if got := es.PrintableASCII(string(base)); got != true {
			t.Fatalf("es.PrintableASCII(%q) = false", base)
		}
		for i := 0; i < n; i++ {
			for c := 0; c < 256; c++ {
				b := append([]byte(nil), base...)
				b[i] = byte(c)
				if got, want := es.PrintableASCII(string(b)), naive(string(b)); got != want {
					t.Fatalf("es.PrintableASCII(%q) = %v, want %v", b, got, want)
				}
				if i+1 < n { // a 0xff before it: a carry must not hide or fake anything
					b[i+1] = 0xff
					if got := es.PrintableASCII(string(b)); got {
						t.Fatalf("es.PrintableASCII(%q) = true", b)
					}
				}
			}
		}
	}
}

// BenchmarkValidateName checks a 40-byte minted id, as every command does
// several times.
func BenchmarkValidateName(b *testing.B) {
	id := "cmd_0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	for b.Loop() {
		if err := es.ValidateName(es.CodeInvalidArgument, "commandId", id); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppendRequestMintsFromItsSource: a request's id source and prefix
// mint missing ids (explicit ones are kept and consume nothing); without a
// source the store's ids do; a prefix needs a source, is bounded, and must
// be valid metadata text.
func TestAppendRequestMintsFromItsSource(t *testing.T) {
	src, store := es.NewSequentialIDs(), es.NewSeededIDs(5)
	req := es.AppendRequest{IDs: src, IDPrefix: "orders_event_"}
	if got := req.WithDefaults(es.Event{Type: "A"}, store).Metadata.EventID; got != "orders_event_00000000-0000-7000-8000-000000000001" {
		t.Fatalf("minted %q, want the source's first id prefixed", got)
	}
	kept := es.Event{Type: "A", Metadata: es.Metadata{EventID: "mine"}}
	if got := req.WithDefaults(kept, store).Metadata.EventID; got != "mine" {
		t.Fatalf("explicit id became %q", got)
	}
	if got := req.WithDefaults(es.Event{Type: "A"}, store).Metadata.EventID; got != "orders_event_00000000-0000-7000-8000-000000000002" {
		t.Fatalf("second minted %q: an explicit id consumed one", got)
	}
	if got, want := (es.AppendRequest{}).WithDefaults(es.Event{Type: "A"}, store).Metadata.EventID, es.NewSeededIDs(5).NewID(); got != want {
		t.Fatalf("without a source minted %q, want the store's %q", got, want)
	}
	ev := []es.Event{{Type: "A", Data: []byte(`{}`)}}
	for _, c := range []struct {
		name string
		req  es.AppendRequest
		ok   bool
	}{
		{"source and prefix", es.AppendRequest{Events: ev, IDs: src, IDPrefix: "p_"}, true},
		{"source only", es.AppendRequest{Events: ev, IDs: src}, true},
		{"prefix only", es.AppendRequest{Events: ev, IDPrefix: "p_"}, false},
		{"long prefix", es.AppendRequest{Events: ev, IDs: src, IDPrefix: strings.Repeat("p", es.MaxIDPrefixBytes+1)}, false},
		{"NUL in the prefix", es.AppendRequest{Events: ev, IDs: src, IDPrefix: "p\x00"}, false},
	} {
		err := c.req.Validate()
		if (err == nil) != c.ok || (err != nil && es.CodeOf(err) != es.CodeInvalidArgument) {
			t.Errorf("%s: Validate = %v, want ok %v (else INVALID_ARGUMENT)", c.name, err, c.ok)
		}
	}
}
