package metrics_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/platform/metrics"
)

func TestCaptureRecordsInOrderWithCopiedTags(t *testing.T) {
	var c metrics.Capture
	tags := []metrics.Tag{{Key: "pool", Value: "projection"}}
	c.Gauge(metrics.QueueDepth, 3, tags...)
	tags[0].Value = "changed by the caller" // the sink must not keep the caller's slice
	c.Counter("event.dispatched", 2)
	c.Histogram(metrics.CommandDuration, 12.5, metrics.Tag{Key: "status", Value: "success"})
	want := []metrics.Recording{
		{Kind: metrics.KindGauge, Name: "queue.depth", Value: 3, Tags: []metrics.Tag{{Key: "pool", Value: "projection"}}},
		{Kind: metrics.KindCounter, Name: "event.dispatched", Value: 2},
		{Kind: metrics.KindHistogram, Name: "command.duration", Value: 12.5, Tags: []metrics.Tag{{Key: "status", Value: "success"}}},
	}
	all := c.All()
	if diff := cmp.Diff(want, all); diff != "" {
		t.Fatalf("All (-want +got):\n%s", diff)
	}
	all[2].Tags[0].Value = "changed by the reader"
	if v, _ := c.All()[2].Tag("status"); v != "success" {
		t.Fatalf("All shares tags with the sink: %q", v)
	}
	if got := c.Named(metrics.CommandDuration); len(got) != 1 || got[0].Value != 12.5 {
		t.Fatalf("Named: %+v", got)
	}
	if v, ok := want[0].Tag("pool"); !ok || v != "projection" {
		t.Fatalf("Tag(pool) = %q %v", v, ok)
	}
	if _, ok := want[0].Tag("missing"); ok {
		t.Fatal("Tag(missing) found")
	}
	c.Reset()
	if n := len(c.All()); n != 0 {
		t.Fatalf("after Reset: %d recordings", n)
	}
}

func TestCaptureConcurrent(t *testing.T) {
	var c metrics.Capture
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Counter("n", 1)
			}
		})
	}
	wg.Wait()
	if n := len(c.All()); n != 800 {
		t.Fatalf("%d recordings, want 800", n)
	}
}

func TestNop(t *testing.T) {
	for _, s := range []metrics.Sink{nil, metrics.Nop{}, &metrics.Nop{}} {
		if !metrics.IsNop(s) {
			t.Fatalf("IsNop(%T) = false", s)
		}
	}
	if metrics.IsNop(&metrics.Capture{}) {
		t.Fatal("IsNop(Capture) = true")
	}
	if _, ok := metrics.OrNop(nil).(metrics.Nop); !ok {
		t.Fatal("OrNop(nil) is not Nop")
	}
	c := &metrics.Capture{}
	if metrics.OrNop(c) != metrics.Sink(c) {
		t.Fatal("OrNop changed a sink")
	}
	n := metrics.Nop{}
	n.Counter("x", 1)
	n.Histogram("x", 1)
	n.Gauge("x", 1)
	if allocs := testing.AllocsPerRun(100, func() {
		var s metrics.Sink = metrics.Nop{}
		if !metrics.IsNop(s) {
			s.Histogram("x", 1)
		}
	}); allocs != 0 {
		t.Fatalf("a skipped Nop recording allocates %v times", allocs)
	}
}

// A test hands a Capture to a component (orchestrator.WithMetrics) and
// asserts on what it recorded.
func ExampleCapture() {
	var sink metrics.Capture
	sink.Histogram(metrics.CommandDuration, 250,
		metrics.Tag{Key: metrics.TagCommandType, Value: "CreateOrder"},
		metrics.Tag{Key: metrics.TagStatus, Value: metrics.StatusSuccess})
	for _, r := range sink.Named(metrics.CommandDuration) {
		status, _ := r.Tag(metrics.TagStatus)
		fmt.Println(r.Kind, r.Name, r.Value, status)
	}
	// Output: histogram command.duration 250 success
}
