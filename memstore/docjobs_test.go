package memstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// in runs fn in a unit of work and fails the test on error.
func in(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx)) {
	t.Helper()
	ctx := context.Background()
	if err := s.Atomic(ctx, func(tx store.Tx) error { fn(ctx, tx); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestDocumentsCRUD(t *testing.T) {
	s := memstore.New()
	in(t, s, func(ctx context.Context, tx store.Tx) {
		d := tx.Documents()
		doc, err := d.Insert(ctx, "c", "k", json.RawMessage(`{"n":1}`))
		want := store.Document{Collection: "c", Key: "k", Data: json.RawMessage(`{"n":1}`), Version: 1, UpdatedAt: es.DefaultVirtualStart}
		if err != nil || !cmp.Equal(want, doc) {
			t.Fatalf("insert = %+v, %v", doc, err)
		}
		_, err = d.Insert(ctx, "c", "k", json.RawMessage(`{}`))
		var vc *es.VersionConflictError
		if !errors.As(err, &vc) || vc.Expected != 0 || vc.Actual != 1 {
			t.Fatalf("second insert = %v", err)
		}
		_, err = d.Update(ctx, "c", "k", 2, json.RawMessage(`{}`))
		if !errors.As(err, &vc) || vc.Expected != 2 || vc.Actual != 1 {
			t.Fatalf("stale update = %v", err)
		}
		doc, err = d.Update(ctx, "c", "k", 1, json.RawMessage(`{"n":2}`))
		if err != nil || doc.Version != 2 || string(doc.Data) != `{"n":2}` {
			t.Fatalf("update = %+v, %v", doc, err)
		}
		_, err = d.Update(ctx, "c", "nope", 1, json.RawMessage(`{}`))
		wantCode(t, err, es.CodeNotFound)
		wantCode(t, d.Delete(ctx, "c", "k", 1), es.CodeVersionConflict)
		wantCode(t, d.Delete(ctx, "c", "nope", 0), es.CodeNotFound)
		if err := d.Delete(ctx, "c", "k", 2); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err = d.Get(ctx, "c", "k")
		wantCode(t, err, es.CodeNotFound)
		_, err = d.Get(ctx, "unknown", "k")
		wantCode(t, err, es.CodeNotFound)

		// Bad input.
		_, err = d.Insert(ctx, "", "k", json.RawMessage(`{}`))
		wantCode(t, err, es.CodeInvalidCollection)
		_, err = d.Insert(ctx, "c", "", json.RawMessage(`{}`))
		wantCode(t, err, es.CodeInvalidKey)
		_, err = d.Insert(ctx, "c", "k", json.RawMessage(`{`))
		wantCode(t, err, es.CodeInvalidArgument)
		_, err = d.Insert(ctx, "c", "k", nil)
		wantCode(t, err, es.CodeInvalidArgument)
		_, err = d.Insert(ctx, "c", "k", make(json.RawMessage, es.MaxPayloadBytes+1))
		wantCode(t, err, es.CodePayloadTooLarge)
		_, err = d.Update(ctx, "c", "k", -1, json.RawMessage(`{}`))
		wantCode(t, err, es.CodeInvalidArgument)
		wantCode(t, d.Delete(ctx, "c", "k", -1), es.CodeInvalidArgument)
		_, err = d.List(ctx, "c\x01", store.ListOptions{})
		wantCode(t, err, es.CodeInvalidCollection)
		_, err = d.List(ctx, "c", store.ListOptions{Limit: -1})
		wantCode(t, err, es.CodeInvalidArgument)
	})
}

func TestDocumentsListPages(t *testing.T) {
	s := memstore.New()
	keys := []string{"b/2", "a/1", "b/10", "b/1", "c", "b"}
	in(t, s, func(ctx context.Context, tx store.Tx) {
		for _, k := range keys {
			if _, err := tx.Documents().Insert(ctx, "c", k, json.RawMessage(`{}`)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx.Documents().Insert(ctx, "other", "b/3", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
	})
	list := func(opts store.ListOptions) ([]string, string) {
		var out []string
		var next string
		in(t, s, func(ctx context.Context, tx store.Tx) {
			page, err := tx.Documents().List(ctx, "c", opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.Documents {
				out = append(out, d.Key)
			}
			next = page.Next
		})
		return out, next
	}
	for _, tc := range []struct {
		opts store.ListOptions
		want string
	}{
		{store.ListOptions{}, "[a/1 b b/1 b/10 b/2 c] next=\"\""},
		{store.ListOptions{Prefix: "b/"}, "[b/1 b/10 b/2] next=\"\""},
		{store.ListOptions{Prefix: "b/", Limit: 2}, "[b/1 b/10] next=\"b/10\""},
		{store.ListOptions{Prefix: "b/", After: "b/10", Limit: 2}, "[b/2] next=\"\""},
		{store.ListOptions{Prefix: "b", After: "a/1", Limit: 4}, "[b b/1 b/10 b/2] next=\"\""},
		{store.ListOptions{After: "b/10", Limit: 1}, "[b/2] next=\"b/2\""},
		{store.ListOptions{After: "zzz"}, "[] next=\"\""},
		{store.ListOptions{Prefix: "x"}, "[] next=\"\""},
	} {
		keys, next := list(tc.opts)
		if got := fmt.Sprintf("%s next=%q", fmtSlice(keys), next); got != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.opts, got, tc.want)
		}
	}
	in(t, s, func(ctx context.Context, tx store.Tx) {
		page, err := tx.Documents().List(ctx, "never", store.ListOptions{})
		if err != nil || page.Documents != nil || page.Next != "" {
			t.Fatalf("unknown collection = %+v, %v", page, err)
		}
	})
}

func claimIDs(cs []store.Claimed) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Job.Kind)
	}
	return out
}

func TestJobsClaimOrderPartitionsAndDelay(t *testing.T) {
	s := memstore.New()
	clock := s.VirtualClock()
	now := clock.Now()
	in(t, s, func(ctx context.Context, tx store.Tx) {
		for _, spec := range []store.JobSpec{
			{Kind: "p1-first", Partition: "p1", RunAt: now.Add(time.Minute)},
			{Kind: "p1-second", Partition: "p1"},
			{Kind: "free-late", RunAt: now.Add(30 * time.Second)},
			{Kind: "free-now"},
			{Kind: "p2-first", Partition: "p2"},
			{Kind: "p2-second", Partition: "p2"},
		} {
			if _, err := tx.Jobs().Enqueue(ctx, spec); err != nil {
				t.Fatal(err)
			}
		}
	})
	claim := func(max int) []store.Claimed {
		var out []store.Claimed
		in(t, s, func(ctx context.Context, tx store.Tx) {
			var err error
			if out, err = tx.Jobs().Claim(ctx, max, 0); err != nil {
				t.Fatal(err)
			}
		})
		return out
	}
	got := claim(10)
	if fmtSlice(claimIDs(got)) != "[free-now p2-first]" {
		t.Fatalf("first claim %v", claimIDs(got))
	}
	if got[0].Lease.Attempt != 1 || got[0].Job.State != store.JobLeased || !got[0].Job.LeaseUntil.Equal(now.Add(store.DefaultLease)) {
		t.Fatalf("claimed job %+v", got[0])
	}
	if c := claim(10); c != nil {
		t.Fatalf("nothing due, got %v", claimIDs(c))
	}
	in(t, s, func(ctx context.Context, tx store.Tx) {
		if err := tx.Jobs().Complete(ctx, got[1].Lease); err != nil {
			t.Fatal(err)
		}
	})
	clock.Advance(time.Minute)
	// free-now's lease (30s) expired: it is claimed again, attempt 2; the
	// p1 head is due now; p2-second follows its completed predecessor.
	got = claim(2)
	if fmtSlice(claimIDs(got)) != "[free-now p2-second]" {
		t.Fatalf("second claim %v", claimIDs(got))
	}
	if got[0].Lease.Attempt != 2 {
		t.Fatalf("reclaimed attempt %d", got[0].Lease.Attempt)
	}
	got = claim(10)
	if fmtSlice(claimIDs(got)) != "[free-late p1-first]" {
		t.Fatalf("third claim %v", claimIDs(got))
	}
	in(t, s, func(ctx context.Context, tx store.Tx) {
		_, err := tx.Jobs().Claim(ctx, 0, 0)
		wantCode(t, err, es.CodeInvalidArgument)
		_, err = tx.Jobs().Claim(ctx, 1, -time.Second)
		wantCode(t, err, es.CodeInvalidArgument)
		_, err = tx.Jobs().Enqueue(ctx, store.JobSpec{})
		wantCode(t, err, es.CodeInvalidArgument)
		_, err = tx.Jobs().Get(ctx, "nope")
		wantCode(t, err, es.CodeNotFound)
		wantCode(t, tx.Jobs().Complete(ctx, store.Lease{JobID: "nope", Attempt: 1}), es.CodeNotFound)
		wantCode(t, tx.Jobs().Complete(ctx, store.Lease{}), es.CodeInvalidArgument)
	})
}

func TestJobsRetryBackoffDeadLettersAndLeases(t *testing.T) {
	s := memstore.New()
	clock := s.VirtualClock()
	var id string
	in(t, s, func(ctx context.Context, tx store.Tx) {
		j, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "flaky", MaxAttempts: 3, Backoff: 10 * time.Second, Payload: json.RawMessage(`{"x":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		id = j.ID
	})
	var retries []time.Duration
	for attempt := 1; attempt <= 3; attempt++ {
		in(t, s, func(ctx context.Context, tx store.Tx) {
			c, err := tx.Jobs().Claim(ctx, 1, time.Minute)
			if err != nil || len(c) != 1 || c[0].Lease.Attempt != attempt || string(c[0].Job.Payload) != `{"x":1}` {
				t.Fatalf("attempt %d: claim %+v, %v", attempt, c, err)
			}
			out, err := tx.Jobs().Fail(ctx, c[0].Lease, fmt.Sprintf("err %d", attempt))
			if err != nil {
				t.Fatal(err)
			}
			if attempt == 3 {
				if !out.Dead || !out.RetryAt.IsZero() {
					t.Fatalf("last attempt outcome %+v", out)
				}
				return
			}
			retries = append(retries, out.RetryAt.Sub(clock.Now()))
			// A stale lease is lost.
			wantCode(t, tx.Jobs().Complete(ctx, c[0].Lease), es.CodeLeaseLost)
		})
		clock.Advance(time.Hour)
	}
	if fmt.Sprint(retries) != "[10s 20s]" {
		t.Fatalf("retry delays %v, want [10s 20s]", retries)
	}
	in(t, s, func(ctx context.Context, tx store.Tx) {
		dead, err := tx.Jobs().DeadLetters(ctx, "", 0)
		if err != nil || len(dead) != 1 || dead[0].ID != id || dead[0].State != store.JobDead || dead[0].LastError != "err 3" || dead[0].Attempts != 3 {
			t.Fatalf("dead letters %+v, %v", dead, err)
		}
		rest, err := tx.Jobs().DeadLetters(ctx, id, 0)
		if err != nil || rest != nil {
			t.Fatalf("after the last dead letter: %+v, %v", rest, err)
		}
		_, err = tx.Jobs().DeadLetters(ctx, "nope", 0)
		wantCode(t, err, es.CodeNotFound)
		_, err = tx.Jobs().DeadLetters(ctx, "", -1)
		wantCode(t, err, es.CodeInvalidArgument)
	})
}

func TestJobsExpiredLastLeaseDiesAndUnblocksPartition(t *testing.T) {
	s := memstore.New()
	clock := s.VirtualClock()
	in(t, s, func(ctx context.Context, tx store.Tx) {
		for _, k := range []string{"one-shot", "next"} {
			if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: k, Partition: "p", MaxAttempts: 1}); err != nil {
				t.Fatal(err)
			}
		}
	})
	var lease store.Lease
	in(t, s, func(ctx context.Context, tx store.Tx) {
		c, err := tx.Jobs().Claim(ctx, 5, time.Second)
		if err != nil || fmtSlice(claimIDs(c)) != "[one-shot]" {
			t.Fatalf("claim %v %v", claimIDs(c), err)
		}
		lease = c[0].Lease
	})
	clock.Advance(time.Second)
	in(t, s, func(ctx context.Context, tx store.Tx) {
		// The expired lease is no longer current.
		wantCode(t, tx.Jobs().Complete(ctx, lease), es.CodeLeaseLost)
		c, err := tx.Jobs().Claim(ctx, 5, time.Second)
		if err != nil || fmtSlice(claimIDs(c)) != "[next]" {
			t.Fatalf("claim after expiry %v %v", claimIDs(c), err)
		}
		dead, _ := tx.Jobs().DeadLetters(ctx, "", 0)
		if len(dead) != 1 || dead[0].Kind != "one-shot" || dead[0].LastError != "lease expired" {
			t.Fatalf("dead letters %+v", dead)
		}
	})
}

func TestJobsNoDoubleClaimUnderConcurrency(t *testing.T) {
	const jobsN, workers = 60, 6
	s := memstore.New()
	in(t, s, func(ctx context.Context, tx store.Tx) {
		for i := range jobsN {
			if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: fmt.Sprintf("j%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	})
	results := make(chan []string, workers)
	for range workers {
		go func() {
			var mine []string
			for {
				var got []store.Claimed
				err := s.Atomic(context.Background(), func(tx store.Tx) error {
					var err error
					got, err = tx.Jobs().Claim(context.Background(), 3, time.Hour)
					return err
				})
				if err != nil || len(got) == 0 {
					results <- mine
					return
				}
				for _, c := range got {
					mine = append(mine, c.Job.ID)
				}
			}
		}()
	}
	seen := map[string]bool{}
	for range workers {
		for _, id := range <-results {
			if seen[id] {
				t.Fatalf("job %s claimed twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != jobsN {
		t.Fatalf("claimed %d jobs, want %d", len(seen), jobsN)
	}
}

func TestFailAfterWritesOnJobsAndDocumentsLeavesNothing(t *testing.T) {
	s := memstore.New()
	jobID := seed(t, s)
	before := snapshot(t, s, allStreams, allDocs, []string{jobID})
	// writeEverything performs 10 writes; fail each one in turn.
	for n := range 10 {
		s.FailAfterWrites(n)
		ctx := context.Background()
		err := s.Atomic(ctx, func(tx store.Tx) error { return writeEverything(ctx, tx, jobID) })
		if !errors.Is(err, es.ErrInjectedFault) {
			t.Fatalf("n=%d: Atomic = %v, want the injected fault", n, err)
		}
		if after := snapshot(t, s, allStreams, allDocs, []string{jobID}); after != before {
			t.Fatalf("n=%d: failed unit left a trace:\nbefore %s\nafter  %s", n, before, after)
		}
	}
	s.FailAfterWrites(10)
	ctx := context.Background()
	if err := s.Atomic(ctx, func(tx store.Tx) error { return writeEverything(ctx, tx, jobID) }); err != nil {
		t.Fatalf("the 11th write never happens, yet: %v", err)
	}
	s.ClearFaults()
}
