package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/metrics"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

func durationRec(typ, bc, status string, ms float64) metrics.Recording {
	return metrics.Recording{Kind: metrics.KindHistogram, Name: metrics.CommandDuration, Value: ms, Tags: []metrics.Tag{
		{Key: metrics.TagCommandType, Value: typ}, {Key: metrics.TagBoundedContext, Value: bc}, {Key: metrics.TagStatus, Value: status}}}
}

func depthRec(pool string, v float64) metrics.Recording {
	return metrics.Recording{Kind: metrics.KindGauge, Name: metrics.QueueDepth, Value: v, Tags: []metrics.Tag{{Key: metrics.TagPool, Value: pool}}}
}

// slowPipeline moves the virtual clock on by the duration named in the
// command's metadata before handing the command on, so command.duration
// has an exact, known value.
func slowPipeline(vc *es.VirtualClock) orchestrator.Pipeline {
	return orchestrator.PipelineFunc(func(ctx context.Context, info command.Info, next orchestrator.Next) (command.Result, error) {
		if d, err := time.ParseDuration(info.Command.Metadata.Extra["takes"]); err == nil {
			vc.Advance(d)
		}
		if info.Command.Metadata.UserID == "mallory" {
			return command.Result{Status: command.StatusRejected, Code: command.CodeUnauthorized, Reason: "no"}, nil
		}
		return next(ctx, info)
	})
}

func takes(c command.Command, d string) command.Command {
	c.Metadata.Extra = map[string]string{"takes": d}
	return c
}

func TestMetricsCommandDurationAndQueueDepth(t *testing.T) {
	sink := &metrics.Capture{}
	s := memstore.New()
	reg := registry.New(registry.WithClock(s.Clock()))
	if err := enginetest.Register(reg); err != nil {
		t.Fatal(err)
	}
	o := orchestrator.New(s, reg, orchestrator.WithClock(s.Clock()), orchestrator.WithIDs(s.IDs()),
		orchestrator.WithPipeline(slowPipeline(s.VirtualClock())), orchestrator.WithMetrics(sink))
	ctx := context.Background()
	run := func(c command.Command) {
		t.Helper()
		if _, err := o.Execute(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	run(takes(create("o1"), "250ms"))                                                                         // success: projection job
	run(takes(create("o1").WithID("again"), "1500us"))                                                        // rejected by the decider
	run(takes(create("o1"), "3s"))                                                                            // duplicate: answered before middleware
	run(takes(command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"}).WithID("submit"), "2ms")) // business failure: failed-projection job
	run(takes(create("o2").WithID("denied").WithUser("mallory"), "40ms"))                                     // rejected by middleware
	run(takes(command.MustNew("Nope", map[string]int{}).WithID("nope"), "1s"))                                // unknown type: rejected before middleware
	if _, err := o.Execute(ctx, command.Command{Type: "bad type\x00"}); err == nil {                          // invalid envelope
		t.Fatal("invalid envelope accepted")
	}

	want := []metrics.Recording{
		depthRec(registry.PoolProjection, 1),
		durationRec("CreateOrder", "orders", metrics.StatusSuccess, 250),
		durationRec("CreateOrder", "orders", metrics.StatusRejected, 1.5),
		durationRec("CreateOrder", "orders", metrics.StatusDuplicate, 0),
		depthRec(registry.PoolProjection, 1),
		durationRec("SubmitOrder", "orders", metrics.StatusFailed, 2),
		durationRec("CreateOrder", "orders", metrics.StatusRejected, 40),
		durationRec("Nope", "", metrics.StatusRejected, 0),
		durationRec("bad type\x00", "", metrics.StatusUnknown, 0),
	}
	if diff := cmp.Diff(want, sink.All()); diff != "" {
		t.Fatalf("recordings (-want +got):\n%s", diff)
	}
}

func TestMetricsQueueDepthPerPoolAndAbort(t *testing.T) {
	sink := &metrics.Capture{}
	s := memstore.New()
	reg := registry.New(registry.WithClock(s.Clock()))
	h := func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
		return command.Success(nil, 1, es.MustEvent("ThingDone", map[string]int{"n": 1})), nil
	}
	if _, err := registry.DefineAggregate(reg, registry.AggregateDef{CommandType: "DoThing", BoundedContext: "things",
		TargetAggregate: "Thing", AggregateIDField: "id", Handler: h,
		Projection: &registry.Route{Name: "p"}, Secondary: []registry.Route{{Name: "s1"}, {Name: "s2"}}, Saga: &registry.Route{Name: "saga"}}); err != nil {
		t.Fatal(err)
	}
	depthErr := errors.New("depth unavailable")
	var asked []string
	o := orchestrator.New(s, reg, orchestrator.WithClock(s.Clock()), orchestrator.WithIDs(s.IDs()), orchestrator.WithMetrics(sink),
		orchestrator.WithQueueDepth(func(ctx context.Context, tx store.Tx, pool string) (float64, error) {
			asked = append(asked, pool)
			if pool == registry.PoolSaga {
				return 0, depthErr
			}
			return float64(10 * len(asked)), nil
		}))
	_, err := o.Execute(context.Background(), thing("t1"))
	var ae *command.AbortError
	if !errors.As(err, &ae) || ae.ErrCode != command.CodePostAppendAbort || !errors.Is(err, depthErr) {
		t.Fatalf("failing depth measure: %v, want EVENT_STORE_POST_APPEND_ABORT", err)
	}
	want := []metrics.Recording{
		depthRec(registry.PoolProjection, 10),
		depthRec(registry.PoolFanout, 20),
		depthRec(registry.PoolFanout, 30),
		durationRec("DoThing", "things", metrics.StatusUnknown, 0),
	}
	if diff := cmp.Diff(want, sink.All()); diff != "" {
		t.Fatalf("recordings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"projection", "fanout", "fanout", "saga"}, asked); diff != "" {
		t.Fatalf("pools measured (-want +got):\n%s", diff)
	}

	// Without a measure, the gauge counts this command's jobs per pool.
	sink.Reset()
	o = orchestrator.New(s, reg, orchestrator.WithClock(s.Clock()), orchestrator.WithIDs(s.IDs()), orchestrator.WithMetrics(sink))
	if r, err := o.Execute(context.Background(), thing("t1")); err != nil || r.Status != command.StatusExecuted {
		t.Fatalf("%+v %v", r, err)
	}
	want = []metrics.Recording{
		depthRec(registry.PoolProjection, 1),
		depthRec(registry.PoolFanout, 1),
		depthRec(registry.PoolFanout, 2),
		depthRec(registry.PoolSaga, 1),
		durationRec("DoThing", "things", metrics.StatusSuccess, 0),
	}
	if diff := cmp.Diff(want, sink.All()); diff != "" {
		t.Fatalf("recordings (-want +got):\n%s", diff)
	}
}

// A nil sink, like metrics.Nop, records nothing and Execute still works.
func TestMetricsNilSink(t *testing.T) {
	f := newFixture(t, orchestrator.WithMetrics(nil))
	if r := f.exec(create("o1")); r.Status != command.StatusExecuted {
		t.Fatalf("%+v", r)
	}
}

// WithMetrics records command.duration for every command and queue.depth
// for every follow-up job; durations come from the orchestrator's clock,
// so under memstore's virtual clock they are exact.
func ExampleWithMetrics() {
	ctx := context.Background()
	s := memstore.New()
	reg := registry.New()
	_ = enginetest.Register(reg)
	sink := &metrics.Capture{}
	o := orchestrator.New(s, reg, orchestrator.WithClock(s.Clock()), orchestrator.WithIDs(s.IDs()), orchestrator.WithMetrics(sink))
	_, _ = o.Execute(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}))
	_, _ = o.Execute(ctx, command.MustNew("CancelOrder", enginetest.CancelOrder{OrderID: "o9"}))
	for _, r := range sink.All() {
		fmt.Println(r.Kind, r.Name, r.Value, r.Tags)
	}
	// Output:
	// gauge queue.depth 1 [{pool projection}]
	// histogram command.duration 0 [{commandType CreateOrder} {boundedContext orders} {status success}]
	// histogram command.duration 0 [{commandType CancelOrder} {boundedContext orders} {status rejected}]
}
