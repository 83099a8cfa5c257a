package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// The event every benchmark writes: a typical domain event of about 90
// bytes of JSON with a correlation id.
var benchData = []byte(`{"orderId":"o-1234","customerId":"c-77","total":1999,"currency":"EUR","lines":3}`)

func benchEvent(tags ...es.Tag) es.Event {
	return es.Event{Type: "OrderPlaced", Data: benchData, Tags: tags, Metadata: es.Metadata{CorrelationID: "corr-1"}}
}

// Append benchmarks spread their writes over benchStreams streams and start
// over on a fresh store every resetEvery appends (with the timer stopped),
// so that neither side's cost is dominated by an ever-growing heap.
const (
	benchStreams = 1024
	resetEvery   = 1 << 16
)

var streamIDs = func() []es.StreamID {
	out := make([]es.StreamID, benchStreams)
	for i := range out {
		out[i] = es.StreamID(fmt.Sprintf("order-%d", i))
	}
	return out
}()

// appendWorkload runs b.N appends of batch events with an exact expected
// version through appendFn, on a fresh target from reset every resetEvery
// appends.
func appendWorkload(b *testing.B, batch int, reset func(), appendFn func(stream es.StreamID, expected es.Version, events []es.Event) error) {
	events := make([]es.Event, batch)
	for i := range events {
		events[i] = benchEvent()
	}
	versions := make([]es.Version, benchStreams)
	reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%resetEvery == 0 {
			b.StopTimer()
			reset()
			clear(versions)
			b.StartTimer()
		}
		k := i % benchStreams
		if err := appendFn(streamIDs[k], versions[k], events); err != nil {
			b.Fatal(err)
		}
		versions[k] += es.Version(batch)
	}
}

func benchAppend(b *testing.B, batch int) {
	compare(b, "memstore",
		func(b *testing.B) {
			var s *baseline
			appendWorkload(b, batch, func() { s = newBaseline(es.NewVirtualClock(es.DefaultVirtualStart).Now) },
				func(stream es.StreamID, expected es.Version, events []es.Event) error {
					if _, ok := s.appendStream(stream, expected, events); !ok {
						return fmt.Errorf("baseline: conflict on %s", stream)
					}
					return nil
				})
		},
		func(b *testing.B) {
			ctx := context.Background()
			var s *memstore.Store
			appendWorkload(b, batch, func() { s = memstore.New() },
				func(stream es.StreamID, expected es.Version, events []es.Event) error {
					_, err := store.Append(ctx, s, es.AppendRequest{Stream: stream, Expected: es.Exact(expected), Events: events})
					return err
				})
		})
}

// BenchmarkAppend1 appends one event to a stream with an exact expected
// version, each in its own unit of work.
func BenchmarkAppend1(b *testing.B) { benchAppend(b, 1) }

// BenchmarkAppend10 appends ten events at once to a stream with an exact
// expected version.
func BenchmarkAppend10(b *testing.B) { benchAppend(b, 10) }

// dcbWorkload runs b.N conditional appends: each event is tagged with one of
// 64 courses and one of 1000 students, on the condition that no event of
// its course exists after the head the writer last saw. None conflicts.
func dcbWorkload(b *testing.B, reset func(), appendIf func(course es.Tag, after es.Position, e []es.Event) (es.Position, error)) {
	courses := make([]es.Tag, 64)
	for i := range courses {
		courses[i] = es.Tag(fmt.Sprintf("course:c%d", i))
	}
	students := make([]es.Tag, 1000)
	for i := range students {
		students[i] = es.Tag(fmt.Sprintf("student:s%d", i))
	}
	events := make([][]es.Event, 64*1000/8)
	for i := range events {
		events[i] = []es.Event{benchEvent(courses[i%64], students[i%1000])}
	}
	var head es.Position
	reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%resetEvery == 0 {
			b.StopTimer()
			reset()
			head = 0
			b.StartTimer()
		}
		e := events[i%len(events)]
		p, err := appendIf(e[0].Tags[0], head, e)
		if err != nil {
			b.Fatal(err)
		}
		head = p
	}
}

// BenchmarkAppendDCB appends one tagged event without a stream on a DCB
// condition (a tag query bounded by the head the writer saw).
func BenchmarkAppendDCB(b *testing.B) {
	compare(b, "memstore",
		func(b *testing.B) {
			var s *baseline
			dcbWorkload(b, func() { s = newBaseline(es.NewVirtualClock(es.DefaultVirtualStart).Now) },
				func(course es.Tag, after es.Position, e []es.Event) (es.Position, error) {
					p, ok := s.appendIf([]es.Tag{course}, after, e)
					if !ok {
						return 0, fmt.Errorf("baseline: condition failed")
					}
					return p, nil
				})
		},
		func(b *testing.B) {
			ctx := context.Background()
			var s *memstore.Store
			dcbWorkload(b, func() { s = memstore.New() },
				func(course es.Tag, after es.Position, e []es.Event) (es.Position, error) {
					cond := es.FailIfMatch(es.Tags(course)).WithAfter(after)
					res, err := store.Append(ctx, s, es.AppendRequest{Condition: &cond, Events: e})
					return res.LastPosition(), err
				})
		})
}

// fill appends n events round-robin over streams streams.
func fill(b *testing.B, n, streams int, appendFn func(stream es.StreamID, e []es.Event) error) {
	e := []es.Event{benchEvent()}
	for i := range n {
		if err := appendFn(streamIDs[i%streams], e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadStream100 reads a whole 100-event stream (its events are
// interleaved with 99 other streams' in the log).
func BenchmarkLoadStream100(b *testing.B) {
	const streams, perStream = 100, 100
	compare(b, "memstore",
		func(b *testing.B) {
			s := newBaseline(es.NewVirtualClock(es.DefaultVirtualStart).Now)
			fill(b, streams*perStream, streams, func(stream es.StreamID, e []es.Event) error {
				s.appendStream(stream, es.Version(len(s.streams[stream])), e)
				return nil
			})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got := s.readStream(streamIDs[i%streams]); len(got) != perStream {
					b.Fatalf("baseline read %d events", len(got))
				}
			}
		},
		func(b *testing.B) {
			ctx := context.Background()
			s := memstore.New()
			fill(b, streams*perStream, streams, func(stream es.StreamID, e []es.Event) error {
				_, err := store.Append(ctx, s, es.AppendRequest{Stream: stream, Events: e})
				return err
			})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				got, err := store.ReadStream(ctx, s, streamIDs[i%streams], store.StreamRead{})
				if err != nil || len(got) != perStream {
					b.Fatalf("memstore read %d events: %v", len(got), err)
				}
			}
		})
}

// BenchmarkReadAll1000 reads pages of 1,000 events of a 10,000-event global
// log.
func BenchmarkReadAll1000(b *testing.B) {
	const total, page = 10000, 1000
	compare(b, "memstore",
		func(b *testing.B) {
			s := newBaseline(es.NewVirtualClock(es.DefaultVirtualStart).Now)
			fill(b, total, benchStreams, func(stream es.StreamID, e []es.Event) error {
				s.appendStream(stream, es.Version(len(s.streams[stream])), e)
				return nil
			})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got := s.readAll(es.Position(i%(total/page)*page), page); len(got) != page {
					b.Fatalf("baseline read %d events", len(got))
				}
			}
		},
		func(b *testing.B) {
			ctx := context.Background()
			s := memstore.New()
			fill(b, total, benchStreams, func(stream es.StreamID, e []es.Event) error {
				_, err := store.Append(ctx, s, es.AppendRequest{Stream: stream, Events: e})
				return err
			})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				got, err := store.ReadAll(ctx, s, store.LogRead{After: es.Position(i % (total / page) * page), Limit: page})
				if err != nil || len(got.Events) != page {
					b.Fatalf("memstore read %d events: %v", len(got.Events), err)
				}
			}
		})
}

// TestBaselineMatchesMemstore checks that the baseline does the same work
// as memstore on the benchmarks' workloads: the same positions, versions,
// condition outcomes and reads.
func TestBaselineMatchesMemstore(t *testing.T) {
	ctx := context.Background()
	clock := es.NewVirtualClock(es.DefaultVirtualStart)
	base := newBaseline(clock.Now)
	mem := memstore.New(memstore.WithClock(clock))
	events := []es.Event{benchEvent(), benchEvent()}
	for i := range 6 {
		stream := streamIDs[i%3]
		expected := es.Version(i / 3 * 2)
		last, ok := base.appendStream(stream, expected, events)
		res, err := store.Append(ctx, mem, es.AppendRequest{Stream: stream, Expected: es.Exact(expected), Events: events})
		if !ok || err != nil || res.LastPosition() != last {
			t.Fatalf("append %d: baseline %d %v, memstore %+v %v", i, last, ok, res, err)
		}
	}
	if _, ok := base.appendStream(streamIDs[0], 1, events); ok {
		t.Fatal("baseline accepted a stale expected version")
	}
	course := es.Tag("course:c1")
	head := es.Position(12)
	// The second append conflicts with the first; the third is bounded past it.
	for i, after := range []es.Position{head, head, head + 1} {
		e := []es.Event{benchEvent(course, "student:s1")}
		last, ok := base.appendIf([]es.Tag{course}, after, e)
		cond := es.FailIfMatch(es.Tags(course)).WithAfter(after)
		res, err := store.Append(ctx, mem, es.AppendRequest{Condition: &cond, Events: e})
		if ok != (i != 1) || ok != (err == nil) || (ok && res.LastPosition() != last) {
			t.Fatalf("conditional append %d after %d: baseline %d %v, memstore %+v %v", i, after, last, ok, res, err)
		}
	}
	got, err := store.ReadStream(ctx, mem, streamIDs[1], store.StreamRead{})
	if err != nil {
		t.Fatal(err)
	}
	want := base.readStream(streamIDs[1])
	page, err := store.ReadAll(ctx, mem, store.LogRead{After: 3, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2][]es.Recorded{{want, got}, {base.readAll(3, 5), page.Events}} {
		if len(pair[0]) != len(pair[1]) {
			t.Fatalf("baseline read %d events, memstore %d", len(pair[0]), len(pair[1]))
		}
		for i := range pair[0] {
			b, m := pair[0][i], pair[1][i]
			if b.Position != m.Position || b.StreamID != m.StreamID || b.StreamVersion != m.StreamVersion || b.Type != m.Type || string(b.Data) != string(m.Data) || !b.RecordedAt.Equal(m.RecordedAt) {
				t.Fatalf("read %d: baseline %+v, memstore %+v", i, b, m)
			}
		}
	}
}
