// Package middleware wraps command execution in an ordered pipeline of
// cross-cutting steps (spec §25): validation, authorisation, logging and
// rate limiting, or your own.
//
// A Middleware has a name, an order and optional Before and After hooks.
// Before hooks run in ascending order, each receiving the Context the
// previous one returned (so enrichment flows forward); any of them may
// short-circuit with a typed command.Result, and then the handler does not
// run. After hooks run in descending order and may replace the result.
//
// Errors never escape as Go errors except a transaction abort
// (*command.AbortError), which is passed through unchanged so the command's
// unit of work rolls back. A failing before hook becomes a rejection with
// code MIDDLEWARE_ERROR (and no after hook runs); a failing handler given
// to Run becomes a rejection with code HANDLER_ERROR (and after hooks still
// run); a failing after hook is reported to the OnAfterHookError callback
// and otherwise ignored. Panics in hooks count as errors.
//
// *Pipeline implements orchestrator.Pipeline, so engine.WithPipeline(p)
// runs every dispatched command through it.
//
// Built-ins, with their orders: StructureValidation and RegistryValidation
// (10), DomainValidation (20), Authorization (30), Logging (40) and
// RateLimit (50). The ratelimit subpackage provides a store-backed limiter
// whose limits hold across processes.
package middleware

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/orchestrator"
)

// Orders of the built-in middlewares (MIDDLEWARE_ORDER).
const (
	OrderStructureValidation = 10
	OrderDomainValidation    = 20
	OrderAuthorization       = 30
	OrderLogging             = 40
	OrderRateLimit           = 50
)

// Context is what a middleware sees: the command and what the registry
// knows about it, caller-defined values, the instant the pipeline started
// (from its clock) and the raw input the caller passed, if any.
type Context struct {
	Info command.Info
	// Custom holds caller-defined values. It may be nil (reading a nil map
	// gives nothing) and may be shared: never write to it in place; add
	// values with WithCustom, which copies.
	Custom    map[string]any
	StartedAt time.Time
	Raw       any
}

// Command returns the command being executed.
func (c Context) Command() command.Command { return c.Info.Command }

// WithCustom returns c with Custom[key] = value, leaving the receiver's map
// untouched (the copy is what flows forward).
func (c Context) WithCustom(key string, value any) Context {
	m := maps.Clone(c.Custom)
	if m == nil {
		m = map[string]any{}
	}
	m[key] = value
	c.Custom = m
	return c
}

// Before runs before the handler. It returns the context for the next
// middleware; a non-nil result short-circuits the pipeline with it.
type Before func(ctx context.Context, mc Context) (next Context, shortCircuit *command.Result, err error)

// After runs after the handler (or a short-circuit) and returns the result
// to pass on.
type After func(ctx context.Context, mc Context, r command.Result) (command.Result, error)

// Middleware is one pipeline step. Either hook may be nil; a middleware
// without Before counts as executed for the after phase.
type Middleware struct {
	Name   string
	Order  int
	Before Before
	After  After
}

// Handler executes the command for Run.
type Handler func(ctx context.Context, mc Context) (command.Result, error)

// AfterHookError reports an after hook that failed.
type AfterHookError struct {
	MiddlewareName string
	Err            error
	CommandType    string
	CommandID      string
}

// Option configures a Pipeline.
type Option func(*Pipeline)

// WithClock stamps Context.StartedAt from c (default es.RealClock).
func WithClock(c es.Clock) Option {
	return func(p *Pipeline) {
		if c != nil {
			p.clock = c
		}
	}
}

// OnAfterHookError calls fn for every after hook that fails.
func OnAfterHookError(fn func(AfterHookError)) Option {
	return func(p *Pipeline) { p.onAfterErr = fn }
}

// Pipeline is an ordered set of middlewares. It is safe for concurrent
// use: changes to the set do not affect executions already running.
type Pipeline struct {
	mu         sync.RWMutex
	mws        []Middleware // insertion order
	ordered    []Middleware // mws sorted by order; replaced, never modified
	clock      es.Clock
	onAfterErr func(AfterHookError)
}

// New returns an empty pipeline (createMiddlewarePipeline).
func New(opts ...Option) *Pipeline {
	p := &Pipeline{clock: es.RealClock{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Use adds m and returns p for chaining. A middleware with the same name
// is replaced.
func (p *Pipeline) Use(m Middleware) *Pipeline {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mws = slices.DeleteFunc(p.mws, func(x Middleware) bool { return x.Name == m.Name })
	p.mws = append(p.mws, m)
	p.reorder()
	return p
}

// reorder rebuilds the sorted snapshot; callers hold mu for writing.
func (p *Pipeline) reorder() {
	out := slices.Clone(p.mws)
	slices.SortStableFunc(out, func(a, b Middleware) int { return cmp.Compare(a.Order, b.Order) })
	p.ordered = out
}

// Remove removes the middleware named name and reports whether it existed.
func (p *Pipeline) Remove(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.mws)
	p.mws = slices.DeleteFunc(p.mws, func(x Middleware) bool { return x.Name == name })
	p.reorder()
	return len(p.mws) < n
}

// Has reports whether a middleware named name is in the pipeline.
func (p *Pipeline) Has(name string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.ContainsFunc(p.mws, func(x Middleware) bool { return x.Name == name })
}

// Size returns the number of middlewares.
func (p *Pipeline) Size() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.mws)
}

// Clear removes every middleware.
func (p *Pipeline) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mws = nil
	p.ordered = nil
}

// Clone returns an independent copy with the same middlewares and options.
func (p *Pipeline) Clone() *Pipeline {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return &Pipeline{mws: slices.Clone(p.mws), ordered: p.ordered, clock: p.clock, onAfterErr: p.onAfterErr}
}

// sorted returns the middlewares by ascending order, stable for equal
// orders (insertion order). The slice is shared: do not modify it.
func (p *Pipeline) sorted() []Middleware {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.ordered
}

// Names returns the middleware names in execution order
// (getMiddlewareNames).
func (p *Pipeline) Names() []string {
	mws := p.sorted()
	out := make([]string, len(mws))
	for i, m := range mws {
		out[i] = m.Name
	}
	return out
}

// Execute implements orchestrator.Pipeline: it runs the pipeline around
// next. Errors returned by next (aborts, and the orchestrator's
// infrastructure failures, which mean nothing was recorded) are returned
// unchanged, without after hooks.
func (p *Pipeline) Execute(ctx context.Context, info command.Info, next orchestrator.Next) (command.Result, error) {
	return p.run(ctx, Context{Info: info}, func(ctx context.Context, mc Context) (command.Result, error) {
		return next(ctx, mc.Info)
	}, true)
}

// Run runs the pipeline around h for a command described by info, with
// caller-defined custom values and raw input (execute). An empty pipeline
// just calls h. A handler error becomes a HANDLER_ERROR rejection (after
// hooks still run), except an abort, which is returned.
func (p *Pipeline) Run(ctx context.Context, info command.Info, custom map[string]any, raw any, h Handler) (command.Result, error) {
	if custom == nil {
		custom = map[string]any{}
	}
	return p.run(ctx, Context{Info: info, Custom: custom, Raw: raw}, h, false)
}

// errPanic wraps a recovered panic.
type errPanic struct{ v any }

func (e errPanic) Error() string { return fmt.Sprintf("panic: %v", e.v) }

func guard(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errPanic{v}
		}
	}()
	return f()
}

func rejected(code, reason string, ctx map[string]any) command.Result {
	return command.Result{Status: command.StatusRejected, Code: code, Reason: reason, Context: ctx}
}

func (p *Pipeline) run(ctx context.Context, mc Context, h Handler, passErrors bool) (command.Result, error) {
	mc.StartedAt = p.clock.Now()
	mws := p.sorted()
	var (
		result  command.Result
		done    = 0 // middlewares whose before completed (or who have none)
		shorted = false
	)
	for _, m := range mws {
		if m.Before == nil {
			done++
			continue
		}
		var next Context
		var sc *command.Result
		err := guard(func() error {
			var err error
			next, sc, err = m.Before(ctx, mc)
			return err
		})
		if err != nil {
			if command.IsAbort(err) {
				return command.Result{}, err
			}
			return rejected(command.CodeMiddlewareError, err.Error(), map[string]any{"middleware": m.Name}), nil
		}
		if sc != nil {
			result, shorted = *sc, true
			break
		}
		mc = next
		done++
	}
	if !shorted {
		var err error
		if passErrors {
			result, err = h(ctx, mc)
			if err != nil {
				return command.Result{}, err
			}
		} else {
			err = guard(func() error {
				var err error
				result, err = h(ctx, mc)
				return err
			})
			if err != nil {
				if command.IsAbort(err) {
					return command.Result{}, err
				}
				result = rejected(command.CodeHandlerError, err.Error(), nil)
			}
		}
	}
	for i := done - 1; i >= 0; i-- {
		m := mws[i]
		if m.After == nil {
			continue
		}
		var out command.Result
		err := guard(func() error {
			var err error
			out, err = m.After(ctx, mc, result)
			return err
		})
		if err != nil {
			if command.IsAbort(err) {
				return command.Result{}, err
			}
			if p.onAfterErr != nil {
				p.onAfterErr(AfterHookError{MiddlewareName: m.Name, Err: err,
					CommandType: mc.Info.Command.Type, CommandID: mc.Info.Command.ID})
			}
			continue
		}
		result = out
	}
	return result, nil
}

// IsPanic reports whether err is a recovered panic from a hook or handler.
func IsPanic(err error) bool {
	var p errPanic
	return errors.As(err, &p)
}
