package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// The badinput group certifies that bad input — empty or oversized
// appends, invalid stream ids, events and tags, malformed queries,
// negative limits, positions and cursors, invalid collection names and
// keys — gets a typed error with the right code whose message names what
// is wrong, writes nothing, and never panics.
func init() {
	register(
		Case{Group: "badinput", Name: "empty-and-oversized-appends", Run: badAppendSize},
		Case{Group: "badinput", Name: "invalid-events", Run: badEvents},
		Case{Group: "badinput", Name: "invalid-tags", Run: badTags},
		Case{Group: "badinput", Name: "invalid-metadata-strings", Run: badMetadataStrings},
		Case{Group: "badinput", Name: "invalid-stream-ids", Run: badStreamIDs},
		Case{Group: "badinput", Name: "malformed-queries", Run: badQueries},
		Case{Group: "badinput", Name: "negative-limits-positions-and-cursors", Run: badNegatives},
		Case{Group: "badinput", Name: "invalid-collections-keys-and-data", Run: badDocuments},
		Case{Group: "badinput", Name: "invalid-index-entries-and-listings", Run: badIndexes},
		Case{Group: "badinput", Name: "unknown-collection-reads-as-empty", Run: badUnknownCollection},
		Case{Group: "badinput", Name: "invalid-idempotency-keys", Run: badIdempotencyKeys},
		Case{Group: "badinput", Name: "rejected-call-inside-a-unit-writes-nothing", Run: badInsideUnit},
	)
}

// badCall is one bad call: what it is, the error code it must get, and the
// words its message must contain.
type badCall struct {
	what     string
	code     es.Code
	mentions []string
	call     func(ctx context.Context, tx store.Tx) error
}

// reject runs every call in its own unit of work and checks its error.
func (k *kit) reject(calls ...badCall) {
	k.t.Helper()
	for _, c := range calls {
		err := k.try(c.what, func(tx store.Tx) error { return c.call(k.ctx(), tx) })
		k.wantCode(c.what, err, c.code, c.mentions...)
	}
}

// badAppend is a bad call appending req.
func badAppend(what string, req es.AppendRequest, code es.Code, mentions ...string) badCall {
	return badCall{what: what, code: code, mentions: mentions, call: func(ctx context.Context, tx store.Tx) error {
		res, err := tx.Events().Append(ctx, req)
		if err == nil {
			return fmt.Errorf("append accepted at positions %v", res.Positions)
		}
		return err
	}}
}

// good returns a valid event of type typ.
func good(typ string, tags ...es.Tag) es.Event {
	return es.Event{Type: typ, Data: json.RawMessage(`{}`), Tags: tags}
}

// withEvent returns three valid events with bad as the third (index 2).
func withEvent(bad es.Event) []es.Event {
	return []es.Event{good("Fine"), good("Fine"), bad}
}

// repeatEvents returns n valid events of type typ.
func repeatEvents(n int, typ string) []es.Event {
	out := make([]es.Event, n)
	for i := range out {
		out[i] = good(typ)
	}
	return out
}

// badAppendSize: empty appends, more than es.MaxEventsPerAppend events, and
// data or metadata over es.MaxPayloadBytes are rejected; the limits
// themselves are accepted.
func badAppendSize(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	bigMeta := good("Fine")
	bigMeta.Metadata.Extra = map[string]string{"blob": strings.Repeat("m", es.MaxPayloadBytes)}
	tooBig := good("Big")
	tooBig.Data = jsonString(es.MaxPayloadBytes + 1)
	k.reject(
		badAppend("empty append to a stream", es.AppendRequest{Stream: "s-1", Events: []es.Event{}}, es.CodeEmptyAppend, "s-1"),
		badAppend("nil events to a stream", es.AppendRequest{Stream: "s-1", Expected: es.NoStream}, es.CodeEmptyAppend, "s-1"),
		badAppend("empty append without a stream", es.AppendRequest{}, es.CodeEmptyAppend),
		badAppend("101 events", es.AppendRequest{Stream: "s-1", Events: repeatEvents(es.MaxEventsPerAppend+1, "Fine")}, es.CodeTooManyEvents, "101"),
		badAppend("data over the limit", es.AppendRequest{Stream: "s-1", Events: []es.Event{good("Fine"), tooBig}}, es.CodePayloadTooLarge, "events[1].data"),
		badAppend("metadata over the limit", es.AppendRequest{Stream: "s-1", Events: []es.Event{bigMeta}}, es.CodePayloadTooLarge, "events[0].metadata"),
	)
	k.wantLogTypes("after the rejected appends")

	fits := good("Big")
	fits.Data = jsonString(es.MaxPayloadBytes)
	k.appendOK("100 events", es.AppendRequest{Stream: "s-1", Events: repeatEvents(es.MaxEventsPerAppend, "Fine")})
	k.appendOK("data of exactly the limit", es.AppendRequest{Stream: "s-1", Events: []es.Event{fits}})
	want := append(strings.Split(strings.Repeat("Fine ", es.MaxEventsPerAppend), " ")[:es.MaxEventsPerAppend], "Big")
	k.wantLogTypes("after the appends at the limits", want...)
}

// badEvents: an invalid event anywhere in an append rejects the whole
// append with INVALID_EVENT naming the event's index and field.
func badEvents(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	withData := func(data string) es.Event { e := good("Fine"); e.Data = json.RawMessage(data); return e }
	withType := func(typ string) es.Event { e := good("Fine"); e.Type = typ; return e }
	negSchema := good("Fine")
	negSchema.Metadata.SchemaVersion = -1
	k.reject(
		badAppend("empty type", es.AppendRequest{Stream: "s", Events: withEvent(withType(""))}, es.CodeInvalidEvent, "events[2].type"),
		badAppend("type with NUL", es.AppendRequest{Stream: "s", Events: withEvent(withType("Order\x00Placed"))}, es.CodeInvalidEvent, "events[2].type"),
		badAppend("type too long", es.AppendRequest{Stream: "s", Events: withEvent(withType(strings.Repeat("T", es.MaxNameBytes+1)))}, es.CodeInvalidEvent, "events[2].type"),
		badAppend("type not UTF-8", es.AppendRequest{Stream: "s", Events: withEvent(withType("Bad\xffType"))}, es.CodeInvalidEvent, "events[2].type"),
		badAppend("empty data", es.AppendRequest{Stream: "s", Events: withEvent(withData(""))}, es.CodeInvalidEvent, "events[2].data"),
		badAppend("invalid JSON data", es.AppendRequest{Stream: "s", Events: withEvent(withData(`{"a":}`))}, es.CodeInvalidEvent, "events[2].data"),
		badAppend("trailing garbage after JSON", es.AppendRequest{Events: withEvent(withData(`{} x`))}, es.CodeInvalidEvent, "events[2].data"),
		badAppend("negative schema version", es.AppendRequest{Stream: "s", Events: []es.Event{negSchema}}, es.CodeInvalidEvent, "schemaVersion"),
	)
	k.wantLogTypes("after the rejected appends")
	k.appendOK("a valid append afterwards", es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{good("Fine")}})
	k.wantLogTypes("after a valid append", "Fine")
}

// badMetadataStrings: a metadata string (event id, correlation id,
// causation id, category, extra key or value) holding a NUL byte or
// invalid UTF-8 is INVALID_EVENT naming the event's index and the field,
// whatever the engine (text columns cannot hold such strings, so no engine
// may accept them); printable Unicode and other control characters are
// fine.
func badMetadataStrings(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	with := func(edit func(m *es.Metadata)) []es.Event {
		e := good("Fine")
		edit(&e.Metadata)
		return withEvent(e)
	}
	k.reject(
		badAppend("NUL in event id", es.AppendRequest{Stream: "s", Events: with(func(m *es.Metadata) { m.EventID = "evt\x00-1" })}, es.CodeInvalidEvent, "events[2].metadata.eventId", "NUL"),
		badAppend("NUL in correlation id", es.AppendRequest{Stream: "s", Events: with(func(m *es.Metadata) { m.CorrelationID = "corr\x00" })}, es.CodeInvalidEvent, "events[2].metadata.correlationId", "NUL"),
		badAppend("invalid UTF-8 correlation id", es.AppendRequest{Events: with(func(m *es.Metadata) { m.CorrelationID = "corr-\xff" })}, es.CodeInvalidEvent, "events[2].metadata.correlationId", "UTF-8"),
		badAppend("NUL in causation id", es.AppendRequest{Stream: "s", Events: with(func(m *es.Metadata) { m.CausationID = "\x00" })}, es.CodeInvalidEvent, "events[2].metadata.causationId", "NUL"),
		badAppend("invalid UTF-8 category", es.AppendRequest{Stream: "s", Events: with(func(m *es.Metadata) { m.Category = "caf\xc3" })}, es.CodeInvalidEvent, "events[2].metadata.category", "UTF-8"),
		badAppend("NUL in extra value", es.AppendRequest{Stream: "s", Events: with(func(m *es.Metadata) { m.Extra = map[string]string{"fine": "v", "trace": "a\x00b"} })}, es.CodeInvalidEvent, "events[2].metadata.extra", "trace", "NUL"),
		badAppend("invalid UTF-8 extra value", es.AppendRequest{Stream: "s", Events: with(func(m *es.Metadata) { m.Extra = map[string]string{"trace": "\xfe"} })}, es.CodeInvalidEvent, "events[2].metadata.extra", "trace", "UTF-8"),
		badAppend("NUL in extra key", es.AppendRequest{Stream: "s", Events: with(func(m *es.Metadata) { m.Extra = map[string]string{"tr\x00ce": "v"} })}, es.CodeInvalidEvent, "events[2].metadata.extra key", "NUL"),
		badAppend("invalid UTF-8 extra key", es.AppendRequest{Stream: "s", Events: with(func(m *es.Metadata) { m.Extra = map[string]string{"\xc0": "v"} })}, es.CodeInvalidEvent, "events[2].metadata.extra key", "UTF-8"),
	)
	k.wantLogTypes("after the rejected appends")

	ok := good("Odd")
	ok.Metadata = es.Metadata{CorrelationID: "corr-ü-€-𝄞", CausationID: "line\nbreak", Category: "tab\there", Extra: map[string]string{"clé": "välue\r\n"}}
	k.appendOK("metadata with printable Unicode and controls other than NUL", es.AppendRequest{Stream: "s", Events: []es.Event{ok}})
	got := k.logEvents("after the valid append")
	if len(got) == 1 {
		want := ok.Metadata
		want.EventID, want.SchemaVersion = got[0].Metadata.EventID, got[0].Metadata.SchemaVersion
		k.diff("metadata read back", want, got[0].Metadata)
	} else {
		t.Errorf("after the valid append the log holds %d events, want 1", len(got))
	}
}

// badTags: duplicate, empty, control-character, non-UTF-8 and too many tags
// are INVALID_TAG; es.MaxTagsPerEvent tags are accepted.
func badTags(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	tags := func(n int) []es.Tag {
		out := make([]es.Tag, n)
		for i := range out {
			out[i] = es.Tag(fmt.Sprintf("t:%d", i))
		}
		return out
	}
	k.reject(
		badAppend("duplicate tag", es.AppendRequest{Stream: "s", Events: []es.Event{good("E", "a:1", "b:2", "a:1")}}, es.CodeInvalidTag, "duplicate", "a:1"),
		badAppend("empty tag", es.AppendRequest{Stream: "s", Events: []es.Event{good("E", "a:1", "")}}, es.CodeInvalidTag, "tags[1]"),
		badAppend("tag with escape", es.AppendRequest{Stream: "s", Events: []es.Event{good("E", "a\x1b[31m")}}, es.CodeInvalidTag, "tags[0]"),
		badAppend("tag not UTF-8", es.AppendRequest{Events: withEvent(good("E", "ok", "\xfe"))}, es.CodeInvalidTag, "events[2].tags[1]"),
		badAppend("tag too long", es.AppendRequest{Events: []es.Event{good("E", es.Tag(strings.Repeat("t", es.MaxNameBytes+1)))}}, es.CodeInvalidTag, "tags[0]"),
		badAppend("65 tags", es.AppendRequest{Stream: "s", Events: []es.Event{good("E", tags(es.MaxTagsPerEvent+1)...)}}, es.CodeInvalidTag, "65"),
	)
	k.wantLogTypes("after the rejected appends")
	k.appendOK("64 tags", es.AppendRequest{Stream: "s", Events: []es.Event{good("E", tags(es.MaxTagsPerEvent)...)}})
	k.wantLogTypes("after 64 tags", "E")
}

// badStreamIDs: an empty, too long, control-character or non-UTF-8 stream
// id is INVALID_STREAM_ID for appends, reads and versions; ids at the
// length limit and with any printable Unicode are fine.
func badStreamIDs(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	bad := []struct {
		name string
		id   es.StreamID
	}{
		{"empty", ""},
		{"too long", es.StreamID(strings.Repeat("s", es.MaxNameBytes+1))},
		{"with NUL", "order\x00-1"},
		{"with newline", "order\n1"},
		{"with DEL", "order\x7f1"},
		{"with C1 control", "order\u00851"},
		{"not UTF-8", "order-\xff"},
	}
	var calls []badCall
	for _, b := range bad {
		id := b.id
		if id != "" { // an empty stream with Any is a stream-less append
			calls = append(calls, badAppend("append to stream id "+b.name, es.AppendRequest{Stream: id, Events: []es.Event{good("E")}}, es.CodeInvalidStreamID, "stream id"))
		}
		calls = append(calls,
			badAppend("append expecting no stream to stream id "+b.name, es.AppendRequest{Stream: id, Expected: es.NoStream, Events: []es.Event{good("E")}}, es.CodeInvalidStreamID, "stream id"),
			badAppend("append expecting version 3 of stream id "+b.name, es.AppendRequest{Stream: id, Expected: es.Exact(3), Events: []es.Event{good("E")}}, es.CodeInvalidStreamID, "stream id"),
			badCall{"ReadStream of stream id " + b.name, es.CodeInvalidStreamID, []string{"stream id"}, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Events().ReadStream(ctx, id, store.StreamRead{})
				return err
			}},
			badCall{"StreamVersion of stream id " + b.name, es.CodeInvalidStreamID, []string{"stream id"}, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Events().StreamVersion(ctx, id)
				return err
			}},
		)
	}
	calls = append(calls, badAppend("append expecting an existing stream without a stream id", es.AppendRequest{Expected: es.StreamExists, Events: []es.Event{good("E")}}, es.CodeInvalidStreamID, "stream id"))
	k.reject(calls...)
	k.wantLogTypes("after the rejected appends")

	for _, id := range []es.StreamID{es.StreamID(strings.Repeat("s", es.MaxNameBytes)), "order-ü-€-𝄞 with spaces"} {
		k.appendOK(fmt.Sprintf("append to %q", id), es.AppendRequest{Stream: id, Expected: es.NoStream, Events: []es.Event{good("E")}})
		var got []es.Recorded
		k.atomic("read back", func(tx store.Tx) error {
			var err error
			got, err = tx.Events().ReadStream(k.ctx(), id, store.StreamRead{})
			return err
		})
		if len(got) != 1 || got[0].StreamID != id || got[0].StreamVersion != 1 {
			t.Errorf("stream %q read back as %d events (first: %+v), want one at version 1", id, len(got), got)
		}
	}
}

// badQueries: a query that is neither All nor a list of valid items is
// INVALID_QUERY, for reads and for append conditions (which then write
// nothing).
func badQueries(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.appendOK("seed", es.AppendRequest{Stream: "s", Events: []es.Event{good("E", "a:1")}})
	queries := []struct {
		name     string
		q        es.Query
		mentions []string
	}{
		{"the zero query", es.Query{}, []string{"query"}},
		{"no items", es.Items(), []string{"query"}},
		{"an item with neither types nor tags", es.Items(es.QueryItem{}), []string{"query item 0", "neither"}},
		{"a second item with neither types nor tags", es.Items(es.QueryItem{Types: []string{"E"}}, es.QueryItem{Types: []string{}, Tags: []es.Tag{}}), []string{"query item 1", "neither"}},
		{"an empty type", es.Types("E", ""), []string{"query item 0", "type"}},
		{"a duplicate tag", es.Tags("a:1", "b:2", "a:1"), []string{"query item 0", "duplicate"}},
		{"an empty tag", es.Tags(""), []string{"query item 0", "tag"}},
		{"a tag with NUL", es.Items(es.QueryItem{Types: []string{"E"}, Tags: []es.Tag{"a\x00"}}), []string{"query item 0", "tag"}},
		{"a type not UTF-8", es.Types("\xc3"), []string{"query item 0", "type"}},
	}
	var calls []badCall
	for _, c := range queries {
		q := c.q
		cond := es.FailIfMatch(q).WithAfter(0)
		calls = append(calls,
			badCall{"ReadQuery with " + c.name, es.CodeInvalidQuery, c.mentions, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Events().ReadQuery(ctx, q, store.QueryRead{})
				return err
			}},
			badAppend("append conditioned on "+c.name, es.AppendRequest{Condition: &cond, Events: []es.Event{good("New")}}, es.CodeInvalidQuery, c.mentions...),
			badAppend("stream append conditioned on "+c.name, es.AppendRequest{Stream: "s", Condition: &cond, Events: []es.Event{good("New")}}, es.CodeInvalidQuery, c.mentions...),
		)
	}
	k.reject(calls...)
	k.wantLogTypes("after the rejected conditional appends", "E")
}

// badNegatives: negative limits, versions, positions, cursors, leases and
// claim sizes are INVALID_ARGUMENT naming the value, and write nothing.
func badNegatives(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.appendOK("seed", es.AppendRequest{Stream: "s", Events: []es.Event{good("E")}})
	k.insertDoc("docs", "d", `1`)
	k.enqueue(store.JobSpec{Kind: "j"})
	negCond := es.FailIfMatch(es.Types("E")).WithAfter(-1)
	read := func(what string, mention string, fn func(ctx context.Context, ev store.EventLog) error) badCall {
		return badCall{what, es.CodeInvalidArgument, []string{mention}, func(ctx context.Context, tx store.Tx) error { return fn(ctx, tx.Events()) }}
	}
	k.reject(
		read("ReadStream with limit -1", "-1", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadStream(ctx, "s", store.StreamRead{Limit: -1})
			return err
		}),
		read("ReadStream from version -1", "-1", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadStream(ctx, "s", store.StreamRead{From: -1})
			return err
		}),
		read("backwards ReadStream from version -5", "-5", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadStream(ctx, "s", store.StreamRead{From: -5, Backwards: true})
			return err
		}),
		read("ReadAll with limit -1", "-1", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadAll(ctx, store.LogRead{Limit: -1})
			return err
		}),
		read("ReadAll after position -1", "-1", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadAll(ctx, store.LogRead{After: -1})
			return err
		}),
		read("ReadQuery with limit -1", "-1", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadQuery(ctx, es.All(), store.QueryRead{Limit: -1})
			return err
		}),
		read("ReadQuery after position -1", "-1", func(ctx context.Context, ev store.EventLog) error {
			_, err := ev.ReadQuery(ctx, es.All(), store.QueryRead{After: -1})
			return err
		}),
		badAppend("append with condition after -1", es.AppendRequest{Condition: &negCond, Events: []es.Event{good("New")}}, es.CodeInvalidArgument, "-1"),
		badAppend("append expecting version -1", es.AppendRequest{Stream: "s", Expected: es.Exact(-1), Events: []es.Event{good("New")}}, es.CodeInvalidArgument, "-1"),
		badCall{"List with limit -1", es.CodeInvalidArgument, []string{"-1"}, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Documents().List(ctx, "docs", store.ListOptions{Limit: -1})
			return err
		}},
		badCall{"Update expecting version -1", es.CodeInvalidArgument, []string{"-1"}, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Documents().Update(ctx, "docs", "d", -1, json.RawMessage(`2`))
			return err
		}},
		badCall{"Delete expecting version -1", es.CodeInvalidArgument, []string{"-1"}, func(ctx context.Context, tx store.Tx) error {
			return tx.Documents().Delete(ctx, "docs", "d", -1)
		}},
		badCall{"DeadLetters with limit -1", es.CodeInvalidArgument, []string{"-1"}, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Jobs().DeadLetters(ctx, "", -1)
			return err
		}},
		badCall{"Claim with max -1", es.CodeInvalidArgument, []string{"-1"}, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Jobs().Claim(ctx, -1, 0)
			return err
		}},
		badCall{"Claim with a negative lease", es.CodeInvalidArgument, []string{"lease"}, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Jobs().Claim(ctx, 1, -time.Second)
			return err
		}},
	)
	k.wantLogTypes("after the rejected calls", "E")
	k.wantDoc("the document after the rejected calls", store.Document{Collection: "docs", Key: "d", Data: json.RawMessage(`1`), Version: 1, UpdatedAt: k.now()})
	k.wantClaim("the job after the rejected claims", 0, "j")
}

// badDocuments: invalid collection names are INVALID_COLLECTION, invalid
// keys INVALID_KEY, and empty, non-JSON or oversized data INVALID_ARGUMENT
// or PAYLOAD_TOO_LARGE; nothing is written.
func badDocuments(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	existing := k.insertDoc("docs", "d", `{"v":1}`)
	names := []struct {
		name string
		s    string
	}{
		{"empty", ""},
		{"too long", strings.Repeat("n", es.MaxNameBytes+1)},
		{"with NUL", "a\x00b"},
		{"with tab", "a\tb"},
		{"not UTF-8", "a\xffb"},
	}
	data := json.RawMessage(`{}`)
	var calls []badCall
	for _, n := range names {
		name := n.s
		coll := func(op string, fn func(ctx context.Context, d store.Documents) error) badCall {
			return badCall{op + " in a collection named " + n.name, es.CodeInvalidCollection, []string{"collection"},
				func(ctx context.Context, tx store.Tx) error { return fn(ctx, tx.Documents()) }}
		}
		key := func(op string, fn func(ctx context.Context, d store.Documents) error) badCall {
			return badCall{op + " of a key " + n.name, es.CodeInvalidKey, []string{"key"},
				func(ctx context.Context, tx store.Tx) error { return fn(ctx, tx.Documents()) }}
		}
		calls = append(calls,
			coll("Get", func(ctx context.Context, d store.Documents) error { _, err := d.Get(ctx, name, "d"); return err }),
			coll("Insert", func(ctx context.Context, d store.Documents) error {
				_, err := d.Insert(ctx, name, "d", data)
				return err
			}),
			coll("Update", func(ctx context.Context, d store.Documents) error {
				_, err := d.Update(ctx, name, "d", 1, data)
				return err
			}),
			coll("Delete", func(ctx context.Context, d store.Documents) error { return d.Delete(ctx, name, "d", 0) }),
			coll("List", func(ctx context.Context, d store.Documents) error {
				_, err := d.List(ctx, name, store.ListOptions{})
				return err
			}),
			key("Get", func(ctx context.Context, d store.Documents) error { _, err := d.Get(ctx, "docs", name); return err }),
			key("Insert", func(ctx context.Context, d store.Documents) error {
				_, err := d.Insert(ctx, "docs", name, data)
				return err
			}),
			key("Update", func(ctx context.Context, d store.Documents) error {
				_, err := d.Update(ctx, "docs", name, 1, data)
				return err
			}),
			key("Delete", func(ctx context.Context, d store.Documents) error { return d.Delete(ctx, "docs", name, 0) }),
		)
	}
	for _, b := range []struct {
		name string
		data json.RawMessage
		code es.Code
	}{
		{"empty data", nil, es.CodeInvalidArgument},
		{"invalid JSON data", json.RawMessage(`{"v":`), es.CodeInvalidArgument},
		{"two JSON values", json.RawMessage(`1 2`), es.CodeInvalidArgument},
		{"data over the limit", jsonString(es.MaxPayloadBytes + 1), es.CodePayloadTooLarge},
	} {
		calls = append(calls,
			badCall{"Insert with " + b.name, b.code, []string{"data"}, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Documents().Insert(ctx, "docs", "new", b.data)
				return err
			}},
			badCall{"Update with " + b.name, b.code, []string{"data"}, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Documents().Update(ctx, "docs", "d", 1, b.data)
				return err
			}},
		)
	}
	k.reject(calls...)
	k.wantDoc("the existing document after the rejected calls", existing)
	keys, _ := k.listKeys("docs", store.ListOptions{})
	k.diff("keys after the rejected calls", []string{"d"}, keys)
}

// badIndexes: InsertIndexed validates the document as Insert does and its
// entries — invalid index names and duplicate or too many entries are
// INVALID_ARGUMENT, invalid index keys INVALID_KEY, each naming the entry —
// and writes nothing, entries included; ListIndex rejects invalid
// collections (INVALID_COLLECTION), index names, negative limits and
// prefixes or cursors that are not UTF-8 (INVALID_ARGUMENT).
func badIndexes(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	existing := k.insertIndexed("docs", "d", `{"v":1}`, store.IndexEntry{Index: "i", Key: "k"})
	insert := func(what string, code es.Code, mentions []string, coll, key string, data json.RawMessage, entries ...store.IndexEntry) badCall {
		return badCall{what, code, mentions, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Documents().InsertIndexed(ctx, coll, key, data, entries...)
			return err
		}}
	}
	list := func(what string, code es.Code, mentions []string, coll, index string, opts store.ListOptions) badCall {
		return badCall{what, code, mentions, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Documents().ListIndex(ctx, coll, index, opts)
			return err
		}}
	}
	data := json.RawMessage(`{}`)
	ok := store.IndexEntry{Index: "i", Key: "k2"}
	var calls []badCall
	for _, n := range []struct {
		name string
		s    string
	}{
		{"empty", ""},
		{"too long", strings.Repeat("n", es.MaxNameBytes+1)},
		{"with NUL", "a\x00b"},
		{"with tab", "a\tb"},
		{"not UTF-8", "a\xffb"},
	} {
		calls = append(calls,
			insert("InsertIndexed in a collection named "+n.name, es.CodeInvalidCollection, []string{"collection"}, n.s, "new", data, ok),
			insert("InsertIndexed of a key "+n.name, es.CodeInvalidKey, []string{"key"}, "docs", n.s, data, ok),
			insert("InsertIndexed with an index name "+n.name, es.CodeInvalidArgument, []string{"entries[1]", "index name"},
				"docs", "new", data, ok, store.IndexEntry{Index: n.s, Key: "k"}),
			insert("InsertIndexed with an index key "+n.name, es.CodeInvalidKey, []string{"entries[1]", "index key", `"j"`},
				"docs", "new", data, ok, store.IndexEntry{Index: "j", Key: n.s}),
			list("ListIndex in a collection named "+n.name, es.CodeInvalidCollection, []string{"collection"}, n.s, "i", store.ListOptions{}),
			list("ListIndex of an index named "+n.name, es.CodeInvalidArgument, []string{"index name"}, "docs", n.s, store.ListOptions{}),
		)
	}
	five := []store.IndexEntry{{Index: "a", Key: "k"}, {Index: "b", Key: "k"}, {Index: "c", Key: "k"}, {Index: "d", Key: "k"}, {Index: "e", Key: "k"}}
	calls = append(calls,
		insert("InsertIndexed with 5 entries", es.CodeInvalidArgument, []string{"5 index entries", "at most 4"}, "docs", "new", data, five...),
		insert("InsertIndexed naming one index twice", es.CodeInvalidArgument, []string{"entries[0]", "[2]", `"i"`},
			"docs", "new", data, ok, store.IndexEntry{Index: "j", Key: "k"}, store.IndexEntry{Index: "i", Key: "k3"}),
		insert("InsertIndexed with empty data", es.CodeInvalidArgument, []string{"data"}, "docs", "new", nil, ok),
		insert("InsertIndexed with invalid JSON", es.CodeInvalidArgument, []string{"data"}, "docs", "new", json.RawMessage(`{"v":`), ok),
		insert("InsertIndexed with data over the limit", es.CodePayloadTooLarge, []string{"data"}, "docs", "new", jsonString(es.MaxPayloadBytes+1), ok),
		list("ListIndex with limit -1", es.CodeInvalidArgument, []string{"-1"}, "docs", "i", store.ListOptions{Limit: -1}),
		list("ListIndex with a prefix that is not UTF-8", es.CodeInvalidArgument, []string{"UTF-8"}, "docs", "i", store.ListOptions{Prefix: "\xff"}),
		list("ListIndex with a cursor that is not UTF-8", es.CodeInvalidArgument, []string{"UTF-8"}, "docs", "i", store.ListOptions{After: "k\x00\xff"}),
	)
	k.reject(calls...)
	k.wantDoc("the existing document after the rejected calls", existing)
	k.wantNoDoc("after the rejected inserts", "docs", "new")
	keys, _ := k.listKeys("docs", store.ListOptions{})
	k.diff("keys after the rejected calls", []string{"d"}, keys)
	for _, index := range []string{"i", "j", "a", "e"} {
		keys, _ := k.indexKeys("docs", index, store.ListOptions{})
		want := []string{}
		if index == "i" {
			want = []string{"d"}
		}
		k.diff("index "+index+" after the rejected calls", want, keys)
	}
}

// badUnknownCollection: collections need no declaration; one never written
// reads as empty and has no documents to update or delete.
func badUnknownCollection(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.reject(
		badCall{"Get in an unknown collection", es.CodeNotFound, []string{"k"}, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Documents().Get(ctx, "unknown", "k")
			return err
		}},
		badCall{"Update in an unknown collection", es.CodeNotFound, []string{"k"}, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Documents().Update(ctx, "unknown", "k", 1, json.RawMessage(`{}`))
			return err
		}},
		badCall{"Delete in an unknown collection", es.CodeNotFound, []string{"k"}, func(ctx context.Context, tx store.Tx) error {
			return tx.Documents().Delete(ctx, "unknown", "k", 0)
		}},
	)
	p, err := k.listDocs("unknown", store.ListOptions{Prefix: "k"})
	if err != nil || len(p.Documents) != 0 || p.Next != "" {
		t.Errorf("List of an unknown collection: %d documents, Next %q, error %v; want an empty last page", len(p.Documents), p.Next, err)
	}
}

// badIdempotencyKeys: an invalid idempotency key is INVALID_ARGUMENT and
// the append writes nothing.
func badIdempotencyKeys(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	var calls []badCall
	for _, key := range []string{"", "key\x00", strings.Repeat("k", es.MaxNameBytes+1), "\xff"} {
		calls = append(calls, badAppend(fmt.Sprintf("idempotency key %q", key),
			es.AppendRequest{Stream: "s", Idempotency: &es.Idempotency{Key: key}, Events: []es.Event{good("E")}},
			es.CodeInvalidArgument, "idempotency key"))
	}
	k.reject(calls...)
	k.wantLogTypes("after the rejected appends")
}

// badInsideUnit: a rejected call inside a unit of work that goes on and
// commits leaves no trace of itself — no event, no stream version, no
// document — while the unit's valid writes commit.
func badInsideUnit(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.atomic("a unit with rejected calls", func(tx store.Tx) error {
		if _, err := tx.Events().Append(k.ctx(), es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{good("First")}}); err != nil {
			return err
		}
		_, err := tx.Events().Append(k.ctx(), es.AppendRequest{Stream: "s", Expected: es.Exact(1), Events: []es.Event{good("Second"), {Type: "Broken", Data: json.RawMessage(`{`)}}})
		k.wantCode("the half-bad append", err, es.CodeInvalidEvent, "events[1].data")
		_, err = tx.Documents().Insert(k.ctx(), "docs", "bad", json.RawMessage(`nope`))
		k.wantCode("the bad insert", err, es.CodeInvalidArgument, "data")
		_, err = tx.Jobs().Enqueue(k.ctx(), store.JobSpec{Kind: ""})
		k.wantCode("the bad enqueue", err, es.CodeInvalidArgument, "kind")
		if _, err := tx.Events().Append(k.ctx(), es.AppendRequest{Stream: "s", Expected: es.Exact(1), Events: []es.Event{good("Third")}}); err != nil {
			return fmt.Errorf("append at version 1 after the rejected one: %w", err)
		}
		_, err = tx.Documents().Insert(k.ctx(), "docs", "good", json.RawMessage(`1`))
		return err
	})
	k.wantLogTypes("after the unit", "First", "Third")
	keys, _ := k.listKeys("docs", store.ListOptions{})
	k.diff("documents after the unit", []string{"good"}, keys)
	k.wantClaim("jobs after the unit", 0)
}
