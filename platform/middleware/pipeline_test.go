package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/middleware"
)

func info(typ string, payload string) command.Info {
	return command.Info{
		Command: command.Command{ID: "cmd_1", Type: typ, Payload: json.RawMessage(payload),
			Metadata: command.Metadata{CorrelationID: "corr_1", UserID: "alice"}},
		BoundedContext: "orders", Category: command.CategoryAggregate,
		TargetAggregate: &command.AggregateTarget{Type: "Order", IDField: "orderId"},
	}
}

var executed = command.Result{Status: command.StatusExecuted, EventIDs: []string{"e1"}}

// tracer records hook calls.
type tracer struct {
	mu    sync.Mutex
	calls []string
}

func (tr *tracer) add(s string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.calls = append(tr.calls, s)
}

func (tr *tracer) mw(name string, order int) middleware.Middleware {
	return middleware.Middleware{Name: name, Order: order,
		Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			tr.add("before:" + name)
			return mc, nil, nil
		},
		After: func(_ context.Context, _ middleware.Context, r command.Result) (command.Result, error) {
			tr.add("after:" + name)
			return r, nil
		}}
}

func (tr *tracer) handler(r command.Result, err error) middleware.Handler {
	return func(context.Context, middleware.Context) (command.Result, error) {
		tr.add("handler")
		return r, err
	}
}

func TestEmptyPipelineRunsTheHandler(t *testing.T) {
	tr := &tracer{}
	got, err := middleware.New().Run(context.Background(), info("CreateOrder", `{}`), nil, nil, tr.handler(executed, nil))
	if err != nil || !cmp.Equal(got, executed) || !cmp.Equal(tr.calls, []string{"handler"}) {
		t.Errorf("got %+v %v calls %v", got, err, tr.calls)
	}
}

func TestOrderAndSetOperations(t *testing.T) {
	tr := &tracer{}
	p := middleware.New()
	if p.Use(tr.mw("c", 30)).Use(tr.mw("a", 10)).Use(tr.mw("b", 20)).Use(tr.mw("b2", 20)) != p {
		t.Fatal("Use does not chain")
	}
	if got := p.Names(); !cmp.Equal(got, []string{"a", "b", "b2", "c"}) {
		t.Errorf("Names = %v", got)
	}
	_, err := p.Run(context.Background(), info("X", `{}`), nil, nil, tr.handler(executed, nil))
	want := []string{"before:a", "before:b", "before:b2", "before:c", "handler", "after:c", "after:b2", "after:b", "after:a"}
	if err != nil || !cmp.Equal(tr.calls, want) {
		t.Errorf("calls = %v", tr.calls)
	}
	if p.Size() != 4 || !p.Has("b") || p.Has("z") {
		t.Error("Size/Has")
	}
	if !p.Remove("b") || p.Remove("b") || p.Has("b") || p.Size() != 3 {
		t.Error("Remove")
	}
	clone := p.Clone()
	clone.Use(tr.mw("d", 5))
	if p.Has("d") || clone.Size() != 4 || p.Size() != 3 {
		t.Error("Clone is not independent")
	}
	p.Use(tr.mw("a", 99)) // same name replaces
	if got := p.Names(); !cmp.Equal(got, []string{"b2", "c", "a"}) {
		t.Errorf("after replace Names = %v", got)
	}
	p.Clear()
	if p.Size() != 0 || len(p.Names()) != 0 || clone.Size() != 4 {
		t.Error("Clear")
	}
}

func TestContextEnrichmentFlowsForward(t *testing.T) {
	clk := es.NewVirtualClock(time.Time{})
	p := middleware.New(middleware.WithClock(clk))
	p.Use(middleware.Middleware{Name: "auth", Order: 1, Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
		return mc.WithCustom("userRole", "admin"), nil, nil
	}})
	p.Use(middleware.Middleware{Name: "tenant", Order: 2, Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
		mc = mc.WithCustom("seenRole", mc.Custom["userRole"])
		mc.Info.Command.Payload = json.RawMessage(`{"normalised":true}`)
		return mc, nil, nil
	}})
	var seen middleware.Context
	custom := map[string]any{"requestId": "r1"}
	_, err := p.Run(context.Background(), info("X", `{}`), custom, "raw-input", func(_ context.Context, mc middleware.Context) (command.Result, error) {
		seen = mc
		return executed, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"requestId": "r1", "userRole": "admin", "seenRole": "admin"}
	if !cmp.Equal(seen.Custom, want) || string(seen.Command().Payload) != `{"normalised":true}` ||
		seen.Raw != "raw-input" || !seen.StartedAt.Equal(es.DefaultVirtualStart) {
		t.Errorf("handler saw %+v", seen)
	}
	if !cmp.Equal(custom, map[string]any{"requestId": "r1"}) {
		t.Errorf("caller's custom map modified: %v", custom)
	}
}

func TestShortCircuit(t *testing.T) {
	tr := &tracer{}
	p := middleware.New()
	p.Use(tr.mw("first", 10))
	p.Use(middleware.Middleware{Name: "afterOnly", Order: 15, After: func(_ context.Context, _ middleware.Context, r command.Result) (command.Result, error) {
		tr.add("after:afterOnly")
		r.Reason += " (seen by afterOnly)"
		return r, nil
	}})
	stop := command.Result{Status: command.StatusRejected, Code: "STOP", Reason: "stopped"}
	p.Use(middleware.Middleware{Name: "stopper", Order: 20,
		Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			tr.add("before:stopper")
			return mc, &stop, nil
		},
		After: func(_ context.Context, _ middleware.Context, r command.Result) (command.Result, error) {
			tr.add("after:stopper")
			return r, nil
		}})
	p.Use(tr.mw("later", 30))
	got, err := p.Run(context.Background(), info("X", `{}`), nil, nil, tr.handler(executed, nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := (command.Result{Status: command.StatusRejected, Code: "STOP", Reason: "stopped (seen by afterOnly)"}); !cmp.Equal(got, want) {
		t.Errorf("result = %+v", got)
	}
	if want := []string{"before:first", "before:stopper", "after:afterOnly", "after:first"}; !cmp.Equal(tr.calls, want) {
		t.Errorf("calls = %v", tr.calls)
	}
}

func TestBeforeHookErrorRejectsWithoutAfterHooks(t *testing.T) {
	for name, hook := range map[string]func() error{
		"error": func() error { return errors.New("directory unavailable") },
		"panic": func() error { panic("directory unavailable") },
	} {
		tr := &tracer{}
		p := middleware.New().Use(tr.mw("first", 1)).Use(middleware.Middleware{Name: "lookup", Order: 2,
			Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
				return mc, nil, hook()
			}})
		got, err := p.Run(context.Background(), info("X", `{}`), nil, nil, tr.handler(executed, nil))
		reason := "directory unavailable"
		if name == "panic" {
			reason = "panic: directory unavailable"
		}
		want := command.Result{Status: command.StatusRejected, Code: "MIDDLEWARE_ERROR", Reason: reason, Context: map[string]any{"middleware": "lookup"}}
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("%s: result = %+v %v", name, got, err)
		}
		if !cmp.Equal(tr.calls, []string{"before:first"}) {
			t.Errorf("%s: calls = %v (no after hooks, no handler)", name, tr.calls)
		}
	}
}

func TestHandlerErrorRejectsAndAfterHooksRun(t *testing.T) {
	tr := &tracer{}
	p := middleware.New().Use(tr.mw("a", 1))
	got, err := p.Run(context.Background(), info("X", `{}`), nil, nil, tr.handler(command.Result{}, errors.New("db down")))
	if err != nil || !cmp.Equal(got, command.Result{Status: command.StatusRejected, Code: "HANDLER_ERROR", Reason: "db down"}) {
		t.Errorf("result = %+v %v", got, err)
	}
	if !cmp.Equal(tr.calls, []string{"before:a", "handler", "after:a"}) {
		t.Errorf("calls = %v", tr.calls)
	}
	got, _ = p.Run(context.Background(), info("X", `{}`), nil, nil, func(context.Context, middleware.Context) (command.Result, error) { panic("boom") })
	if got.Code != "HANDLER_ERROR" || got.Reason != "panic: boom" {
		t.Errorf("handler panic = %+v", got)
	}
}

func TestAfterHookErrorsAreReportedAndIgnored(t *testing.T) {
	var reports []middleware.AfterHookError
	tr := &tracer{}
	p := middleware.New(middleware.OnAfterHookError(func(e middleware.AfterHookError) { reports = append(reports, e) }))
	p.Use(tr.mw("outer", 1))
	p.Use(middleware.Middleware{Name: "broken", Order: 2, After: func(context.Context, middleware.Context, command.Result) (command.Result, error) {
		return command.Result{Status: command.StatusFailed}, errors.New("metrics sink down")
	}})
	p.Use(middleware.Middleware{Name: "panicky", Order: 3, After: func(context.Context, middleware.Context, command.Result) (command.Result, error) {
		panic("nil map")
	}})
	got, err := p.Run(context.Background(), info("CreateOrder", `{}`), nil, nil, tr.handler(executed, nil))
	if err != nil || !cmp.Equal(got, executed) {
		t.Errorf("result = %+v %v", got, err)
	}
	if !cmp.Equal(tr.calls, []string{"before:outer", "handler", "after:outer"}) {
		t.Errorf("calls = %v", tr.calls)
	}
	if len(reports) != 2 || reports[0].MiddlewareName != "panicky" || reports[1].MiddlewareName != "broken" ||
		reports[1].Err.Error() != "metrics sink down" || reports[1].CommandType != "CreateOrder" || reports[1].CommandID != "cmd_1" ||
		!middleware.IsPanic(reports[0].Err) || middleware.IsPanic(reports[1].Err) {
		t.Errorf("reports = %+v", reports)
	}
	// Without a callback the error is silently ignored.
	p2 := middleware.New().Use(middleware.Middleware{Name: "broken", After: func(context.Context, middleware.Context, command.Result) (command.Result, error) {
		return command.Result{}, errors.New("x")
	}})
	if got, err := p2.Run(context.Background(), info("X", `{}`), nil, nil, tr.handler(executed, nil)); err != nil || !cmp.Equal(got, executed) {
		t.Errorf("no callback: %+v %v", got, err)
	}
}

func TestAbortErrorsAreRethrownFromAnywhere(t *testing.T) {
	abort := &command.AbortError{ErrCode: command.CodeEventStoreConflict, Message: "stream moved"}
	ok := func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
		return mc, nil, nil
	}
	cases := map[string]struct {
		mw middleware.Middleware
		h  middleware.Handler
	}{
		"before": {middleware.Middleware{Name: "m", Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			return mc, nil, fmt.Errorf("wrapped: %w", abort)
		}}, nil},
		"handler": {middleware.Middleware{Name: "m", Before: ok}, func(context.Context, middleware.Context) (command.Result, error) { return command.Result{}, abort }},
		"after": {middleware.Middleware{Name: "m", After: func(context.Context, middleware.Context, command.Result) (command.Result, error) {
			return command.Result{}, abort
		}}, nil},
	}
	for name, tc := range cases {
		h := tc.h
		if h == nil {
			h = func(context.Context, middleware.Context) (command.Result, error) { return executed, nil }
		}
		_, err := middleware.New().Use(tc.mw).Run(context.Background(), info("X", `{}`), nil, nil, h)
		var ae *command.AbortError
		if !errors.As(err, &ae) || ae != abort {
			t.Errorf("%s: err = %v, want the abort", name, err)
		}
	}
}

func TestExecuteAdaptsToTheOrchestrator(t *testing.T) {
	p := middleware.New().Use(middleware.Middleware{Name: "norm", Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
		mc.Info.Command.Payload = json.RawMessage(`{"orderId":"O-1"}`)
		return mc, nil, nil
	}})
	var got command.Info
	res, err := p.Execute(context.Background(), info("CreateOrder", `{"orderId":"o-1"}`), func(_ context.Context, in command.Info) (command.Result, error) {
		got = in
		return executed, nil
	})
	if err != nil || !cmp.Equal(res, executed) || string(got.Command.Payload) != `{"orderId":"O-1"}` || got.BoundedContext != "orders" {
		t.Errorf("Execute = %+v %v, next saw %+v", res, err, got)
	}
	// Errors from next mean nothing was recorded: passed through unchanged,
	// after hooks skipped.
	storeDown := es.Errorf(es.CodeClosed, "store closed")
	afterRan := false
	p.Use(middleware.Middleware{Name: "after", After: func(_ context.Context, _ middleware.Context, r command.Result) (command.Result, error) {
		afterRan = true
		return r, nil
	}})
	_, err = p.Execute(context.Background(), info("X", `{}`), func(context.Context, command.Info) (command.Result, error) { return command.Result{}, storeDown })
	if err != storeDown || afterRan {
		t.Errorf("next error = %v, after ran %v", err, afterRan)
	}
}

func TestConcurrentExecutionAndChanges(t *testing.T) {
	p := middleware.New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p.Use(middleware.Middleware{Name: fmt.Sprint("m", i), Order: i, Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
				return mc.WithCustom(fmt.Sprint("k", i), i), nil, nil
			}})
		}()
		go func() {
			defer wg.Done()
			for range 10 {
				res, err := p.Run(context.Background(), info("X", `{}`), nil, nil, func(context.Context, middleware.Context) (command.Result, error) { return executed, nil })
				if err != nil || res.Status != command.StatusExecuted {
					t.Errorf("run = %+v %v", res, err)
				}
			}
		}()
	}
	wg.Wait()
	if p.Size() != 8 || strings.Join(p.Names(), ",") != "m0,m1,m2,m3,m4,m5,m6,m7" {
		t.Errorf("names = %v", p.Names())
	}
}
