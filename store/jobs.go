package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eventspec/eventspec/es"
)

// Job defaults.
const (
	DefaultMaxAttempts = 5
	DefaultBackoff     = time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultLease       = 30 * time.Second
)

// JobState is where a job is in its life.
type JobState string

// Job states.
const (
	JobPending JobState = "pending" // waiting for RunAt, or for its turn in the partition
	JobLeased  JobState = "leased"  // claimed; a worker holds a lease
	JobDone    JobState = "done"    // completed
	JobDead    JobState = "dead"    // failed MaxAttempts times: a dead letter
)

// JobSpec describes work to run later.
type JobSpec struct {
	// Kind names the handler, e.g. "saga.timeout". Required.
	Kind string
	// Payload is the job's JSON input (null when empty).
	Payload json.RawMessage
	// RunAt is the earliest instant the job may run (zero: now).
	RunAt time.Time
	// Partition orders jobs: within one non-empty partition a job is not
	// claimed while an earlier-enqueued job of the partition is pending or
	// leased (FIFO). Empty: no ordering.
	Partition string
	// MaxAttempts bounds the runs (0: DefaultMaxAttempts).
	MaxAttempts int
	// Backoff is the delay before the first retry; each further retry
	// doubles it, up to DefaultMaxBackoff (0: DefaultBackoff).
	Backoff time.Duration
}

// Job is a stored job.
type Job struct {
	ID          string
	Kind        string
	Payload     json.RawMessage
	Partition   string
	State       JobState
	RunAt       time.Time
	EnqueuedAt  time.Time
	Attempts    int // runs claimed so far
	MaxAttempts int
	Backoff     time.Duration
	LeaseUntil  time.Time // zero unless leased
	LastError   string
}

// Lease is a claim on a job: the job id and the attempt it was claimed for.
// Complete and Fail take the lease, so a worker whose lease expired and was
// reclaimed by another gets LEASE_LOST rather than finishing someone else's
// attempt.
type Lease struct {
	JobID   string
	Attempt int
}

// Claimed is a job handed to a worker.
type Claimed struct {
	Job   Job
	Lease Lease
}

// FailOutcome says what happened to a failed job.
type FailOutcome struct {
	// Dead is true when the job used its last attempt and is now a dead letter.
	Dead bool
	// RetryAt is when the job runs again (zero when Dead).
	RetryAt time.Time
}

// Jobs is the store's queue of delayed work. Enqueueing joins the unit of
// work: a rolled-back Atomic enqueues nothing. Time comes from the store's
// Clock.
type Jobs interface {
	// Enqueue stores a pending job.
	Enqueue(ctx context.Context, spec JobSpec) (Job, error)
	// Claim leases up to max (> 0, else INVALID_ARGUMENT) due jobs (RunAt <= now, pending or with an
	// expired lease, first in their partition), ordered by RunAt then
	// enqueue order, each for lease (0: DefaultLease). Claiming counts an
	// attempt; a job whose expired lease was its last attempt becomes dead
	// instead of being claimed. Two claimers never hold the same job.
	Claim(ctx context.Context, max int, lease time.Duration) ([]Claimed, error)
	// Complete marks the leased job done. LEASE_LOST when the lease is no
	// longer current; NOT_FOUND for an unknown job.
	Complete(ctx context.Context, lease Lease) error
	// Fail records a failed run: the job retries at now + Backoff·2^(attempts-1)
	// (capped at DefaultMaxBackoff), or becomes dead after MaxAttempts.
	Fail(ctx context.Context, lease Lease, reason string) (FailOutcome, error)
	// Get returns a job by id, or NOT_FOUND.
	Get(ctx context.Context, id string) (Job, error)
	// DeadLetters lists dead jobs in the order they died, after the job id
	// cursor, up to limit (0: DefaultListLimit; capped at MaxListLimit).
	DeadLetters(ctx context.Context, after string, limit int) ([]Job, error)
}

// RetryDelay is the delay before the retry that follows attempt number
// attempts (1-based): base·2^(attempts-1), capped at DefaultMaxBackoff.
// Every adapter uses it so retries land at the same instants everywhere.
func RetryDelay(base time.Duration, attempts int) time.Duration {
	if base <= 0 {
		base = DefaultBackoff
	}
	d := base
	for i := 1; i < attempts; i++ {
		d *= 2
		if d >= DefaultMaxBackoff {
			return DefaultMaxBackoff
		}
	}
	if d > DefaultMaxBackoff {
		return DefaultMaxBackoff
	}
	return d
}

// ValidateJobSpec checks a spec and returns it with defaults applied (RunAt
// defaults to now).
func ValidateJobSpec(spec JobSpec, now time.Time) (JobSpec, error) {
	if err := es.ValidateName(es.CodeInvalidArgument, "job kind", spec.Kind); err != nil {
		return spec, err
	}
	if spec.Partition != "" {
		if err := es.ValidateName(es.CodeInvalidArgument, "job partition", spec.Partition); err != nil {
			return spec, err
		}
	}
	if spec.MaxAttempts < 0 {
		return spec, es.Errorf(es.CodeInvalidArgument, "job %q: max attempts %d is negative", spec.Kind, spec.MaxAttempts)
	}
	if spec.Backoff < 0 {
		return spec, es.Errorf(es.CodeInvalidArgument, "job %q: backoff %s is negative", spec.Kind, spec.Backoff)
	}
	if len(spec.Payload) == 0 {
		spec.Payload = json.RawMessage("null")
	} else if len(spec.Payload) > es.MaxPayloadBytes {
		return spec, es.Errorf(es.CodePayloadTooLarge, "job %q: payload is %d bytes; at most %d", spec.Kind, len(spec.Payload), es.MaxPayloadBytes)
	} else if !es.ValidJSON(spec.Payload) {
		return spec, es.Errorf(es.CodeInvalidArgument, "job %q: payload is not valid JSON", spec.Kind)
	}
	if spec.MaxAttempts == 0 {
		spec.MaxAttempts = DefaultMaxAttempts
	}
	if spec.Backoff == 0 {
		spec.Backoff = DefaultBackoff
	}
	if spec.RunAt.IsZero() {
		spec.RunAt = now
	}
	spec.RunAt = spec.RunAt.UTC()
	return spec, nil
}
