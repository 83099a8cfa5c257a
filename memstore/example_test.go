package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// A unit of work appends to a stream; a second unit reads it back.
func Example() {
	ctx := context.Background()
	s := memstore.New()

	err := s.Atomic(ctx, func(tx store.Tx) error {
		_, err := tx.Events().Append(ctx, es.AppendRequest{
			Stream:   "order-42",
			Expected: es.NoStream,
			Events: []es.Event{
				es.MustEvent("OrderPlaced", map[string]any{"total": 30}, "order:42"),
				es.MustEvent("OrderPaid", map[string]any{"amount": 30}, "order:42"),
			},
		})
		return err
	})
	if err != nil {
		fmt.Println("append:", err)
		return
	}

	events, err := store.ReadStream(ctx, s, "order-42", store.StreamRead{})
	if err != nil {
		fmt.Println("read:", err)
		return
	}
	for _, e := range events {
		fmt.Println(e.Position, e.StreamVersion, e.Type, string(e.Data), e.Metadata.EventID, e.RecordedAt.Format("2006-01-02T15:04:05Z"))
	}
	// Output:
	// 1 1 OrderPlaced {"total":30} 00000000-0000-7000-8000-000000000001 2026-01-01T00:00:00Z
	// 2 2 OrderPaid {"amount":30} 00000000-0000-7000-8000-000000000002 2026-01-01T00:00:00Z
}

// An append whose expected version is stale writes nothing and reports the
// actual version.
func ExampleStore_Atomic_concurrencyConflict() {
	ctx := context.Background()
	s := memstore.New()
	req := es.AppendRequest{Stream: "cart-1", Expected: es.NoStream, Events: []es.Event{es.MustEvent("CartOpened", nil)}}
	if _, err := store.Append(ctx, s, req); err != nil {
		fmt.Println(err)
		return
	}
	_, err := store.Append(ctx, s, req) // NoStream again: the stream now exists
	var ce *es.ConcurrencyError
	fmt.Println(errors.As(err, &ce), es.CodeOf(err), ce.Actual)
	// Output: true CONCURRENCY_CONFLICT 1
}

// A unit of work that returns an error leaves no trace.
func ExampleStore_Atomic_rollback() {
	ctx := context.Background()
	s := memstore.New()
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "s", Events: []es.Event{es.MustEvent("Happened", nil)}}); err != nil {
			return err
		}
		if _, err := tx.Documents().Insert(ctx, "views", "s", []byte(`{"n":1}`)); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	fmt.Println(err)
	page, _ := store.ReadAll(ctx, s, store.LogRead{})
	fmt.Println(len(page.Events), page.Head)
	// Output:
	// changed my mind
	// 0 0
}

// DCB: read the events of a decision model, then append on the condition
// that no matching event arrived since.
func ExampleStore_Atomic_dcb() {
	ctx := context.Background()
	s := memstore.New()
	course := es.Tags("course:c1")
	if _, err := store.Append(ctx, s, es.AppendRequest{Events: []es.Event{es.MustEvent("CourseDefined", map[string]int{"capacity": 10}, "course:c1")}}); err != nil {
		fmt.Println(err)
		return
	}
	res, err := store.ReadQuery(ctx, s, course, store.QueryRead{})
	if err != nil {
		fmt.Println(err)
		return
	}
	cond := es.FailIfMatch(course).WithAfter(res.Head)
	ok, err := store.Append(ctx, s, es.AppendRequest{Condition: &cond, Events: []es.Event{es.MustEvent("StudentSubscribed", nil, "course:c1", "student:s1")}})
	fmt.Println(ok.Positions, err)
	_, err = store.Append(ctx, s, es.AppendRequest{Condition: &cond, Events: []es.Event{es.MustEvent("StudentSubscribed", nil, "course:c1", "student:s2")}})
	fmt.Println(es.CodeOf(err))
	// Output:
	// [2] <nil>
	// APPEND_CONDITION_FAILED
}

// FailNextCommit makes the next writing unit of work roll back, so tests
// can prove that a failed commit leaves nothing behind.
func ExampleStore_FailNextCommit() {
	ctx := context.Background()
	s := memstore.New()
	s.FailNextCommit(nil)
	_, err := store.Append(ctx, s, es.AppendRequest{Stream: "s", Events: []es.Event{es.MustEvent("Happened", nil)}})
	fmt.Println(es.CodeOf(err))
	page, _ := store.ReadAll(ctx, s, store.LogRead{})
	fmt.Println(len(page.Events))
	// The fault fires once.
	res, err := store.Append(ctx, s, es.AppendRequest{Stream: "s", Events: []es.Event{es.MustEvent("Happened", nil)}})
	fmt.Println(res.Positions, err)
	// Output:
	// INJECTED_FAULT
	// 0
	// [1] <nil>
}

// Jobs run when the virtual clock says they are due; a failed run retries
// with exponential backoff.
func ExampleStore_VirtualClock() {
	ctx := context.Background()
	s := memstore.New()
	clock := s.VirtualClock()
	claim := func() []store.Claimed {
		var got []store.Claimed
		_ = s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			got, err = tx.Jobs().Claim(ctx, 10, time.Minute)
			return err
		})
		return got
	}
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		_, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "reminder", RunAt: clock.Now().Add(time.Hour), Backoff: time.Second})
		return err
	})
	fmt.Println("due now:", len(claim()))
	clock.Advance(time.Hour)
	c := claim()
	fmt.Println("due after an hour:", c[0].Job.Kind, "attempt", c[0].Lease.Attempt)
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		out, err := tx.Jobs().Fail(ctx, c[0].Lease, "smtp down")
		fmt.Println("retry in", out.RetryAt.Sub(clock.Now()))
		return err
	})
	// Output:
	// due now: 0
	// due after an hour: reminder attempt 1
	// retry in 1s
}
