package batch

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
)

// Executor runs one command (usually engine.Engine.Dispatch).
type Executor func(ctx context.Context, cmd command.Command) (command.Result, error)

// ItemStatus is what happened to one item.
type ItemStatus string

// Item statuses.
const (
	ItemSuccess  ItemStatus = "success"
	ItemRejected ItemStatus = "rejected"
	ItemFailed   ItemStatus = "failed"
	ItemSkipped  ItemStatus = "skipped"
)

// Status is the batch's overall outcome.
type Status string

// Batch statuses.
const (
	StatusSuccess Status = "success" // every item succeeded
	StatusPartial Status = "partial" // some, not all, succeeded (partial mode)
	StatusFailed  Status = "failed"  // none succeeded, an atomic batch stopped, or validation failed
)

// Messages of skipped items and of a failed validation.
const (
	SkippedAtomic  = "Skipped due to earlier failure in atomic batch"
	SkippedPartial = "Skipped due to earlier failure"
)

// Item is one command's outcome.
type Item struct {
	Index       int             `json:"index"`
	CommandType string          `json:"commandType"`
	CommandID   string          `json:"commandId"`
	Status      ItemStatus      `json:"status"`
	Result      *command.Result `json:"result,omitempty"`
	Duration    time.Duration   `json:"duration"`
	// Error is the rejection or failure reason, the executor's error, or
	// why the item was skipped.
	Error string `json:"error,omitempty"`
}

// Summary counts the items.
type Summary struct {
	Total         int           `json:"total"`
	Succeeded     int           `json:"succeeded"`
	Failed        int           `json:"failed"`
	Rejected      int           `json:"rejected"`
	Skipped       int           `json:"skipped"`
	TotalDuration time.Duration `json:"totalDuration"`
}

// Result is a batch's outcome; Items are in input order.
type Result struct {
	Status        Status            `json:"status"`
	CorrelationID string            `json:"correlationId"`
	Items         []Item            `json:"items"`
	Summary       Summary           `json:"summary"`
	Validation    *ValidationResult `json:"validation,omitempty"`
}

// Config configures a Runner.
type Config struct {
	// Executor runs each command. Required.
	Executor Executor
	// Lookup, when set, is used by validation (registration, context,
	// category, aggregate target).
	Lookup registry.Lookup
	// DefaultBoundedContext applies when Options.BoundedContext is empty.
	DefaultBoundedContext string
	// Clock times items (default es.RealClock); IDs mint command and
	// correlation ids (default es.UUIDv7).
	Clock es.Clock
	IDs   es.IDs
	// Sequential runs a partial chunk's items one after another in input
	// order instead of concurrently, so a run is reproducible (chunking and
	// StopOnError behave the same).
	Sequential bool
	Logger     *slog.Logger
}

// Runner executes batches.
type Runner struct{ cfg Config }

// New returns a Runner. It returns INVALID_ARGUMENT without an Executor.
func New(cfg Config) (*Runner, error) {
	if cfg.Executor == nil {
		return nil, es.Errorf(es.CodeInvalidArgument, "batch: Config.Executor is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = es.RealClock{}
	}
	if cfg.IDs == nil {
		cfg.IDs = es.NewUUIDv7(cfg.Clock)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg}, nil
}

// Execute validates and runs cmds. A validation failure runs nothing: the
// batch is failed and every item rejected with "Batch validation failed:
// <messages joined by "; ">". Each command gets an id (when it has none),
// the batch correlation id (when it has none) and the effective bounded
// context (when it has none).
func (r *Runner) Execute(ctx context.Context, cmds []command.Command, opts Options) Result {
	start := r.cfg.Clock.Now()
	if opts.BoundedContext == "" {
		opts.BoundedContext = r.cfg.DefaultBoundedContext
	}
	corr := opts.CorrelationID
	if corr == "" {
		corr = command.NewCorrelationID(r.cfg.IDs)
	}
	prepared := make([]command.Command, len(cmds))
	for i, c := range cmds {
		if c.ID == "" {
			c.ID = command.NewCommandID(r.cfg.IDs)
		}
		if c.Metadata.CorrelationID == "" {
			c.Metadata.CorrelationID = corr
		}
		if c.TargetContext == "" {
			c.TargetContext = opts.BoundedContext
		}
		prepared[i] = c
	}
	res := Result{CorrelationID: corr, Items: make([]Item, len(cmds))}
	for i, c := range prepared {
		res.Items[i] = Item{Index: i, CommandType: c.Type, CommandID: c.ID}
	}
	if v := Validate(prepared, opts, r.cfg.Lookup); !v.Valid {
		msgs := make([]string, len(v.Errors))
		for i, e := range v.Errors {
			msgs[i] = e.Message
		}
		for i := range res.Items {
			res.Items[i].Status, res.Items[i].Error = ItemRejected, "Batch validation failed: "+strings.Join(msgs, "; ")
		}
		res.Validation = &v
		return r.finish(res, start, opts.mode())
	}
	if opts.mode() == Atomic {
		r.atomic(ctx, prepared, res.Items)
	} else {
		r.partial(ctx, prepared, res.Items, opts)
	}
	return r.finish(res, start, opts.mode())
}

func (r *Runner) run(ctx context.Context, c command.Command, it *Item) {
	t0 := r.cfg.Clock.Now()
	out, err := r.cfg.Executor(ctx, c)
	it.Duration = max(r.cfg.Clock.Now().Sub(t0), 0)
	if err != nil {
		it.Status, it.Error = ItemFailed, err.Error()
		return
	}
	it.Result = &out
	switch out.Status {
	case command.StatusExecuted:
		it.Status = ItemSuccess
	case command.StatusRejected:
		it.Status, it.Error = ItemRejected, out.Reason
	default:
		it.Status, it.Error = ItemFailed, out.Reason
	}
}

func (r *Runner) atomic(ctx context.Context, cmds []command.Command, items []Item) {
	for i, c := range cmds {
		r.run(ctx, c, &items[i])
		if items[i].Status != ItemSuccess {
			for j := i + 1; j < len(items); j++ {
				items[j].Status, items[j].Error = ItemSkipped, SkippedAtomic
			}
			return
		}
	}
}

func (r *Runner) partial(ctx context.Context, cmds []command.Command, items []Item, opts Options) {
	size := opts.MaxConcurrency
	if size <= 0 {
		size = DefaultMaxConcurrency
	}
	for lo := 0; lo < len(cmds); lo += size {
		hi := min(lo+size, len(cmds))
		if r.cfg.Sequential {
			for i := lo; i < hi; i++ {
				r.run(ctx, cmds[i], &items[i])
			}
		} else {
			var wg sync.WaitGroup
			for i := lo; i < hi; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r.run(ctx, cmds[i], &items[i])
				}()
			}
			wg.Wait()
		}
		if opts.StopOnError {
			for i := lo; i < hi; i++ {
				if items[i].Status != ItemSuccess {
					for j := hi; j < len(items); j++ {
						items[j].Status, items[j].Error = ItemSkipped, SkippedPartial
					}
					return
				}
			}
		}
	}
}

func (r *Runner) finish(res Result, start time.Time, mode Mode) Result {
	s := Summary{Total: len(res.Items)}
	for _, it := range res.Items {
		switch it.Status {
		case ItemSuccess:
			s.Succeeded++
		case ItemRejected:
			s.Rejected++
		case ItemFailed:
			s.Failed++
		case ItemSkipped:
			s.Skipped++
		}
	}
	s.TotalDuration = max(r.cfg.Clock.Now().Sub(start), 0)
	res.Summary = s
	switch {
	case s.Succeeded == s.Total:
		res.Status = StatusSuccess
	case s.Succeeded > 0 && mode == Partial && res.Validation == nil:
		res.Status = StatusPartial
	default:
		res.Status = StatusFailed
	}
	return res
}
