package orchestrator_test

import (
	"context"
	"encoding/json"
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
	"github.com/eventspec/eventspec/platform/correlation"
	"github.com/eventspec/eventspec/platform/event"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

// published is one Publish call a test bus saw.
type published struct {
	Event event.Published
	Chain correlation.Chain
}

// busFixture is an orchestrator over memstore with the order commands and
// an event bus that records what it is given, and enqueues one job per
// event in the command's unit of work (so a rollback is visible), or fails
// with fail when set.
type busFixture struct {
	s    *memstore.Store
	o    *orchestrator.Orchestrator
	seen []published
	fail error
}

func newBusFixture(t *testing.T) *busFixture {
	t.Helper()
	f := &busFixture{s: memstore.New()}
	reg := registry.New(registry.WithClock(f.s.Clock()))
	if err := enginetest.Register(reg, enginetest.WithoutProjections()); err != nil {
		t.Fatal(err)
	}
	bus := orchestrator.EventBusFunc(func(ctx context.Context, tx store.Tx, ev event.Published, chain correlation.Chain) error {
		f.seen = append(f.seen, published{ev, chain})
		if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "bus", Payload: json.RawMessage(`{}`), Partition: ev.StreamID}); err != nil {
			return err
		}
		return f.fail
	})
	f.o = orchestrator.New(f.s, reg, orchestrator.WithClock(f.s.Clock()), orchestrator.WithIDs(f.s.IDs()), orchestrator.WithEventBus(bus))
	return f
}

// jobs claims the due bus jobs (one per partition) and counts them.
func (f *busFixture) jobs(t *testing.T) int {
	t.Helper()
	n := 0
	err := f.s.Atomic(context.Background(), func(tx store.Tx) error {
		js, err := tx.Jobs().Claim(context.Background(), 100, time.Minute)
		for _, j := range js {
			if j.Job.Kind == "bus" {
				n++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEventBusPublishesSuccessfulEvents checks spec §7 rule 9: a successful
// command's event is published in its unit of work, described as
// event.Published with the command's chain; a rejection and a business
// failure publish nothing (rule 8).
func TestEventBusPublishesSuccessfulEvents(t *testing.T) {
	f := newBusFixture(t)
	ctx := context.Background()
	start := f.s.Clock().Now()
	res, err := f.o.Execute(ctx, create("o1").WithCorrelation("corr-1").WithUser("u7"))
	if err != nil || res.Status != command.StatusExecuted {
		t.Fatalf("create: %+v %v", res, err)
	}
	want := []published{{
		Event: event.Published{EventID: res.EventIDs[0], EventType: "OrderCreated", StreamType: "Order", StreamID: "o1",
			Category: event.Domain, SchemaVersion: 1, BoundedContext: "orders", GlobalPosition: res.Position, Timestamp: start.UTC(),
			Payload:     json.RawMessage(`{"orderId":"o1","customerId":"c1"}`),
			Correlation: event.PublishedChain{CorrelationID: "corr-1", CausationID: "create-o1", UserID: "u7"}},
		Chain: correlation.Chain{CommandID: "create-o1", CorrelationID: "corr-1", CausationID: "create-o1", InitiatedAt: start.UTC(), UserID: "u7"},
	}}
	if diff := cmp.Diff(want, f.seen); diff != "" {
		t.Fatalf("published (-want +got):\n%s", diff)
	}
	if n := f.jobs(t); n != 1 {
		t.Fatalf("jobs the bus enqueued: %d, want 1 (committed with the command)", n)
	}

	// A rejection and a business failure (SubmitOrder of an empty order)
	// publish nothing.
	if res, err := f.o.Execute(ctx, create("o1").WithID("again")); err != nil || res.Status != command.StatusRejected {
		t.Fatalf("duplicate create: %+v %v", res, err)
	}
	if res, err := f.o.Execute(ctx, command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"})); err != nil || res.Status != command.StatusFailed {
		t.Fatalf("submit: %+v %v", res, err)
	}
	if len(f.seen) != 1 {
		t.Fatalf("published %d events after a rejection and a failure, want still 1: %+v", len(f.seen), f.seen)
	}
}

// TestEventBusErrorAbortsTheCommand checks spec §7 rule 11: a publish
// error aborts the command with EVENT_STORE_POST_APPEND_ABORT and nothing
// of the unit of work is kept (the event, the CMS, the command record, the
// bus's own job); a retry with the same command id starts fresh.
func TestEventBusErrorAbortsTheCommand(t *testing.T) {
	f := newBusFixture(t)
	ctx := context.Background()
	f.fail = errors.New("bus down")
	_, err := f.o.Execute(ctx, create("o1"))
	var ae *command.AbortError
	if !errors.As(err, &ae) || ae.ErrCode != command.CodePostAppendAbort {
		t.Fatalf("Execute with a failing bus: %v, want an abort with %s", err, command.CodePostAppendAbort)
	}
	if n := f.jobs(t); n != 0 {
		t.Fatalf("jobs after the abort: %d, want 0", n)
	}
	err = f.s.Atomic(ctx, func(tx store.Tx) error {
		recs, err := tx.Events().ReadStream(ctx, orchestrator.StreamFor("Order", "o1"), store.StreamRead{})
		if err != nil || len(recs) != 0 {
			return errors.Join(err, errors.New("the aborted command's event was kept"))
		}
		if _, found, err := tx.Commands().GetCommand(ctx, "create-o1"); err != nil || found {
			return errors.Join(err, errors.New("the aborted command was recorded"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.fail = nil
	if res, err := f.o.Execute(ctx, create("o1")); err != nil || res.Status != command.StatusExecuted || res.Duplicate {
		t.Fatalf("retry: %+v %v, want executed afresh", res, err)
	}
	if len(f.seen) != 2 || f.jobs(t) != 1 {
		t.Fatalf("after the retry: %d publishes, want 2 (one per attempt) and 1 job", len(f.seen))
	}
}

// TestNewPublishedStreamParts checks how a published event's stream type
// and id are derived, and that the event builder's streams follow
// StreamFor's convention.
func TestNewPublishedStreamParts(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		stream   es.StreamID
		extra    map[string]string
		typ, id  string
		category string
	}{
		{"Order-o1", nil, "Order", "o1", "domain"},
		{"Order-o-1", nil, "Order", "o-1", "domain"},
		{"Line-Item-7", map[string]string{event.ExtraStreamType: "Line-Item"}, "Line-Item", "7", "domain"},
		{"plain", nil, "", "plain", "domain"},
	}
	for _, c := range cases {
		p := event.NewPublished(es.Event{Type: "X", Metadata: es.Metadata{Extra: c.extra}}, c.stream, 3, "bc", at)
		if p.StreamType != c.typ || p.StreamID != c.id || string(p.Category) != c.category || p.SchemaVersion != 1 || p.GlobalPosition != 3 {
			t.Errorf("NewPublished(%s) = %+v, want stream %q/%q, category domain, schema version 1, position 3", c.stream, p, c.typ, c.id)
		}
	}
	if got := (event.Data{StreamType: "Order", StreamID: "ord_1"}).Stream(); got != orchestrator.StreamFor("Order", "ord_1") {
		t.Errorf("event.Data.Stream() = %s, want StreamFor's %s", got, orchestrator.StreamFor("Order", "ord_1"))
	}
}

// ExampleWithEventBus wires an event bus: every event a successful command
// appends is published in the command's unit of work, with its stream
// type, stream id, position and correlation.
func ExampleWithEventBus() {
	ctx := context.Background()
	s := memstore.New()
	reg := registry.New()
	_ = enginetest.Register(reg, enginetest.WithoutProjections())
	bus := orchestrator.EventBusFunc(func(ctx context.Context, tx store.Tx, ev event.Published, chain correlation.Chain) error {
		fmt.Println(ev.EventType, ev.StreamType, ev.StreamID, ev.GlobalPosition, ev.Category, chain.CommandID == ev.Correlation.CausationID)
		return nil // a real bus enqueues one job per matching subscription on tx
	})
	o := orchestrator.New(s, reg, orchestrator.WithClock(s.Clock()), orchestrator.WithIDs(s.IDs()), orchestrator.WithEventBus(bus))
	_, _ = o.Execute(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}))
	_, _ = o.Execute(ctx, command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "tea", Qty: 2}))
	_, _ = o.Execute(ctx, command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "tea", Qty: 0})) // rejected: nothing published
	// Output:
	// OrderCreated Order o1 1 domain true
	// ItemAdded Order o1 2 domain true
}
