package postgresadapter_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/store"
)

// FuzzAppendNames appends an event whose stream id, type and tag come from
// the fuzzer — quotes, backslashes, SQL fragments, very long strings, NUL,
// invalid UTF-8 — and checks the outcome is exactly what validation
// decides: a typed error with the validation's code and nothing written,
// or an event that reads back byte for byte through the stream, the global
// log and a DCB query on its tag, with a condition on that tag then
// failing.
func FuzzAppendNames(f *testing.F) {
	for _, seed := range [][3]string{
		{"order-1", "OrderPlaced", "order:1"},
		{`o'; DROP TABLE events; --`, `"quoted"`, `tag'with"quotes`},
		{`back\slash\\`, `\x00`, `\'`},
		{"$1", "$$dollar$$", "E'\\n'"},
		{"ünïcödé-✓", "类型", "😀:tag"},
		{strings.Repeat("s", 256), strings.Repeat("t", 256), strings.Repeat("g", 256)},
		{strings.Repeat("s", 257), "T", "g"},
		{"nul\x00inside", "T", "g"},
		{"s", "T\x00", "g"},
		{"s", "T", "g\x00"},
		{"bad\xff\xfeutf8", "T", "g"},
		{"s", "T", "\xc3("},
		{"", "T", "g"},
		{"s", "", "g"},
		{"s", "T", ""},
		{"tab\tchar", "T", "g"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	db := pgtest.New(f)
	s := db.Open(f, postgresadapter.Options{Clock: es.NewVirtualClock(time.Time{}), IDs: es.NewSequentialIDs()})
	f.Fuzz(func(t *testing.T, stream, typ, tag string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		data := []byte(`{"s": "` + strings.ReplaceAll(strings.ReplaceAll(stream, `\`, `\\`), `"`, `\"`) + `"}`)
		ev := es.Event{Type: typ, Data: data, Tags: []es.Tag{es.Tag(tag)}}
		req := es.AppendRequest{Stream: es.StreamID(stream), Events: []es.Event{ev}}
		verr := req.Validate()
		before, err := store.ReadAll(ctx, s, store.LogRead{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		res, err := store.Append(ctx, s, req)
		if verr != nil {
			if err == nil {
				t.Fatalf("append %q/%q/%q succeeded; validation says %v", stream, typ, tag, verr)
			}
			if es.CodeOf(err) != es.CodeOf(verr) {
				t.Fatalf("append %q/%q/%q: code %s (%v), validation says %s", stream, typ, tag, es.CodeOf(err), err, es.CodeOf(verr))
			}
			after, rerr := store.ReadAll(ctx, s, store.LogRead{Limit: 1})
			if rerr != nil {
				t.Fatal(rerr)
			}
			if after.Head != before.Head {
				t.Fatalf("rejected append moved the head from %d to %d", before.Head, after.Head)
			}
			return
		}
		if err != nil {
			t.Fatalf("append %q/%q/%q: %v", stream, typ, tag, err)
		}
		page, err := store.ReadAll(ctx, s, store.LogRead{After: res.Positions[0] - 1, Limit: 1})
		if err != nil || len(page.Events) != 1 || page.Events[0].Metadata.EventID != res.EventIDs[0] {
			t.Fatalf("global log at %d: %+v %v", res.Positions[0], page, err)
		}
		r := page.Events[0]
		if r.Position != res.Positions[0] || string(r.StreamID) != stream || r.Type != typ || !slices.Equal(r.Tags, []es.Tag{es.Tag(tag)}) || string(r.Data) != string(data) {
			t.Fatalf("read back %+v, appended stream %q type %q tag %q data %s at %v", r, stream, typ, tag, data, res.Positions)
		}
		if stream != "" {
			got, err := store.ReadStream(ctx, s, es.StreamID(stream), store.StreamRead{Backwards: true, Limit: 1})
			if err != nil || len(got) != 1 || got[0].Position != r.Position || got[0].StreamVersion != res.Version {
				t.Fatalf("reading stream %q back: %+v %v, want position %d version %d", stream, got, err, r.Position, res.Version)
			}
		}
		q := es.Items(es.QueryItem{Types: []string{typ}, Tags: []es.Tag{es.Tag(tag)}})
		qr, err := store.ReadQuery(ctx, s, q, store.QueryRead{After: res.Positions[0] - 1})
		if err != nil || len(qr.Events) != 1 || qr.Events[0].Position != res.Positions[0] {
			t.Fatalf("DCB read of %s: %+v %v", q, qr, err)
		}
		cond := es.FailIfMatch(q).WithAfter(res.Positions[0] - 1)
		_, err = store.Append(ctx, s, es.AppendRequest{Condition: &cond, Events: []es.Event{es.MustEvent("Probe", 1)}})
		var cf *es.ConditionFailedError
		if !errors.As(err, &cf) {
			t.Fatalf("a condition matching the fuzzed event did not fail: %v", err)
		}
	})
}
