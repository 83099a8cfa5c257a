package conformance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Event-log cases: per-stream optimistic concurrency, atomic appends,
// limits and validation, stream and global reads, metadata defaults and
// round trips.
func init() {
	register(
		Case{Group: "events", Name: "first-position-is-one", Run: onLog(eventsFirstPosition)},
		Case{Group: "events", Name: "occ-any", Run: onLog(eventsOCCAny)},
		Case{Group: "events", Name: "occ-no-stream", Run: onLog(eventsOCCNoStream)},
		Case{Group: "events", Name: "occ-stream-exists", Run: onLog(eventsOCCStreamExists)},
		Case{Group: "events", Name: "occ-exact-match", Run: onLog(eventsOCCExactMatch)},
		Case{Group: "events", Name: "occ-exact-mismatch", Run: onLog(eventsOCCExactMismatch)},
		Case{Group: "events", Name: "occ-streams-independent", Run: onLog(eventsOCCStreamsIndependent)},
		Case{Group: "events", Name: "atomic-multi-event-append", Run: onLog(eventsAtomicMulti)},
		Case{Group: "events", Name: "rolled-back-unit-writes-nothing", Run: onLog(eventsRolledBackUnit)},
		Case{Group: "events", Name: "rejected-append-keeps-unit-usable", Run: onLog(eventsRejectedKeepsUnitUsable)},
		Case{Group: "events", Name: "read-your-writes-in-unit", Run: onLog(eventsReadYourWrites)},
		Case{Group: "events", Name: "limit-empty-append", Run: onLog(eventsEmptyAppend)},
		Case{Group: "events", Name: "limit-too-many-events", Run: onLog(eventsTooManyEvents)},
		Case{Group: "events", Name: "limit-payload-size", Run: onLog(eventsPayloadSize)},
		Case{Group: "events", Name: "invalid-stream-id", Run: onLog(eventsInvalidStreamID)},
		Case{Group: "events", Name: "invalid-event", Run: onLog(eventsInvalidEvent)},
		Case{Group: "events", Name: "event-ids-unique", Run: onLog(eventsIDsUnique)},
		Case{Group: "events", Name: "read-stream-forwards", Run: onLog(eventsReadStreamForwards)},
		Case{Group: "events", Name: "read-stream-backwards", Run: onLog(eventsReadStreamBackwards)},
		Case{Group: "events", Name: "read-stream-missing", Run: onLog(eventsReadStreamMissing)},
		Case{Group: "events", Name: "read-stream-default-limit", Run: onLog(eventsReadStreamDefaultLimit)},
		Case{Group: "events", Name: "read-limits-capped", Run: onLog(eventsReadLimitsCapped)},
		Case{Group: "events", Name: "read-negative-arguments", Run: onLog(eventsReadNegative)},
		Case{Group: "events", Name: "global-order", Run: onLog(eventsGlobalOrder)},
		Case{Group: "events", Name: "positions-strictly-increasing", Run: onLog(eventsPositionsIncreasing)},
		Case{Group: "events", Name: "gapless-after-rollback", Requires: []store.Capability{store.GaplessPositions}, Run: onLog(eventsGaplessAfterRollback)},
		Case{Group: "events", Name: "read-all-paging", Run: onLog(eventsReadAllPaging)},
		Case{Group: "events", Name: "read-all-default-limit", Run: onLog(eventsReadAllDefaultLimit)},
		Case{Group: "events", Name: "read-all-empty-store", Run: onLog(eventsReadAllEmpty)},
		Case{Group: "events", Name: "metadata-defaults", Run: onLog(eventsMetadataDefaults)},
		Case{Group: "events", Name: "metadata-round-trip", Run: onLog(eventsMetadataRoundTrip)},
		Case{Group: "events", Name: "ids-minted-from-the-request-source", Run: onLog(eventsRequestMintedIDs)},
		Case{Group: "events", Name: "pure-dcb-append", Run: onLog(eventsPureDCB)},
		Case{Group: "events", Name: "stream-version", Run: onLog(eventsStreamVersion)},
	)
}

func eventsFirstPosition(c *logCase) {
	res := c.mustAppendTo("order-1", es.NoStream, c.ev("OrderPlaced"))
	if !slices.Equal(res.Positions, []es.Position{1}) || res.Version != 1 || res.Stream != "order-1" || res.Duplicate {
		c.Fatalf("first append to a fresh store: got %+v, want positions [1], version 1, stream \"order-1\", not a duplicate", res)
	}
	all := c.log()
	c.wantPositions("whole log after the first append", all, 1)
	if all[0].Metadata.EventID != res.EventIDs[0] {
		c.Fatalf("event at position 1 has id %q, the append returned %q", all[0].Metadata.EventID, res.EventIDs[0])
	}
}

func eventsOCCAny(c *logCase) {
	r1 := c.mustAppendTo("s", es.Any, c.ev("A"))
	if r1.Version != 1 {
		c.Fatalf("Any on a missing stream: version %d, want 1", r1.Version)
	}
	r2 := c.mustAppendTo("s", es.Any, c.ev("B"), c.ev("C"))
	if r2.Version != 3 {
		c.Fatalf("Any on a stream at 1 with 2 events: version %d, want 3", r2.Version)
	}
	got := c.readStream("s", store.StreamRead{})
	c.wantVersions("stream s", got, 1, 2, 3)
	if types := []string{got[0].Type, got[1].Type, got[2].Type}; !slices.Equal(types, []string{"A", "B", "C"}) {
		c.Fatalf("stream s holds types %v, want [A B C] (input order)", types)
	}
	c.wantVersion("s", 3)
}

func eventsOCCNoStream(c *logCase) {
	r := c.mustAppendTo("s", es.NoStream, c.ev("A"))
	if r.Version != 1 {
		c.Fatalf("NoStream on a missing stream: version %d, want 1", r.Version)
	}
	err := c.wantRejected("NoStream on a stream at 1", es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{c.ev("B")}}, es.CodeConcurrency)
	c.wantConcurrency(err, "s", es.NoStream, 1, "NoStream on a stream at 1")
	err = c.wantRejected("Exact(0) on a stream at 1", es.AppendRequest{Stream: "s", Expected: es.Exact(0), Events: []es.Event{c.ev("B")}}, es.CodeConcurrency)
	c.wantConcurrency(err, "s", es.NoStream, 1, "Exact(0) on a stream at 1")
	if !errors.Is(err, es.ErrConcurrency) {
		c.Fatalf("errors.Is(%v, es.ErrConcurrency) is false", err)
	}
	c.wantVersion("s", 1)
}

func eventsOCCStreamExists(c *logCase) {
	err := c.wantRejected("StreamExists on a missing stream", es.AppendRequest{Stream: "s", Expected: es.StreamExists, Events: []es.Event{c.ev("A")}}, es.CodeConcurrency)
	c.wantConcurrency(err, "s", es.StreamExists, 0, "StreamExists on a missing stream")
	c.wantVersion("s", 0)
	c.mustAppendTo("s", es.NoStream, c.ev("A"))
	if r := c.mustAppendTo("s", es.StreamExists, c.ev("B"), c.ev("C")); r.Version != 3 {
		c.Fatalf("StreamExists on a stream at 1 with 2 events: version %d, want 3", r.Version)
	}
}

func eventsOCCExactMatch(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.evs(5, "A")...)
	r := c.mustAppendTo("s", es.Exact(5), c.ev("B"))
	if r.Version != 6 {
		c.Fatalf("Exact(5) on a stream at 5: version %d, want 6", r.Version)
	}
	r = c.mustAppendTo("s", es.Exact(6), c.ev("C"), c.ev("D"))
	if r.Version != 8 {
		c.Fatalf("Exact(6) on a stream at 6 with 2 events: version %d, want 8", r.Version)
	}
	c.wantVersions("stream s", c.readStream("s", store.StreamRead{}), 1, 2, 3, 4, 5, 6, 7, 8)
}

func eventsOCCExactMismatch(c *logCase) {
	err := c.wantRejected("Exact(1) on a missing stream", es.AppendRequest{Stream: "s", Expected: es.Exact(1), Events: []es.Event{c.ev("A")}}, es.CodeConcurrency)
	c.wantConcurrency(err, "s", es.Exact(1), 0, "Exact(1) on a missing stream")
	c.mustAppendTo("s", es.NoStream, c.evs(5, "A")...)
	for _, v := range []es.Version{3, 4, 6, 100} {
		what := fmt.Sprintf("Exact(%d) on a stream at 5", v)
		err := c.wantRejected(what, es.AppendRequest{Stream: "s", Expected: es.Exact(v), Events: []es.Event{c.ev("B"), c.ev("C")}}, es.CodeConcurrency)
		c.wantConcurrency(err, "s", es.Exact(v), 5, what)
	}
	c.wantVersion("s", 5)
}

func eventsOCCStreamsIndependent(c *logCase) {
	c.mustAppendTo("a", es.NoStream, c.evs(3, "A")...)
	if r := c.mustAppendTo("b", es.NoStream, c.ev("B")); r.Version != 1 {
		c.Fatalf("NoStream on b while a is at 3: version %d, want 1", r.Version)
	}
	if r := c.mustAppendTo("b", es.Exact(1), c.ev("B")); r.Version != 2 {
		c.Fatalf("Exact(1) on b: version %d, want 2", r.Version)
	}
	err := c.wantRejected("Exact(2) on a (at 3) after b reached 2", es.AppendRequest{Stream: "a", Expected: es.Exact(2), Events: []es.Event{c.ev("A")}}, es.CodeConcurrency)
	c.wantConcurrency(err, "a", es.Exact(2), 3, "Exact(2) on a at 3")
	c.wantVersion("a", 3)
	c.wantVersion("b", 2)
}

func eventsAtomicMulti(c *logCase) {
	events := []es.Event{c.ev("A"), c.ev("B"), c.ev("C")}
	r := c.mustAppendTo("s", es.NoStream, events...)
	if r.Version != 3 {
		c.Fatalf("3 events to a missing stream: version %d, want 3", r.Version)
	}
	c.wantStrictlyIncreasing("positions of one 3-event append", r.Positions)
	if len(uniq(r.EventIDs)) != 3 {
		c.Fatalf("one append minted event ids %v; want 3 distinct ids", r.EventIDs)
	}
	got := c.readStream("s", store.StreamRead{})
	c.wantVersions("stream s", got, 1, 2, 3)
	c.wantPositions("stream s", got, r.Positions...)
	for i := range got {
		if !got[i].RecordedAt.Equal(got[0].RecordedAt) {
			c.Fatalf("events of one append have different RecordedAt: %v and %v", got[0].RecordedAt, got[i].RecordedAt)
		}
	}

	// A batch whose last event is invalid writes none of its events.
	bad := []es.Event{c.ev("D"), c.ev("E"), {Type: "F", Data: []byte(`{"broken":`)}}
	c.wantRejected("3-event batch whose third event has invalid JSON", es.AppendRequest{Stream: "s", Expected: es.Exact(3), Events: bad}, es.CodeInvalidEvent)
	// A batch that fails its expected version writes none of its events.
	c.wantRejected("3-event batch with a stale expected version", es.AppendRequest{Stream: "s", Expected: es.Exact(2), Events: c.evs(3, "G")}, es.CodeConcurrency)
	c.wantVersion("s", 3)
}

func eventsRolledBackUnit(c *logCase) {
	c.mustAppendTo("a", es.NoStream, c.ev("A"))
	before := c.log()
	boom := errors.New("handler failed")
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Stream: "a", Expected: es.Exact(1), Events: c.evs(2, "B")}); err != nil {
			return err
		}
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Stream: "b", Expected: es.NoStream, Events: c.evs(3, "C")}); err != nil {
			return err
		}
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Events: []es.Event{c.ev("D", "tag:x")}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		c.Fatalf("Atomic whose function returned %v: got %v, want that error", boom, err)
	}
	c.wantLogUnchanged("unit of work that appended to a, b and the log, then failed", before)
	c.wantVersion("a", 1)
	c.wantVersion("b", 0)
	// The streams continue from where the committed state left them.
	if r := c.mustAppendTo("a", es.Exact(1), c.ev("B")); r.Version != 2 {
		c.Fatalf("append to a after the rollback: version %d, want 2", r.Version)
	}
	if r := c.mustAppendTo("b", es.NoStream, c.ev("C")); r.Version != 1 {
		c.Fatalf("append to b after the rollback: version %d, want 1", r.Version)
	}
}

func eventsRejectedKeepsUnitUsable(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.ev("A"))
	var kept es.AppendResult
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		ev := tx.Events()
		_, err := ev.Append(c.ctx, es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{c.ev("X")}})
		if msg := concurrencyMismatch(err, "s", es.NoStream, 1); msg != "" {
			return fmt.Errorf("stale append inside the unit: %s", msg)
		}
		_, err = ev.Append(c.ctx, es.AppendRequest{Stream: "s", Events: nil})
		if msg := codeMismatch(err, es.CodeEmptyAppend); msg != "" {
			return fmt.Errorf("empty append inside the unit: %s", msg)
		}
		_, err = ev.Append(c.ctx, es.AppendRequest{Condition: cond(es.Types("A")), Events: []es.Event{c.ev("Y")}})
		if msg := codeMismatch(err, es.CodeAppendCondition); msg != "" {
			return fmt.Errorf("conditional append inside the unit: %s", msg)
		}
		kept, err = ev.Append(c.ctx, es.AppendRequest{Stream: "s", Expected: es.Exact(1), Events: []es.Event{c.ev("B")}})
		if err != nil {
			return fmt.Errorf("valid append after three rejected ones in the same unit: %w", err)
		}
		return nil
	})
	if err != nil {
		c.Fatalf("a unit of work must stay usable after rejected appends: %v", err)
	}
	got := c.readStream("s", store.StreamRead{})
	c.wantVersions("stream s", got, 1, 2)
	if got[1].Type != "B" || got[1].Metadata.EventID != kept.EventIDs[0] {
		c.Fatalf("stream s version 2 is %s/%q, want the kept append B/%q", got[1].Type, got[1].Metadata.EventID, kept.EventIDs[0])
	}
	if n := len(c.log()); n != 2 {
		c.Fatalf("log holds %d events, want 2: rejected appends inside a committed unit of work wrote something", n)
	}
}

func eventsReadYourWrites(c *logCase) {
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		ev := tx.Events()
		r, err := ev.Append(c.ctx, es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{c.ev("A", "k:1")}})
		if err != nil {
			return err
		}
		v, err := ev.StreamVersion(c.ctx, "s")
		if err != nil || v != 1 {
			return fmt.Errorf("StreamVersion inside the unit after appending: got %d, %v; want 1", v, err)
		}
		got, err := ev.ReadStream(c.ctx, "s", store.StreamRead{})
		if err != nil || len(got) != 1 || got[0].Position != r.Positions[0] {
			return fmt.Errorf("ReadStream inside the unit: got positions %v, %v; want [%d]", positionsOf(got), err, r.Positions[0])
		}
		page, err := ev.ReadAll(c.ctx, store.LogRead{})
		if err != nil || len(page.Events) != 1 || page.Events[0].Position != r.Positions[0] {
			return fmt.Errorf("ReadAll inside the unit: got positions %v, %v; want [%d]", positionsOf(page.Events), err, r.Positions[0])
		}
		q, err := ev.ReadQuery(c.ctx, es.Tags("k:1"), store.QueryRead{})
		if err != nil || len(q.Events) != 1 || q.Head < r.Positions[0] {
			return fmt.Errorf("ReadQuery inside the unit: got positions %v head %d, %v; want [%d] and head >= %d", positionsOf(q.Events), q.Head, err, r.Positions[0], r.Positions[0])
		}
		r2, err := ev.Append(c.ctx, es.AppendRequest{Stream: "s", Expected: es.Exact(1), Events: []es.Event{c.ev("B")}})
		if err != nil || r2.Version != 2 {
			return fmt.Errorf("second append with Exact(1) in the same unit: got version %d, %v; want 2", r2.Version, err)
		}
		return nil
	})
	if err != nil {
		c.Fatalf("%v", err)
	}
	c.wantVersion("s", 2)
}

func eventsEmptyAppend(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.ev("A"))
	c.wantRejected("nil events to a stream", es.AppendRequest{Stream: "s", Expected: es.Exact(1)}, es.CodeEmptyAppend)
	c.wantRejected("empty events to a stream", es.AppendRequest{Stream: "s", Events: []es.Event{}}, es.CodeEmptyAppend)
	c.wantRejected("empty DCB append", es.AppendRequest{Events: []es.Event{}}, es.CodeEmptyAppend)
	c.wantRejected("empty DCB append with a condition", es.AppendRequest{Condition: cond(es.Types("Z"))}, es.CodeEmptyAppend)
	c.wantVersion("s", 1)
}

func eventsTooManyEvents(c *logCase) {
	c.wantRejected("101 events to a stream", es.AppendRequest{Stream: "s", Events: c.evs(es.MaxEventsPerAppend+1, "A")}, es.CodeTooManyEvents)
	c.wantRejected("101 events without a stream", es.AppendRequest{Events: c.evs(es.MaxEventsPerAppend+1, "A")}, es.CodeTooManyEvents)
	r := c.mustAppendTo("s", es.NoStream, c.evs(es.MaxEventsPerAppend, "A")...)
	if r.Version != es.MaxEventsPerAppend {
		c.Fatalf("100 events to a missing stream: version %d, want 100", r.Version)
	}
	c.wantStrictlyIncreasing("positions of a 100-event append", r.Positions)
	if n := len(c.log()); n != es.MaxEventsPerAppend {
		c.Fatalf("log holds %d events after one 100-event append, want 100", n)
	}
}

// jsonString returns a JSON string literal of exactly n bytes (n >= 2).
func jsonString(n int) []byte {
	return []byte(`"` + strings.Repeat("x", n-2) + `"`)
}

func eventsPayloadSize(c *logCase) {
	exact := es.Event{Type: "Big", Data: jsonString(es.MaxPayloadBytes)}
	r := c.mustAppendTo("s", es.NoStream, exact)
	got := c.readStream("s", store.StreamRead{})
	if len(got) != 1 || len(got[0].Data) != es.MaxPayloadBytes || string(got[0].Data) != string(exact.Data) {
		c.Fatalf("64 KiB data did not round-trip: read %d event(s)", len(got))
	}
	over := es.Event{Type: "Big", Data: jsonString(es.MaxPayloadBytes + 1)}
	c.wantRejected("data of 64 KiB + 1 byte", es.AppendRequest{Stream: "s", Expected: es.Exact(r.Version), Events: []es.Event{over}}, es.CodePayloadTooLarge)
	c.wantRejected("a batch whose second event's data is 64 KiB + 1 byte", es.AppendRequest{Stream: "s", Events: []es.Event{c.ev("Small"), over}}, es.CodePayloadTooLarge)
	c.wantRejected("pure DCB append with 64 KiB + 1 byte of data", es.AppendRequest{Events: []es.Event{over}}, es.CodePayloadTooLarge)
	bigMeta := c.ev("BigMeta")
	bigMeta.Metadata.Extra = map[string]string{"a": strings.Repeat("y", es.MaxPayloadBytes/2), "b": strings.Repeat("z", es.MaxPayloadBytes/2)}
	c.wantRejected("metadata above 64 KiB of JSON", es.AppendRequest{Stream: "s", Events: []es.Event{bigMeta}}, es.CodePayloadTooLarge)
	c.wantVersion("s", 1)
}

func eventsInvalidStreamID(c *logCase) {
	long := es.StreamID(strings.Repeat("s", es.MaxNameBytes+1))
	cases := []struct {
		what string
		req  es.AppendRequest
	}{
		{"empty stream id with Exact(1)", es.AppendRequest{Expected: es.Exact(1), Events: []es.Event{c.ev("A")}}},
		{"empty stream id with NoStream", es.AppendRequest{Expected: es.NoStream, Events: []es.Event{c.ev("A")}}},
		{"empty stream id with StreamExists", es.AppendRequest{Expected: es.StreamExists, Events: []es.Event{c.ev("A")}}},
		{"stream id of 257 bytes", es.AppendRequest{Stream: long, Events: []es.Event{c.ev("A")}}},
		{"stream id with a NUL byte", es.AppendRequest{Stream: "a\x00b", Events: []es.Event{c.ev("A")}}},
		{"stream id with a newline", es.AppendRequest{Stream: "a\nb", Events: []es.Event{c.ev("A")}}},
		{"stream id that is not UTF-8", es.AppendRequest{Stream: "a\xffb", Events: []es.Event{c.ev("A")}}},
	}
	for _, tc := range cases {
		c.wantRejected(tc.what, tc.req, es.CodeInvalidStreamID)
	}
	for _, id := range []es.StreamID{"", long, "a\x00b"} {
		_, err := store.ReadStream(c.ctx, c.s, id, store.StreamRead{})
		c.wantCode(err, es.CodeInvalidStreamID, fmt.Sprintf("ReadStream(%q)", id))
		err = c.s.Atomic(c.ctx, func(tx store.Tx) error {
			_, err := tx.Events().StreamVersion(c.ctx, id)
			return err
		})
		c.wantCode(err, es.CodeInvalidStreamID, fmt.Sprintf("StreamVersion(%q)", id))
	}
	// The longest valid id works.
	edge := es.StreamID(strings.Repeat("s", es.MaxNameBytes))
	if r := c.mustAppendTo(edge, es.NoStream, c.ev("A")); r.Version != 1 {
		c.Fatalf("append to a 256-byte stream id: version %d, want 1", r.Version)
	}
}

func eventsInvalidEvent(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.ev("A"))
	manyTags := make([]es.Tag, es.MaxTagsPerEvent+1)
	for i := range manyTags {
		manyTags[i] = es.Tag(fmt.Sprintf("t:%d", i))
	}
	cases := []struct {
		what string
		e    es.Event
		code es.Code
	}{
		{"empty type", es.Event{Data: []byte(`{}`)}, es.CodeInvalidEvent},
		{"type with a control character", es.Event{Type: "A\tB", Data: []byte(`{}`)}, es.CodeInvalidEvent},
		{"empty data", es.Event{Type: "A"}, es.CodeInvalidEvent},
		{"truncated JSON data", es.Event{Type: "A", Data: []byte(`{"a":`)}, es.CodeInvalidEvent},
		{"JSON data with trailing garbage", es.Event{Type: "A", Data: []byte(`{} x`)}, es.CodeInvalidEvent},
		{"non-JSON data", es.Event{Type: "A", Data: []byte(`hello`)}, es.CodeInvalidEvent},
		{"duplicate tags", es.Event{Type: "A", Data: []byte(`{}`), Tags: []es.Tag{"k:1", "k:2", "k:1"}}, es.CodeInvalidTag},
		{"empty tag", es.Event{Type: "A", Data: []byte(`{}`), Tags: []es.Tag{""}}, es.CodeInvalidTag},
		{"65 tags", es.Event{Type: "A", Data: []byte(`{}`), Tags: manyTags}, es.CodeInvalidTag},
		{"negative schema version", es.Event{Type: "A", Data: []byte(`{}`), Metadata: es.Metadata{SchemaVersion: -1}}, es.CodeInvalidEvent},
	}
	for _, tc := range cases {
		c.wantRejected(tc.what+" (stream append)", es.AppendRequest{Stream: "s", Expected: es.Exact(1), Events: []es.Event{c.ev("OK"), tc.e}}, tc.code)
		c.wantRejected(tc.what+" (DCB append)", es.AppendRequest{Events: []es.Event{tc.e}}, tc.code)
	}
	c.wantRejected("negative exact expected version", es.AppendRequest{Stream: "s", Expected: es.Exact(-1), Events: []es.Event{c.ev("A")}}, es.CodeInvalidArgument)
	c.wantRejected("empty idempotency key", es.AppendRequest{Stream: "s", Idempotency: &es.Idempotency{}, Events: []es.Event{c.ev("A")}}, es.CodeInvalidArgument)
	c.wantVersion("s", 1)
}

// appendStreamOf appends n events one by one to stream and returns the
// positions in version order.
func (c *logCase) appendStreamOf(stream es.StreamID, n int) []es.Position {
	c.T.Helper()
	var ps []es.Position
	for i := 0; i < n; i++ {
		r := c.mustAppendTo(stream, es.Exact(es.Version(i)), c.ev("E"))
		ps = append(ps, r.Positions...)
	}
	return ps
}

func eventsReadStreamForwards(c *logCase) {
	c.mustAppendTo("other", es.NoStream, c.ev("X"))
	ps := c.appendStreamOf("s", 5)
	c.mustAppendTo("other", es.Exact(1), c.ev("X"))
	all := c.readStream("s", store.StreamRead{})
	c.wantVersions("ReadStream from 0, default limit", all, 1, 2, 3, 4, 5)
	c.wantPositions("ReadStream from 0, default limit", all, ps...)
	for _, e := range all {
		if e.StreamID != "s" {
			c.Fatalf("ReadStream(s) returned an event of stream %q", e.StreamID)
		}
	}
	c.wantVersions("ReadStream from 2 (exclusive)", c.readStream("s", store.StreamRead{From: 2}), 3, 4, 5)
	c.wantVersions("ReadStream from 5", c.readStream("s", store.StreamRead{From: 5}), []es.Version{}...)
	c.wantVersions("ReadStream from 9", c.readStream("s", store.StreamRead{From: 9}), []es.Version{}...)
	// Paging with an exclusive cursor: each page starts after the last version seen.
	var pages [][]es.Version
	from := es.Version(0)
	for range 5 {
		page := c.readStream("s", store.StreamRead{From: from, Limit: 2})
		if len(page) == 0 {
			break
		}
		var vs []es.Version
		for _, e := range page {
			vs = append(vs, e.StreamVersion)
		}
		pages = append(pages, vs)
		from = page[len(page)-1].StreamVersion
	}
	if fmt.Sprint(pages) != "[[1 2] [3 4] [5]]" {
		c.Fatalf("forward pages of 2: got %v, want [[1 2] [3 4] [5]]", pages)
	}
}

func eventsReadStreamBackwards(c *logCase) {
	ps := c.appendStreamOf("s", 5)
	all := c.readStream("s", store.StreamRead{Backwards: true})
	c.wantVersions("backwards from 0 (newest)", all, 5, 4, 3, 2, 1)
	c.wantPositions("backwards from 0 (newest)", all, ps[4], ps[3], ps[2], ps[1], ps[0])
	c.wantVersions("backwards from 3 (exclusive)", c.readStream("s", store.StreamRead{Backwards: true, From: 3}), 2, 1)
	c.wantVersions("backwards from 1", c.readStream("s", store.StreamRead{Backwards: true, From: 1}), []es.Version{}...)
	c.wantVersions("backwards from 9 (past the newest)", c.readStream("s", store.StreamRead{Backwards: true, From: 9}), 5, 4, 3, 2, 1)
	var pages [][]es.Version
	from := es.Version(0)
	for range 5 {
		page := c.readStream("s", store.StreamRead{Backwards: true, From: from, Limit: 2})
		if len(page) == 0 {
			break
		}
		var vs []es.Version
		for _, e := range page {
			vs = append(vs, e.StreamVersion)
		}
		pages = append(pages, vs)
		from = page[len(page)-1].StreamVersion
		if from == 1 {
			break
		}
	}
	if fmt.Sprint(pages) != "[[5 4] [3 2] [1]]" {
		c.Fatalf("backward pages of 2: got %v, want [[5 4] [3 2] [1]]", pages)
	}
}

func eventsReadStreamMissing(c *logCase) {
	c.mustAppendTo("present", es.NoStream, c.ev("A"))
	if got := c.readStream("absent", store.StreamRead{}); len(got) != 0 {
		c.Fatalf("ReadStream of a missing stream returned %d events, want 0", len(got))
	}
	if got := c.readStream("absent", store.StreamRead{Backwards: true}); len(got) != 0 {
		c.Fatalf("backwards ReadStream of a missing stream returned %d events, want 0", len(got))
	}
	c.wantVersion("absent", 0)
}

func eventsReadStreamDefaultLimit(c *logCase) {
	n := store.DefaultStreamLimit + 1
	for v := 0; v < n; v += es.MaxEventsPerAppend {
		k := min(es.MaxEventsPerAppend, n-v)
		c.mustAppendTo("s", es.Exact(es.Version(v)), c.evs(k, "E")...)
	}
	got := c.readStream("s", store.StreamRead{})
	if len(got) != store.DefaultStreamLimit || got[0].StreamVersion != 1 || got[len(got)-1].StreamVersion != es.Version(store.DefaultStreamLimit) {
		c.Fatalf("ReadStream with limit 0 over %d events: got %d events (versions %d..%d), want %d (1..%d)",
			n, len(got), firstVersion(got), lastVersion(got), store.DefaultStreamLimit, store.DefaultStreamLimit)
	}
	rest := c.readStream("s", store.StreamRead{From: es.Version(store.DefaultStreamLimit)})
	c.wantVersions("the page after the default limit", rest, es.Version(n))
	back := c.readStream("s", store.StreamRead{Backwards: true})
	if len(back) != store.DefaultStreamLimit || back[0].StreamVersion != es.Version(n) || back[len(back)-1].StreamVersion != 2 {
		c.Fatalf("backwards ReadStream with limit 0: got %d events (versions %d..%d), want %d (%d..2)",
			len(back), firstVersion(back), lastVersion(back), store.DefaultStreamLimit, n)
	}
}

func firstVersion(rs []es.Recorded) es.Version {
	if len(rs) == 0 {
		return 0
	}
	return rs[0].StreamVersion
}

func lastVersion(rs []es.Recorded) es.Version {
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1].StreamVersion
}

func eventsReadLimitsCapped(c *logCase) {
	n := store.MaxStreamLimit + 1
	if store.MaxLogLimit+1 > n {
		n = store.MaxLogLimit + 1
	}
	for v := 0; v < n; v += es.MaxEventsPerAppend {
		k := min(es.MaxEventsPerAppend, n-v)
		c.mustAppendTo("s", es.Exact(es.Version(v)), c.evs(k, "E")...)
	}
	got := c.readStream("s", store.StreamRead{Limit: 2 * n})
	if len(got) != store.MaxStreamLimit {
		c.Fatalf("ReadStream with limit %d over %d events: got %d events, want the cap %d", 2*n, n, len(got), store.MaxStreamLimit)
	}
	page := c.readAll(store.LogRead{Limit: 2 * n})
	if len(page.Events) != store.MaxLogLimit || !page.HasMore {
		c.Fatalf("ReadAll with limit %d over %d events: got %d events, HasMore %v; want the cap %d and HasMore true", 2*n, n, len(page.Events), page.HasMore, store.MaxLogLimit)
	}
}

func eventsReadNegative(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.ev("A"))
	_, err := store.ReadStream(c.ctx, c.s, "s", store.StreamRead{From: -1})
	c.wantCode(err, es.CodeInvalidArgument, "ReadStream with From -1")
	_, err = store.ReadStream(c.ctx, c.s, "s", store.StreamRead{Limit: -1})
	c.wantCode(err, es.CodeInvalidArgument, "ReadStream with Limit -1")
	_, err = store.ReadStream(c.ctx, c.s, "s", store.StreamRead{Backwards: true, Limit: -5})
	c.wantCode(err, es.CodeInvalidArgument, "backwards ReadStream with Limit -5")
	_, err = store.ReadAll(c.ctx, c.s, store.LogRead{After: -1})
	c.wantCode(err, es.CodeInvalidArgument, "ReadAll with After -1")
	_, err = store.ReadAll(c.ctx, c.s, store.LogRead{Limit: -1})
	c.wantCode(err, es.CodeInvalidArgument, "ReadAll with Limit -1")
	_, err = store.ReadQuery(c.ctx, c.s, es.All(), store.QueryRead{After: -1})
	c.wantCode(err, es.CodeInvalidArgument, "ReadQuery with After -1")
	_, err = store.ReadQuery(c.ctx, c.s, es.All(), store.QueryRead{Limit: -1})
	c.wantCode(err, es.CodeInvalidArgument, "ReadQuery with Limit -1")
}

func eventsGlobalOrder(c *logCase) {
	type step struct {
		stream es.StreamID
		n      int
	}
	steps := []step{{"a", 2}, {"b", 1}, {"", 1}, {"a", 1}, {"c", 3}, {"b", 2}, {"", 2}, {"a", 1}}
	var want []es.Recorded
	for _, st := range steps {
		events := c.evs(st.n, "E")
		r := c.mustAppend(fmt.Sprintf("append %d to %q", st.n, st.stream), es.AppendRequest{Stream: st.stream, Events: events})
		for i, e := range events {
			v := es.Version(0)
			if st.stream != "" {
				v = r.Version - es.Version(st.n-1-i)
			}
			want = append(want, expectRecorded(e, r.EventIDs[i], st.stream, v, r.Positions[i], c.env.Clock.Now()))
		}
	}
	got := c.log()
	if d := diffEvents(want, got); d != "" {
		c.Fatalf("the global log is not the appends in order: %s", d)
	}
	c.wantStrictlyIncreasing("global log positions", positionsOf(got))
}

func eventsPositionsIncreasing(c *logCase) {
	var ps []es.Position
	streams := []es.StreamID{"a", "b", "c", "d", "e"}
	versions := map[es.StreamID]es.Version{}
	for i := 0; i < 50; i++ {
		s := streams[i%len(streams)]
		k := 1 + i%3
		r := c.mustAppendTo(s, es.Exact(versions[s]), c.evs(k, "E")...)
		versions[s] = r.Version
		if len(ps) > 0 && r.Positions[0] <= ps[len(ps)-1] {
			c.Fatalf("append %d got first position %d, not above the previous append's last %d", i, r.Positions[0], ps[len(ps)-1])
		}
		ps = append(ps, r.Positions...)
		if i%7 == 3 { // interleave rejected appends; they must not disturb the order
			_, err := c.append(es.AppendRequest{Stream: s, Expected: es.NoStream, Events: c.evs(2, "R")})
			c.wantConcurrency(err, s, es.NoStream, versions[s], "stale NoStream append")
		}
	}
	c.wantStrictlyIncreasing("positions returned by 50 appends", ps)
	c.wantPositions("whole log", c.log(), ps...)
	if c.gapless() && ps[0] != 1 {
		c.Fatalf("gapless store: first position %d, want 1", ps[0])
	}
}

func eventsGaplessAfterRollback(c *logCase) {
	r := c.mustAppendTo("s", es.NoStream, c.ev("A"))
	_ = c.s.Atomic(c.ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Stream: "t", Events: c.evs(3, "B")}); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	c.wantRejected("stale append", es.AppendRequest{Stream: "s", Expected: es.NoStream, Events: []es.Event{c.ev("C")}}, es.CodeConcurrency)
	c.wantRejected("failed condition", es.AppendRequest{Condition: cond(es.Types("A")), Events: []es.Event{c.ev("C")}}, es.CodeAppendCondition)
	r2 := c.mustAppendTo("s", es.Exact(1), c.ev("D"))
	if r2.Positions[0] != r.Positions[0]+1 {
		c.Fatalf("after a rolled-back unit of work and two rejected appends the next position is %d, want %d (gapless claimed)", r2.Positions[0], r.Positions[0]+1)
	}
}

func eventsReadAllPaging(c *logCase) {
	var ps []es.Position
	for i := 0; i < 5; i++ {
		ps = append(ps, c.mustAppendTo(es.StreamID(fmt.Sprintf("s%d", i%2)), es.Any, c.ev("E")).Positions...)
	}
	type pg struct {
		pos     []es.Position
		next    es.Position
		hasMore bool
	}
	var got []pg
	after := es.Position(0)
	for range 5 {
		page := c.readAll(store.LogRead{After: after, Limit: 2})
		if page.Head < page.Next {
			c.Fatalf("ReadAll after %d: Head %d below Next %d", after, page.Head, page.Next)
		}
		got = append(got, pg{positionsOf(page.Events), page.Next, page.HasMore})
		if !page.HasMore {
			break
		}
		after = page.Next
	}
	want := []pg{{ps[0:2], ps[1], true}, {ps[2:4], ps[3], true}, {ps[4:5], ps[4], false}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		c.Fatalf("pages of 2 over 5 events as {positions next hasMore}: got %v, want %v", got, want)
	}
	empty := c.readAll(store.LogRead{After: ps[4]})
	if len(empty.Events) != 0 || empty.Next != ps[4] || empty.HasMore {
		c.Fatalf("ReadAll after the last position %d: got %d events, Next %d, HasMore %v; want 0, %d, false", ps[4], len(empty.Events), empty.Next, empty.HasMore, ps[4])
	}
	if empty.Head < ps[4] || (c.gapless() && empty.Head != ps[4]) {
		c.Fatalf("ReadAll at the end: Head %d, want %d", empty.Head, ps[4])
	}
	past := c.readAll(store.LogRead{After: ps[4] + 100})
	if len(past.Events) != 0 || past.Next != ps[4]+100 || past.HasMore {
		c.Fatalf("ReadAll after %d (past the head): got %d events, Next %d, HasMore %v; want 0, %d, false", ps[4]+100, len(past.Events), past.Next, past.HasMore, ps[4]+100)
	}
	exact := c.readAll(store.LogRead{Limit: 5})
	if len(exact.Events) != 5 || exact.HasMore || exact.Next != ps[4] {
		c.Fatalf("ReadAll with limit 5 over exactly 5 events: got %d events, HasMore %v, Next %d; want 5, false, %d", len(exact.Events), exact.HasMore, exact.Next, ps[4])
	}
	mid := c.readAll(store.LogRead{After: ps[1]})
	c.wantPositions("ReadAll after the second position (exclusive)", mid.Events, ps[2:]...)
}

func eventsReadAllDefaultLimit(c *logCase) {
	n := store.DefaultLogLimit + 1
	for v := 0; v < n; v += es.MaxEventsPerAppend {
		k := min(es.MaxEventsPerAppend, n-v)
		c.mustAppendIf(nil, c.evs(k, "E")...)
	}
	page := c.readAll(store.LogRead{})
	if len(page.Events) != store.DefaultLogLimit || !page.HasMore {
		c.Fatalf("ReadAll with limit 0 over %d events: got %d events, HasMore %v; want %d and true", n, len(page.Events), page.HasMore, store.DefaultLogLimit)
	}
	rest := c.readAll(store.LogRead{After: page.Next})
	if len(rest.Events) != 1 || rest.HasMore {
		c.Fatalf("second default page: got %d events, HasMore %v; want 1, false", len(rest.Events), rest.HasMore)
	}
}

func eventsReadAllEmpty(c *logCase) {
	page := c.readAll(store.LogRead{})
	if len(page.Events) != 0 || page.Next != 0 || page.HasMore || page.Head != 0 {
		c.Fatalf("ReadAll on an empty store: got %d events, Next %d, Head %d, HasMore %v; want 0, 0, 0, false", len(page.Events), page.Next, page.Head, page.HasMore)
	}
	q := c.readQuery(es.All(), store.QueryRead{})
	if len(q.Events) != 0 || q.Head != 0 || !q.Complete {
		c.Fatalf("ReadQuery(All) on an empty store: got %d events, Head %d, Complete %v; want 0, 0, true", len(q.Events), q.Head, q.Complete)
	}
}

// eventsRequestMintedIDs: an append that names an id source mints the ids
// of its events without one from it, with its prefix, in event order (an
// explicit id consumes none), instead of from the store's own source; the
// ids read back as minted. A prefix without a source is INVALID_ARGUMENT
// and writes nothing.
func eventsRequestMintedIDs(c *logCase) {
	src, want := es.NewSeededIDs(99), es.NewSeededIDs(99)
	explicit := c.ev("B")
	explicit.Metadata.EventID = "evt-explicit-1"
	events := []es.Event{c.ev("A"), explicit, c.ev("C")}
	r := c.mustAppend("append with an id source", es.AppendRequest{Stream: "minted", Expected: es.NoStream, Events: events,
		IDs: src, IDPrefix: "orders_event_"})
	wantIDs := []string{"orders_event_" + want.NewID(), "evt-explicit-1", "orders_event_" + want.NewID()}
	for i, id := range r.EventIDs {
		if id != wantIDs[i] {
			c.Fatalf("event %d: id %q, want %q (the request's source, prefixed, in event order)", i, id, wantIDs[i])
		}
	}
	got := c.readStream("minted", store.StreamRead{})
	if len(got) != 3 {
		c.Fatalf("read %d events, want 3", len(got))
	}
	for i, e := range got {
		if e.Metadata.EventID != wantIDs[i] {
			c.Fatalf("event %d reads back with id %q, want %q", i, e.Metadata.EventID, wantIDs[i])
		}
	}
	// Without a prefix the source's ids are used as they are; the store's
	// own source is untouched by either append.
	r2 := c.mustAppend("append with an id source and no prefix", es.AppendRequest{Stream: "minted", Expected: es.Exact(3), Events: []es.Event{c.ev("D")}, IDs: src})
	if w := want.NewID(); r2.EventIDs[0] != w {
		c.Fatalf("no prefix: id %q, want %q", r2.EventIDs[0], w)
	}
	own := es.NewSequentialIDs() // env.IDs mints sequential ids from 1
	r3 := c.mustAppendTo("own", es.NoStream, c.ev("E"))
	if w := own.NewID(); r3.EventIDs[0] != w {
		c.Fatalf("an append without a source: id %q, want %q, the store's first own id", r3.EventIDs[0], w)
	}
	_, err := c.append(es.AppendRequest{Stream: "orphan", Expected: es.NoStream, Events: []es.Event{c.ev("F")}, IDPrefix: "x_"})
	if es.CodeOf(err) != es.CodeInvalidArgument {
		c.Fatalf("a prefix without a source: %v, want INVALID_ARGUMENT", err)
	}
	if got := c.readStream("orphan", store.StreamRead{}); len(got) != 0 {
		c.Fatalf("the refused append wrote %d events", len(got))
	}
}

func eventsMetadataDefaults(c *logCase) {
	want := es.NewSequentialIDs()
	start := c.env.Clock.Now()
	events := []es.Event{c.ev("A"), c.ev("B"), c.ev("C")}
	r := c.mustAppendTo("s", es.NoStream, events...)
	for i, id := range r.EventIDs {
		if w := want.NewID(); id != w {
			c.Fatalf("event %d of the first append got id %q, want %q, the %s id the store's IDs mint (env.IDs)", i, id, w, ordinal(i+1))
		}
	}
	got := c.readStream("s", store.StreamRead{})
	for i, e := range got {
		exp := expectRecorded(events[i], r.EventIDs[i], "s", es.Version(i+1), r.Positions[i], start)
		if d := diffRecorded(exp, e); d != "" {
			c.Fatalf("event %d with empty metadata: %s", i, d)
		}
		if e.Metadata.Category != "domain" || e.Metadata.SchemaVersion != 1 {
			c.Fatalf("event %d: category %q, schema version %d; want \"domain\", 1", i, e.Metadata.Category, e.Metadata.SchemaVersion)
		}
	}
	later := c.env.Clock.Advance(90 * time.Minute)
	r2 := c.mustAppendTo("s", es.Exact(3), c.ev("D"))
	e := c.readStream("s", store.StreamRead{From: 3})
	if len(e) != 1 || !e[0].RecordedAt.Equal(later) {
		c.Fatalf("after advancing the virtual clock 90m the next event's RecordedAt is %v, want %v", recordedAts(e), later)
	}
	if e[0].Metadata.EventID != r2.EventIDs[0] {
		c.Fatalf("event id %q on read, %q in the append result", e[0].Metadata.EventID, r2.EventIDs[0])
	}
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

func recordedAts(rs []es.Recorded) []time.Time {
	out := make([]time.Time, len(rs))
	for i, r := range rs {
		out[i] = r.RecordedAt
	}
	return out
}

func eventsMetadataRoundTrip(c *logCase) {
	data := []byte("{\"z\": 1,  \"a\" : [1, 2.50, \"\\u00e9\", null],\n \"m\":{\"y\":true,\"x\":false}}")
	e1 := es.Event{
		Type: "OrderPlaced",
		Data: data,
		Tags: []es.Tag{"order:42", "customer:7", "region:eu"},
		Metadata: es.Metadata{
			EventID:       "evt-caller-chosen",
			CorrelationID: "corr-1",
			CausationID:   "cause-1",
			SchemaVersion: 3,
			Category:      "integration",
			Extra:         map[string]string{"user": "u-9", "tenant": "t-1", "empty": ""},
		},
	}
	e2 := es.Event{Type: "Note", Data: []byte(`"just a string"`)}
	e3 := es.Event{Type: "Nothing", Data: []byte(`null`), Tags: []es.Tag{"only:one"}}
	at := c.env.Clock.Advance(1500 * time.Millisecond)
	r := c.mustAppendTo("order-42", es.NoStream, e1, e2, e3)
	if r.EventIDs[0] != "evt-caller-chosen" {
		c.Fatalf("caller-chosen event id: the append returned %q, want %q", r.EventIDs[0], "evt-caller-chosen")
	}
	want := []es.Recorded{
		expectRecorded(e1, r.EventIDs[0], "order-42", 1, r.Positions[0], at),
		expectRecorded(e2, r.EventIDs[1], "order-42", 2, r.Positions[1], at),
		expectRecorded(e3, r.EventIDs[2], "order-42", 3, r.Positions[2], at),
	}
	if d := diffEvents(want, c.readStream("order-42", store.StreamRead{})); d != "" {
		c.Fatalf("ReadStream round trip: %s", d)
	}
	if d := diffEvents(want, c.readAll(store.LogRead{}).Events); d != "" {
		c.Fatalf("ReadAll round trip: %s", d)
	}
	if d := diffEvents(want[:1], c.readQuery(es.Tags("order:42"), store.QueryRead{}).Events); d != "" {
		c.Fatalf("ReadQuery round trip: %s", d)
	}
	back := c.readStream("order-42", store.StreamRead{Backwards: true})
	if d := diffEvents([]es.Recorded{want[2], want[1], want[0]}, back); d != "" {
		c.Fatalf("backwards ReadStream round trip: %s", d)
	}
}

func eventsPureDCB(c *logCase) {
	e := c.ev("CourseDefined", "course:c1")
	r := c.mustAppendIf(nil, e)
	if r.Stream != "" || r.Version != 0 || len(r.Positions) != 1 {
		c.Fatalf("pure DCB append: got %+v, want no stream, version 0, one position", r)
	}
	got := c.log()
	if len(got) != 1 || got[0].StreamID != "" || got[0].StreamVersion != 0 {
		c.Fatalf("pure DCB event recorded as stream %q version %d, want no stream and version 0", got[0].StreamID, got[0].StreamVersion)
	}
	if d := diffRecorded(expectRecorded(e, r.EventIDs[0], "", 0, r.Positions[0], c.env.Clock.Now()), got[0]); d != "" {
		c.Fatalf("pure DCB event: %s", d)
	}
	c.wantRejected("NoStream expectation without a stream", es.AppendRequest{Expected: es.NoStream, Events: []es.Event{c.ev("X")}}, es.CodeInvalidStreamID)
	c.wantRejected("Exact(3) expectation without a stream", es.AppendRequest{Expected: es.Exact(3), Events: []es.Event{c.ev("X")}}, es.CodeInvalidStreamID)
	r2 := c.mustAppendIf(cond(es.Tags("course:c2")), c.ev("CourseDefined", "course:c2"), c.ev("CourseRenamed", "course:c2"))
	c.wantStrictlyIncreasing("two pure DCB appends", append(slices.Clone(r.Positions), r2.Positions...))
}

func eventsStreamVersion(c *logCase) {
	c.wantVersion("s", 0)
	c.mustAppendTo("s", es.NoStream, c.evs(4, "A")...)
	c.wantVersion("s", 4)
	c.mustAppendIf(nil, c.ev("B")) // events without a stream change no stream's version
	c.mustAppendTo("t", es.NoStream, c.ev("C"))
	c.wantVersion("s", 4)
	_, _ = c.append(es.AppendRequest{Stream: "s", Expected: es.Exact(2), Events: []es.Event{c.ev("A")}})
	_ = c.s.Atomic(c.ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Stream: "s", Expected: es.Exact(4), Events: c.evs(2, "A")}); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	c.wantVersion("s", 4)
	c.wantVersion("t", 1)
}

// uniq returns the distinct strings of xs.
func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// eventsIDsUnique: event ids are unique in the log. An append carrying an
// explicit id already stored — committed earlier or appended earlier in
// the same unit — or two events with the same id is INVALID_EVENT naming
// the event's index and the id, and writes nothing; the unit goes on. A
// rolled-back append frees its ids again.
func eventsIDsUnique(c *logCase) {
	withID := func(typ, id string) es.Event {
		e := c.ev(typ)
		e.Metadata.EventID = id
		return e
	}
	wantMentions := func(what string, err error, words ...string) {
		c.T.Helper()
		for _, w := range words {
			if !strings.Contains(err.Error(), w) {
				c.Fatalf("%s: error %q does not mention %q", what, err, w)
			}
		}
	}
	// An id the store minted is taken like any other (an event read back
	// and appended again keeps its id).
	minted := c.mustAppendTo("m", es.NoStream, c.ev("M")).EventIDs[0]
	what := "append reusing an id the store minted"
	err := c.wantRejected(what, es.AppendRequest{Stream: "m", Events: []es.Event{withID("M", minted)}}, es.CodeInvalidEvent)
	wantMentions(what, err, "events[0]", minted)

	first := c.mustAppendTo("a", es.NoStream, withID("A", "evt-taken"))
	if !slices.Equal(first.EventIDs, []string{"evt-taken"}) {
		c.Fatalf("append with explicit id evt-taken returned ids %v", first.EventIDs)
	}

	what = "append to another stream reusing a stored event id"
	err = c.wantRejected(what, es.AppendRequest{Stream: "b", Events: []es.Event{c.ev("B"), withID("B", "evt-taken")}}, es.CodeInvalidEvent)
	wantMentions(what, err, "events[1]", "evt-taken")
	what = "stream-less append reusing a stored event id"
	err = c.wantRejected(what, es.AppendRequest{Events: []es.Event{withID("B", "evt-taken")}}, es.CodeInvalidEvent)
	wantMentions(what, err, "events[0]", "evt-taken")

	what = "one append carrying the same event id twice"
	err = c.wantRejected(what, es.AppendRequest{Stream: "b", Events: []es.Event{withID("B", "evt-twice"), withID("B", "evt-other"), withID("B", "evt-twice")}}, es.CodeInvalidEvent)
	wantMentions(what, err, "events[2]", "evt-twice")
	c.wantVersion("b", 0)

	// An id taken earlier in the same unit of work is taken too; the
	// rejection leaves the unit usable.
	err = c.s.Atomic(c.ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Stream: "b", Expected: es.NoStream, Events: []es.Event{withID("B", "evt-twice")}}); err != nil {
			return fmt.Errorf("first use of evt-twice: %w", err)
		}
		res, err := tx.Events().Append(c.ctx, es.AppendRequest{Stream: "c", Events: []es.Event{withID("C", "evt-twice")}})
		if err == nil {
			return fmt.Errorf("reusing evt-twice in the same unit was accepted at %v", res.Positions)
		}
		c.wantCode(err, es.CodeInvalidEvent, "reusing an id appended earlier in the same unit")
		wantMentions("reusing an id appended earlier in the same unit", err, "events[0]", "evt-twice")
		_, err = tx.Events().Append(c.ctx, es.AppendRequest{Stream: "b", Expected: es.Exact(1), Events: []es.Event{withID("B", "evt-other")}})
		return err
	})
	if err != nil {
		c.Fatalf("unit appending evt-twice, a rejected reuse, then evt-other: %v", err)
	}

	// A rolled-back append frees its id.
	boom := errors.New("handler failed")
	err = c.s.Atomic(c.ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Stream: "d", Events: []es.Event{withID("D", "evt-freed")}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		c.Fatalf("Atomic whose function returned %v: got %v, want that error", boom, err)
	}
	again := c.mustAppendTo("d", es.NoStream, withID("D", "evt-freed"))
	if !slices.Equal(again.EventIDs, []string{"evt-freed"}) || again.Version != 1 {
		c.Fatalf("append of evt-freed after its rollback: %+v", again)
	}

	var ids []string
	for _, r := range c.log() {
		ids = append(ids, r.Type+"/"+r.Metadata.EventID)
	}
	want := []string{"M/" + minted, "A/evt-taken", "B/evt-twice", "B/evt-other", "D/evt-freed"}
	if !slices.Equal(ids, want) {
		c.Fatalf("log after the case: %v, want %v", ids, want)
	}
}
