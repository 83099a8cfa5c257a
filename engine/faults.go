package engine

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// FaultKind names a fault the engine can inject into a job delivery.
type FaultKind string

// The faults a FaultPlan injects. Each models a failure of an
// at-least-once delivery; a correct (idempotent) job handler reaches the
// same final state whichever of them happen.
const (
	// FaultDuplicate delivers a job twice: the original delivery runs and
	// completes as usual, then a copy of it reaches the handler again, in a
	// unit of work of its own (the job is already done; the copy only runs
	// the handler). An error of the copy rolls back the copy's writes and is
	// kept in Fault.Err; it does not fail the job.
	FaultDuplicate FaultKind = "duplicate-delivery"
	// FaultFailedCommit makes the commit of a delivery's unit of work fail
	// after the handler and the job's completion ran in it: everything the
	// attempt wrote rolls back and the attempt is recorded as failed, so the
	// job retries per its retry policy (backoff, MaxAttempts; Engine.Settle
	// advances the virtual clock through the retries). The engine
	// aborts the unit of work at its commit point, which works on every
	// store. It is never injected on a job's last attempt, so injected
	// faults alone never turn a job into a dead letter.
	FaultFailedCommit FaultKind = "failed-commit"
	// FaultCrash commits the handler's unit of work without completing the
	// job, as if the process crashed between the commit and marking the job
	// done. The job keeps its lease (its partition stays blocked behind
	// it) and the "restarted" engine delivers it again under the same lease
	// (no attempt is spent) with the next batch of claimed jobs, so
	// independent jobs may run in between; RunUntilIdle does not return
	// while a crashed job waits.
	//
	// Follow-up work (projection, saga and fan-out jobs) is enqueued in the
	// same unit of work as the events it follows from — an outbox — so this
	// is how the engine models a crash between append and publish: the
	// append and the outbox entry are committed, the publication is lost,
	// and the entry is published (delivered) again.
	FaultCrash FaultKind = "crash-before-done"
)

// FaultPlan says how often the engine injects each fault. For every
// delivery of a job (of a kind in Kinds, when set) the engine draws one
// number from a PRNG seeded by the engine's seed (WithSeed; 0 is a seed
// like any other here) and injects at most one fault: Duplicate, then
// FailedCommit, then Crash take consecutive slices of [0, 1). Nothing but
// the seed and the sequence of deliveries drives the draws — never time or
// goroutine timing — so the same seed on the same test replays exactly the
// same faults in the same order.
type FaultPlan struct {
	// Duplicate is the probability of a FaultDuplicate per delivery.
	Duplicate float64
	// FailedCommit is the probability of a FaultFailedCommit per delivery.
	FailedCommit float64
	// Crash is the probability of a FaultCrash per delivery (1 only with
	// MaxFaults: a crashed job must be able to finish on a later delivery).
	Crash float64
	// Kinds limits faults to jobs of these kinds (empty: every kind).
	Kinds []string
	// MaxFaults stops injecting after this many faults (0: no limit).
	MaxFaults int
}

// Validate checks the plan: every probability is a number in [0, 1], they
// add up to at most 1, Crash is below 1 unless MaxFaults bounds it, MaxFaults is not negative and the
// kinds are valid names. Errors are INVALID_ARGUMENT naming the field.
func (p FaultPlan) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"Duplicate", p.Duplicate}, {"FailedCommit", p.FailedCommit}, {"Crash", p.Crash}} {
		if math.IsNaN(f.v) || f.v < 0 || f.v > 1 {
			return es.Errorf(es.CodeInvalidArgument, "fault plan: %s is %v; want a probability in [0, 1]", f.name, f.v)
		}
	}
	if sum := p.Duplicate + p.FailedCommit + p.Crash; sum > 1 {
		return es.Errorf(es.CodeInvalidArgument, "fault plan: Duplicate + FailedCommit + Crash is %v; at most one fault is injected per delivery, so they must add up to at most 1", sum)
	}
	if p.Crash >= 1 && p.MaxFaults == 0 {
		return es.Errorf(es.CodeInvalidArgument, "fault plan: Crash is %v without MaxFaults; every delivery would crash and no job could ever finish", p.Crash)
	}
	if p.MaxFaults < 0 {
		return es.Errorf(es.CodeInvalidArgument, "fault plan: MaxFaults is %d; want 0 (no limit) or more", p.MaxFaults)
	}
	for i, k := range p.Kinds {
		if err := es.ValidateName(es.CodeInvalidArgument, fmt.Sprintf("fault plan: Kinds[%d]", i), k); err != nil {
			return err
		}
	}
	return nil
}

// WithFaults makes RunUntilIdle (and Advance) inject the faults of plan
// into job deliveries, drawn from a PRNG seeded by the engine's seed. Read
// what was injected with Faults or FaultReport. An invalid plan makes
// RunUntilIdle and Advance return its INVALID_ARGUMENT error.
//
// Workers (AddWorker) are not faulted: their steps are opaque to the engine.
func WithFaults(plan FaultPlan) Option {
	return func(cf *config) {
		p := plan
		p.Kinds = append([]string(nil), plan.Kinds...)
		cf.faults = &p
	}
}

// Fault is one injected fault.
type Fault struct {
	// Seq numbers the faults of a run from 1, in the order injected.
	Seq int `json:"seq"`
	// Kind is the fault.
	Kind FaultKind `json:"kind"`
	// JobID, JobKind and Partition identify the job.
	JobID     string `json:"jobId"`
	JobKind   string `json:"jobKind"`
	Partition string `json:"partition,omitempty"`
	// Attempt is the job's attempt the fault hit (1-based).
	Attempt int `json:"attempt"`
	// Err is the error of a duplicate delivery's handler, if it failed.
	Err string `json:"err,omitempty"`
}

// String formats the fault on one line, e.g.
// "#2 crash-before-done job 7 (projection.orderSummary) attempt 1".
func (f Fault) String() string {
	s := fmt.Sprintf("#%d %s job %s (%s) attempt %d", f.Seq, f.Kind, f.JobID, f.JobKind, f.Attempt)
	if f.Err != "" {
		s += ": handler failed: " + f.Err
	}
	return s
}

// faultState is the engine's fault injection: the plan, its PRNG, the log
// and the crashed deliveries waiting to be delivered again. Guarded by
// Engine.runMu (only RunUntilIdle touches it) except log, which is also
// read under Engine.mu.
type faultState struct {
	plan       FaultPlan
	kinds      map[string]bool
	rng        *rand.Rand
	err        error // the plan's validation error
	redeliver  []store.Claimed
	injections int
}

func newFaultState(plan FaultPlan, seed uint64) *faultState {
	fs := &faultState{plan: plan, err: plan.Validate(), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	if len(plan.Kinds) > 0 {
		fs.kinds = make(map[string]bool, len(plan.Kinds))
		for _, k := range plan.Kinds {
			fs.kinds[k] = true
		}
	}
	return fs
}

// draw picks the fault (or none, "") for one delivery of c.
func (fs *faultState) draw(c store.Claimed) FaultKind {
	if fs == nil || (fs.kinds != nil && !fs.kinds[c.Job.Kind]) {
		return ""
	}
	u := fs.rng.Float64()
	if fs.plan.MaxFaults > 0 && fs.injections >= fs.plan.MaxFaults {
		return ""
	}
	p := fs.plan
	switch {
	case u < p.Duplicate:
		return FaultDuplicate
	case u < p.Duplicate+p.FailedCommit:
		if c.Lease.Attempt >= c.Job.MaxAttempts {
			return "" // never spend a job's last attempt on an injected fault
		}
		return FaultFailedCommit
	case u < p.Duplicate+p.FailedCommit+p.Crash:
		return FaultCrash
	}
	return ""
}

// recordFault appends an injected fault to the log.
func (e *Engine) recordFault(ctx context.Context, kind FaultKind, c store.Claimed, handlerErr error) {
	e.faults.injections++
	f := Fault{Kind: kind, JobID: c.Job.ID, JobKind: c.Job.Kind, Partition: c.Job.Partition, Attempt: c.Lease.Attempt}
	if handlerErr != nil {
		f.Err = handlerErr.Error()
	}
	e.mu.Lock()
	f.Seq = len(e.faultLog) + 1
	e.faultLog = append(e.faultLog, f)
	e.stats.FaultsInjected++
	e.mu.Unlock()
	e.logger.LogAttrs(ctx, slog.LevelInfo, "injected fault", slog.Uint64("seed", e.cfg.seed), slog.String("fault", f.String()))
}

// Faults returns the faults injected so far, in order.
func (e *Engine) Faults() []Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Fault(nil), e.faultLog...)
}

// FaultReport describes the run for a failure message: the seed to replay
// it with and every fault injected so far, one per line.
func (e *Engine) FaultReport() string {
	faults := e.Faults()
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d (replay with engine.WithSeed(%d)): %d injected fault(s)", e.cfg.seed, e.cfg.seed, len(faults))
	for _, f := range faults {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}
