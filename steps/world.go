package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

type worldKey struct{}

// World is the state of one scenario. Every scenario gets a new World (in
// the context.Context its steps receive; see WorldFrom), so nothing leaks
// from one scenario to the next. When steps record what happened in
// LastResult and LastErr instead of failing; Then steps assert on them.
type World struct {
	// Name is the scenario's name.
	Name string
	// RunID is unique per scenario within a run; Prefix and StreamID use
	// it to isolate the scenario's streams in a shared store.
	RunID string
	// Clock is the scenario's virtual clock (it starts at
	// es.DefaultVirtualStart); IDs its sequential id source.
	Clock *es.VirtualClock
	IDs   *es.SequentialIDs
	// Registry is the suite's type registry.
	Registry *given.Registry
	// LastResult and LastErr are what the last When step produced.
	LastResult any
	LastErr    error
	// Scenario is a free-form bag for project steps.
	Scenario map[string]any

	suite    *Suite
	store    store.Store
	cleanups []func() error

	dec     deciderState
	cmd     commandState
	fsm     *fsmEntry
	stateOf string // aggregate whose state the world holds
}

// WorldFrom returns the World of the scenario ctx belongs to, or nil
// outside a scenario.
func WorldFrom(ctx context.Context) *World {
	w, _ := ctx.Value(worldKey{}).(*World)
	return w
}

// world is WorldFrom for built-in steps: a missing World is an error.
func world(ctx context.Context) (*World, error) {
	if w := WorldFrom(ctx); w != nil {
		return w, nil
	}
	return nil, es.Errorf(CodeInvalidStep, "steps: no World in the context; register the suite with Suite.InitializeScenario")
}

func (s *Suite) newWorld(name string) (*World, error) {
	w := &World{
		Name:     name,
		RunID:    s.nextRunID(),
		Clock:    es.NewVirtualClock(es.DefaultVirtualStart),
		IDs:      es.NewSequentialIDs(),
		Registry: s.Registry,
		Scenario: map[string]any{},
		suite:    s,
	}
	s.mu.Lock()
	before := append([]func(*World) error(nil), s.before...)
	s.mu.Unlock()
	for _, fn := range before {
		if err := fn(w); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func defaultStore(w *World) (store.Store, error) {
	return memstore.New(memstore.WithClock(w.Clock), memstore.WithIDs(w.IDs)), nil
}

// Reset clears what steps recorded — LastResult, LastErr, Scenario and the
// decider, command and FSM state — but keeps the store, the clock and the
// run id (the backend handle survives a reset).
func (w *World) Reset() {
	w.LastResult, w.LastErr = nil, nil
	w.Scenario = map[string]any{}
	w.dec = deciderState{}
	w.cmd = commandState{}
	w.fsm = nil
	w.stateOf = ""
}

// Capture records the outcome of a When step: LastResult = result and
// LastErr = err. It returns nil so a When step can end with
// `return w.Capture(x, err)`: expected failures are asserted by Then
// steps, not raised by the When step.
func (w *World) Capture(result any, err error) error {
	w.LastResult, w.LastErr = result, err
	return nil
}

// Store returns the scenario's store, opening it on first use with the
// suite's NewStore. It is closed after the scenario.
func (w *World) Store() (store.Store, error) {
	if w.store != nil {
		return w.store, nil
	}
	if w.suite == nil || w.suite.NewStore == nil {
		return nil, es.Errorf(CodeInvalidDomain, "steps: the suite has no NewStore")
	}
	st, err := w.suite.NewStore(w)
	if err != nil {
		return nil, err
	}
	w.store = st
	w.Cleanup(st.Close)
	return st, nil
}

// Cleanup registers fn to run after the scenario, last registered first.
func (w *World) Cleanup(fn func() error) {
	w.cleanups = append(w.cleanups, fn)
}

func (w *World) close() error {
	var errs []error
	for i := len(w.cleanups) - 1; i >= 0; i-- {
		if err := w.cleanups[i](); err != nil {
			errs = append(errs, err)
		}
	}
	w.cleanups = nil
	return joinErrors(errs)
}

// Prefix returns id prefixed with the run id ("<runID>_<id>") when the
// suite isolates scenarios, else id.
func (w *World) Prefix(id string) string {
	if w.suite != nil && !w.suite.Isolate {
		return id
	}
	return w.RunID + "_" + id
}

// Unprefix strips the run-id prefix Prefix adds.
func (w *World) Unprefix(id string) string {
	return strings.TrimPrefix(id, w.RunID+"_")
}

// StreamID is the stream a step's text names, isolated by Prefix.
func (w *World) StreamID(id string) es.StreamID { return es.StreamID(w.Prefix(id)) }

// Rows converts a godog table to the [][]string the given package decodes.
func Rows(t *godog.Table) [][]string {
	if t == nil {
		return nil
	}
	out := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		row := make([]string, len(r.Cells))
		for j, c := range r.Cells {
			row[j] = c.Value
		}
		out[i] = row
	}
	return out
}

// failf builds the error of a failed Then step.
func failf(format string, args ...any) error {
	return es.Errorf(CodeStepFailed, format, args...)
}

// unquote strips one pair of surrounding double quotes.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// splitNames splits a comma-separated list of names; "" is an empty list.
func splitNames(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// describeErr renders an error with its code for messages.
func describeErr(err error) string {
	if err == nil {
		return "no error"
	}
	return fmt.Sprintf("error %v", err)
}

// errorf builds an INVALID_ARGUMENT error about the suite's options.
func errorf(format string, args ...any) error {
	return es.Errorf(es.CodeInvalidArgument, format, args...)
}
