package memstore_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// gcShare samples the runtime's estimate of the CPU time spent by the
// garbage collector, to report its share of a benchmark's CPU time.
type gcShare struct{ s [2]metrics.Sample }

func startGCShare() *gcShare {
	g := &gcShare{}
	g.s[0].Name = "/cpu/classes/gc/total:cpu-seconds"
	g.s[1].Name = "/cpu/classes/total:cpu-seconds"
	metrics.Read(g.s[:])
	return g
}

// report adds the metric gc-%: the collector's share of the CPU time
// available since start (its estimate, which counts idle Ps as well).
func (g *gcShare) report(b *testing.B) {
	before := [2]float64{g.s[0].Value.Float64(), g.s[1].Value.Float64()}
	runtime.GC() // flushes the estimates
	metrics.Read(g.s[:])
	gc, total := g.s[0].Value.Float64()-before[0], g.s[1].Value.Float64()-before[1]
	if total > 0 {
		b.ReportMetric(100*gc/total, "gc-%")
	}
}

// BenchmarkAppendGrowingLog appends one event per unit of work (a type, 90
// bytes of data, one tag, a correlation id, a minted id) to one of 1000
// streams with an exact expected version, on one store whose log grows to
// b.N events: the collector's cost of a large live log shows in cpu-ns/op
// and gc-%, and the log's memory in live-B/event.
func BenchmarkAppendGrowingLog(b *testing.B) {
	ctx := context.Background()
	const streams = 1000
	ids := make([]es.StreamID, streams)
	tags := make([]es.Tag, streams)
	for i := range ids {
		ids[i] = es.StreamID(fmt.Sprintf("order-%04d", i))
		tags[i] = es.Tag(fmt.Sprintf("order:%04d", i))
	}
	data := []byte(`{"orderId":"o-1234","customerId":"c-77","total":1999,"currency":"EUR","lines":3}`)
	versions := make([]es.Version, streams)
	events := make([]es.Event, 1)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapAlloc
	s := memstore.New()
	b.ReportAllocs()
	b.ResetTimer()
	gc := startGCShare()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		k := i % streams
		events[0] = es.Event{Type: "ItemAdded", Data: data, Tags: tags[k : k+1 : k+1], Metadata: es.Metadata{CorrelationID: "corr-1"}}
		if _, err := store.Append(ctx, s, es.AppendRequest{Stream: ids[k], Expected: es.Exact(versions[k]), Events: events}); err != nil {
			b.Fatal(err)
		}
		versions[k]++
	}
	reportCPU(b, cpu)
	gc.report(b)
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(int64(ms.HeapAlloc)-int64(heap0))/float64(b.N), "live-B/event")
	runtime.KeepAlive(s)
}

// BenchmarkReadAllLargeLog reads a 100,000-event log (as
// BenchmarkAppendGrowingLog writes it) in pages of 1000 events; one
// iteration is one page.
func BenchmarkReadAllLargeLog(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	data := []byte(`{"orderId":"o-1234","customerId":"c-77","total":1999,"currency":"EUR","lines":3}`)
	const total, page = 100_000, 1000
	for i := 0; i < total; i += 100 {
		evs := make([]es.Event, 100)
		for j := range evs {
			evs[j] = es.Event{Type: "ItemAdded", Data: data, Tags: []es.Tag{es.Tag(fmt.Sprintf("order:%04d", (i+j)%1000))}, Metadata: es.Metadata{CorrelationID: "corr-1"}}
		}
		if _, err := store.Append(ctx, s, es.AppendRequest{Stream: es.StreamID(fmt.Sprintf("order-%04d", i/100%1000)), Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		after := es.Position(i % (total / page) * page)
		p, err := store.ReadAll(ctx, s, store.LogRead{After: after, Limit: page})
		if err != nil || len(p.Events) != page {
			b.Fatalf("page after %d: %d events, %v", after, len(p.Events), err)
		}
	}
	reportCPU(b, cpu)
}
