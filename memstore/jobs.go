package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// jobs is a tx seen as store.Jobs.
type jobs tx

// jobRec is a stored job. The scheduler holds pointers to it; undo
// restores the Job value.
type jobRec struct {
	job store.Job
	// dead is the index in state.dead once the job died, else -1.
	dead int
	// seq is the enqueue order; gen counts changes (see schedule.go).
	seq, gen uint64
	// part is the job's partition queue (nil: unpartitioned).
	part *partQueue
}

func (r *jobRec) live() bool {
	return r.job.State == store.JobPending || r.job.State == store.JobLeased
}

func exportJob(j store.Job) store.Job {
	j.Payload = slices.Clone(j.Payload)
	return j
}

// mutateJob changes a job and records the undo.
func (t *tx) mutateJob(r *jobRec, f func(j *store.Job)) {
	st := &t.s.st
	old := r.job
	f(&r.job)
	t.undo = append(t.undo, undoEntry{fn: func() {
		r.job = old
		st.schedule(r)
	}})
	t.wrote = true
	st.schedule(r)
	if r.part != nil && !r.live() {
		t.advanceHead(r.part)
	}
}

// killJob turns a job into a dead letter.
func (t *tx) killJob(r *jobRec, reason string) {
	st := &t.s.st
	t.mutateJob(r, func(j *store.Job) {
		j.State = store.JobDead
		j.LeaseUntil = time.Time{}
		j.LastError = reason
	})
	r.dead = len(st.dead)
	st.dead = append(st.dead, r)
	t.undo = append(t.undo, undoEntry{fn: func() {
		st.dead = st.dead[:len(st.dead)-1]
		r.dead = -1
	}})
}

// Enqueue stores a pending job; see store.Jobs.
func (q *jobs) Enqueue(ctx context.Context, spec store.JobSpec) (store.Job, error) {
	t := (*tx)(q)
	now := t.now()
	spec, err := store.ValidateJobSpec(spec, now)
	if err != nil {
		return store.Job{}, err
	}
	if err := t.beginWrite(ctx, "job enqueue"); err != nil {
		return store.Job{}, err
	}
	defer t.s.mu.Unlock()
	st := &t.s.st
	r := &jobRec{dead: -1, job: store.Job{
		ID:          t.s.ids.NewID(),
		Kind:        spec.Kind,
		Payload:     slices.Clone(spec.Payload),
		Partition:   spec.Partition,
		State:       store.JobPending,
		RunAt:       spec.RunAt,
		EnqueuedAt:  now,
		MaxAttempts: spec.MaxAttempts,
		Backoff:     spec.Backoff,
	}}
	if _, dup := st.jobs[r.job.ID]; dup {
		return store.Job{}, es.Errorf(es.CodeInternal, "memstore: id source returned job id %q twice", r.job.ID)
	}
	st.jobs[r.job.ID] = r
	st.seq++
	r.seq = st.seq
	if spec.Partition != "" {
		p := st.parts[spec.Partition]
		if p == nil {
			p = &partQueue{name: spec.Partition}
			st.parts[spec.Partition] = p
		}
		p.jobs = append(p.jobs, r)
		r.part = p
		t.touched = append(t.touched, p)
	}
	t.undo = append(t.undo, undoEntry{fn: func() {
		delete(st.jobs, r.job.ID)
		if p := r.part; p != nil {
			p.jobs[len(p.jobs)-1] = nil
			p.jobs = p.jobs[:len(p.jobs)-1]
		}
		r.gen++ // its entries go stale
	}})
	t.wrote = true
	st.schedule(r)
	return exportJob(r.job), nil
}

// Claim leases up to max due jobs; see store.Jobs. A leased job whose lease
// expired is claimable again (with a new attempt) unless that was its last
// attempt, in which case it becomes a dead letter with LastError "lease
// expired". Within a partition only the earliest-enqueued live job is a
// candidate.
func (q *jobs) Claim(ctx context.Context, max int, lease time.Duration) ([]store.Claimed, error) {
	t := (*tx)(q)
	lease, err := store.ValidateClaim(max, lease)
	if err != nil {
		return nil, err
	}
	if err := t.beginWrite(ctx, "job claim"); err != nil {
		return nil, err
	}
	defer t.s.mu.Unlock()
	now := t.now()
	cands := t.claimable(now, max)
	out := make([]store.Claimed, 0, len(cands))
	for _, r := range cands {
		t.mutateJob(r, func(j *store.Job) {
			j.State = store.JobLeased
			j.Attempts++
			j.LeaseUntil = now.Add(lease)
		})
		out = append(out, store.Claimed{Job: exportJob(r.job), Lease: store.Lease{JobID: r.job.ID, Attempt: r.job.Attempts}})
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// current returns the job a lease is for, or NOT_FOUND / LEASE_LOST. A
// lease is current while the job is leased for that attempt and the lease
// has not expired.
func (t *tx) current(l store.Lease, now time.Time) (*jobRec, error) {
	r := t.s.st.jobs[l.JobID]
	if r == nil {
		return nil, es.Errorf(es.CodeNotFound, "job %q not found", l.JobID)
	}
	j := &r.job
	if j.State != store.JobLeased || j.Attempts != l.Attempt || !now.Before(j.LeaseUntil) {
		return nil, es.Errorf(es.CodeLeaseLost, "job %q: lease for attempt %d is no longer current (state %s, attempt %d)", l.JobID, l.Attempt, j.State, j.Attempts)
	}
	return r, nil
}

// Complete marks the leased job done.
func (q *jobs) Complete(ctx context.Context, l store.Lease) error {
	t := (*tx)(q)
	if err := store.ValidateLease(l); err != nil {
		return err
	}
	if err := t.beginWrite(ctx, "job complete"); err != nil {
		return err
	}
	defer t.s.mu.Unlock()
	r, err := t.current(l, t.now())
	if err != nil {
		return err
	}
	t.mutateJob(r, func(j *store.Job) {
		j.State = store.JobDone
		j.LeaseUntil = time.Time{}
	})
	return nil
}

// Fail records a failed run: a retry at now + store.RetryDelay, or a dead
// letter after the last attempt.
func (q *jobs) Fail(ctx context.Context, l store.Lease, reason string) (store.FailOutcome, error) {
	t := (*tx)(q)
	if err := store.ValidateLease(l); err != nil {
		return store.FailOutcome{}, err
	}
	if err := t.beginWrite(ctx, "job fail"); err != nil {
		return store.FailOutcome{}, err
	}
	defer t.s.mu.Unlock()
	now := t.now()
	r, err := t.current(l, now)
	if err != nil {
		return store.FailOutcome{}, err
	}
	if r.job.Attempts >= r.job.MaxAttempts {
		t.killJob(r, reason)
		return store.FailOutcome{Dead: true}, nil
	}
	retryAt := now.Add(store.RetryDelay(r.job.Backoff, r.job.Attempts))
	t.mutateJob(r, func(j *store.Job) {
		j.State = store.JobPending
		j.RunAt = retryAt
		j.LeaseUntil = time.Time{}
		j.LastError = reason
	})
	return store.FailOutcome{RetryAt: retryAt}, nil
}

// Get returns a job by id, or NOT_FOUND.
func (q *jobs) Get(ctx context.Context, id string) (store.Job, error) {
	t := (*tx)(q)
	if id == "" {
		return store.Job{}, es.Errorf(es.CodeInvalidArgument, "job id is empty")
	}
	if err := t.begin(ctx); err != nil {
		return store.Job{}, err
	}
	defer t.s.mu.Unlock()
	r := t.s.st.jobs[id]
	if r == nil {
		return store.Job{}, es.Errorf(es.CodeNotFound, "job %q not found", id)
	}
	return exportJob(r.job), nil
}

// DeadLetters lists dead jobs in the order they died, after the dead job
// whose id is after (NOT_FOUND when after names no dead job).
func (q *jobs) DeadLetters(ctx context.Context, after string, limit int) ([]store.Job, error) {
	t := (*tx)(q)
	limit, err := es.ValidateLimit(limit, store.DefaultListLimit, store.MaxListLimit)
	if err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.s.mu.Unlock()
	st := &t.s.st
	start := 0
	if after != "" {
		r := st.jobs[after]
		if r == nil || r.dead < 0 {
			return nil, es.Errorf(es.CodeNotFound, "dead-letter cursor %q is not a dead job", after)
		}
		start = r.dead + 1
	}
	end := min(start+limit, len(st.dead))
	if start >= end {
		return nil, nil
	}
	out := make([]store.Job, 0, end-start)
	for _, r := range st.dead[start:end] {
		out = append(out, exportJob(r.job))
	}
	return out, nil
}
