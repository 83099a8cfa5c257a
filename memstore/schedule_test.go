package memstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/eventspec/eventspec/store"
)

// Internal tests of the claim scheduler: rollbacks restore what Claim
// hands out, and stale heap entries do not pile up under a frozen clock.

func claimIDs(t *testing.T, s *Store, max int) []string {
	t.Helper()
	var ids []string
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		cl, err := tx.Jobs().Claim(context.Background(), max, time.Minute)
		for _, c := range cl {
			ids = append(ids, c.Job.Kind)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSchedulerRollbackRestoresClaims(t *testing.T) {
	ctx := context.Background()
	s := New()
	err := s.Atomic(ctx, func(tx store.Tx) error {
		for i := range 6 {
			p := ""
			if i < 4 {
				p = fmt.Sprintf("p%d", i%2) // p0: j0, j2; p1: j1, j3
			}
			if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: fmt.Sprintf("j%d", i), Partition: p, MaxAttempts: 1}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	// Claim and complete everything claimable, enqueue more, then roll back.
	err = s.Atomic(ctx, func(tx store.Tx) error {
		cl, err := tx.Jobs().Claim(ctx, 10, time.Minute)
		if err != nil {
			return err
		}
		for _, c := range cl {
			if err := tx.Jobs().Complete(ctx, c.Lease); err != nil {
				return err
			}
		}
		if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "gone", Partition: "p0"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomic = %v, want boom", err)
	}
	if got, want := fmt.Sprint(claimIDs(t, s, 10)), "[j0 j1 j4 j5]"; got != want {
		t.Fatalf("after rollback Claim = %s, want %s", got, want)
	}
	// The leases of j0 and j1 block their partitions until they expire on
	// their last attempt; then they die and j2, j3 run.
	if got := claimIDs(t, s, 10); len(got) != 0 {
		t.Fatalf("Claim while leased = %v, want none", got)
	}
	s.VirtualClock().Advance(time.Minute)
	if got, want := fmt.Sprint(claimIDs(t, s, 10)), "[j2 j3]"; got != want {
		t.Fatalf("Claim after lease expiry = %s, want %s", got, want)
	}
}

func TestSchedulerHeapsStayBoundedUnderFrozenClock(t *testing.T) {
	ctx := context.Background()
	s := New()
	for i := range 2000 {
		err := s.Atomic(ctx, func(tx store.Tx) error {
			if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "k", Partition: fmt.Sprintf("p%d", i%7)}); err != nil {
				return err
			}
			cl, err := tx.Jobs().Claim(ctx, 1, time.Minute)
			if err != nil || len(cl) != 1 {
				return fmt.Errorf("claim %d: %v %v", i, cl, err)
			}
			return tx.Jobs().Complete(ctx, cl[0].Lease)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	st := &s.st
	if n := len(st.wait) + len(st.due); n > 128 {
		t.Fatalf("scheduler heaps hold %d entries with no live job", n)
	}
	if len(st.parts) != 0 {
		t.Fatalf("%d partitions kept with no live job", len(st.parts))
	}
}

// BenchmarkEnqueueClaimCompleteWithBacklog shows the cost of one
// enqueue→claim→complete cycle does not grow with the number of pending
// jobs that are not due.
func BenchmarkEnqueueClaimCompleteWithBacklog(b *testing.B) {
	ctx := context.Background()
	for _, backlog := range []int{0, 1000, 100000} {
		b.Run(fmt.Sprintf("backlog=%d", backlog), func(b *testing.B) {
			s := New()
			later := s.Clock().Now().Add(time.Hour)
			_ = s.Atomic(ctx, func(tx store.Tx) error {
				for i := range backlog {
					if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "later", RunAt: later, Partition: fmt.Sprintf("q%d", i%100)}); err != nil {
						return err
					}
				}
				return nil
			})
			b.ReportAllocs()
			for b.Loop() {
				err := s.Atomic(ctx, func(tx store.Tx) error {
					if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "now", Partition: "p"}); err != nil {
						return err
					}
					cl, err := tx.Jobs().Claim(ctx, 1, time.Minute)
					if err != nil || len(cl) != 1 || cl[0].Job.Kind != "now" {
						return fmt.Errorf("claim: %v %v", cl, err)
					}
					return tx.Jobs().Complete(ctx, cl[0].Lease)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
