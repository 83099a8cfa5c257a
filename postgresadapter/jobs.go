package postgresadapter

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// jobs is a tx seen as store.Jobs.
type jobs tx

// leaseExpired is the LastError of a job that died because its last
// attempt's lease ran out.
const leaseExpired = "lease expired"

// jobRow scans jobColumns.
type jobRow struct {
	id, kind, partition, state string
	payload, lastError         []byte
	runAt, enqueuedAt, backoff int64
	attempts, maxAttempts      int32
	leaseUntil                 pgtype.Int8
}

func (r *jobRow) dest() []any {
	return []any{&r.id, &r.kind, &r.payload, &r.partition, &r.state, &r.runAt, &r.enqueuedAt, &r.attempts,
		&r.maxAttempts, &r.backoff, &r.leaseUntil, &r.lastError}
}

func (r *jobRow) job() store.Job {
	j := store.Job{
		ID:          r.id,
		Kind:        r.kind,
		Payload:     r.payload,
		Partition:   r.partition,
		State:       store.JobState(r.state),
		RunAt:       fromNS(r.runAt),
		EnqueuedAt:  fromNS(r.enqueuedAt),
		Attempts:    int(r.attempts),
		MaxAttempts: int(r.maxAttempts),
		Backoff:     time.Duration(r.backoff),
		LastError:   string(r.lastError),
	}
	if r.leaseUntil.Valid {
		j.LeaseUntil = fromNS(r.leaseUntil.Int64)
	}
	return j
}

// Enqueue stores a pending job; see store.Jobs. It joins the unit of work.
func (q *jobs) Enqueue(ctx context.Context, spec store.JobSpec) (store.Job, error) {
	t := (*tx)(q)
	now := t.now()
	spec, err := store.ValidateJobSpec(spec, now)
	if err != nil {
		return store.Job{}, err
	}
	runAt, err := toNS(spec.RunAt, "job "+spec.Kind+" run-at")
	if err != nil {
		return store.Job{}, err
	}
	nowNS, err := toNS(now, "the clock's time")
	if err != nil {
		return store.Job{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.Job{}, err
	}
	defer t.mu.Unlock()
	id := t.s.ids.NewID()
	if err := textOK(id); err != nil {
		return store.Job{}, es.Errorf(es.CodeInternal, "postgresadapter: the id source minted job id %q that %s", id, err)
	}
	if _, err := t.ptx.Exec(ctx, t.s.q.jobInsert, id, spec.Kind, []byte(spec.Payload), spec.Partition, runAt, nowNS,
		int32(spec.MaxAttempts), int64(spec.Backoff)); err != nil {
		return store.Job{}, t.dbErr("enqueueing a job", err)
	}
	return store.Job{
		ID:          id,
		Kind:        spec.Kind,
		Payload:     cloneBytes(spec.Payload),
		Partition:   spec.Partition,
		State:       store.JobPending,
		RunAt:       fromNS(runAt),
		EnqueuedAt:  fromNS(nowNS),
		MaxAttempts: spec.MaxAttempts,
		Backoff:     spec.Backoff,
	}, nil
}

// Claim leases up to max due jobs; see store.Jobs. Expired leases on a
// job's last attempt turn it into a dead letter ("lease expired") first.
// Candidates are claimed with FOR UPDATE SKIP LOCKED, so concurrent
// claimers in any process never share a job, and a partition's later job is
// never a candidate while an earlier one is pending or leased.
func (q *jobs) Claim(ctx context.Context, max int, lease time.Duration) ([]store.Claimed, error) {
	t := (*tx)(q)
	lease, err := store.ValidateClaim(max, lease)
	if err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	now, err := toNS(t.now(), "the clock's time")
	if err != nil {
		return nil, err
	}
	if now > 1<<63-1-int64(lease) {
		return nil, es.Errorf(es.CodeInvalidArgument, "claim lease %s runs past the last storable instant", lease)
	}
	if _, err := t.ptx.Exec(ctx, t.s.q.jobExpire, now, []byte(leaseExpired)); err != nil {
		return nil, t.dbErr("expiring leases", err)
	}
	rows, err := t.ptx.Query(ctx, t.s.q.jobClaim, now, int64(max), int64(lease))
	if err != nil {
		return nil, t.dbErr("claiming jobs", err)
	}
	type claimed struct {
		seq int64
		c   store.Claimed
	}
	var got []claimed
	var seq int64
	var r jobRow
	dest := append([]any{&seq}, r.dest()...)
	_, err = pgx.ForEachRow(rows, dest, func() error {
		j := r.job()
		got = append(got, claimed{seq: seq, c: store.Claimed{Job: j, Lease: store.Lease{JobID: j.ID, Attempt: j.Attempts}}})
		r.payload, r.lastError = nil, nil
		return nil
	})
	if err != nil {
		return nil, t.dbErr("claiming jobs", err)
	}
	if len(got) == 0 {
		return nil, nil
	}
	slices.SortFunc(got, func(a, b claimed) int {
		if c := a.c.Job.RunAt.Compare(b.c.Job.RunAt); c != 0 {
			return c
		}
		return int(a.seq - b.seq)
	})
	out := make([]store.Claimed, len(got))
	for i, g := range got {
		out[i] = g.c
	}
	return out, nil
}

// current locks the job a lease is for and returns its state, or NOT_FOUND
// / LEASE_LOST. A lease is current while the job is leased for that attempt
// and the lease has not expired. t.mu held.
func (t *tx) currentJob(ctx context.Context, l store.Lease, now int64) (attempts, maxAttempts int, backoff time.Duration, err error) {
	var (
		state      string
		att, maxA  int32
		bo         int64
		leaseUntil pgtype.Int8
	)
	err = t.ptx.QueryRow(ctx, t.s.q.jobCurrent, l.JobID).Scan(&state, &att, &maxA, &bo, &leaseUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, 0, es.Errorf(es.CodeNotFound, "job %q not found", l.JobID)
	}
	if err != nil {
		return 0, 0, 0, t.dbErr("locking a job", err)
	}
	if state != string(store.JobLeased) || int(att) != l.Attempt || !leaseUntil.Valid || now >= leaseUntil.Int64 {
		return 0, 0, 0, es.Errorf(es.CodeLeaseLost, "job %q: lease for attempt %d is no longer current (state %s, attempt %d)", l.JobID, l.Attempt, state, att)
	}
	return int(att), int(maxA), time.Duration(bo), nil
}

// Complete marks the leased job done.
func (q *jobs) Complete(ctx context.Context, l store.Lease) error {
	t := (*tx)(q)
	if err := store.ValidateLease(l); err != nil {
		return err
	}
	if err := textOK(l.JobID); err != nil {
		return es.Errorf(es.CodeNotFound, "job %q not found", l.JobID)
	}
	if err := t.begin(ctx); err != nil {
		return err
	}
	defer t.mu.Unlock()
	now, err := toNS(t.now(), "the clock's time")
	if err != nil {
		return err
	}
	if _, _, _, err := t.currentJob(ctx, l, now); err != nil {
		return err
	}
	if _, err := t.ptx.Exec(ctx, t.s.q.jobComplete, l.JobID); err != nil {
		return t.dbErr("completing a job", err)
	}
	return nil
}

// Fail records a failed run: a retry at now + store.RetryDelay, or a dead
// letter after the last attempt. reason is stored byte for byte.
func (q *jobs) Fail(ctx context.Context, l store.Lease, reason string) (store.FailOutcome, error) {
	t := (*tx)(q)
	if err := store.ValidateLease(l); err != nil {
		return store.FailOutcome{}, err
	}
	if err := textOK(l.JobID); err != nil {
		return store.FailOutcome{}, es.Errorf(es.CodeNotFound, "job %q not found", l.JobID)
	}
	if err := t.begin(ctx); err != nil {
		return store.FailOutcome{}, err
	}
	defer t.mu.Unlock()
	now := t.now()
	nowNS, err := toNS(now, "the clock's time")
	if err != nil {
		return store.FailOutcome{}, err
	}
	attempts, maxAttempts, backoff, err := t.currentJob(ctx, l, nowNS)
	if err != nil {
		return store.FailOutcome{}, err
	}
	if attempts >= maxAttempts {
		if _, err := t.ptx.Exec(ctx, t.s.q.jobKill, l.JobID, []byte(reason)); err != nil {
			return store.FailOutcome{}, t.dbErr("failing a job", err)
		}
		return store.FailOutcome{Dead: true}, nil
	}
	retryAt := now.Add(store.RetryDelay(backoff, attempts))
	retryNS, err := toNS(retryAt, "the retry time")
	if err != nil {
		return store.FailOutcome{}, err
	}
	if _, err := t.ptx.Exec(ctx, t.s.q.jobRetry, l.JobID, retryNS, []byte(reason)); err != nil {
		return store.FailOutcome{}, t.dbErr("failing a job", err)
	}
	return store.FailOutcome{RetryAt: fromNS(retryNS)}, nil
}

// Get returns a job by id, or NOT_FOUND.
func (q *jobs) Get(ctx context.Context, id string) (store.Job, error) {
	t := (*tx)(q)
	if id == "" {
		return store.Job{}, es.Errorf(es.CodeInvalidArgument, "job id is empty")
	}
	if textOK(id) != nil {
		return store.Job{}, es.Errorf(es.CodeNotFound, "job %q not found", id)
	}
	if err := t.begin(ctx); err != nil {
		return store.Job{}, err
	}
	defer t.mu.Unlock()
	var r jobRow
	err := t.ptx.ReadQueryRow(ctx, t.s.q.jobGet, id).Scan(r.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Job{}, es.Errorf(es.CodeNotFound, "job %q not found", id)
	}
	if err != nil {
		return store.Job{}, t.dbErr("reading a job", err)
	}
	return r.job(), nil
}

// DeadLetters lists dead jobs in the order they died, after the dead job
// whose id is after (NOT_FOUND when after names no dead job).
func (q *jobs) DeadLetters(ctx context.Context, after string, limit int) ([]store.Job, error) {
	t := (*tx)(q)
	limit, err := es.ValidateLimit(limit, store.DefaultListLimit, store.MaxListLimit)
	if err != nil {
		return nil, err
	}
	if after != "" && textOK(after) != nil {
		return nil, es.Errorf(es.CodeNotFound, "dead-letter cursor %q is not a dead job", after)
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	var from int64
	if after != "" {
		err := t.ptx.ReadQueryRow(ctx, t.s.q.jobDeadSeq, after).Scan(&from)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, es.Errorf(es.CodeNotFound, "dead-letter cursor %q is not a dead job", after)
		}
		if err != nil {
			return nil, t.dbErr("reading the dead-letter cursor", err)
		}
	}
	rows, err := t.ptx.ReadQuery(ctx, t.s.q.jobDead, from, limit)
	if err != nil {
		return nil, t.dbErr("listing dead letters", err)
	}
	var out []store.Job
	var r jobRow
	_, err = pgx.ForEachRow(rows, r.dest(), func() error {
		out = append(out, r.job())
		r.payload, r.lastError = nil, nil
		return nil
	})
	if err != nil {
		return nil, t.dbErr("listing dead letters", err)
	}
	return out, nil
}
