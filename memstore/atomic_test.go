package memstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// seed commits one event, one document and one job, and returns the job id.
func seed(t *testing.T, s *memstore.Store) string {
	t.Helper()
	ctx := context.Background()
	var jobID string
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "a", Expected: es.NoStream, Events: []es.Event{ev("A1", "t:1")}}); err != nil {
			return err
		}
		if _, err := tx.Documents().Insert(ctx, "c", "k1", []byte(`{"v":1}`)); err != nil {
			return err
		}
		j, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "work", Partition: "p", MaxAttempts: 1})
		jobID = j.ID
		return err
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return jobID
}

// writeEverything performs every kind of write, including ones that change
// what seed committed.
func writeEverything(ctx context.Context, tx store.Tx, jobID string) error {
	ev := tx.Events()
	if _, err := ev.Append(ctx, es.AppendRequest{Stream: "a", Expected: es.Exact(1), Events: []es.Event{ev2("A2", "t:1"), ev2("A3", "t:2")}}); err != nil {
		return err
	}
	if _, err := ev.Append(ctx, es.AppendRequest{Stream: "b", Idempotency: &es.Idempotency{Key: "k"}, Events: []es.Event{ev2("B1")}}); err != nil {
		return err
	}
	if _, err := ev.Append(ctx, es.AppendRequest{Events: []es.Event{ev2("Free", "t:3")}}); err != nil {
		return err
	}
	docs := tx.Documents()
	if _, err := docs.Update(ctx, "c", "k1", 1, []byte(`{"v":2}`)); err != nil {
		return err
	}
	if _, err := docs.Insert(ctx, "c", "k2", []byte(`{}`)); err != nil {
		return err
	}
	if _, err := docs.Insert(ctx, "other", "x", []byte(`1`)); err != nil {
		return err
	}
	if err := docs.Delete(ctx, "c", "k2", 0); err != nil {
		return err
	}
	jobs := tx.Jobs()
	claimed, err := jobs.Claim(ctx, 10, time.Minute)
	if err != nil {
		return err
	}
	if len(claimed) != 1 || claimed[0].Job.ID != jobID {
		return errors.New("unexpected claim")
	}
	out, err := jobs.Fail(ctx, claimed[0].Lease, "boom")
	if err != nil {
		return err
	}
	if !out.Dead {
		return errors.New("job did not die")
	}
	if _, err := jobs.Enqueue(ctx, store.JobSpec{Kind: "later"}); err != nil {
		return err
	}
	return nil
}

func ev2(typ string, tags ...es.Tag) es.Event { return ev(typ, tags...) }

var (
	allStreams = []es.StreamID{"a", "b"}
	allDocs    = [][2]string{{"c", "k1"}, {"c", "k2"}, {"other", "x"}}
)

func TestRollbackOnErrorLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	jobID := seed(t, s)
	before := snapshot(t, s, allStreams, allDocs, []string{jobID})

	boom := errors.New("boom")
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if err := writeEverything(ctx, tx, jobID); err != nil {
			t.Fatalf("writes inside the unit failed: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomic = %v, want the function's error", err)
	}
	if after := snapshot(t, s, allStreams, allDocs, []string{jobID}); after != before {
		t.Fatalf("rolled-back unit left a trace:\nbefore %s\nafter  %s", before, after)
	}
	// Positions stay gapless and the idempotency key is free again.
	res := mustAppend(t, s, es.AppendRequest{Stream: "b", Idempotency: &es.Idempotency{Key: "k"}, Events: []es.Event{ev("B1")}})
	if res.Duplicate || res.Positions[0] != 2 || res.Version != 1 {
		t.Fatalf("after rollback: %+v, want a fresh append at position 2, version 1", res)
	}
}

func TestRollbackOnPanicLeavesNoTraceAndRepanics(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	jobID := seed(t, s)
	before := snapshot(t, s, allStreams, allDocs, []string{jobID})

	type marker struct{ n int }
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		_ = s.Atomic(ctx, func(tx store.Tx) error {
			if err := writeEverything(ctx, tx, jobID); err != nil {
				t.Fatalf("writes inside the unit failed: %v", err)
			}
			panic(marker{7})
		})
	}()
	if recovered != (marker{7}) {
		t.Fatalf("recovered %v, want the original panic value", recovered)
	}
	if after := snapshot(t, s, allStreams, allDocs, []string{jobID}); after != before {
		t.Fatalf("panicking unit left a trace:\nbefore %s\nafter  %s", before, after)
	}
	// The store is usable again (the lock was released).
	res := mustAppend(t, s, es.AppendRequest{Stream: "a", Expected: es.Exact(1), Events: []es.Event{ev("A2")}})
	if res.Positions[0] != 2 || res.Version != 2 {
		t.Fatalf("after panic: %+v, want position 2, version 2", res)
	}
}

func TestCommitMakesEverythingVisible(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	jobID := seed(t, s)
	err := s.Atomic(ctx, func(tx store.Tx) error { return writeEverything(ctx, tx, jobID) })
	if err != nil {
		t.Fatal(err)
	}
	log := readAll(t, s)
	var got []string
	for _, e := range log {
		got = append(got, e.Type)
	}
	if want := "[A1 A2 A3 B1 Free]"; fmtSlice(got) != want {
		t.Fatalf("log types = %v, want %s", got, want)
	}
	err = s.Atomic(ctx, func(tx store.Tx) error {
		d, err := tx.Documents().Get(ctx, "c", "k1")
		if err != nil || d.Version != 2 || string(d.Data) != `{"v":2}` {
			t.Errorf("doc c/k1 = %+v, %v; want version 2", d, err)
		}
		_, err = tx.Documents().Get(ctx, "c", "k2")
		wantCode(t, err, es.CodeNotFound)
		dead, err := tx.Jobs().DeadLetters(ctx, "", 0)
		if err != nil || len(dead) != 1 || dead[0].ID != jobID || dead[0].LastError != "boom" {
			t.Errorf("dead letters = %+v, %v", dead, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fmtSlice(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

func TestFailNextCommit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		arm  error
		want error
	}{
		{"default error", nil, es.ErrInjectedFault},
		{"custom error", errors.New("disk on fire"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := memstore.New()
			jobID := seed(t, s)
			before := snapshot(t, s, allStreams, allDocs, []string{jobID})
			s.FailNextCommit(tc.arm)

			// A read-only unit of work neither fails nor uses the fault up.
			if _, err := store.ReadAll(ctx, s, store.LogRead{}); err != nil {
				t.Fatalf("read-only unit: %v", err)
			}
			err := s.Atomic(ctx, func(tx store.Tx) error { return writeEverything(ctx, tx, jobID) })
			want := tc.want
			if want == nil {
				want = tc.arm
			}
			if !errors.Is(err, want) {
				t.Fatalf("Atomic = %v, want %v", err, want)
			}
			if tc.arm == nil {
				wantCode(t, err, es.CodeInjectedFault)
			}
			if after := snapshot(t, s, allStreams, allDocs, []string{jobID}); after != before {
				t.Fatalf("failed commit left a trace:\nbefore %s\nafter  %s", before, after)
			}
			// The fault fires once.
			if err := s.Atomic(ctx, func(tx store.Tx) error { return writeEverything(ctx, tx, jobID) }); err != nil {
				t.Fatalf("second unit: %v", err)
			}
		})
	}
}

func TestFailAfterWrites(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	s.FailAfterWrites(2)
	var third error
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X1")}}); err != nil {
			t.Fatalf("first write: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Documents().Insert(ctx, "c", "k", []byte(`{}`)); err != nil {
			t.Fatalf("second write: %v", err)
		}
		_, third = tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "k"})
		return third
	})
	wantCode(t, third, es.CodeInjectedFault)
	if !errors.Is(err, es.ErrInjectedFault) {
		t.Fatalf("Atomic = %v, want the injected fault", err)
	}
	// The unit that saw the fault rolled back: the document is gone, the
	// first unit's event stays.
	after := snapshot(t, s, []es.StreamID{"x"}, [][2]string{{"c", "k"}}, nil)
	want := snapshot(t, memstoreWith(t, func(s *memstore.Store) {
		mustAppend(t, s, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X1")}})
	}), []es.StreamID{"x"}, [][2]string{{"c", "k"}}, nil)
	if after != want {
		t.Fatalf("state after fault:\n got %s\nwant %s", after, want)
	}
	// Disarmed after firing.
	mustAppend(t, s, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X2")}})

	// n = 0 fails the very next write; ClearFaults disarms.
	s.FailAfterWrites(0)
	_, err = store.Append(ctx, s, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X3")}})
	wantCode(t, err, es.CodeInjectedFault)
	s.FailAfterWrites(0)
	s.ClearFaults()
	mustAppend(t, s, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X3")}})
	if got := len(readAll(t, s)); got != 3 {
		t.Fatalf("log has %d events, want 3", got)
	}
}

func memstoreWith(t *testing.T, f func(*memstore.Store)) *memstore.Store {
	t.Helper()
	s := memstore.New()
	f(s)
	return s
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	mustAppend(t, s, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X1")}})

	// Closing while a unit of work runs: its later operations fail and it
	// does not commit.
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X2")}}); err != nil {
			t.Fatalf("append before close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		_, err := tx.Events().ReadStream(ctx, "x", store.StreamRead{})
		wantCode(t, err, es.CodeClosed)
		return nil
	})
	if !errors.Is(err, es.ErrClosed) {
		t.Fatalf("Atomic spanning Close = %v, want STORE_CLOSED", err)
	}
	err = s.Atomic(ctx, func(tx store.Tx) error {
		t.Fatal("fn ran on a closed store")
		return nil
	})
	wantCode(t, err, es.CodeClosed)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
}

func TestTxUsedAfterAtomicFails(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	var leaked store.Tx
	if err := s.Atomic(ctx, func(tx store.Tx) error { leaked = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	_, err := leaked.Events().Append(ctx, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X")}})
	wantCode(t, err, es.CodeTransactionAborted)
	_, err = leaked.Documents().Insert(ctx, "c", "k", []byte(`{}`))
	wantCode(t, err, es.CodeTransactionAborted)
	_, err = leaked.Jobs().Enqueue(ctx, store.JobSpec{Kind: "k"})
	wantCode(t, err, es.CodeTransactionAborted)

	// Also while another unit of work is running, from another goroutine.
	err = s.Atomic(ctx, func(tx store.Tx) error {
		done := make(chan error)
		go func() {
			_, err := leaked.Events().ReadStream(ctx, "x", store.StreamRead{})
			done <- err
		}()
		wantCode(t, <-done, es.CodeTransactionAborted)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(readAll(t, s)); n != 0 {
		t.Fatalf("log has %d events, want 0", n)
	}
}

func TestAtomicHonoursContextWhileWaiting(t *testing.T) {
	s := memstore.New()
	inside := make(chan struct{})
	release := make(chan struct{})
	holder := make(chan error)
	go func() {
		holder <- s.Atomic(context.Background(), func(tx store.Tx) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside

	ctx, cancel := context.WithCancel(context.Background())
	waiter := make(chan error)
	go func() {
		waiter <- s.Atomic(ctx, func(tx store.Tx) error {
			t.Error("fn ran although its context was cancelled while waiting")
			return nil
		})
	}()
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting Atomic = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
}

func TestCancelledContextRollsBack(t *testing.T) {
	s := memstore.New()
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "x", Events: []es.Event{ev("X")}}); err != nil {
			t.Fatalf("append: %v", err)
		}
		cancel()
		_, err := tx.Events().StreamVersion(ctx, "x")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("operation after cancel = %v, want context.Canceled", err)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Atomic = %v, want context.Canceled", err)
	}
	if n := len(readAll(t, s)); n != 0 {
		t.Fatalf("cancelled unit committed %d events", n)
	}
	err = s.Atomic(ctx, func(tx store.Tx) error { t.Fatal("fn ran with a cancelled context"); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Atomic with cancelled ctx = %v", err)
	}
}

func TestBadAtomicArguments(t *testing.T) {
	s := memstore.New()
	wantCode(t, s.Atomic(context.Background(), nil), es.CodeInvalidArgument)
	var noCtx context.Context // a nil context is the bad input under test
	wantCode(t, s.Atomic(noCtx, func(store.Tx) error { return nil }), es.CodeInvalidArgument)
}

func TestConcurrentExpectedVersionRaceHasOneWinner(t *testing.T) {
	const goroutines, rounds = 8, 25
	ctx := context.Background()
	s := memstore.New()
	for round := range rounds {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for range goroutines {
			wg.Go(func() {
				_, err := store.Append(ctx, s, es.AppendRequest{Stream: "race", Expected: es.Exact(es.Version(round)), Events: []es.Event{ev("E")}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, es.ErrConcurrency):
					conflicts++
				default:
					t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || conflicts != goroutines-1 {
			t.Fatalf("round %d: %d winners, %d conflicts", round, wins, conflicts)
		}
	}
	log := readAll(t, s)
	if len(log) != rounds {
		t.Fatalf("log has %d events, want %d", len(log), rounds)
	}
	for i, e := range log {
		if e.Position != es.Position(i+1) || e.StreamVersion != es.Version(i+1) {
			t.Fatalf("event %d at position %d version %d", i, e.Position, e.StreamVersion)
		}
	}
}

func TestConcurrentDCBRaceHasOneWinnerAndUnrelatedNeverFail(t *testing.T) {
	const goroutines, rounds = 8, 20
	ctx := context.Background()
	s := memstore.New()
	q := es.Tags("seat:1")
	type win struct{ after, pos es.Position }
	var wins []win
	for range rounds {
		res, err := store.ReadQuery(ctx, s, q, store.QueryRead{})
		if err != nil {
			t.Fatal(err)
		}
		cond := es.FailIfMatch(q).WithAfter(res.Head)
		var wg sync.WaitGroup
		var mu sync.Mutex
		n := 0
		for g := range goroutines {
			wg.Go(func() {
				// Unrelated appends race alongside and never fail.
				if _, err := store.Append(ctx, s, es.AppendRequest{Stream: streamName(g), Events: []es.Event{ev("Other", "seat:2")}}); err != nil {
					t.Errorf("unrelated append failed: %v", err)
				}
				r, err := store.Append(ctx, s, es.AppendRequest{Condition: &cond, Events: []es.Event{ev("SeatTaken", "seat:1")}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					n++
					wins = append(wins, win{*cond.After, r.Positions[0]})
				case !errors.Is(err, es.ErrAppendCondition):
					t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		if n != 1 {
			t.Fatalf("%d winners, want 1", n)
		}
	}
	// Oracle: no winner had a matching event between its After and itself.
	log := readAll(t, s)
	for _, w := range wins {
		for _, e := range log {
			if e.Position > w.after && e.Position < w.pos && q.Matches(e.Event) {
				t.Fatalf("append at %d with after %d missed matching event at %d", w.pos, w.after, e.Position)
			}
		}
	}
}

// TestRollbackAcrossLogChunks rolls back a unit of work whose events span
// several of the log's internal chunks, then keeps appending.
func TestRollbackAcrossLogChunks(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	batch := make([]es.Event, es.MaxEventsPerAppend)
	for i := range batch {
		batch[i] = ev("Kept", "t:k")
	}
	for range 10 {
		mustAppend(t, s, es.AppendRequest{Stream: "kept", Events: batch})
	}
	mustAppend(t, s, es.AppendRequest{Stream: "kept", Events: batch[:20]}) // head 1020
	rolled := make([]es.Event, es.MaxEventsPerAppend)
	for i := range rolled {
		rolled[i] = ev("Rolled", "t:r")
	}
	err := s.Atomic(ctx, func(tx store.Tx) error {
		for range 25 {
			if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "rolled", Events: rolled}); err != nil {
				return err
			}
		}
		return errors.New("roll back 2500 events")
	})
	if err == nil {
		t.Fatal("unit of work committed")
	}
	for range 15 {
		mustAppend(t, s, es.AppendRequest{Stream: "kept", Events: batch})
	}
	log := readAll(t, s)
	if len(log) != 2520 {
		t.Fatalf("log has %d events, want 2520", len(log))
	}
	for i, e := range log {
		if e.Position != es.Position(i+1) || e.Type != "Kept" || e.StreamVersion != es.Version(i+1) {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	res, err := store.ReadQuery(ctx, s, es.Tags("t:r"), store.QueryRead{})
	if err != nil || len(res.Events) != 0 || res.Head != 2520 {
		t.Fatalf("rolled-back tag still indexed: %d events, head %d, %v", len(res.Events), res.Head, err)
	}
	v, _ := store.ReadStream(ctx, s, "rolled", store.StreamRead{})
	if v != nil {
		t.Fatalf("rolled-back stream still readable: %d events", len(v))
	}
}
