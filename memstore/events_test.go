package memstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

func versions(rs []es.Recorded) []es.Version {
	var out []es.Version
	for _, r := range rs {
		out = append(out, r.StreamVersion)
	}
	return out
}

func positions(rs []es.Recorded) []es.Position {
	var out []es.Position
	for _, r := range rs {
		out = append(out, r.Position)
	}
	return out
}

func TestReadStreamWindows(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	// Interleave two streams so stream versions and positions differ.
	for i := range 5 {
		mustAppend(t, s, es.AppendRequest{Stream: "a", Events: []es.Event{ev("A")}})
		mustAppend(t, s, es.AppendRequest{Stream: "b", Events: []es.Event{ev("B")}})
		_ = i
	}
	for _, tc := range []struct {
		opts store.StreamRead
		want []es.Version
	}{
		{store.StreamRead{}, []es.Version{1, 2, 3, 4, 5}},
		{store.StreamRead{From: 2}, []es.Version{3, 4, 5}},
		{store.StreamRead{From: 2, Limit: 2}, []es.Version{3, 4}},
		{store.StreamRead{From: 5}, nil},
		{store.StreamRead{From: 9}, nil},
		{store.StreamRead{Backwards: true}, []es.Version{5, 4, 3, 2, 1}},
		{store.StreamRead{Backwards: true, Limit: 2}, []es.Version{5, 4}},
		{store.StreamRead{Backwards: true, From: 4}, []es.Version{3, 2, 1}},
		{store.StreamRead{Backwards: true, From: 4, Limit: 2}, []es.Version{3, 2}},
		{store.StreamRead{Backwards: true, From: 1}, nil},
		{store.StreamRead{Backwards: true, From: 99}, []es.Version{5, 4, 3, 2, 1}},
	} {
		got, err := store.ReadStream(ctx, s, "a", tc.opts)
		if err != nil {
			t.Fatalf("%+v: %v", tc.opts, err)
		}
		if diff := cmp.Diff(tc.want, versions(got)); diff != "" {
			t.Errorf("%+v: versions (-want +got):\n%s", tc.opts, diff)
		}
		for _, r := range got {
			if r.StreamID != "a" || r.Type != "A" || r.Position != es.Position(2*r.StreamVersion-1) {
				t.Errorf("%+v: bad record %+v", tc.opts, r)
			}
		}
	}
	got, err := store.ReadStream(ctx, s, "missing", store.StreamRead{})
	if err != nil || got != nil {
		t.Fatalf("missing stream = %v, %v; want nil, nil", got, err)
	}
	_, err = store.ReadStream(ctx, s, "a", store.StreamRead{From: -1})
	wantCode(t, err, es.CodeInvalidArgument)
	_, err = store.ReadStream(ctx, s, "a", store.StreamRead{Limit: -1})
	wantCode(t, err, es.CodeInvalidArgument)
	_, err = store.ReadStream(ctx, s, "", store.StreamRead{})
	wantCode(t, err, es.CodeInvalidStreamID)
}

func TestReadAllPages(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	for i := range 7 {
		mustAppend(t, s, es.AppendRequest{Stream: streamName(i % 3), Events: []es.Event{ev("E")}})
	}
	page, err := store.ReadAll(ctx, s, store.LogRead{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]es.Position{1, 2, 3}, positions(page.Events)); diff != "" || page.Next != 3 || page.Head != 7 || !page.HasMore {
		t.Fatalf("first page %+v %s", page, diff)
	}
	page, _ = store.ReadAll(ctx, s, store.LogRead{After: 6, Limit: 3})
	if diff := cmp.Diff([]es.Position{7}, positions(page.Events)); diff != "" || page.Next != 7 || page.HasMore {
		t.Fatalf("last page %+v %s", page, diff)
	}
	page, _ = store.ReadAll(ctx, s, store.LogRead{After: 50})
	if page.Events != nil || page.Next != 50 || page.Head != 7 || page.HasMore {
		t.Fatalf("page past the head %+v", page)
	}
	_, err = store.ReadAll(ctx, s, store.LogRead{After: -1})
	wantCode(t, err, es.CodeInvalidArgument)
	_, err = store.ReadAll(ctx, s, store.LogRead{Limit: -5})
	wantCode(t, err, es.CodeInvalidArgument)
}

func TestAppendRecordsDefaultsAndSharedTimestamp(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	s.VirtualClock().Advance(90 * time.Second)
	in := []es.Event{
		{Type: "A", Data: json.RawMessage(`{"x":1}`), Metadata: es.Metadata{EventID: "mine", CorrelationID: "c", Extra: map[string]string{"k": "v"}}},
		{Type: "B", Data: json.RawMessage(`null`), Tags: []es.Tag{"t:1"}, Metadata: es.Metadata{Category: "integration", SchemaVersion: 3}},
	}
	res := mustAppend(t, s, es.AppendRequest{Stream: "x", Expected: es.NoStream, Events: in})
	want := es.AppendResult{Stream: "x", EventIDs: []string{"mine", "00000000-0000-7000-8000-000000000001"}, Positions: []es.Position{1, 2}, Version: 2}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Fatalf("result (-want +got):\n%s", diff)
	}
	at := es.DefaultVirtualStart.Add(90 * time.Second)
	got, _ := store.ReadStream(ctx, s, "x", store.StreamRead{})
	wantRecs := []es.Recorded{
		{Event: es.Event{Type: "A", Data: json.RawMessage(`{"x":1}`), Metadata: es.Metadata{EventID: "mine", CorrelationID: "c", Category: "domain", SchemaVersion: 1, Extra: map[string]string{"k": "v"}}}, StreamID: "x", StreamVersion: 1, Position: 1, RecordedAt: at},
		{Event: es.Event{Type: "B", Data: json.RawMessage(`null`), Tags: []es.Tag{"t:1"}, Metadata: es.Metadata{EventID: "00000000-0000-7000-8000-000000000001", Category: "integration", SchemaVersion: 3}}, StreamID: "x", StreamVersion: 2, Position: 2, RecordedAt: at},
	}
	if diff := cmp.Diff(wantRecs, got); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
}

func TestBytesAreCopiedInAndOut(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	data := []byte(`{"a":1}`)
	tags := []es.Tag{"t:1"}
	extra := map[string]string{"k": "v"}
	mustAppend(t, s, es.AppendRequest{Stream: "x", Events: []es.Event{{Type: "A", Data: data, Tags: tags, Metadata: es.Metadata{Extra: extra}}}})
	copy(data, `{"b":2}`)
	tags[0] = "t:2"
	extra["k"] = "changed"

	read := func() es.Recorded {
		got, err := store.ReadStream(ctx, s, "x", store.StreamRead{})
		if err != nil || len(got) != 1 {
			t.Fatalf("read: %v %v", got, err)
		}
		return got[0]
	}
	r := read()
	if string(r.Data) != `{"a":1}` || r.Tags[0] != "t:1" || r.Metadata.Extra["k"] != "v" {
		t.Fatalf("caller's buffers leaked into the log: %+v", r)
	}
	r.Data[2] = 'z'
	r.Tags[0] = "t:9"
	r.Metadata.Extra["k"] = "x"
	r = read()
	if string(r.Data) != `{"a":1}` || r.Tags[0] != "t:1" || r.Metadata.Extra["k"] != "v" {
		t.Fatalf("reader's buffers are the log's: %+v", r)
	}
	// Appending to a returned slice must not reach the next record.
	page, _ := store.ReadAll(ctx, s, store.LogRead{})
	_ = append(page.Events[0].Data, 'X')

	// Documents and jobs too.
	doc := []byte(`{"d":1}`)
	err := s.Atomic(ctx, func(tx store.Tx) error {
		_, err := tx.Documents().Insert(ctx, "c", "k", doc)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	copy(doc, `{"e":2}`)
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		d, _ := tx.Documents().Get(ctx, "c", "k")
		if string(d.Data) != `{"d":1}` {
			t.Errorf("document data = %s", d.Data)
		}
		d.Data[2] = 'q'
		d2, _ := tx.Documents().Get(ctx, "c", "k")
		if string(d2.Data) != `{"d":1}` {
			t.Errorf("document data after caller change = %s", d2.Data)
		}
		return nil
	})
}

func TestIdempotentAppend(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	req := es.AppendRequest{Stream: "x", Expected: es.NoStream, Idempotency: &es.Idempotency{Key: "cmd-1"}, Events: []es.Event{ev("A"), ev("B")}}
	first := mustAppend(t, s, req)
	mustAppend(t, s, es.AppendRequest{Stream: "x", Events: []es.Event{ev("C")}})

	// Same key, same fingerprint: the first result, even with a stale
	// expected version and fresh event ids; nothing written.
	retry := req
	retry.Events = []es.Event{ev("A"), ev("B")}
	retry.Events[0].Metadata.EventID = "fresh"
	dup := mustAppend(t, s, retry)
	want := first
	want.Duplicate = true
	if diff := cmp.Diff(want, dup); diff != "" {
		t.Fatalf("duplicate (-want +got):\n%s", diff)
	}
	// Same key, other fingerprint: conflict, audited, nothing written; the
	// audit survives the rolled-back unit of work.
	s.VirtualClock().Advance(time.Minute)
	other := es.AppendRequest{Stream: "y", Idempotency: &es.Idempotency{Key: "cmd-1"}, Events: []es.Event{ev("Z")}}
	_, err := store.Append(ctx, s, other)
	var ic *es.IdempotencyConflictError
	if !errors.As(err, &ic) || ic.Key != "cmd-1" || ic.ExistingFingerprint == ic.IncomingFingerprint {
		t.Fatalf("reuse with other payload = %v", err)
	}
	fpOther, _ := es.Fingerprint(other)
	fpFirst, _ := es.Fingerprint(req)
	if ic.IncomingFingerprint != fpOther || ic.ExistingFingerprint != fpFirst {
		t.Fatalf("conflict fingerprints %+v", ic)
	}
	// An explicit fingerprint is used as given.
	_, err = store.Append(ctx, s, es.AppendRequest{Stream: "x", Idempotency: &es.Idempotency{Key: "cmd-1", Fingerprint: "explicit"}, Events: []es.Event{ev("A"), ev("B")}})
	wantCode(t, err, es.CodeIdempotencyConflict)

	var audits []store.IdempotencyAudit
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		audits, err = tx.Events().IdempotencyAudits(ctx, "cmd-1")
		return err
	})
	wantAudits := []store.IdempotencyAudit{
		{ID: "00000000-0000-7000-8000-000000000004", Key: "cmd-1", Stream: "y", ExistingFingerprint: fpFirst, IncomingFingerprint: fpOther, At: es.DefaultVirtualStart.Add(time.Minute)},
		{ID: "00000000-0000-7000-8000-000000000005", Key: "cmd-1", Stream: "x", ExistingFingerprint: fpFirst, IncomingFingerprint: "explicit", At: es.DefaultVirtualStart.Add(time.Minute)},
	}
	if diff := cmp.Diff(wantAudits, audits); diff != "" {
		t.Fatalf("audits (-want +got):\n%s", diff)
	}
	if n := len(readAll(t, s)); n != 3 {
		t.Fatalf("log has %d events, want 3", n)
	}
	// Returned slices are copies: changing them does not change the stored result.
	dup.Positions[0] = 99
	again := mustAppend(t, s, retry)
	if again.Positions[0] != 1 {
		t.Fatalf("stored idempotent result was changed through a returned slice: %+v", again)
	}
}

func TestConditionAndExpectedVersionOrder(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	mustAppend(t, s, es.AppendRequest{Stream: "x", Events: []es.Event{ev("A", "t:1")}})
	cond := es.FailIfMatch(es.Tags("t:1"))
	// Both fail: the expected version is reported.
	_, err := store.Append(ctx, s, es.AppendRequest{Stream: "x", Expected: es.NoStream, Condition: &cond, Events: []es.Event{ev("B")}})
	wantCode(t, err, es.CodeConcurrency)
	_, err = store.Append(ctx, s, es.AppendRequest{Stream: "x", Expected: es.StreamExists, Condition: &cond, Events: []es.Event{ev("B")}})
	wantCode(t, err, es.CodeAppendCondition)
	var cf *es.ConditionFailedError
	if !errors.As(err, &cf) || cf.Condition.FailIfEventsMatch.String() != "[tags(t:1)]" {
		t.Fatalf("condition error %v", err)
	}
	// After bounds the check.
	ok := cond.WithAfter(1)
	res := mustAppend(t, s, es.AppendRequest{Stream: "x", Expected: es.StreamExists, Condition: &ok, Events: []es.Event{ev("B", "t:1")}})
	if res.Version != 2 || res.Positions[0] != 2 {
		t.Fatalf("conditional stream append %+v", res)
	}
	// All fails on any event after After, and not past the head.
	all := es.FailIfMatch(es.All()).WithAfter(1)
	_, err = store.Append(ctx, s, es.AppendRequest{Condition: &all, Events: []es.Event{ev("C")}})
	wantCode(t, err, es.CodeAppendCondition)
	past := es.FailIfMatch(es.All()).WithAfter(100)
	res = mustAppend(t, s, es.AppendRequest{Condition: &past, Events: []es.Event{ev("C")}})
	if res.Version != 0 || res.Stream != "" || res.Positions[0] != 3 {
		t.Fatalf("pure DCB append %+v", res)
	}
}

func TestBadInputNeverWritesOrPanics(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	neg := es.Position(-1)
	big := json.RawMessage(`"` + strings.Repeat("x", es.MaxPayloadBytes) + `"`)
	many := make([]es.Event, es.MaxEventsPerAppend+1)
	for i := range many {
		many[i] = ev("E")
	}
	cases := []struct {
		req  es.AppendRequest
		code es.Code
	}{
		{es.AppendRequest{Stream: "x"}, es.CodeEmptyAppend},
		{es.AppendRequest{Stream: "x", Events: many}, es.CodeTooManyEvents},
		{es.AppendRequest{Stream: "x", Events: []es.Event{ev("A"), {Type: "B", Data: big}}}, es.CodePayloadTooLarge},
		{es.AppendRequest{Stream: "bad\x00id", Events: []es.Event{ev("A")}}, es.CodeInvalidStreamID},
		{es.AppendRequest{Expected: es.NoStream, Events: []es.Event{ev("A")}}, es.CodeInvalidStreamID},
		{es.AppendRequest{Stream: "x", Events: []es.Event{ev("A"), ev("B", "t", "t")}}, es.CodeInvalidTag},
		{es.AppendRequest{Stream: "x", Events: []es.Event{{Type: "A", Data: json.RawMessage(`{`)}}}, es.CodeInvalidEvent},
		{es.AppendRequest{Stream: "x", Events: []es.Event{{Type: "A"}}}, es.CodeInvalidEvent},
		{es.AppendRequest{Stream: "x", Condition: &es.AppendCondition{}, Events: []es.Event{ev("A")}}, es.CodeInvalidQuery},
		{es.AppendRequest{Stream: "x", Condition: &es.AppendCondition{FailIfEventsMatch: es.Items(es.QueryItem{})}, Events: []es.Event{ev("A")}}, es.CodeInvalidQuery},
		{es.AppendRequest{Stream: "x", Condition: &es.AppendCondition{FailIfEventsMatch: es.All(), After: &neg}, Events: []es.Event{ev("A")}}, es.CodeInvalidArgument},
		{es.AppendRequest{Stream: "x", Expected: es.Exact(-2), Events: []es.Event{ev("A")}}, es.CodeInvalidArgument},
		{es.AppendRequest{Stream: "x", Idempotency: &es.Idempotency{}, Events: []es.Event{ev("A")}}, es.CodeInvalidArgument},
	}
	for i, tc := range cases {
		_, err := store.Append(ctx, s, tc.req)
		if es.CodeOf(err) != tc.code {
			t.Errorf("case %d: code %q (%v), want %q", i, es.CodeOf(err), err, tc.code)
		}
	}
	_, err := store.ReadQuery(ctx, s, es.Query{}, store.QueryRead{})
	wantCode(t, err, es.CodeInvalidQuery)
	_, err = store.ReadQuery(ctx, s, es.All(), store.QueryRead{After: -1})
	wantCode(t, err, es.CodeInvalidArgument)
	_, err = store.ReadQuery(ctx, s, es.All(), store.QueryRead{Limit: -1})
	wantCode(t, err, es.CodeInvalidArgument)
	err = s.Atomic(ctx, func(tx store.Tx) error {
		_, err := tx.Events().IdempotencyAudits(ctx, "")
		wantCode(t, err, es.CodeInvalidArgument)
		_, err = tx.Events().StreamVersion(ctx, "")
		wantCode(t, err, es.CodeInvalidStreamID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(readAll(t, s)); n != 0 {
		t.Fatalf("bad input wrote %d events", n)
	}
}

// TestDeterministicBytes runs the same scenario on two stores and compares
// every observable byte.
func TestDeterministicBytes(t *testing.T) {
	run := func() string {
		s := memstore.New()
		jobID := seed(t, s)
		ctx := context.Background()
		if err := s.Atomic(ctx, func(tx store.Tx) error { return writeEverything(ctx, tx, jobID) }); err != nil {
			t.Fatal(err)
		}
		s.VirtualClock().Advance(time.Hour)
		mustAppend(t, s, es.AppendRequest{Stream: "z", Events: []es.Event{ev("Late")}})
		return snapshot(t, s, []es.StreamID{"a", "b", "z"}, allDocs, []string{jobID})
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("two runs differ:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, `"recordedAt":"2026-01-01T01:00:00Z"`) {
		t.Fatalf("snapshot lacks the virtual time: %s", a)
	}
}

func TestDefaultsAndOptions(t *testing.T) {
	s := memstore.New()
	if s.VirtualClock() == nil || !s.Clock().Now().Equal(es.DefaultVirtualStart) {
		t.Fatalf("default clock %v", s.Clock())
	}
	if fmt.Sprint(s.Capabilities()) != "[gapless-positions fault-injection]" {
		t.Fatalf("capabilities %v", s.Capabilities())
	}
	ids := es.NewSeededIDs(7)
	s2 := memstore.New(memstore.WithClock(es.RealClock{}), memstore.WithIDs(ids), memstore.WithClock(nil), memstore.WithIDs(nil))
	if s2.VirtualClock() != nil || s2.IDs() != es.IDs(ids) {
		t.Fatalf("options not applied: %T %T", s2.Clock(), s2.IDs())
	}
	caps := s.Capabilities()
	caps[0] = "changed"
	if memstore.Capabilities[0] != store.GaplessPositions {
		t.Fatal("Capabilities() exposes the package slice")
	}
}

// An id source that mints an id already in the log fails the append with
// INTERNAL and leaves none of its events behind, even when the unit of
// work goes on and commits: the minted id stays owned by the earlier event.
func TestMintedIDCollisionWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := memstore.New() // sequential ids, as minted here
	seq := es.NewSequentialIDs()
	seq.NewID()
	first := seq.NewID() // the store's second minted id
	taken := ev("Taken")
	taken.Metadata.EventID = first
	mustAppend(t, s, es.AppendRequest{Stream: "a", Events: []es.Event{taken}})
	err := s.Atomic(ctx, func(tx store.Tx) error {
		// The first event gets a fresh id, the second the taken one.
		_, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "b", Events: []es.Event{ev("B1"), ev("B1")}})
		wantCode(t, err, es.CodeInternal)
		if !strings.Contains(err.Error(), first) {
			t.Errorf("error %q does not name the minted id %s", err, first)
		}
		if v, err := tx.Events().StreamVersion(ctx, "b"); err != nil || v != 0 {
			t.Errorf("stream b after the failed append: version %d, %v", v, err)
		}
		// The unit goes on; the next minted id is free.
		_, err = tx.Events().Append(ctx, es.AppendRequest{Stream: "b", Expected: es.NoStream, Events: []es.Event{ev("B2")}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, s)
	if len(got) != 2 || got[0].Metadata.EventID != first || got[0].Type != "Taken" ||
		got[1].Type != "B2" || got[1].Position != 2 || got[1].StreamVersion != 1 || got[1].Metadata.EventID == first {
		t.Fatalf("log after the failed append: %+v", got)
	}
}

// The id index is built on the first append with an explicit id, from the
// whole log; a rollback of the unit that built it removes that unit's ids,
// minted or explicit, so both can be appended again.
func TestIDIndexBuiltInsideARolledBackUnit(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	kept := mustAppend(t, s, es.AppendRequest{Stream: "a", Events: []es.Event{ev("A")}}).EventIDs[0]
	boom := errors.New("boom")
	var minted string
	err := s.Atomic(ctx, func(tx store.Tx) error {
		res, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "b", Events: []es.Event{ev("B")}})
		if err != nil {
			return err
		}
		minted = res.EventIDs[0]
		e := ev("C")
		e.Metadata.EventID = "explicit-1"
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Events: []es.Event{e}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomic: got %v, want %v", err, boom)
	}
	for _, id := range []string{minted, "explicit-1"} {
		e := ev("Again")
		e.Metadata.EventID = id
		mustAppend(t, s, es.AppendRequest{Events: []es.Event{e}})
	}
	e := ev("Dup")
	e.Metadata.EventID = kept
	_, err = store.Append(ctx, s, es.AppendRequest{Events: []es.Event{e}})
	wantCode(t, err, es.CodeInvalidEvent)
	if !strings.Contains(err.Error(), kept) {
		t.Fatalf("error %q does not name %s", err, kept)
	}
	if got := readAll(t, s); len(got) != 3 {
		t.Fatalf("log holds %d events, want 3: %+v", len(got), got)
	}
}
