package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// The jobs group certifies store.Jobs: delayed jobs wait for the store's
// clock, claims come in RunAt-then-enqueue order, partitions are FIFO and
// independent, leases expire and are reclaimed (the old holder gets
// LEASE_LOST), failures retry at exactly store.RetryDelay instants and die
// into ordered dead letters, enqueueing joins the unit of work, and
// concurrent claimers never share a job.
func init() {
	register(
		Case{Group: "jobs", Name: "enqueue-stores-spec-with-defaults", Run: jobEnqueueDefaults},
		Case{Group: "jobs", Name: "delayed-job-waits-for-run-at", Run: jobDelayed},
		Case{Group: "jobs", Name: "claim-order-is-run-at-then-enqueue", Run: jobClaimOrder},
		Case{Group: "jobs", Name: "claim-leases-and-counts-attempt", Run: jobClaimLease},
		Case{Group: "jobs", Name: "partition-is-fifo", Run: jobPartitionFIFO},
		Case{Group: "jobs", Name: "partition-waits-through-retry-and-death", Run: jobPartitionRetry},
		Case{Group: "jobs", Name: "partitions-and-unpartitioned-are-independent", Run: jobPartitionsIndependent},
		Case{Group: "jobs", Name: "expired-lease-is-reclaimed-old-lease-lost", Run: jobLeaseExpiry},
		Case{Group: "jobs", Name: "retry-at-exponential-backoff-then-dead", Run: jobRetryBackoff},
		Case{Group: "jobs", Name: "backoff-is-capped", Run: jobBackoffCap},
		Case{Group: "jobs", Name: "dead-letters-in-order-of-death", Run: jobDeadLetters},
		Case{Group: "jobs", Name: "expired-last-attempt-dies", Run: jobExpiredLastAttempt},
		Case{Group: "jobs", Name: "rolled-back-enqueue-leaves-no-job", Run: jobRolledBack},
		Case{Group: "jobs", Name: "concurrent-claimers-never-share-a-job", Run: jobNoDoubleClaim},
		Case{Group: "jobs", Name: "unknown-job-is-not-found", Run: jobUnknown},
		Case{Group: "jobs", Name: "invalid-specs-and-arguments-are-rejected", Run: jobInvalid},
	)
}

const us = time.Microsecond // the smallest step every adapter stores exactly

// jobEnqueueDefaults: Enqueue fills defaults (null payload, RunAt now,
// DefaultMaxAttempts, DefaultBackoff), keeps explicit fields, stamps
// EnqueuedAt from the clock, and Get returns what Enqueue did.
func jobEnqueueDefaults(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	env.Clock.Advance(7 * time.Second)
	now := k.now()
	j := k.enqueue(store.JobSpec{Kind: "mail.send"})
	if j.ID == "" {
		t.Fatalf("Enqueue returned an empty job id")
	}
	want := store.Job{
		ID: j.ID, Kind: "mail.send", Payload: json.RawMessage(`null`), State: store.JobPending,
		RunAt: now, EnqueuedAt: now, MaxAttempts: store.DefaultMaxAttempts, Backoff: store.DefaultBackoff,
	}
	k.wantJob("Enqueue with defaults", want, j)
	k.wantJob("Get of the defaulted job", want, k.mustJob(j.ID))

	runAt := time.Date(2026, 3, 4, 5, 6, 7, 8000, time.FixedZone("UTC+2", 2*3600))
	spec := store.JobSpec{
		Kind: "saga.timeout", Payload: json.RawMessage(`{"order":"o-1","n":[1,2]}`), RunAt: runAt,
		Partition: "order-o-1", MaxAttempts: 3, Backoff: 5 * time.Second,
	}
	e := k.enqueue(spec)
	if e.ID == "" || e.ID == j.ID {
		t.Fatalf("second job id %q: want a new, non-empty id (first was %q)", e.ID, j.ID)
	}
	want = store.Job{
		ID: e.ID, Kind: spec.Kind, Payload: spec.Payload, Partition: spec.Partition, State: store.JobPending,
		RunAt: runAt, EnqueuedAt: now, MaxAttempts: 3, Backoff: 5 * time.Second,
	}
	k.wantJob("Enqueue with every field", want, e)
	k.wantJob("Get of the explicit job", want, k.mustJob(e.ID))
}

// jobDelayed: a job is not claimable before RunAt and is at exactly RunAt.
func jobDelayed(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.enqueue(store.JobSpec{Kind: "later", RunAt: k.now().Add(10 * time.Minute)})
	k.wantClaim("right after enqueue", 0)
	env.Clock.Advance(10*time.Minute - us)
	k.wantClaim("1µs before RunAt", 0)
	env.Clock.Advance(us)
	k.wantClaim("at RunAt", 0, "later")
	k.wantClaim("once claimed", 0)
}

// jobClaimOrder: due jobs come out by RunAt, then in enqueue order; max
// bounds a claim.
func jobClaimOrder(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	start := k.now()
	k.enqueue(store.JobSpec{Kind: "a", RunAt: start.Add(2 * time.Second)})
	k.enqueue(store.JobSpec{Kind: "b", RunAt: start.Add(time.Second)})
	k.enqueue(store.JobSpec{Kind: "c", RunAt: start.Add(time.Second)})
	k.enqueue(store.JobSpec{Kind: "d"})
	k.enqueue(store.JobSpec{Kind: "e", RunAt: start.Add(-time.Hour)})
	k.enqueue(store.JobSpec{Kind: "f", RunAt: start.Add(3 * time.Second)})
	env.Clock.Advance(2 * time.Second)
	got, _ := k.claimKinds(2, 0)
	k.diff("claim of at most 2", []string{"e", "d"}, got)
	k.wantClaim("the rest of the due jobs", 0, "b", "c", "a")
}

// jobClaimLease: a claim counts an attempt, leases the job for the given
// duration (DefaultLease for 0), hands out the lease of that attempt, and
// a leased job is not claimable again.
func jobClaimLease(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	a := k.enqueue(store.JobSpec{Kind: "a"})
	b := k.enqueue(store.JobSpec{Kind: "b"})
	env.Clock.Advance(time.Second)
	now := k.now()

	cl := k.claim(1, 0)
	if len(cl) != 1 {
		t.Fatalf("claim 1: got %d jobs, want 1", len(cl))
	}
	k.diff("lease of the first claim", store.Lease{JobID: a.ID, Attempt: 1}, cl[0].Lease)
	want := a
	want.State, want.Attempts, want.LeaseUntil = store.JobLeased, 1, now.Add(store.DefaultLease)
	k.wantJob("claimed job (default lease)", want, cl[0].Job)
	k.wantJob("Get of the claimed job", want, k.mustJob(a.ID))

	cl = k.claim(5, 5*time.Minute)
	if len(cl) != 1 {
		t.Fatalf("second claim: got %d jobs, want 1 (b only; a is leased)", len(cl))
	}
	k.diff("lease of the second claim", store.Lease{JobID: b.ID, Attempt: 1}, cl[0].Lease)
	want = b
	want.State, want.Attempts, want.LeaseUntil = store.JobLeased, 1, now.Add(5*time.Minute)
	k.wantJob("claimed job (5m lease)", want, cl[0].Job)
	k.wantClaim("with both jobs leased", 0)
}

// jobPartitionFIFO: within a partition only the first unfinished job is
// claimable, even when a later one is due earlier; other partitions and
// unpartitioned jobs are not held up.
func jobPartitionFIFO(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	start := k.now()
	k.enqueue(store.JobSpec{Kind: "p1", Partition: "acct-1", RunAt: start.Add(5 * time.Minute)})
	k.enqueue(store.JobSpec{Kind: "p2", Partition: "acct-1"})
	k.enqueue(store.JobSpec{Kind: "p3", Partition: "acct-1"})
	k.enqueue(store.JobSpec{Kind: "q1", Partition: "acct-2"})
	k.enqueue(store.JobSpec{Kind: "u"})
	k.wantClaim("before p1 is due", time.Hour, "q1", "u")
	env.Clock.Advance(5 * time.Minute)
	p1 := k.wantClaim("when p1 is due", time.Hour, "p1")
	k.wantClaim("while p1 is leased", time.Hour)
	if len(p1) == 1 {
		if err := k.complete(p1[0].Lease); err != nil {
			t.Fatalf("complete p1: %v", err)
		}
	}
	p2 := k.wantClaim("after p1 completed", time.Hour, "p2")
	if len(p2) == 1 {
		if err := k.complete(p2[0].Lease); err != nil {
			t.Fatalf("complete p2: %v", err)
		}
	}
	k.wantClaim("after p2 completed", time.Hour, "p3")
}

// jobPartitionRetry: a later job of a partition waits while the earlier
// one waits for its retry, and runs once the earlier one is dead.
func jobPartitionRetry(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.enqueue(store.JobSpec{Kind: "a", Partition: "p", MaxAttempts: 2, Backoff: 10 * time.Second})
	k.enqueue(store.JobSpec{Kind: "b", Partition: "p"})
	cl := k.wantClaim("first claim", 0, "a")
	if len(cl) != 1 {
		t.Fatalf("cannot go on without exactly that claim")
	}
	if _, err := k.fail(cl[0].Lease, "first failure"); err != nil {
		t.Fatalf("fail a: %v", err)
	}
	k.wantClaim("while a waits for its retry", 0)
	env.Clock.Advance(10 * time.Second)
	cl = k.wantClaim("at a's retry", 0, "a")
	if len(cl) != 1 {
		t.Fatalf("cannot go on without exactly that claim")
	}
	out, err := k.fail(cl[0].Lease, "second failure")
	if err != nil || !out.Dead {
		t.Fatalf("fail a on its last attempt: outcome %+v, error %v; want dead", out, err)
	}
	k.wantClaim("after a died", 0, "b")
}

// jobPartitionsIndependent: jobs of different partitions, and unpartitioned
// jobs, have no order among themselves.
func jobPartitionsIndependent(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	start := k.now()
	k.enqueue(store.JobSpec{Kind: "u1", RunAt: start.Add(time.Minute)})
	k.enqueue(store.JobSpec{Kind: "a1", Partition: "a", RunAt: start.Add(time.Minute)})
	k.enqueue(store.JobSpec{Kind: "u2"})
	k.enqueue(store.JobSpec{Kind: "b1", Partition: "b"})
	k.enqueue(store.JobSpec{Kind: "u3"})
	k.wantClaim("the due jobs", time.Hour, "u2", "b1", "u3")
	env.Clock.Advance(time.Minute)
	k.wantClaim("a minute later", time.Hour, "u1", "a1")
}

// jobLeaseExpiry: an expired lease makes the job claimable again as a new
// attempt; the old lease then gets LEASE_LOST from Complete and Fail; a
// completed job is done and never claimed again.
func jobLeaseExpiry(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	j := k.enqueue(store.JobSpec{Kind: "slow", MaxAttempts: 3})
	first := k.claim(1, time.Minute)
	if len(first) != 1 {
		t.Fatalf("first claim: got %d jobs, want 1", len(first))
	}
	env.Clock.Advance(time.Minute - us)
	k.wantClaim("1µs before the lease ends", time.Minute)
	env.Clock.Advance(2 * us)
	now := k.now()
	second := k.claim(10, time.Minute)
	if len(second) != 1 {
		t.Fatalf("claim after the lease expired: got %d jobs, want 1", len(second))
	}
	k.diff("the new lease", store.Lease{JobID: j.ID, Attempt: 2}, second[0].Lease)
	want := j
	want.State, want.Attempts, want.LeaseUntil = store.JobLeased, 2, now.Add(time.Minute)
	k.wantJob("the reclaimed job", want, second[0].Job)

	k.wantCode("Complete with the expired lease", k.complete(first[0].Lease), es.CodeLeaseLost)
	_, err := k.fail(first[0].Lease, "too late")
	k.wantCode("Fail with the expired lease", err, es.CodeLeaseLost)
	k.wantJob("the job after the old holder's attempts", want, k.mustJob(j.ID))

	if err := k.complete(second[0].Lease); err != nil {
		t.Fatalf("Complete with the current lease: %v", err)
	}
	want.State, want.LeaseUntil = store.JobDone, time.Time{}
	k.wantJob("the completed job", want, k.mustJob(j.ID))
	k.wantCode("Complete again", k.complete(second[0].Lease), es.CodeLeaseLost)
	env.Clock.Advance(24 * time.Hour)
	k.wantClaim("a day after completion", 0)
}

// runFailures claims job id and fails it attempts times, checking every
// outcome against store.RetryDelay and the literal delays; it returns the
// job as Get sees it at the end.
func (k *kit) runFailures(j store.Job, delays []time.Duration) store.Job {
	k.t.Helper()
	want := j
	for i := 0; i <= len(delays); i++ {
		attempt := i + 1
		cl := k.claim(10, time.Minute)
		if len(cl) != 1 || cl[0].Lease != (store.Lease{JobID: j.ID, Attempt: attempt}) {
			k.t.Fatalf("attempt %d: claimed %+v, want only the lease {%s %d}", attempt, cl, j.ID, attempt)
		}
		now := k.now()
		reason := fmt.Sprintf("boom %d", attempt)
		out, err := k.fail(cl[0].Lease, reason)
		if err != nil {
			k.t.Fatalf("attempt %d: Fail: %v", attempt, err)
		}
		want.Attempts, want.LastError, want.LeaseUntil = attempt, reason, time.Time{}
		if i == len(delays) {
			k.diff(fmt.Sprintf("outcome of the last attempt (%d)", attempt), store.FailOutcome{Dead: true}, out)
			want.State = store.JobDead
			got := k.mustJob(j.ID)
			k.wantJob("the dead job", want, got)
			return got
		}
		if d := store.RetryDelay(want.Backoff, attempt); d != delays[i] {
			k.t.Fatalf("store.RetryDelay(%s, %d) = %s, want %s", want.Backoff, attempt, d, delays[i])
		}
		retryAt := now.Add(delays[i])
		k.diff(fmt.Sprintf("outcome of attempt %d", attempt), store.FailOutcome{RetryAt: retryAt}, out)
		want.State, want.RunAt = store.JobPending, retryAt
		k.wantJob(fmt.Sprintf("the job after attempt %d failed", attempt), want, k.mustJob(j.ID))
		k.env.Clock.Advance(delays[i] - us)
		k.wantClaim(fmt.Sprintf("1µs before retry %d", attempt), 0)
		k.env.Clock.Advance(us)
	}
	return want
}

// jobRetryBackoff: failures retry at now + Backoff·2^(attempt-1), exactly,
// and the last allowed attempt's failure makes the job dead with its error.
func jobRetryBackoff(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	j := k.enqueue(store.JobSpec{Kind: "flaky", MaxAttempts: 4, Backoff: 2 * time.Second})
	dead := k.runFailures(j, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second})
	dl, err := k.deadLetters("", 0)
	if err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	if len(dl) != 1 {
		t.Fatalf("dead letters: %v, want just %s", jobIDs(dl), j.ID)
	}
	k.wantJob("the dead letter", dead, dl[0])
	env.Clock.Advance(24 * time.Hour)
	k.wantClaim("a day after death", 0)
}

// jobBackoffCap: the retry delay doubles up to store.DefaultMaxBackoff.
func jobBackoffCap(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	j := k.enqueue(store.JobSpec{Kind: "slow-retry", MaxAttempts: 4, Backoff: 40 * time.Minute})
	k.runFailures(j, []time.Duration{40 * time.Minute, time.Hour, time.Hour})
}

// jobDeadLetters: DeadLetters lists dead jobs in the order they died, after
// a job id cursor, up to a limit; live jobs are not listed.
func jobDeadLetters(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	byKind := map[string]store.Job{}
	for _, kind := range []string{"a", "b", "c", "alive"} {
		byKind[kind] = k.enqueue(store.JobSpec{Kind: kind, MaxAttempts: 1})
	}
	cl := k.claim(10, time.Hour)
	leases := map[string]store.Lease{}
	for _, c := range cl {
		leases[c.Job.Kind] = c.Lease
	}
	if len(leases) != 4 {
		t.Fatalf("claimed %d jobs, want 4", len(leases))
	}
	for _, kind := range []string{"c", "a", "b"} {
		env.Clock.Advance(time.Second)
		out, err := k.fail(leases[kind], "broken "+kind)
		if err != nil || !out.Dead {
			t.Fatalf("fail %s: outcome %+v, error %v; want dead", kind, out, err)
		}
	}
	ids := func(kinds ...string) []string {
		out := []string{}
		for _, kd := range kinds {
			out = append(out, byKind[kd].ID)
		}
		return out
	}
	for _, c := range []struct {
		after string
		limit int
		want  []string
	}{
		{"", 0, ids("c", "a", "b")},
		{"", 1, ids("c")},
		{byKind["c"].ID, 0, ids("a", "b")},
		{byKind["a"].ID, 1, ids("b")},
		{byKind["b"].ID, 0, ids()},
	} {
		dl, err := k.deadLetters(c.after, c.limit)
		if err != nil {
			t.Fatalf("DeadLetters(%q, %d): %v", c.after, c.limit, err)
		}
		k.diff(fmt.Sprintf("DeadLetters(%q, %d)", c.after, c.limit), c.want, jobIDs(dl))
		for _, d := range dl {
			if d.State != store.JobDead || d.LastError != "broken "+d.Kind || d.Attempts != 1 {
				t.Errorf("dead letter %s: state %s, attempts %d, last error %q; want dead, 1, %q", d.Kind, d.State, d.Attempts, d.LastError, "broken "+d.Kind)
			}
		}
	}
}

// jobExpiredLastAttempt: when the lease of a job's last attempt expires,
// the job dies instead of being claimed, and the next job of its partition
// becomes claimable.
func jobExpiredLastAttempt(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	x := k.enqueue(store.JobSpec{Kind: "x", Partition: "p", MaxAttempts: 1})
	k.enqueue(store.JobSpec{Kind: "y", Partition: "p"})
	k.wantClaim("first claim", 10*time.Second, "x")
	env.Clock.Advance(11 * time.Second)
	// Whether y comes out of the claim that finds x expired or of the next
	// one is the adapter's choice; it must come out exactly once.
	got1, _ := k.claimKinds(10, time.Hour)
	got2, _ := k.claimKinds(10, time.Hour)
	k.diff("claims after x's last lease expired", []string{"y"}, append(got1, got2...))
	j := k.mustJob(x.ID)
	if j.State != store.JobDead || j.Attempts != 1 {
		t.Errorf("x after its last lease expired: state %s, attempts %d; want dead, 1", j.State, j.Attempts)
	}
	dl, err := k.deadLetters("", 0)
	if err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	k.diff("dead letters", []string{x.ID}, jobIDs(dl))
}

// jobRolledBack: a job enqueued in a unit of work that fails does not exist.
func jobRolledBack(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	sentinel := errors.New("handler failed")
	var id string
	err := k.try("enqueue then fail", func(tx store.Tx) error {
		j, err := tx.Jobs().Enqueue(k.ctx(), store.JobSpec{Kind: "ghost"})
		if err != nil {
			return err
		}
		id = j.ID
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("Atomic returned %v, want the function's error", err)
	}
	_, err = k.getJob(id)
	k.wantCode("Get of the rolled-back job", err, es.CodeNotFound)
	env.Clock.Advance(time.Hour)
	k.wantClaim("after the rollback", 0)
	dl, err := k.deadLetters("", 0)
	if err != nil || len(dl) != 0 {
		t.Errorf("dead letters after the rollback: %v, %v; want none", jobIDs(dl), err)
	}
}

// jobNoDoubleClaim: claimers racing over many jobs hand out every job
// exactly once, each as its first attempt.
func jobNoDoubleClaim(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	const workers, jobs = 8, 64
	want := map[string]bool{}
	k.atomic("enqueue jobs", func(tx store.Tx) error {
		for i := 0; i < jobs; i++ {
			j, err := tx.Jobs().Enqueue(k.ctx(), store.JobSpec{Kind: fmt.Sprintf("job-%02d", i)})
			if err != nil {
				return err
			}
			want[j.ID] = true
		}
		return nil
	})

	var (
		mu     sync.Mutex
		leases []store.Lease
		errs   []string
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("worker %d: the adapter panicked: %v", w, v))
					mu.Unlock()
				}
			}()
			<-start
			// More calls than jobs means the adapter hands out jobs again
			// and again; stop rather than spin.
			for calls := 0; calls <= jobs; calls++ {
				var cl []store.Claimed
				err := s.Atomic(k.ctx(), func(tx store.Tx) error {
					var err error
					cl, err = tx.Jobs().Claim(k.ctx(), 3, time.Hour)
					return err
				})
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Sprintf("worker %d: Claim: %v", w, err))
				}
				for _, c := range cl {
					leases = append(leases, c.Lease)
				}
				mu.Unlock()
				if err != nil || len(cl) == 0 {
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, e := range errs {
		t.Errorf("%s", e)
	}
	// A claimer that found nothing free may stop while others still held
	// rows; sweep up whatever is left.
	for sweep := 0; sweep <= jobs; sweep++ {
		cl := k.claim(jobs, time.Hour)
		if len(cl) == 0 {
			break
		}
		for _, c := range cl {
			leases = append(leases, c.Lease)
		}
	}
	count := map[string]int{}
	for _, l := range leases {
		count[l.JobID]++
		if l.Attempt != 1 {
			t.Errorf("job %s claimed as attempt %d, want 1", l.JobID, l.Attempt)
		}
	}
	for id, n := range count {
		if !want[id] {
			t.Errorf("claimed unknown job %s", id)
		} else if n != 1 {
			t.Errorf("job %s claimed %d times, want exactly once", id, n)
		}
	}
	for id := range want {
		if count[id] == 0 {
			t.Errorf("job %s never claimed", id)
		}
	}
}

// jobUnknown: Get, Complete and Fail of an unknown job are NOT_FOUND.
func jobUnknown(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.enqueue(store.JobSpec{Kind: "known"})
	for _, id := range []string{"no-such-job", "00000000-0000-7000-8000-0000000fffff"} {
		_, err := k.getJob(id)
		k.wantCode("Get "+id, err, es.CodeNotFound, id)
		k.wantCode("Complete "+id, k.complete(store.Lease{JobID: id, Attempt: 1}), es.CodeNotFound, id)
		_, err = k.fail(store.Lease{JobID: id, Attempt: 1}, "x")
		k.wantCode("Fail "+id, err, es.CodeNotFound, id)
	}
}

// jobInvalid: invalid specs and arguments are INVALID_ARGUMENT (or
// PAYLOAD_TOO_LARGE) naming the problem, and enqueue nothing.
func jobInvalid(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	big := json.RawMessage(`"` + strings.Repeat("x", es.MaxPayloadBytes) + `"`)
	for _, c := range []struct {
		what    string
		spec    store.JobSpec
		code    es.Code
		mention string
	}{
		{"empty kind", store.JobSpec{}, es.CodeInvalidArgument, "kind"},
		{"kind with NUL", store.JobSpec{Kind: "a\x00b"}, es.CodeInvalidArgument, "kind"},
		{"kind too long", store.JobSpec{Kind: strings.Repeat("k", es.MaxNameBytes+1)}, es.CodeInvalidArgument, "kind"},
		{"partition with newline", store.JobSpec{Kind: "k", Partition: "p\n"}, es.CodeInvalidArgument, "partition"},
		{"negative max attempts", store.JobSpec{Kind: "k", MaxAttempts: -1}, es.CodeInvalidArgument, "-1"},
		{"negative backoff", store.JobSpec{Kind: "k", Backoff: -time.Second}, es.CodeInvalidArgument, "backoff"},
		{"invalid JSON payload", store.JobSpec{Kind: "k", Payload: json.RawMessage(`{"a":`)}, es.CodeInvalidArgument, "payload"},
		{"oversized payload", store.JobSpec{Kind: "k", Payload: big}, es.CodePayloadTooLarge, "payload"},
	} {
		err := k.try("enqueue with "+c.what, func(tx store.Tx) error {
			_, err := tx.Jobs().Enqueue(k.ctx(), c.spec)
			return err
		})
		k.wantCode("enqueue with "+c.what, err, c.code, c.mention)
	}
	for _, max := range []int{0, -1} {
		err := k.try(fmt.Sprintf("Claim max %d", max), func(tx store.Tx) error {
			_, err := tx.Jobs().Claim(k.ctx(), max, 0)
			return err
		})
		k.wantCode(fmt.Sprintf("Claim with max %d", max), err, es.CodeInvalidArgument, fmt.Sprint(max))
	}
	_, err := k.deadLetters("", -1)
	k.wantCode("DeadLetters with limit -1", err, es.CodeInvalidArgument, "-1")
	env.Clock.Advance(24 * time.Hour)
	k.wantClaim("after the rejected enqueues", 0)
}
