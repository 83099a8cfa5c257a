// Package orchestrator is the single command execution path (spec §7). Every
// command runs through the same named stages, in this order:
//
//  1. validate — the envelope (an invalid one is an error and nothing is
//     written), an earlier execution of the same command id when middleware
//     is configured (returned as a duplicate before any middleware runs),
//     the command type's registration (UNKNOWN_COMMAND,
//     WRONG_BOUNDED_CONTEXT) and its argument schema (VALIDATION_ERROR);
//  2. middleware — the pipeline's before hooks, which may short-circuit
//     with a rejection, and after the command its after hooks;
//  3. command-log — inside the command's unit of work, the command log is
//     checked again (idempotency by command id, race-safe);
//  4. load-cms — the targeted aggregate's command-model state (CMS);
//  5. handle — the handler (or a decider through DeciderHandler);
//  6. dual-write — the new CMS and the events, in the same unit of work, with
//     the events' category and schema version stored;
//  7. follow-up — follow-up jobs (projection, fan-out, failed projection,
//     saga routes) and hooks, in the same unit of work;
//  8. complete — the command recorded with its final status (executed,
//     rejected or failed; never left pending), its result and its event ids,
//     plus the command→events correlation.
//
// A rejection (by validation, middleware or the handler) and a handler error
// roll back whatever the handler did; the command is then recorded as
// rejected or failed in a unit of work of its own. An append conflict or any
// error after the append aborts the whole unit of work with an
// *command.AbortError (EVENT_STORE_CONFLICT, EVENT_STORE_APPEND_ABORT,
// EVENT_STORE_POST_APPEND_ABORT): nothing is recorded and a retry with the
// same command id starts fresh.
//
// A second dispatch of a command id returns the first result with Duplicate
// set and writes nothing — also when both race: the loser's unit of work
// fails (or sees the winner's record) and it reads the winner's result.
package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/platform/ids"
	"github.com/eventspec/eventspec/platform/metrics"
	"github.com/eventspec/eventspec/store"
)

// Stage names one step of the execution path.
type Stage string

// The stages, in execution order.
const (
	StageValidate    Stage = "validate"
	StageMiddleware  Stage = "middleware"
	StageCommandLog  Stage = "command-log"
	StageLoadCMS     Stage = "load-cms"
	StageHandle      Stage = "handle"
	StageDualWrite   Stage = "dual-write"
	StageFollowUp    Stage = "follow-up"
	StageComplete    Stage = "complete"
	StageDuplicate   Stage = "duplicate" // reported instead of the rest when the command id was seen before
	StageRecordEarly Stage = "record"    // a rejection or handler error recorded in its own unit of work
)

// Stages lists the main stages in execution order.
func Stages() []Stage {
	return []Stage{StageValidate, StageMiddleware, StageCommandLog, StageLoadCMS, StageHandle, StageDualWrite, StageFollowUp, StageComplete}
}

// Next runs the rest of a command's execution after middleware.
type Next func(ctx context.Context, info command.Info) (command.Result, error)

// Pipeline runs middleware around a command's execution. Execute calls next
// at most once, and only before it returns (next must not be kept: the
// orchestrator reuses what it is bound to); a pipeline that does not call
// it returns the result it short-circuited with (a rejection). It returns
// an error only for an *command.AbortError, which it must pass through
// unchanged.
type Pipeline interface {
	Execute(ctx context.Context, info command.Info, next Next) (command.Result, error)
}

// PipelineFunc adapts a function to Pipeline.
type PipelineFunc func(ctx context.Context, info command.Info, next Next) (command.Result, error)

// Execute calls f.
func (f PipelineFunc) Execute(ctx context.Context, info command.Info, next Next) (command.Result, error) {
	return f(ctx, info, next)
}

// Hook runs inside a command's unit of work after its events were
// appended (stage follow-up), so it can enqueue work that commits with
// them. An error aborts the command with EVENT_STORE_POST_APPEND_ABORT.
type Hook func(ctx context.Context, tx store.Tx, out Outcome) error

// Outcome is what a Hook sees.
type Outcome struct {
	Command      command.Command
	Registration registry.Registration
	Result       command.Result
	// Events are the appended events as sent to the store (ids stamped).
	Events []es.Event
	// Positions are where they landed.
	Positions []es.Position
}

// Option configures an Orchestrator.
type Option func(*Orchestrator)

// WithClock sets the clock (default es.RealClock). Use the store's clock.
func WithClock(c es.Clock) Option { return func(o *Orchestrator) { o.clock = c } }

// WithIDs sets the id source for command, correlation and event ids
// (default es.UUIDv7 on the clock).
func WithIDs(ids es.IDs) Option { return func(o *Orchestrator) { o.ids = ids } }

// WithLogger logs every command at debug level and faults at error level.
func WithLogger(l *slog.Logger) Option { return func(o *Orchestrator) { o.logger = l } }

// WithPipeline runs commands through p (stage middleware).
func WithPipeline(p Pipeline) Option { return func(o *Orchestrator) { o.pipeline = p } }

// WithHook adds a hook run in stage follow-up of every command that
// appended events.
func WithHook(h Hook) Option { return func(o *Orchestrator) { o.hooks = append(o.hooks, h) } }

// WithObserver calls f at the start of each stage a command goes through
// (tests use it to check the order).
func WithObserver(f func(Stage, command.Command)) Option {
	return func(o *Orchestrator) { o.observe = f }
}

// WithMetrics records the orchestrator's metrics on sink (spec §7 rule
// 12; default metrics.Nop, which costs nothing): the histogram
// metrics.CommandDuration for every Execute (see Execute) and the gauge
// metrics.QueueDepth, tagged with the pool, each time a follow-up job is
// enqueued. The gauge's value is what the WithQueueDepth function reports,
// or by default how many jobs the command has enqueued on that pool so far
// in its unit of work (the orchestrator does not see the store's backlog).
func WithMetrics(sink metrics.Sink) Option { return func(o *Orchestrator) { o.metrics = sink } }

// QueueDepthFunc reports the depth of job pool pool for the queue.depth
// gauge, inside the unit of work that has just enqueued a job on it.
type QueueDepthFunc func(ctx context.Context, tx store.Tx, pool string) (float64, error)

// WithQueueDepth sets how the queue.depth gauge measures a pool (see
// WithMetrics). An error from f aborts the command like any failure after
// the append (EVENT_STORE_POST_APPEND_ABORT).
func WithQueueDepth(f QueueDepthFunc) Option { return func(o *Orchestrator) { o.queueDepth = f } }

// WithoutEventCorrelations skips the command→events correlation record.
func WithoutEventCorrelations() Option { return func(o *Orchestrator) { o.noCorrelations = true } }

// WithStateUpcaster upcasts the stored command-model state of aggregate
// type aggType on load: up receives the stored state and its state version
// and returns the current state and version. The upgraded state is written
// back only when the next command writes the CMS.
func WithStateUpcaster(aggType string, up StateUpcaster) Option {
	return func(o *Orchestrator) { o.upcasters[aggType] = up }
}

// StateUpcaster turns stored state of stateVersion into the current shape.
type StateUpcaster func(state json.RawMessage, stateVersion int) (json.RawMessage, int, error)

// Orchestrator executes commands against a store with the handlers of a
// registry. It is safe for concurrent use.
type Orchestrator struct {
	s              store.Store
	reg            registry.Lookup
	log            *commandbus.Log
	clock          es.Clock
	ids            es.IDs
	logger         *slog.Logger
	pipeline       Pipeline
	hooks          []Hook
	observe        func(Stage, command.Command)
	noCorrelations bool
	upcasters      map[string]StateUpcaster
	metrics        metrics.Sink
	metricsOff     bool // metrics is a no-op: skip measuring
	queueDepth     QueueDepthFunc
	bus            EventBus
	names          sync.Map  // nameKey → string: derived names (eventIDPrefix, cmsCollection)
	executions     sync.Pool // *execution, see getExecution
}

// New returns an orchestrator over s that finds handlers in reg.
func New(s store.Store, reg registry.Lookup, opts ...Option) *Orchestrator {
	o := &Orchestrator{s: s, reg: reg, clock: es.RealClock{}, upcasters: map[string]StateUpcaster{}}
	for _, opt := range opts {
		opt(o)
	}
	if o.ids == nil {
		o.ids = es.NewUUIDv7(o.clock)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	o.log = commandbus.NewLog(o.clock)
	o.metrics = metrics.OrNop(o.metrics)
	o.metricsOff = metrics.IsNop(o.metrics)
	return o
}

// CommandLog returns the command log the orchestrator records in.
func (o *Orchestrator) CommandLog() *commandbus.Log { return o.log }

// stage reports that cmd enters stage s (WithObserver); cmd is passed by
// pointer so that nothing is copied when no observer is set.
func (o *Orchestrator) stage(s Stage, cmd *command.Command) {
	if o.observe != nil {
		o.observe(s, *cmd)
	}
}

// errDuplicate ends a unit of work that found the command already recorded.
var errDuplicate = errors.New("orchestrator: duplicate command")

// errRecordApart ends a unit of work whose outcome (a rejection or a
// handler error) must be recorded without the handler's writes.
var errRecordApart = errors.New("orchestrator: record outcome apart")

// Execute runs cmd through every stage and returns its result. The error
// is non-nil only when nothing was recorded: an invalid envelope
// (INVALID_ARGUMENT, PAYLOAD_TOO_LARGE), an *command.AbortError, a
// cancelled context or a store failure.
//
// With a metrics sink (WithMetrics), every call records the histogram
// metrics.CommandDuration: the milliseconds between the start and the end
// of Execute on the orchestrator's clock, tagged with the command type, its
// bounded context (the registration's; the command's target context when
// the type is unknown) and the status duplicate, success (executed),
// rejected, failed, or unknown (an error was returned).
func (o *Orchestrator) Execute(ctx context.Context, cmd command.Command) (command.Result, error) {
	e := o.getExecution()
	defer o.putExecution(e)
	if o.metricsOff {
		return e.execute(ctx, cmd)
	}
	start := o.clock.Now()
	res, err := e.execute(ctx, cmd)
	o.recordDuration(e, start, res, err)
	return res, err
}

// getExecution returns a cleared execution from the orchestrator's pool.
// Executions are reused because one is large (it holds the command, its
// registration, its handler context and its result) and its callbacks are
// method values bound once, when it is made, instead of once per command.
// Nothing may keep an execution, or a callback of it, after Execute
// returns: the store runs a unit of work's function before Atomic returns,
// and a Pipeline calls next, if at all, before its Execute returns.
func (o *Orchestrator) getExecution() *execution {
	if e, ok := o.executions.Get().(*execution); ok {
		return e
	}
	e := &execution{o: o}
	e.nextFn, e.unitFn, e.lookupFn = e.next, e.unit, e.lookupUnit
	return e
}

// putExecution pools e. It is not cleared — zeroing its 1.7 KB, most of
// it pointers, cost more than all its reads: execute first resets the
// fields read before they are written (minted, ran, hasReg), and every
// other field is written by the stage that owns it before it is read.
// What it still references of the last command is small and is
// overwritten by the next.
func (o *Orchestrator) putExecution(e *execution) {
	e.sc.reset()
	o.executions.Put(e)
}

// execution is one command on its way through the stages. Execute
// allocates one; the callbacks it hands to the pipeline and to Atomic are
// its methods, so the stages share its fields instead of each callback
// capturing locals (every captured local would be a heap allocation).
type execution struct {
	o   *Orchestrator
	ctx context.Context // the context of the unit of work being run

	// nextFn, unitFn and lookupFn are e.next, e.unit and e.lookupUnit,
	// bound once (see getExecution).
	nextFn   Next
	unitFn   func(store.Tx) error
	lookupFn func(store.Tx) error

	cmd  command.Command       // normalized and validated
	reg  registry.Registration // valid when hasReg
	ref  aggRef                // the targeted aggregate (zero when none)
	args any                   // the registration's decoded arguments, if any

	// minted is set when the orchestrator minted the command's id.
	minted bool
	// ran is set when the pipeline called next.
	ran bool
	// hasReg is set once reg holds the command's registration.
	hasReg bool
	// found is whether lookupUnit found the command in the log (its
	// result then is in res).
	found bool

	// The unit of work of run (stages command-log … complete). The command
	// it runs (middleware may have replaced the payload) is rCmd; the
	// handler gets a copy of it, and its arguments, in hc.
	rCmd   command.Command // the command run runs (the handler gets a copy in hc)
	rRef   aggRef
	res    command.Result
	apart  *command.Result // the outcome to record apart, if any
	isDup  bool
	events []es.Event
	ar     es.AppendResult
	agg    command.Aggregate
	hc     command.HandlerContext
	corr   commandbus.CorrelationRequest // the correlation run records

	sc scratch // kept from one command to the next
}

func (e *execution) execute(ctx context.Context, cmd command.Command) (command.Result, error) {
	o := e.o
	minted := cmd.ID == ""
	e.minted, e.ran, e.hasReg = minted, false, false
	cmd = o.normalize(cmd)
	e.cmd = cmd
	o.stage(StageValidate, &cmd)
	if err := cmd.Validate(); err != nil {
		return command.Result{}, err
	}
	// With middleware, an earlier execution is answered before any
	// middleware runs (a duplicate must not count against a rate limit, for
	// example). Without middleware the later stages detect it, as they do
	// for an id the orchestrator has just minted, which no earlier
	// execution can have used.
	if o.pipeline != nil && !minted {
		if res, found, err := e.lookup(ctx); err != nil || found {
			if found {
				o.stage(StageDuplicate, &cmd)
			}
			return res, err
		}
	}
	reg, ok := o.reg.Get(cmd.Type)
	if !ok {
		return o.recordApart(ctx, cmd, registry.Registration{}, rejected(command.CodeUnknownCommand, "Unknown command type: "+cmd.Type, nil))
	}
	e.reg, e.hasReg = reg, true
	if cmd.TargetContext == "" {
		cmd.TargetContext = reg.Meta.BoundedContext
	} else if cmd.TargetContext != reg.Meta.BoundedContext {
		return o.recordApart(ctx, cmd, reg, rejected(command.CodeWrongContext,
			fmt.Sprintf("Command %s belongs to bounded context %q, not %q", cmd.Type, reg.Meta.BoundedContext, cmd.TargetContext),
			map[string]any{"expected": reg.Meta.BoundedContext, "actual": cmd.TargetContext}))
	}
	ref, args, r, bad := o.validateArgs(&cmd, reg)
	if bad {
		return o.recordApart(ctx, cmd, reg, r)
	}
	e.cmd, e.ref, e.args = cmd, ref, args

	o.stage(StageMiddleware, &cmd)
	if o.pipeline == nil {
		return e.run(ctx, cmd, ref, args)
	}
	info := command.Info{Command: cmd, BoundedContext: reg.Meta.BoundedContext, Category: reg.Meta.Category, TargetAggregate: reg.Meta.TargetAggregate}
	res, err := o.pipeline.Execute(ctx, info, e.nextFn)
	if err != nil {
		return command.Result{}, err
	}
	if e.ran {
		return res, nil
	}
	// A short-circuit: record the middleware's result (a rejection).
	if res.Status != command.StatusFailed && res.Status != command.StatusExecuted {
		res.Status = command.StatusRejected
	}
	return o.recordApart(ctx, e.cmd, reg, res)
}

// next is the pipeline's inner handler: the rest of the command's stages.
func (e *execution) next(ctx context.Context, in command.Info) (command.Result, error) {
	e.ran = true
	cmd := e.cmd
	c := in.Command
	c.ID, c.Type, c.Metadata.CorrelationID = cmd.ID, cmd.Type, cmd.Metadata.CorrelationID // middleware cannot change identity
	ref, decoded := e.ref, e.args
	if string(c.Payload) != string(cmd.Payload) {
		decoded = nil // decoded from the payload middleware replaced
		if t := e.reg.Meta.TargetAggregate; t != nil {
			var err error
			if ref, err = aggregateRef(c, t.Type, t.IDField, false); err != nil {
				return rejected(command.CodeValidation, "Invalid command arguments: "+err.Error(), nil), nil
			}
		}
	}
	return e.run(ctx, c, ref, decoded)
}

// recordDuration records metrics.CommandDuration for a finished Execute.
func (o *Orchestrator) recordDuration(e *execution, start time.Time, res command.Result, err error) {
	status := metrics.StatusUnknown
	switch {
	case err != nil:
	case res.Duplicate:
		status = metrics.StatusDuplicate
	case res.Status == command.StatusExecuted:
		status = metrics.StatusSuccess
	case res.Status == command.StatusRejected:
		status = metrics.StatusRejected
	case res.Status == command.StatusFailed:
		status = metrics.StatusFailed
	}
	var bc string
	if e.hasReg {
		bc = e.reg.Meta.BoundedContext
	}
	if bc == "" { // a duplicate is answered before the registry is asked
		if reg, ok := o.reg.Get(e.cmd.Type); ok {
			bc = reg.Meta.BoundedContext
		} else {
			bc = e.cmd.TargetContext
		}
	}
	ms := float64(o.clock.Now().Sub(start)) / float64(time.Millisecond)
	o.metrics.Histogram(metrics.CommandDuration, ms,
		metrics.Tag{Key: metrics.TagCommandType, Value: e.cmd.Type},
		metrics.Tag{Key: metrics.TagBoundedContext, Value: bc},
		metrics.Tag{Key: metrics.TagStatus, Value: status})
}

// normalize fills the command id, correlation id, causation id and
// timestamp.
func (o *Orchestrator) normalize(cmd command.Command) command.Command {
	if cmd.ID == "" && cmd.Metadata.CorrelationID == "" {
		id, corr := ids.NewCommandAndCorrelationID(o.ids)
		cmd.ID, cmd.Metadata.CorrelationID = string(id), string(corr)
	}
	if cmd.ID == "" {
		cmd.ID = command.NewCommandID(o.ids)
	}
	if cmd.Metadata.CorrelationID == "" {
		cmd.Metadata.CorrelationID = command.NewCorrelationID(o.ids)
	}
	if cmd.Metadata.CausationID == "" {
		cmd.Metadata.CausationID = cmd.ID
	}
	if cmd.Metadata.Timestamp.IsZero() {
		cmd.Metadata.Timestamp = o.clock.Now().UTC()
	}
	if len(cmd.Payload) == 0 {
		cmd.Payload = json.RawMessage("null")
	}
	return cmd
}

func rejected(code, reason string, ctx map[string]any) command.Result {
	return command.Result{Status: command.StatusRejected, Code: code, Reason: reason, Context: ctx}
}

// validateArgs runs the registration's argument validator (its Decode,
// returning the decoded arguments, when set) and, for aggregate commands,
// reads the aggregate id.
func (o *Orchestrator) validateArgs(cmd *command.Command, reg registry.Registration) (aggRef, any, command.Result, bool) {
	var args any
	validJSON := true // cmd.Validate checked the payload
	if reg.Args != nil || reg.Decode != nil {
		var data json.RawMessage
		var errs []registry.FieldError
		if reg.Decode != nil {
			data, args, errs = reg.Decode(cmd.Payload)
		} else {
			data, errs = reg.Args(cmd.Payload)
		}
		if len(errs) > 0 {
			msgs := make([]string, len(errs))
			list := make([]any, len(errs))
			for i, e := range errs {
				msgs[i] = e.Message
				list[i] = map[string]any{"path": e.Path, "message": e.Message, "code": e.Code}
			}
			return aggRef{}, nil, rejected(command.CodeValidation, "Invalid command arguments: "+strings.Join(msgs, ", "), map[string]any{"errors": list}), true
		}
		if len(data) > 0 {
			validJSON = sameBytes(data, cmd.Payload)
			cmd.Payload = data
		}
	}
	if t := reg.Meta.TargetAggregate; t != nil {
		ref, err := aggregateRef(*cmd, t.Type, t.IDField, validJSON)
		if err != nil {
			return aggRef{}, nil, rejected(command.CodeValidation, "Invalid command arguments: "+err.Error(),
				map[string]any{"errors": []any{map[string]any{"path": t.IDField, "message": err.Error(), "code": "required"}}}), true
		}
		return ref, args, command.Result{}, false
	}
	return aggRef{}, args, command.Result{}, false
}

// sameBytes reports whether a and b are the very same bytes in memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// stored returns the recorded result of commandID, if any.
func (o *Orchestrator) stored(ctx context.Context, commandID string) (command.Result, bool, error) {
	e := o.getExecution()
	defer o.putExecution(e)
	e.cmd.ID = commandID
	return e.lookup(ctx)
}

// lookup returns the recorded result of the command e.cmd.ID, if any.
func (e *execution) lookup(ctx context.Context) (command.Result, bool, error) {
	e.ctx, e.found, e.res = ctx, false, command.Result{}
	err := e.o.s.Atomic(ctx, e.lookupFn)
	if err != nil || !e.found {
		return command.Result{}, false, err
	}
	return e.res, true, nil
}

func (e *execution) lookupUnit(tx store.Tx) error {
	var err error
	e.res, e.found, err = e.o.storedIn(e.ctx, tx, e.cmd.ID)
	return err
}

func (o *Orchestrator) storedIn(ctx context.Context, tx store.Tx, commandID string) (command.Result, bool, error) {
	c, err := o.log.Get(ctx, tx, commandID)
	if err != nil || c == nil {
		return command.Result{}, false, err
	}
	return storedResult(c), true, nil
}

// storedResult turns a command-log record into the duplicate's result.
func storedResult(c *commandbus.StoredCommand) command.Result {
	var res command.Result
	if len(c.Result) > 0 && json.Unmarshal(c.Result, &res) == nil && res.CommandID != "" {
		res.Duplicate = true
		return res
	}
	// A record written by someone else (a pending command, or a result in
	// another shape): report what the log knows.
	return command.Result{CommandID: c.CommandID, CommandType: c.CommandType, Status: c.Status,
		CorrelationID: c.Metadata.CorrelationID, Data: c.Result, Duplicate: true}
}

func recordRequest(cmd *command.Command) commandbus.RecordRequest {
	return commandbus.RecordRequest{
		CommandID: cmd.ID, CommandType: cmd.Type, TargetContext: cmd.TargetContext, Payload: cmd.Payload,
		UserID: cmd.Metadata.UserID, CorrelationID: cmd.Metadata.CorrelationID, CausationID: cmd.Metadata.CausationID,
		Timestamp: cmd.Metadata.Timestamp,
	}
}

// finish fills a result's identity fields and encodes it for the log; the
// returned result is in the exact form a duplicate will decode.
func finish(cmd command.Command, res command.Result) (command.Result, json.RawMessage, error) {
	return finishInto(nil, &cmd, res)
}

// finishInto is finish, encoding the result into dst's array when it has
// room.
func finishInto(dst []byte, cmd *command.Command, res command.Result) (command.Result, json.RawMessage, error) {
	res.CommandID, res.CommandType, res.CorrelationID, res.Duplicate = cmd.ID, cmd.Type, cmd.Metadata.CorrelationID, false
	raw, err := appendResult(dst, res)
	if err != nil {
		return command.Result{}, nil, es.Wrap(es.CodeInternal, err, "command %s: result does not encode", cmd.ID)
	}
	if res.Context != nil {
		var norm command.Result
		if err := json.Unmarshal(raw, &norm); err != nil {
			return command.Result{}, nil, es.Wrap(es.CodeInternal, err, "command %s: result does not decode", cmd.ID)
		}
		res = norm
	}
	return res, raw, nil
}

// recordApart records an outcome reached without (or after rolling back)
// the handler's unit of work.
func (o *Orchestrator) recordApart(ctx context.Context, cmd command.Command, reg registry.Registration, res command.Result) (command.Result, error) {
	o.stage(StageRecordEarly, &cmd)
	res, raw, err := finish(cmd, res)
	if err != nil {
		return command.Result{}, err
	}
	var dup command.Result
	isDup := false
	err = o.s.Atomic(ctx, func(tx store.Tx) error {
		rr, err := o.log.RecordCompleted(ctx, tx, recordRequest(&cmd), res.Status, raw)
		if err != nil {
			return err
		}
		if !rr.New {
			dup, isDup, err = o.storedIn(ctx, tx, cmd.ID)
			if err == nil {
				err = errDuplicate
			}
			return err
		}
		return nil
	})
	switch {
	case isDup:
		return dup, nil
	case err != nil:
		return o.afterFailure(ctx, cmd, err)
	}
	o.logOutcome(ctx, cmd, reg, res)
	return res, nil
}

// afterFailure handles a unit of work that failed: when the command is now
// in the log (a concurrent execution won), the winner's result is returned
// as a duplicate; otherwise the error is.
func (o *Orchestrator) afterFailure(ctx context.Context, cmd command.Command, err error) (command.Result, error) {
	if ctx.Err() == nil {
		if res, found, serr := o.stored(ctx, cmd.ID); serr == nil && found {
			o.stage(StageDuplicate, &cmd)
			return res, nil
		}
	}
	if command.IsAbort(err) {
		o.logger.LogAttrs(ctx, slog.LevelWarn, "command aborted", slog.String("commandId", cmd.ID),
			slog.String("commandType", cmd.Type), slog.String("code", string(es.CodeOf(err))), slog.String("error", err.Error()))
	}
	return command.Result{}, err
}

func (o *Orchestrator) logOutcome(ctx context.Context, cmd command.Command, reg registry.Registration, res command.Result) {
	if !o.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	o.logger.LogAttrs(ctx, slog.LevelDebug, "command completed", slog.String("commandId", cmd.ID),
		slog.String("commandType", cmd.Type), slog.String("boundedContext", reg.Meta.BoundedContext),
		slog.String("correlationId", cmd.Metadata.CorrelationID), slog.String("status", string(res.Status)),
		slog.String("code", res.Code), slog.Int("events", len(res.EventIDs)))
}
