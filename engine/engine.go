// Package engine is eventspec's store-agnostic runtime: it dispatches
// commands through the orchestrator (middleware → command log → CMS →
// handler or decider → dual write → follow-up work → completion) and then
// runs the work that follows from them — jobs in the store (projections,
// timeouts, retries) and registered workers (subscriptions, process
// managers, sagas) — deterministically, when asked:
//
//   - Dispatch(ctx, cmd) runs one command and returns its result;
//   - RunUntilIdle(ctx) processes everything pending, in a deterministic order;
//   - Advance(ctx, d) moves the virtual clock and runs what became due.
//
// With a seed (WithSeed) independent due jobs are delivered in a shuffled
// order, and with a fault plan (WithFaults) job deliveries suffer
// duplicates, failed commits and crashes before completion — all drawn from
// the seed, so a failing run replays exactly (FaultReport prints the seed
// and the faults).
//
// Nothing runs in the background. The engine works on any store.Store
// (memstore, PostgreSQL) with a virtual or a real clock.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

// DefaultMaxSteps bounds RunUntilIdle: a run that is still busy after this
// many steps (a job that keeps enqueueing work due now, say) fails instead
// of looping forever.
const DefaultMaxSteps = 100_000

// JobHandler runs one job inside a unit of work; the job is completed in
// that same unit of work. Returning an error rolls back everything it did
// and records a failed attempt (the job retries with backoff, then becomes
// a dead letter).
type JobHandler func(ctx context.Context, tx store.Tx, job store.Job) error

// Worker is follow-up work the engine drives besides jobs — later issues
// plug subscriptions (projections, process managers, sagas) in as workers.
// Step does one bounded piece of work (for example one page of events) and
// reports whether it made progress; RunUntilIdle calls the workers until
// none progresses and no job is due.
type Worker interface {
	Name() string
	Step(ctx context.Context) (progressed bool, err error)
}

// Stats counts what the engine did.
type Stats struct {
	Commands    int `json:"commands"`
	JobsRun     int `json:"jobsRun"`
	JobsFailed  int `json:"jobsFailed"`
	JobsDead    int `json:"jobsDead"`
	WorkerSteps int `json:"workerSteps"`
	// FaultsInjected counts the faults injected by the fault plan (see
	// WithFaults and Engine.Faults).
	FaultsInjected int `json:"faultsInjected,omitempty"`
	// JobsRunByKind counts completed jobs per kind.
	JobsRunByKind map[string]int `json:"jobsRunByKind,omitempty"`
}

type config struct {
	clock     es.Clock
	ids       es.IDs
	logger    *slog.Logger
	seed      uint64
	reg       *registry.Registry
	pipeline  orchestrator.Pipeline
	orchOpts  []orchestrator.Option
	maxSteps  int
	jobLease  time.Duration
	batchSize int
	faults    *FaultPlan
}

// Option configures an Engine.
type Option func(*config)

// WithClock sets the clock. Default: the store's clock when it exposes one
// (memstore does), else es.RealClock. Advance needs an *es.VirtualClock.
func WithClock(c es.Clock) Option { return func(cf *config) { cf.clock = c } }

// WithIDs sets the id source for command, correlation and event ids.
// Default: the store's ids when it exposes them, else es.UUIDv7.
func WithIDs(ids es.IDs) Option { return func(cf *config) { cf.ids = ids } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(cf *config) { cf.logger = l } }

// WithSeed makes RunUntilIdle deliver independent due jobs in an order
// shuffled by seed (0, the default, keeps store order: run time, then
// enqueue order). Jobs of one partition stay in FIFO order whatever the
// seed. The same seed replays the same order. The seed also drives the
// faults of WithFaults.
func WithSeed(seed uint64) Option { return func(cf *config) { cf.seed = seed } }

// WithRegistry uses reg for command definitions (default: a new registry
// on the engine's clock).
func WithRegistry(reg *registry.Registry) Option { return func(cf *config) { cf.reg = reg } }

// WithPipeline runs every command through middleware p.
func WithPipeline(p orchestrator.Pipeline) Option { return func(cf *config) { cf.pipeline = p } }

// WithOrchestratorOptions passes extra options to the orchestrator (hooks,
// state upcasters, observers).
func WithOrchestratorOptions(opts ...orchestrator.Option) Option {
	return func(cf *config) { cf.orchOpts = append(cf.orchOpts, opts...) }
}

// WithMaxSteps bounds RunUntilIdle (default DefaultMaxSteps).
func WithMaxSteps(n int) Option { return func(cf *config) { cf.maxSteps = n } }

// Engine runs commands and their follow-up work on a store.
type Engine struct {
	s      store.Store
	clock  es.Clock
	vclock *es.VirtualClock
	ids    es.IDs
	logger *slog.Logger
	reg    *registry.Registry
	orch   *orchestrator.Orchestrator
	cfg    config

	mu       sync.Mutex
	handlers map[string]JobHandler
	workers  []Worker
	stats    Stats
	rng      *rand.Rand
	faultLog []Fault

	faults *faultState // nil without WithFaults; guarded by runMu
	runMu  sync.Mutex  // one RunUntilIdle at a time
}

// New returns an engine over s.
func New(s store.Store, opts ...Option) *Engine {
	cf := config{maxSteps: DefaultMaxSteps, jobLease: store.DefaultLease, batchSize: 1}
	for _, o := range opts {
		o(&cf)
	}
	if cf.clock == nil {
		if c, ok := s.(interface{ Clock() es.Clock }); ok {
			cf.clock = c.Clock()
		} else {
			cf.clock = es.RealClock{}
		}
	}
	if cf.ids == nil {
		if i, ok := s.(interface{ IDs() es.IDs }); ok {
			cf.ids = i.IDs()
		} else {
			cf.ids = es.NewUUIDv7(cf.clock)
		}
	}
	if cf.logger == nil {
		cf.logger = slog.New(slog.DiscardHandler)
	}
	if cf.reg == nil {
		cf.reg = registry.New(registry.WithClock(cf.clock))
	}
	if cf.seed != 0 {
		cf.batchSize = 16
	}
	e := &Engine{s: s, clock: cf.clock, ids: cf.ids, logger: cf.logger, reg: cf.reg, cfg: cf, handlers: map[string]JobHandler{}}
	e.vclock, _ = cf.clock.(*es.VirtualClock)
	if cf.seed != 0 {
		e.rng = rand.New(rand.NewPCG(cf.seed, cf.seed^0x5851f42d4c957f2d))
	}
	if cf.faults != nil {
		e.faults = newFaultState(*cf.faults, cf.seed)
	}
	oo := []orchestrator.Option{orchestrator.WithClock(cf.clock), orchestrator.WithIDs(cf.ids), orchestrator.WithLogger(cf.logger)}
	if cf.pipeline != nil {
		oo = append(oo, orchestrator.WithPipeline(cf.pipeline))
	}
	e.orch = orchestrator.New(s, cf.reg, append(oo, cf.orchOpts...)...)
	return e
}

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.s }

// Clock returns the engine's clock.
func (e *Engine) Clock() es.Clock { return e.clock }

// IDs returns the engine's id source.
func (e *Engine) IDs() es.IDs { return e.ids }

// Seed returns the seed the engine shuffles deliveries (0: none) and draws
// faults with.
func (e *Engine) Seed() uint64 { return e.cfg.seed }

// Registry returns the command registry.
func (e *Engine) Registry() *registry.Registry { return e.reg }

// Orchestrator returns the orchestrator commands run through.
func (e *Engine) Orchestrator() *orchestrator.Orchestrator { return e.orch }

// Register adds a command definition to the registry.
func (e *Engine) Register(reg registry.Registration) error { return e.reg.Register(reg) }

// Dispatch runs cmd through the orchestrator and returns its result; see
// orchestrator.Orchestrator.Execute. Follow-up work it enqueued runs on the
// next RunUntilIdle or Advance.
func (e *Engine) Dispatch(ctx context.Context, cmd command.Command) (command.Result, error) {
	res, err := e.orch.Execute(ctx, cmd)
	if err == nil && !res.Duplicate {
		e.mu.Lock()
		e.stats.Commands++
		e.mu.Unlock()
	}
	return res, err
}

// RegisterJobHandler sets the handler of jobs of kind. A kind has one
// handler: registering it again is an INVALID_ARGUMENT error.
func (e *Engine) RegisterJobHandler(kind string, fn JobHandler) error {
	if err := es.ValidateName(es.CodeInvalidArgument, "job kind", kind); err != nil {
		return err
	}
	if fn == nil {
		return es.Errorf(es.CodeInvalidArgument, "job kind %q: handler is nil", kind)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.handlers[kind]; ok {
		return es.Errorf(es.CodeInvalidArgument, "job kind %q already has a handler", kind)
	}
	e.handlers[kind] = fn
	return nil
}

// AddWorker adds a worker RunUntilIdle drives, after those added before.
// Names must be unique (INVALID_ARGUMENT).
func (e *Engine) AddWorker(w Worker) error {
	if w == nil {
		return es.Errorf(es.CodeInvalidArgument, "worker is nil")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.workers {
		if x.Name() == w.Name() {
			return es.Errorf(es.CodeInvalidArgument, "a worker named %q is already added", w.Name())
		}
	}
	e.workers = append(e.workers, w)
	return nil
}

// Stats returns what the engine has done so far.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.stats
	st.JobsRunByKind = make(map[string]int, len(e.stats.JobsRunByKind))
	for k, v := range e.stats.JobsRunByKind {
		st.JobsRunByKind[k] = v
	}
	return st
}

// RunUntilIdle runs workers and due jobs until no worker progresses and no
// job is due. Each round steps every worker once, in the order they were
// added, then runs due jobs one claim at a time (ordered by run time, then
// enqueue order; shuffled among independent jobs when a seed is set). A
// job handler's error is recorded as a failed attempt (not returned); a
// worker's error stops the run and is returned. Under a fault plan, jobs
// whose delivery crashed are delivered again before RunUntilIdle returns,
// and a returned error names the seed.
func (e *Engine) RunUntilIdle(ctx context.Context) error {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.faults != nil && e.faults.err != nil {
		return e.faults.err
	}
	err := e.runUntilIdle(ctx)
	if err != nil && (e.cfg.seed != 0 || e.faults != nil) {
		return fmt.Errorf("%w (seed %d; %d fault(s) injected so far)", err, e.cfg.seed, len(e.Faults()))
	}
	return err
}

func (e *Engine) runUntilIdle(ctx context.Context) error {
	for step := 0; ; step++ {
		if step >= e.cfg.maxSteps {
			return es.Errorf(es.CodeInternal, "engine: still busy after %d steps (work keeps enqueueing work that is due now?)", e.cfg.maxSteps)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		progressed := false
		e.mu.Lock()
		workers := append([]Worker(nil), e.workers...)
		e.mu.Unlock()
		for _, w := range workers {
			p, err := w.Step(ctx)
			if err != nil {
				return fmt.Errorf("engine: worker %s: %w", w.Name(), err)
			}
			if p {
				progressed = true
				e.mu.Lock()
				e.stats.WorkerSteps++
				e.mu.Unlock()
			}
		}
		n, err := e.runDueJobs(ctx)
		if err != nil {
			return err
		}
		if n == 0 && !progressed {
			return nil
		}
	}
}

// Advance moves the virtual clock forward by d and runs what became due
// (RunUntilIdle). It needs the engine to run on an *es.VirtualClock
// (UNSUPPORTED otherwise).
func (e *Engine) Advance(ctx context.Context, d time.Duration) error {
	if e.vclock == nil {
		return es.Errorf(es.CodeUnsupported, "engine: Advance needs a virtual clock; this engine runs on %T", e.clock)
	}
	if d < 0 {
		return es.Errorf(es.CodeInvalidArgument, "engine: cannot advance by a negative duration %s", d)
	}
	e.vclock.Advance(d)
	return e.RunUntilIdle(ctx)
}

// Settle brings the engine to rest across retries: it runs until idle,
// then advances the virtual clock by step and runs again, until an advance
// runs nothing (no job delivered, no worker progressed). With step at
// least a retry's longest backoff (store.DefaultMaxBackoff unless jobs use
// less), every failed attempt — injected failed commits included — has
// been retried or dead-lettered when Settle returns; work scheduled
// further than step after the last activity (a 24-hour timeout, say) stays
// pending. It needs a virtual clock (UNSUPPORTED otherwise) and a positive
// step, and fails like RunUntilIdle after WithMaxSteps advances.
func (e *Engine) Settle(ctx context.Context, step time.Duration) error {
	if e.vclock == nil {
		return es.Errorf(es.CodeUnsupported, "engine: Settle needs a virtual clock; this engine runs on %T", e.clock)
	}
	if step <= 0 {
		return es.Errorf(es.CodeInvalidArgument, "engine: Settle needs a positive step, not %s", step)
	}
	if err := e.RunUntilIdle(ctx); err != nil {
		return err
	}
	for range e.cfg.maxSteps {
		before := e.activity()
		if err := e.Advance(ctx, step); err != nil {
			return err
		}
		if e.activity() == before {
			return nil
		}
	}
	return es.Errorf(es.CodeInternal, "engine: still busy after %d advances of %s (work keeps scheduling work?)", e.cfg.maxSteps, step)
}

// activity counts job deliveries and worker steps so far.
func (e *Engine) activity() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats.JobsRun + e.stats.JobsFailed + e.stats.WorkerSteps + e.stats.FaultsInjected
}

// runDueJobs claims one batch of due jobs, adds the crashed deliveries
// waiting to be delivered again, and runs them; it returns how many it ran.
func (e *Engine) runDueJobs(ctx context.Context) (int, error) {
	var claimed []store.Claimed
	err := e.s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		claimed, err = tx.Jobs().Claim(ctx, e.cfg.batchSize, e.cfg.jobLease)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("engine: claiming jobs: %w", err)
	}
	if e.faults != nil && len(e.faults.redeliver) > 0 {
		claimed = append(claimed, e.faults.redeliver...)
		e.faults.redeliver = nil
	}
	if e.rng != nil && len(claimed) > 1 {
		e.rng.Shuffle(len(claimed), func(i, j int) { claimed[i], claimed[j] = claimed[j], claimed[i] })
	}
	for i, c := range claimed {
		if err := e.runJob(ctx, c); err != nil {
			if e.faults != nil {
				// Keep the claims not run yet: the next run delivers them.
				e.faults.redeliver = append(e.faults.redeliver, claimed[i+1:]...)
			}
			return 0, err
		}
	}
	return len(claimed), nil
}

// errInjectedCommit aborts a unit of work at its commit point.
var errInjectedCommit = es.Wrap(es.CodeInjectedFault, es.ErrInjectedFault, "engine: injected fault: the commit of the job's unit of work failed")

func (e *Engine) runJob(ctx context.Context, c store.Claimed) error {
	e.mu.Lock()
	h := e.handlers[c.Job.Kind]
	e.mu.Unlock()
	var fault FaultKind
	var runErr error
	if h == nil {
		runErr = fmt.Errorf("no handler registered for job kind %q", c.Job.Kind)
	} else {
		fault = e.faults.draw(c)
		switch fault {
		case FaultCrash:
			// The handler's work commits; the completion is lost.
			runErr = e.s.Atomic(ctx, func(tx store.Tx) error { return safeJob(ctx, h, tx, c.Job) })
			if runErr == nil {
				e.recordFault(ctx, FaultCrash, c, nil)
				e.faults.redeliver = append(e.faults.redeliver, c)
				return nil
			}
		case FaultFailedCommit:
			reached := false
			runErr = e.s.Atomic(ctx, func(tx store.Tx) error {
				if err := safeJob(ctx, h, tx, c.Job); err != nil {
					return err
				}
				if err := tx.Jobs().Complete(ctx, c.Lease); err != nil {
					return err
				}
				reached = true
				return errInjectedCommit
			})
			if reached {
				e.recordFault(ctx, FaultFailedCommit, c, nil)
			}
		default:
			runErr = e.s.Atomic(ctx, func(tx store.Tx) error {
				if err := safeJob(ctx, h, tx, c.Job); err != nil {
					return err
				}
				return tx.Jobs().Complete(ctx, c.Lease)
			})
		}
	}
	if runErr == nil {
		e.mu.Lock()
		e.stats.JobsRun++
		if e.stats.JobsRunByKind == nil {
			e.stats.JobsRunByKind = map[string]int{}
		}
		e.stats.JobsRunByKind[c.Job.Kind]++
		e.mu.Unlock()
		if fault == FaultDuplicate {
			// A copy of the delivery reaches the handler after the job is done.
			dupErr := e.s.Atomic(ctx, func(tx store.Tx) error { return safeJob(ctx, h, tx, c.Job) })
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e.recordFault(ctx, FaultDuplicate, c, dupErr)
		}
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var out store.FailOutcome
	err := e.s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Jobs().Fail(ctx, c.Lease, runErr.Error())
		return err
	})
	if err != nil {
		return fmt.Errorf("engine: recording the failure of job %s (%s): %w", c.Job.ID, c.Job.Kind, err)
	}
	e.mu.Lock()
	e.stats.JobsFailed++
	if out.Dead {
		e.stats.JobsDead++
	}
	e.mu.Unlock()
	e.logger.LogAttrs(ctx, slog.LevelWarn, "job failed", slog.String("job", c.Job.ID), slog.String("kind", c.Job.Kind),
		slog.Int("attempt", c.Lease.Attempt), slog.Bool("dead", out.Dead), slog.String("error", runErr.Error()))
	return nil
}

// safeJob runs a job handler, turning a panic into an error.
func safeJob(ctx context.Context, h JobHandler, tx store.Tx, job store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job handler panicked: %v", p)
		}
	}()
	return h(ctx, tx, job)
}
