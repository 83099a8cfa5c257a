package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// These tests check the packed log (evlog.go) against a model of what the
// log must give back: every field of every event exactly as appended
// (with the store's defaults), whatever mix of fields, sizes, chunk
// boundaries and rollbacks produced it.

// setClock is a clock that reads whatever instant it was last given, in
// any location.
type setClock struct{ t time.Time }

func (c *setClock) Now() time.Time { return c.t }

// packEvent returns the i-th event of the tests' varied workload: types,
// tags, ids, categories, schema versions, extra maps and data of many
// sizes, some at the limits.
func packEvent(i int) es.Event {
	e := es.Event{Type: fmt.Sprintf("Type%d", i%7)}
	if i%97 == 0 {
		e.Type = strings.Repeat("T", es.MaxNameBytes)
	}
	switch {
	case i%250 == 7: // data of the largest size: with the strings, more than an arena chunk
		e.Data = json.RawMessage(`"` + strings.Repeat("d", es.MaxPayloadBytes-2) + `"`)
	case i%50 == 11: // larger than what is left of most chunks
		e.Data = json.RawMessage(`"` + strings.Repeat("e", 20000+i) + `"`)
	case i%10 == 5:
		e.Data = json.RawMessage(`1`) // the shortest data
	default:
		e.Data = json.RawMessage(fmt.Sprintf(`{"i":%d,"pad":%q}`, i, strings.Repeat("p", i%300)))
	}
	switch {
	case i%53 == 0:
		for j := range es.MaxTagsPerEvent {
			e.Tags = append(e.Tags, es.Tag(fmt.Sprintf("many:%d", j)))
		}
	case i%41 == 0:
		e.Tags = []es.Tag{es.Tag(strings.Repeat("g", es.MaxNameBytes)), "k:0"}
	case i%5 == 4:
		e.Tags = []es.Tag{} // empty, not nil: read back as nil
	default:
		for j := range i % 4 {
			e.Tags = append(e.Tags, es.Tag(fmt.Sprintf("k:%d-%d", j, i%13)))
		}
	}
	m := &e.Metadata
	if i%3 == 0 {
		m.EventID = fmt.Sprintf("id-%d", i)
	}
	if i%2 == 1 {
		m.CorrelationID = fmt.Sprintf("corr-é-%d", i)
	}
	if i%4 == 1 {
		m.CausationID = fmt.Sprintf("cause-%d", i)
	}
	if i%6 == 0 {
		m.Category = "cat"
	}
	if i%89 == 0 {
		m.CorrelationID = strings.Repeat("c", es.MaxNameBytes)
	}
	if i%5 != 0 {
		m.SchemaVersion = i % 5 * (1 << 40)
	}
	switch i % 9 {
	case 0:
		m.Extra = map[string]string{"a": fmt.Sprint(i), "b": "β"}
	case 4:
		m.Extra = map[string]string{} // empty, not nil: read back as such
	}
	return e
}

// mintedPackEvent is packEvent(i) without an explicit id.
func mintedPackEvent(i int) es.Event {
	e := packEvent(i)
	e.Metadata.EventID = ""
	return e
}

// model is what the log must hold.
type model struct {
	recs []es.Recorded
}

// add records an append's outcome the way the log must return it.
func (m *model) add(req es.AppendRequest, res es.AppendResult, at time.Time) {
	for i, e := range req.Events {
		r := es.Recorded{Event: e, StreamID: req.Stream, Position: res.Positions[i], RecordedAt: at.UTC()}
		r.Metadata.EventID = res.EventIDs[i]
		if r.Metadata.Category == "" {
			r.Metadata.Category = es.DefaultCategory
		}
		if r.Metadata.SchemaVersion == 0 {
			r.Metadata.SchemaVersion = es.DefaultSchemaVersion
		}
		r.Data = slices.Clone(e.Data)
		if len(e.Tags) == 0 {
			r.Tags = nil
		} else {
			r.Tags = slices.Clone(e.Tags)
		}
		r.Metadata.Extra = maps.Clone(e.Metadata.Extra)
		if req.Stream != "" {
			r.StreamVersion = res.Version - es.Version(len(req.Events)-1-i)
		}
		m.recs = append(m.recs, r)
	}
}

// checkRecs compares got with want field by field: nil and empty apart,
// RecordedAt by ==, so the time's representation (location, monotonic
// reading) must match too.
func checkRecs(t *testing.T, what string, want, got []es.Recorded) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		same := w.RecordedAt == g.RecordedAt && bytes.Equal(w.Data, g.Data) && (w.Data == nil) == (g.Data == nil) &&
			slices.Equal(w.Tags, g.Tags) && (w.Tags == nil) == (g.Tags == nil) &&
			maps.Equal(w.Metadata.Extra, g.Metadata.Extra) && (w.Metadata.Extra == nil) == (g.Metadata.Extra == nil)
		wm, gm := w.Metadata, g.Metadata
		same = same && w.Type == g.Type && wm.EventID == gm.EventID && wm.CorrelationID == gm.CorrelationID && wm.CausationID == gm.CausationID &&
			wm.SchemaVersion == gm.SchemaVersion && wm.Category == gm.Category && w.StreamID == g.StreamID && w.StreamVersion == g.StreamVersion && w.Position == g.Position
		if !same {
			t.Fatalf("%s: event [%d] differs (-want +got):\n%s", what, i, cmp.Diff(want[i], got[i]))
		}
	}
}

func readAllPages(t *testing.T, s *Store, limit int) []es.Recorded {
	t.Helper()
	var out []es.Recorded
	var after es.Position
	for {
		page, err := store.ReadAll(context.Background(), s, store.LogRead{After: after, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Events...)
		if !page.HasMore {
			return out
		}
		after = page.Next
	}
}

// appendPacked appends events from..to-1 of the workload in requests of one
// to five events, to ten streams and without a stream, advancing clk
// between requests, and records them in m.
func appendPacked(t *testing.T, s *Store, clk *setClock, m *model, from, to int) {
	t.Helper()
	for i := from; i < to; {
		n := min(1+i%5, to-i)
		req := es.AppendRequest{}
		if i%4 != 3 {
			req.Stream = es.StreamID(fmt.Sprintf("s-%d", i%10))
		}
		for j := range n {
			req.Events = append(req.Events, packEvent(i+j))
		}
		clk.t = clk.t.Add(time.Duration(1_000_003*i+7) * time.Nanosecond)
		res, err := store.Append(context.Background(), s, req)
		if err != nil {
			t.Fatalf("append of events %d..%d: %v", i, i+n-1, err)
		}
		m.add(req, res, clk.t)
		i += n
	}
}

func TestPackedLogReadsBackEveryField(t *testing.T) {
	ctx := context.Background()
	// A clock in a zone other than UTC, with nanoseconds: the store
	// records its instant in UTC.
	clk := &setClock{t: time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 5*3600))}
	s := New(WithClock(clk))
	var m model
	const total = 2600 // more than two record chunks, dozens of arena chunks
	appendPacked(t, s, clk, &m, 0, total)

	l := &s.st.log
	if l.n != total || len(l.chunks) != 3 {
		t.Fatalf("log holds %d events in %d record chunks, want %d in 3", l.n, len(l.chunks), total)
	}
	big := 0
	for _, a := range l.arena {
		if cap(a) > arenaChunk {
			big++
		}
	}
	if len(l.arena) < 20 || big == 0 {
		t.Fatalf("arena has %d chunks, %d of them oversized; the workload should need many and some oversized", len(l.arena), big)
	}

	checkRecs(t, "read all", m.recs, readAllPages(t, s, store.MaxLogLimit))
	checkRecs(t, "read all by 7", m.recs, readAllPages(t, s, 7))
	for k := range 10 {
		stream := es.StreamID(fmt.Sprintf("s-%d", k))
		var want []es.Recorded
		for _, r := range m.recs {
			if r.StreamID == stream {
				want = append(want, r)
			}
		}
		got, err := store.ReadStream(ctx, s, stream, store.StreamRead{Limit: store.MaxStreamLimit})
		if err != nil {
			t.Fatal(err)
		}
		checkRecs(t, string(stream), want, got)
		got, err = store.ReadStream(ctx, s, stream, store.StreamRead{Backwards: true, Limit: store.MaxStreamLimit})
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(want)
		checkRecs(t, string(stream)+" backwards", want, got)
	}
	for _, q := range []es.Query{
		es.Items(es.QueryItem{Tags: []es.Tag{"k:0-3"}}),
		es.Items(es.QueryItem{Types: []string{"Type3", strings.Repeat("T", es.MaxNameBytes)}}),
		es.Items(es.QueryItem{Tags: []es.Tag{"many:63"}}, es.QueryItem{Types: []string{"Type1"}, Tags: []es.Tag{"k:1-1"}}),
	} {
		var want []es.Recorded
		for _, r := range m.recs {
			if q.Matches(r.Event) {
				want = append(want, r)
			}
		}
		if len(want) < 2 {
			t.Fatalf("%v matches %d events; the test needs more", q, len(want))
		}
		res, err := store.ReadQuery(ctx, s, q, store.QueryRead{})
		if err != nil {
			t.Fatal(err)
		}
		checkRecs(t, q.String(), want, res.Events)
		// Conditions decide on the same stored events (the probing
		// appends are rolled back).
		last := want[len(want)-1].Position
		errProbe := errors.New("probe written")
		for _, c := range []struct {
			after es.Position
			want  error
		}{{last - 1, &es.ConditionFailedError{}}, {last, errProbe}} {
			cond := es.FailIfMatch(q).WithAfter(c.after)
			err := s.Atomic(ctx, func(tx store.Tx) error {
				if _, err := tx.Events().Append(ctx, es.AppendRequest{Condition: &cond, Events: []es.Event{{Type: "Probe", Data: json.RawMessage(`0`)}}}); err != nil {
					return err
				}
				return errProbe
			})
			if es.CodeOf(err) != es.CodeOf(c.want) || (c.want == errProbe) != errors.Is(err, errProbe) {
				t.Fatalf("%v after %d: %v, want %v", q, c.after, err, c.want)
			}
		}
	}
	// Every stored id is found by the id index, and reused ids are refused.
	for _, id := range []string{"id-0", "id-2598", m.recs[1].Metadata.EventID} {
		_, err := store.Append(ctx, s, es.AppendRequest{Events: []es.Event{{Type: "Dup", Data: json.RawMessage(`0`), Metadata: es.Metadata{EventID: id}}}})
		if es.CodeOf(err) != es.CodeInvalidEvent {
			t.Fatalf("reusing id %q: %v, want INVALID_EVENT", id, err)
		}
	}
}

func TestPackedLogRecordedAtIsExact(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), // before the epoch, with nanoseconds
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),                 // the zero instant
		time.Date(2500, 1, 2, 3, 4, 5, 6, time.FixedZone("Y", -7*3600)),
		time.Date(2024, 2, 29, 12, 0, 0, 1, time.Local),
	} {
		clk := &setClock{t: at}
		s := New(WithClock(clk))
		if _, err := store.Append(context.Background(), s, es.AppendRequest{Stream: "s", Events: []es.Event{{Type: "T", Data: json.RawMessage(`{}`)}}}); err != nil {
			t.Fatal(err)
		}
		got := readAllPages(t, s, 10)
		if len(got) != 1 || got[0].RecordedAt != at.UTC() {
			t.Fatalf("recorded at %v: read back %#v, want %#v", at, got, at.UTC())
		}
	}
}

// arenaEnd is where the next event's bytes would go: the arena's chunk
// count and the length of its last chunk.
func arenaEnd(l *recLog) [2]int {
	if len(l.arena) == 0 {
		return [2]int{}
	}
	return [2]int{len(l.arena), len(l.arena[len(l.arena)-1])}
}

func TestPackedLogRollbackThenAppend(t *testing.T) {
	ctx := context.Background()
	clk := &setClock{t: es.DefaultVirtualStart}
	s := New(WithClock(clk))
	var m model
	appendPacked(t, s, clk, &m, 0, 300)
	boom := errors.New("boom")

	// A rolled-back unit nobody read from: its space is reused, its
	// extra maps are dropped, and later appends read back right.
	before, extras := arenaEnd(&s.st.log), len(s.st.log.extra)
	err := s.Atomic(ctx, func(tx store.Tx) error {
		for i := 1000; i < 1400; i += 4 { // crosses into new arena chunks
			evs := []es.Event{packEvent(i), packEvent(i + 1), packEvent(i + 2), packEvent(i + 3)}
			if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "rb", Events: evs}); err != nil {
				return err
			}
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if after := arenaEnd(&s.st.log); after != before || len(s.st.log.extra) != extras {
		t.Fatalf("after an unread rollback the arena ends at %v with %d extra maps, want %v and %d", after, len(s.st.log.extra), before, extras)
	}
	appendPacked(t, s, clk, &m, 2000, 2300)
	checkRecs(t, "after an unread rollback", m.recs, readAllPages(t, s, 1000))

	// A rolled-back unit that read its own events: what it read stays
	// intact although later appends write the same amount of bytes.
	var held []es.Recorded
	var heldModel model
	before = arenaEnd(&s.st.log)
	err = s.Atomic(ctx, func(tx store.Tx) error {
		req := es.AppendRequest{Stream: "rb", Events: []es.Event{packEvent(3000), packEvent(3001), packEvent(3002)}}
		res, err := tx.Events().Append(ctx, req)
		if err != nil {
			return err
		}
		heldModel.add(req, res, clk.t)
		// Only the first event is read: it alone must keep the
		// space of all three.
		if held, err = tx.Events().ReadStream(ctx, "rb", store.StreamRead{Limit: 1}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if after := arenaEnd(&s.st.log); after == before {
		t.Fatalf("after a rollback of read events the arena ends where it did before (%v): their bytes would be overwritten", after)
	}
	// The next appends are the same events with other strings (explicit
	// ids, types, tags of the same lengths).
	req := es.AppendRequest{Stream: "rb"}
	for i := 3000; i < 3003; i++ {
		e := packEvent(i)
		e.Type = strings.Repeat("Z", len(e.Type))
		e.Metadata.EventID = fmt.Sprintf("zz-%d", i)
		e.Tags = nil
		req.Events = append(req.Events, e)
	}
	res, err := store.Append(ctx, s, req)
	if err != nil {
		t.Fatal(err)
	}
	m.add(req, res, clk.t)
	checkRecs(t, "events read before their rollback", heldModel.recs[:1], held)
	checkRecs(t, "after a read rollback", m.recs, readAllPages(t, s, 1000))

	// The freed positions take events with and without extra maps.
	err = s.Atomic(ctx, func(tx store.Tx) error {
		_, err := tx.Events().Append(ctx, es.AppendRequest{Events: []es.Event{mintedPackEvent(0), mintedPackEvent(4)}}) // both with extra
		if err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	req = es.AppendRequest{Events: []es.Event{mintedPackEvent(1), mintedPackEvent(9)}} // without, with
	res, err = store.Append(ctx, s, req)
	if err != nil {
		t.Fatal(err)
	}
	m.add(req, res, clk.t)
	checkRecs(t, "extra after a rollback", m.recs, readAllPages(t, s, 1000))
}

func TestPackedLogReadsAreCopies(t *testing.T) {
	ctx := context.Background()
	s := New()
	e := packEvent(0) // tags, extra
	if _, err := store.Append(ctx, s, es.AppendRequest{Stream: "s", Events: []es.Event{e, packEvent(9)}}); err != nil {
		t.Fatal(err)
	}
	want := readAllPages(t, s, 10)
	got := readAllPages(t, s, 10)
	for i := range got {
		for j := range got[i].Data {
			got[i].Data[j] = 'X'
		}
		for j := range got[i].Tags {
			got[i].Tags[j] = "mutated"
		}
		got[i].Metadata.Extra["a"] = "mutated"
	}
	// The caller's own event is not shared either.
	e.Data[0] = 'Y'
	e.Tags[0] = "mutated"
	e.Metadata.Extra["a"] = "mutated"
	checkRecs(t, "reread after the callers mutated", want, readAllPages(t, s, 10))
	if want[0].Data[0] == 'Y' || want[0].Metadata.Extra["a"] == "mutated" {
		t.Fatalf("the log shares the appended event's memory: %+v", want[0])
	}
}

// The write loop checks minted ids only: one that equals a later explicit
// id of the same append is still refused, writing nothing.
func TestMintedIDEqualToAnExplicitOneOfTheSameAppend(t *testing.T) {
	ctx := context.Background()
	s := New()
	next := es.NewSequentialIDs().NewID() // what the store mints first
	_, err := store.Append(ctx, s, es.AppendRequest{Stream: "s", Events: []es.Event{
		{Type: "T", Data: json.RawMessage(`1`)},
		{Type: "T", Data: json.RawMessage(`2`), Metadata: es.Metadata{EventID: next}},
	}})
	if es.CodeOf(err) != es.CodeInternal {
		t.Fatalf("append = %v, want INTERNAL", err)
	}
	if s.st.log.n != 0 || len(s.st.streams) != 0 || len(s.st.byType) != 0 || len(s.st.byID.first) != 0 {
		t.Fatalf("the refused append left %d events, %d streams, %d types, %d ids", s.st.log.n, len(s.st.streams), len(s.st.byType), len(s.st.byID.first))
	}
}
