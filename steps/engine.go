package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

// EngineConfig wires the engine vocabulary to a domain.
type EngineConfig struct {
	// Setup registers the domain on each scenario's engine: command
	// definitions, job handlers, workers. Required.
	Setup func(w *World, e *engine.Engine) error
	// Options returns extra engine options for a scenario (a middleware
	// pipeline, a seed); the engine always runs on the World's store,
	// clock and ids.
	Options func(w *World) []engine.Option
}

var (
	engineConfigsMu sync.Mutex
	engineConfigs   = map[*Suite]*EngineConfig{}
)

const engineKey = "eventspec.engine"

// RegisterEngine adds the engine vocabulary to s: commands dispatched
// through the whole engine (middleware, command log, CMS, handler or
// decider, dual write, follow-ups) on the scenario's store. Commands are
// the suite registry's command types, sent under their registered names;
// events are decoded with the registry too, so the handler vocabulary's
// Then steps ("the command should succeed", "the command should be
// rejected with code …", "the events appended are:", "the stream … should
// contain:", "no events are appended", "the result version should be …")
// apply to dispatched commands as well.
//
// Engine streams are named by the domain ("Order-o1"), so RegisterEngine
// turns the suite's stream isolation off; every scenario has its own store
// by default anyway.
//
// Steps added:
//
//	Given the command <Type> has been dispatched with:      (table; must execute)
//	When the command <Type> is dispatched with:             (table)
//	When the command <Type> is dispatched
//	When the same command is dispatched again
//	When the command <Type> is dispatched <n> times concurrently with:
//	When the engine runs until idle
//	When the engine advances by <n> <unit>s
//	Then the command status should be "<status>"
//	Then the result status should be "<status>"
//	Then the dispatch should be a duplicate | should not be a duplicate
//	Then the rejection reason should be "<text>" | should contain "<text>"
//	Then the result correlation id should be "<id>"
//	Then the result should have <n> event ids
//	Then the state of <Aggregate> "<id>" should be:          (| field | value |)
//	Then the state version of <Aggregate> "<id>" should be <n>
//	Then exactly one of the dispatches should have executed the command
//	Then all dispatches should return the same result
//	Then the command log should hold <n> commands for correlation "<id>"
//	Then the events of the command should be correlated to it
//	Then <n> jobs of kind "<kind>" should have run
//	Then the event bus should have published:                (| type | streamType | streamId | … |)
//	Then the event bus should have published nothing
//
// Every scenario's engine is wired with an event bus that records what
// successful commands publish (orchestrator.WithEventBus); the bus steps
// compare what was published by committed commands, in order, on the
// columns the table names: type, streamType, streamId, category,
// schemaVersion, boundedContext, globalPosition, correlationId,
// causationId, userId.
func RegisterEngine(s *Suite, cfg EngineConfig) {
	if cfg.Setup == nil {
		s.fail(es.Errorf(CodeInvalidDomain, "RegisterEngine: EngineConfig.Setup is required"))
		return
	}
	engineConfigsMu.Lock()
	if _, dup := engineConfigs[s]; dup {
		engineConfigsMu.Unlock()
		s.fail(es.Errorf(CodeInvalidDomain, "RegisterEngine called twice on one suite"))
		return
	}
	c := cfg
	engineConfigs[s] = &c
	engineConfigsMu.Unlock()
	s.Isolate = false
	registerEngineSteps(s)
	registerBusSteps(s)
}

// Engine returns the scenario's engine, building it on first use.
func (w *World) Engine() (*engine.Engine, error) {
	if e, ok := w.Scenario[engineKey].(*engine.Engine); ok {
		return e, nil
	}
	engineConfigsMu.Lock()
	cfg := engineConfigs[w.suite]
	engineConfigsMu.Unlock()
	if cfg == nil {
		return nil, es.Errorf(CodeInvalidDomain, "steps: the suite has no engine; call RegisterEngine")
	}
	st, err := w.Store()
	if err != nil {
		return nil, err
	}
	opts := []engine.Option{engine.WithClock(w.Clock), engine.WithIDs(w.IDs),
		engine.WithOrchestratorOptions(orchestrator.WithEventBus(w.bus()))} // cfg.Options may wire another bus
	if cfg.Options != nil {
		opts = append(opts, cfg.Options(w)...)
	}
	e := engine.New(st, opts...)
	if err := cfg.Setup(w, e); err != nil {
		return nil, es.Wrap(CodeInvalidDomain, err, "engine setup")
	}
	w.Scenario[engineKey] = e
	return e, nil
}

// engineRun is what the engine steps keep about the last dispatch.
type engineRun struct {
	cmd        command.Command
	result     command.Result
	concurrent []command.Result
}

const engineRunKey = "eventspec.engine.run"

func (w *World) engineRun() *engineRun {
	r, ok := w.Scenario[engineRunKey].(*engineRun)
	if !ok {
		r = &engineRun{}
		w.Scenario[engineRunKey] = r
	}
	return r
}

// commandFromTable builds the command of registered type name from a
// table (nil rows: the zero value).
func (w *World) commandFromTable(name string, rows [][]string) (command.Command, error) {
	entry, err := w.Registry.Resolve(given.KindCommand, name)
	if err != nil {
		return command.Command{}, err
	}
	var v any
	if rows == nil {
		v = entry.New().Interface()
	} else if v, err = entry.FromTable(rows); err != nil {
		return command.Command{}, err
	}
	return command.New(entry.Name, v)
}

// nextEnvelope applies the "Given the command id/correlation id is" steps.
func (w *World) nextEnvelope(cmd command.Command) command.Command {
	if w.cmd.nextID != "" {
		cmd.ID, w.cmd.nextID = w.cmd.nextID, ""
	} else {
		w.cmd.seq++
		cmd.ID = fmt.Sprintf("cmd_test_%03d", w.cmd.seq)
	}
	if w.cmd.correlation != "" {
		cmd.Metadata.CorrelationID = w.cmd.correlation
	}
	return cmd
}

// Dispatch runs cmd through the scenario's engine and records a
// *CommandResult (the handler vocabulary's result type) in LastResult, or
// the error in LastErr.
func (w *World) Dispatch(ctx context.Context, cmd command.Command) error {
	e, err := w.Engine()
	if err != nil {
		return err
	}
	st := e.Store()
	if w.cmd.headBefore, err = logHead(ctx, st); err != nil {
		return err
	}
	w.cmd.sent = true
	run := w.engineRun()
	run.cmd, run.concurrent = cmd, nil
	res, err := e.Dispatch(ctx, cmd)
	if err != nil {
		run.result = command.Result{}
		return w.Capture(nil, err)
	}
	run.result = res
	cr, err := w.commandResult(ctx, st, cmd, res)
	if err != nil {
		return w.Capture(nil, err)
	}
	return w.Capture(cr, nil)
}

// commandResult maps an engine result onto the handler vocabulary's
// CommandResult, with the recorded events decoded by the registry.
func (w *World) commandResult(ctx context.Context, st store.Store, cmd command.Command, res command.Result) (*CommandResult, error) {
	cr := &CommandResult{Command: cmd.Type, Handler: "engine", Stream: string(res.Stream), Code: res.Code, Reason: res.Reason,
		Context: res.Context, Version: res.Version, EventIDs: res.EventIDs}
	switch {
	case res.Status == command.StatusExecuted:
		cr.Status = decider.StatusSuccess
	case res.Status == command.StatusRejected:
		cr.Status, cr.Message, cr.Reason = decider.StatusRejected, res.Reason, ""
	default:
		cr.Status = decider.StatusFailed
	}
	if len(res.Data) > 0 {
		var data any
		if err := json.Unmarshal(res.Data, &data); err == nil {
			cr.Data = data
		}
	}
	if cr.Version > 0 && len(res.EventIDs) > 0 {
		cr.ExpectedVersion = cr.Version - es.Version(len(res.EventIDs))
	} else {
		cr.ExpectedVersion = cr.Version
	}
	if len(res.EventIDs) == 0 || res.Duplicate {
		return cr, nil
	}
	recs, err := readStreamAll(ctx, st, res.Stream)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range res.EventIDs {
		want[id] = true
	}
	codec := given.Codec[any](w.Registry)
	for _, rec := range recs {
		if !want[rec.Metadata.EventID] {
			continue
		}
		v, err := codec.Decode(rec)
		if err != nil {
			return nil, fmt.Errorf("decoding recorded event %s: %w", rec.Type, err)
		}
		cr.Appended = append(cr.Appended, rec.Event)
		cr.Positions = append(cr.Positions, rec.Position)
		cr.Events = append(cr.Events, given.Typed{Name: rec.Type, Value: v})
		w.cmd.eventIDs = append(w.cmd.eventIDs, rec.Metadata.EventID)
	}
	return cr, nil
}

func lastEngineResult(ctx context.Context) (*World, *engineRun, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !w.cmd.sent {
		return w, nil, failf("no command has been dispatched yet")
	}
	if w.LastErr != nil {
		return w, nil, failf("expected a command result, but the dispatch failed with %v", w.LastErr)
	}
	return w, w.engineRun(), nil
}

// fieldText renders a JSON value for comparison with a table cell.
func fieldText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// lookupPath finds a dot-separated path in a decoded JSON object.
func lookupPath(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func (w *World) cms(ctx context.Context, aggType, id string) (orchestrator.CMSDocument, error) {
	e, err := w.Engine()
	if err != nil {
		return orchestrator.CMSDocument{}, err
	}
	var doc store.Document
	err = e.Store().Atomic(ctx, func(tx store.Tx) error {
		var err error
		doc, err = tx.Documents().Get(ctx, orchestrator.CMSCollectionPrefix+aggType, id)
		return err
	})
	if es.CodeOf(err) == es.CodeNotFound {
		return orchestrator.CMSDocument{}, failf("%s %q has no stored state", aggType, id)
	}
	if err != nil {
		return orchestrator.CMSDocument{}, err
	}
	var c orchestrator.CMSDocument
	if err := json.Unmarshal(doc.Data, &c); err != nil {
		return c, err
	}
	return c, nil
}

func registerEngineSteps(s *Suite) {
	s.Given(`^the command (\S+) has been dispatched with:$`, func(ctx context.Context, name string, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		cmd, err := w.commandFromTable(name, Rows(t))
		if err != nil {
			return err
		}
		e, err := w.Engine()
		if err != nil {
			return err
		}
		w.cmd.seq++
		cmd.ID = fmt.Sprintf("cmd_given_%03d", w.cmd.seq)
		res, err := e.Dispatch(ctx, cmd)
		if err != nil {
			return err
		}
		if res.Status != command.StatusExecuted {
			return failf("given command %s was %s (%s %s), not executed", name, res.Status, res.Code, res.Reason)
		}
		return nil
	})
	dispatch := func(ctx context.Context, name string, rows [][]string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		cmd, err := w.commandFromTable(name, rows)
		if err != nil {
			return err
		}
		return w.Dispatch(ctx, w.nextEnvelope(cmd))
	}
	s.When(`^the command (\S+) is dispatched with:$`, func(ctx context.Context, name string, t *godog.Table) error {
		return dispatch(ctx, name, Rows(t))
	})
	s.When(`^the command (\S+) is dispatched$`, func(ctx context.Context, name string) error {
		return dispatch(ctx, name, nil)
	})
	s.When(`^the same command is dispatched again$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		run := w.engineRun()
		if run.cmd.Type == "" {
			return failf("no command has been dispatched yet")
		}
		return w.Dispatch(ctx, run.cmd)
	})
	s.When(`^the command (\S+) is dispatched (\d+) times concurrently with:$`, func(ctx context.Context, name string, n int, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		cmd, err := w.commandFromTable(name, Rows(t))
		if err != nil {
			return err
		}
		cmd = w.nextEnvelope(cmd)
		e, err := w.Engine()
		if err != nil {
			return err
		}
		if w.cmd.headBefore, err = logHead(ctx, e.Store()); err != nil {
			return err
		}
		results := make([]command.Result, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				results[i], errs[i] = e.Dispatch(ctx, cmd)
			}()
		}
		close(gate)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return w.Capture(nil, fmt.Errorf("dispatch %d of %d: %w", i+1, n, err))
			}
		}
		w.cmd.sent = true
		run := w.engineRun()
		run.cmd, run.concurrent = cmd, results
		for _, r := range results {
			if !r.Duplicate {
				run.result = r
			}
		}
		cr, err := w.commandResult(ctx, e.Store(), cmd, run.result)
		if err != nil {
			return w.Capture(nil, err)
		}
		return w.Capture(cr, nil)
	})
	s.When(`^the engine runs until idle$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		e, err := w.Engine()
		if err != nil {
			return err
		}
		return e.RunUntilIdle(ctx)
	})
	s.When(`^the engine advances by (\d+) `+unitPattern+`$`, func(ctx context.Context, n int, unit string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		e, err := w.Engine()
		if err != nil {
			return err
		}
		return e.Advance(ctx, time.Duration(n)*units[unit])
	})

	s.Then(`^the command status should be "?(pending|executed|rejected|failed)"?$`, func(ctx context.Context, status string) error {
		w, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		e, err := w.Engine()
		if err != nil {
			return err
		}
		c, err := commandbus.New(e.Store(), e.Clock()).Get(ctx, run.result.CommandID)
		if err != nil {
			return err
		}
		if c == nil {
			return failf("command %s is not in the command log", run.result.CommandID)
		}
		if string(c.Status) != status {
			return failf("expected command %s to have status %s in the command log, got %s", run.result.CommandID, status, c.Status)
		}
		return nil
	})
	s.Then(`^the result status should be "?(executed|rejected|failed)"?$`, func(ctx context.Context, status string) error {
		_, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		if string(run.result.Status) != status {
			return failf("expected result status %s, got %s (code %q, reason %q)", status, run.result.Status, run.result.Code, run.result.Reason)
		}
		return nil
	})
	s.Then(`^the dispatch should (not )?be a duplicate$`, func(ctx context.Context, not string) error {
		_, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		if run.result.Duplicate == (not != "") {
			return failf("expected duplicate = %v, got %v", not == "", run.result.Duplicate)
		}
		return nil
	})
	s.Then(`^the rejection reason should (be|contain) "(.*)"$`, func(ctx context.Context, how, want string) error {
		_, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		r := run.result
		if r.Status != command.StatusRejected {
			return failf("expected a rejection, got %s", r.Status)
		}
		return matchText("rejection reason", how, want, r.Reason)
	})
	s.Then(`^the result correlation id should be "([^"]*)"$`, func(ctx context.Context, id string) error {
		_, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		if run.result.CorrelationID != id {
			return failf("expected correlation id %q, got %q", id, run.result.CorrelationID)
		}
		return nil
	})
	s.Then(`^the result should have (\d+) event ids?$`, func(ctx context.Context, n int) error {
		_, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		if len(run.result.EventIDs) != n {
			return failf("expected %d event id(s), got %v", n, run.result.EventIDs)
		}
		return nil
	})
	s.Then(`^the state of (\S+) "([^"]*)" should be:$`, func(ctx context.Context, aggType, id string, t *godog.Table) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		c, err := w.cms(ctx, aggType, id)
		if err != nil {
			return err
		}
		var state map[string]any
		if err := json.Unmarshal(c.State, &state); err != nil {
			return failf("the state of %s %q is not an object: %s", aggType, id, c.State)
		}
		var problems []string
		rows := Rows(t)
		if len(rows) > 0 && len(rows[0]) == 2 && strings.EqualFold(rows[0][0], "field") && strings.EqualFold(rows[0][1], "value") {
			rows = rows[1:]
		}
		for i, row := range rows {
			if len(row) != 2 {
				return es.Errorf(es.CodeInvalidArgument, "state table row %d: want | field | value |, got %d cells", i+1, len(row))
			}
			got, ok := lookupPath(state, row[0])
			switch {
			case !ok && row[1] != "":
				problems = append(problems, fmt.Sprintf("%s: expected %q, absent", row[0], row[1]))
			case ok && fieldText(got) != row[1]:
				problems = append(problems, fmt.Sprintf("%s: expected %q, got %q", row[0], row[1], fieldText(got)))
			}
		}
		if len(problems) > 0 {
			return failf("state of %s %q differs:\n  %s\n(stored state %s)", aggType, id, strings.Join(problems, "\n  "), c.State)
		}
		return nil
	})
	s.Then(`^the state version of (\S+) "([^"]*)" should be (\d+)$`, func(ctx context.Context, aggType, id string, v int64) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		c, err := w.cms(ctx, aggType, id)
		if err != nil {
			return err
		}
		if c.Version != v {
			return failf("expected the state of %s %q at version %d, got %d", aggType, id, v, c.Version)
		}
		return nil
	})
	s.Then(`^exactly one of the dispatches should have executed the command$`, func(ctx context.Context) error {
		_, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		firsts := 0
		for _, r := range run.concurrent {
			if !r.Duplicate {
				firsts++
			}
		}
		if len(run.concurrent) == 0 || firsts != 1 {
			return failf("expected exactly one of %d concurrent dispatches to execute the command, %d did", len(run.concurrent), firsts)
		}
		return nil
	})
	s.Then(`^all dispatches should return the same result$`, func(ctx context.Context) error {
		_, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		if len(run.concurrent) == 0 {
			return failf("no concurrent dispatches were made")
		}
		norm := func(r command.Result) string {
			r.Duplicate = false
			raw, _ := json.Marshal(r)
			return string(raw)
		}
		first := norm(run.concurrent[0])
		for i, r := range run.concurrent[1:] {
			if got := norm(r); got != first {
				return failf("dispatch %d returned %s, dispatch 1 returned %s", i+2, got, first)
			}
		}
		return nil
	})
	s.Then(`^the command log should hold (\d+) commands? for correlation "([^"]*)"$`, func(ctx context.Context, n int, corr string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		e, err := w.Engine()
		if err != nil {
			return err
		}
		page, err := commandbus.New(e.Store(), e.Clock()).ByCorrelation(ctx, corr, commandbus.MaxPageSize, "")
		if err != nil {
			return err
		}
		if len(page.Commands) != n {
			var got []string
			for _, c := range page.Commands {
				got = append(got, c.CommandType+"("+string(c.Status)+")")
			}
			return failf("expected %d command(s) for correlation %q, got %d: %s", n, corr, len(page.Commands), strings.Join(got, ", "))
		}
		return nil
	})
	s.Then(`^the events of the command should be correlated to it$`, func(ctx context.Context) error {
		w, run, err := lastEngineResult(ctx)
		if err != nil {
			return err
		}
		e, err := w.Engine()
		if err != nil {
			return err
		}
		c, err := commandbus.New(e.Store(), e.Clock()).EventsByCommand(ctx, run.result.CommandID)
		if err != nil {
			return err
		}
		if c == nil || strings.Join(c.EventIDs, ",") != strings.Join(run.result.EventIDs, ",") || len(c.EventIDs) == 0 {
			return failf("expected the correlation of %s to list %v, got %+v", run.result.CommandID, run.result.EventIDs, c)
		}
		return nil
	})
	s.Then(`^(\d+) jobs? of kind "([^"]*)" should have run$`, func(ctx context.Context, n int, kind string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		e, err := w.Engine()
		if err != nil {
			return err
		}
		ran := e.Stats().JobsRunByKind
		if got := ran[kind]; got != n {
			var kinds []string
			for k, v := range ran {
				kinds = append(kinds, fmt.Sprintf("%s×%d", k, v))
			}
			sort.Strings(kinds)
			return failf("expected %d job(s) of kind %q to have run, got %d (ran: %s)", n, kind, got, strings.Join(kinds, ", "))
		}
		return nil
	})
}
