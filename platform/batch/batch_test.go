package batch_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/batch"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
)

func cmd(typ string, payload map[string]any) command.Command { return command.MustNew(typ, payload) }

func add(order string) command.Command {
	return cmd("AddItem", map[string]any{"orderId": order, "sku": "a", "qty": 1})
}

func lookup(t *testing.T) *registry.Registry {
	t.Helper()
	r := registry.New()
	if err := enginetest.Register(r); err != nil {
		t.Fatal(err)
	}
	nop := func(context.Context, *command.HandlerContext) (command.HandlerResult, error) {
		return command.Success(nil, 0), nil
	}
	must := func(_ registry.Registration, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(registry.DefineProcess(r, registry.ProcessDef{CommandType: "StartFulfilment", BoundedContext: "orders", TargetProcess: "f", ProcessIDField: "pid", Handler: nop}))
	must(registry.DefineAggregate(r, registry.AggregateDef{CommandType: "ReserveStock", BoundedContext: "inventory", TargetAggregate: "Stock", AggregateIDField: "sku", Handler: nop}))
	must(registry.DefineAggregate(r, registry.AggregateDef{CommandType: "RenameCart", BoundedContext: "orders", TargetAggregate: "Cart", AggregateIDField: "orderId", Handler: nop}))
	return r
}

func codes(v batch.ValidationResult) []string {
	var out []string
	for _, e := range v.Errors {
		s := e.Code
		if e.CommandIndex != nil {
			s += fmt.Sprintf("@%d", *e.CommandIndex)
		}
		out = append(out, s)
	}
	return out
}

func TestValidateSizes(t *testing.T) {
	v := batch.Validate(nil, batch.Options{}, nil)
	if v.Valid || !slices.Equal(codes(v), []string{"EMPTY_BATCH"}) {
		t.Fatalf("empty: %+v", v)
	}
	big := make([]command.Command, 101)
	for i := range big {
		big[i] = add("o1")
	}
	v = batch.Validate(big, batch.Options{}, nil)
	if v.Valid || !slices.Equal(codes(v), []string{"BATCH_TOO_LARGE"}) || v.Errors[0].Context["maxBatchSize"] != 100 || v.Errors[0].Context["actualSize"] != 101 {
		t.Fatalf("101 commands: %+v", v)
	}
	if v := batch.Validate(big[:100], batch.Options{}, nil); !v.Valid {
		t.Fatalf("exactly 100: %+v", v)
	}
	if v := batch.Validate(big[:3], batch.Options{MaxBatchSize: 2}, nil); v.Valid || v.Errors[0].Context["maxBatchSize"] != 2 {
		t.Fatalf("custom max: %+v", v)
	}
	if v := batch.Validate(big[:1], batch.Options{Mode: "sideways"}, nil); v.Valid || v.Errors[0].Code != batch.CodeInvalidMode {
		t.Fatalf("bad mode: %+v", v)
	}
}

func TestValidateWithoutLookup(t *testing.T) {
	cmds := []command.Command{add("o1"), add("o1")}
	cases := []struct {
		name string
		cmds []command.Command
		opts batch.Options
		want []string
	}{
		{"partial anything", []command.Command{add("o1"), add("o2"), cmd("X", nil)}, batch.Options{Mode: batch.Partial}, nil},
		{"atomic no id", cmds, batch.Options{Mode: batch.Atomic, AggregateIDField: "orderId"}, []string{"MISSING_AGGREGATE_ID"}},
		{"atomic no field", cmds, batch.Options{Mode: batch.Atomic, AggregateID: "o1"}, []string{"MISSING_AGGREGATE_ID"}},
		{"atomic same", cmds, batch.Options{Mode: batch.Atomic, AggregateID: "o1", AggregateIDField: "orderId"}, nil},
		{"atomic cross", []command.Command{add("o1"), add("o2"), cmd("AddItem", map[string]any{"orderId": 7})},
			batch.Options{Mode: batch.Atomic, AggregateID: "o1", AggregateIDField: "orderId"}, []string{"CROSS_AGGREGATE_ATOMIC@1", "CROSS_AGGREGATE_ATOMIC@2"}},
	}
	for _, c := range cases {
		v := batch.Validate(c.cmds, c.opts, nil)
		if v.Valid != (c.want == nil) || !slices.Equal(codes(v), c.want) {
			t.Errorf("%s: %v (valid %v), want %v", c.name, codes(v), v.Valid, c.want)
		}
	}
	v := batch.Validate([]command.Command{add("o1"), add("o2")}, batch.Options{Mode: batch.Atomic, AggregateID: "o1", AggregateIDField: "orderId"}, nil)
	if ctx := v.Errors[0].Context; ctx["expected"] != "o1" || ctx["actual"] != "o2" || ctx["field"] != "orderId" {
		t.Fatalf("cross context = %v", ctx)
	}
}

func TestValidateWithLookup(t *testing.T) {
	r := lookup(t)
	cases := []struct {
		name string
		cmds []command.Command
		opts batch.Options
		want []string
	}{
		{"unregistered collected", []command.Command{add("o1"), cmd("Nope", nil), cmd("Nada", nil)}, batch.Options{}, []string{"UNREGISTERED_COMMAND@1", "UNREGISTERED_COMMAND@2"}},
		{"wrong context", []command.Command{add("o1"), cmd("ReserveStock", map[string]any{"sku": "a"})}, batch.Options{BoundedContext: "orders"}, []string{"WRONG_BOUNDED_CONTEXT@1"}},
		{"partial cross-context allowed", []command.Command{add("o1"), cmd("ReserveStock", map[string]any{"sku": "a"}), add("o2")}, batch.Options{}, nil},
		{"atomic wrong category", []command.Command{add("o1"), cmd("StartFulfilment", map[string]any{"pid": "p"})}, batch.Options{Mode: batch.Atomic}, []string{"WRONG_CATEGORY@1"}},
		{"atomic explicit id, field from registration", []command.Command{add("o1"), add("o1")}, batch.Options{Mode: batch.Atomic, AggregateID: "o1"}, nil},
		{"atomic explicit id mismatch", []command.Command{add("o1"), add("o2")}, batch.Options{Mode: batch.Atomic, AggregateID: "o1"}, []string{"CROSS_AGGREGATE_ATOMIC@1"}},
		{"atomic inferred", []command.Command{add("o1"), cmd("SubmitOrder", map[string]any{"orderId": "o1"})}, batch.Options{Mode: batch.Atomic}, nil},
		{"atomic inferred other id", []command.Command{add("o1"), add("o2")}, batch.Options{Mode: batch.Atomic}, []string{"CROSS_AGGREGATE_ATOMIC@1"}},
		{"atomic inferred other type", []command.Command{add("o1"), cmd("RenameCart", map[string]any{"orderId": "o1"})}, batch.Options{Mode: batch.Atomic}, []string{"CROSS_AGGREGATE_ATOMIC@1"}},
		{"atomic first without id", []command.Command{cmd("AddItem", map[string]any{"sku": "a"}), add("o1")}, batch.Options{Mode: batch.Atomic}, []string{"MISSING_AGGREGATE_ID@0"}},
	}
	for _, c := range cases {
		v := batch.Validate(c.cmds, c.opts, r)
		if v.Valid != (c.want == nil) || !slices.Equal(codes(v), c.want) {
			t.Errorf("%s: %v (valid %v), want %v", c.name, codes(v), v.Valid, c.want)
		}
	}
	v := batch.Validate([]command.Command{add("o1"), cmd("ReserveStock", map[string]any{"sku": "a"})}, batch.Options{BoundedContext: "orders"}, r)
	if ctx := v.Errors[0].Context; ctx["expected"] != "orders" || ctx["actual"] != "inventory" {
		t.Fatalf("wrong-context context: %v", ctx)
	}
}

func TestHelpers(t *testing.T) {
	if id, ok := batch.ExtractAggregateID(add("o1"), "orderId"); !ok || id != "o1" {
		t.Fatalf("extract: %q %v", id, ok)
	}
	if _, ok := batch.ExtractAggregateID(cmd("X", map[string]any{"orderId": 5}), "orderId"); ok {
		t.Fatal("number extracted as id")
	}
	g := batch.GroupByAggregateID([]command.Command{add("o1"), add("o2"), cmd("X", nil), add("o1")}, "orderId")
	if len(g["o1"]) != 2 || len(g["o2"]) != 1 || len(g[batch.NoIDGroup]) != 1 || len(g) != 3 {
		t.Fatalf("groups: %v", g)
	}
}

// fake is an executor whose outcome per command comes from payload "outcome".
type fake struct {
	mu        sync.Mutex
	calls     []string
	inFlight  atomic.Int32
	maxFlight atomic.Int32
	gate      chan struct{}
}

func (f *fake) exec(ctx context.Context, c command.Command) (command.Result, error) {
	n := f.inFlight.Add(1)
	for {
		m := f.maxFlight.Load()
		if n <= m || f.maxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if f.gate != nil {
		<-f.gate
	}
	defer f.inFlight.Add(-1)
	var p struct{ Outcome string }
	_ = c.Decode(&p)
	f.mu.Lock()
	f.calls = append(f.calls, c.ID)
	f.mu.Unlock()
	switch p.Outcome {
	case "reject":
		return command.Result{CommandID: c.ID, Status: command.StatusRejected, Code: "NO", Reason: "refused"}, nil
	case "fail":
		return command.Result{CommandID: c.ID, Status: command.StatusFailed, Reason: "broke"}, nil
	case "error":
		return command.Result{}, errors.New("connection reset")
	}
	return command.Result{CommandID: c.ID, Status: command.StatusExecuted}, nil
}

func outcomes(os ...string) []command.Command {
	out := make([]command.Command, len(os))
	for i, o := range os {
		out[i] = cmd("Do", map[string]any{"outcome": o}).WithID(fmt.Sprint("c", i))
	}
	return out
}

func statuses(r batch.Result) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, string(it.Status))
	}
	return out
}

func runner(t *testing.T, f *fake, cfg batch.Config) *batch.Runner {
	t.Helper()
	cfg.Executor = f.exec
	if cfg.IDs == nil {
		cfg.IDs = es.NewSequentialIDs()
	}
	r, err := batch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAtomicStopsAtFirstNonSuccess(t *testing.T) {
	ctx := context.Background()
	for _, stop := range []string{"reject", "fail", "error"} {
		f := &fake{}
		r := runner(t, f, batch.Config{})
		res := r.Execute(ctx, outcomes("ok", stop, "ok", "ok"), batch.Options{Mode: batch.Atomic, AggregateID: "x", AggregateIDField: "none"})
		// Without a lookup the atomic batch needs the id field in every payload.
		if res.Status != batch.StatusFailed || res.Validation == nil || len(f.calls) != 0 {
			t.Fatalf("%s: validation should fail first: %+v", stop, res)
		}
		cmds := outcomes("ok", stop, "ok", "ok")
		for i := range cmds {
			cmds[i] = cmd("Do", map[string]any{"outcome": []string{"ok", stop, "ok", "ok"}[i], "id": "a"}).WithID(fmt.Sprint("c", i))
		}
		res = r.Execute(ctx, cmds, batch.Options{Mode: batch.Atomic, AggregateID: "a", AggregateIDField: "id"})
		wantSecond := map[string]string{"reject": "rejected", "fail": "failed", "error": "failed"}[stop]
		if !slices.Equal(statuses(res), []string{"success", wantSecond, "skipped", "skipped"}) || res.Status != batch.StatusFailed {
			t.Fatalf("%s: %v %s", stop, statuses(res), res.Status)
		}
		wantErr := map[string]string{"reject": "refused", "fail": "broke", "error": "connection reset"}[stop]
		if res.Items[1].Error != wantErr || res.Items[2].Error != batch.SkippedAtomic || !slices.Equal(f.calls, []string{"c0", "c1"}) {
			t.Fatalf("%s: items %+v calls %v", stop, res.Items, f.calls)
		}
		if s := res.Summary; s.Total != 4 || s.Succeeded != 1 || s.Skipped != 2 || s.Rejected+s.Failed != 1 || s.TotalDuration < 0 {
			t.Fatalf("%s: summary %+v", stop, s)
		}
	}
}

func TestValidationFailureRejectsEveryItem(t *testing.T) {
	f := &fake{}
	r := runner(t, f, batch.Config{Lookup: lookup(t)})
	res := r.Execute(context.Background(), []command.Command{add("o1"), cmd("Nope", nil)}, batch.Options{Mode: batch.Atomic})
	want := `Batch validation failed: Command "Nope" is not registered`
	if res.Status != batch.StatusFailed || len(f.calls) != 0 || res.Items[0].Status != batch.ItemRejected || res.Items[0].Error != want || res.Items[1].Error != want {
		t.Fatalf("validation failure: %+v", res)
	}
	if res.Summary.Rejected != 2 {
		t.Fatalf("summary %+v", res.Summary)
	}
}

func TestPartialChunksAndConcurrency(t *testing.T) {
	ctx := context.Background()
	f := &fake{}
	r := runner(t, f, batch.Config{})
	res := r.Execute(ctx, outcomes("ok", "reject", "ok", "fail", "ok", "ok", "ok"), batch.Options{MaxConcurrency: 3})
	if !slices.Equal(statuses(res), []string{"success", "rejected", "success", "failed", "success", "success", "success"}) || res.Status != batch.StatusPartial {
		t.Fatalf("continue on error: %v %s", statuses(res), res.Status)
	}
	if m := f.maxFlight.Load(); m > 3 {
		t.Fatalf("observed concurrency %d > 3", m)
	}
	f2 := &fake{}
	r2 := runner(t, f2, batch.Config{})
	res = r2.Execute(ctx, outcomes("ok", "reject", "ok", "ok", "ok"), batch.Options{MaxConcurrency: 2, StopOnError: true})
	if !slices.Equal(statuses(res), []string{"success", "rejected", "skipped", "skipped", "skipped"}) || res.Items[4].Error != batch.SkippedPartial || len(f2.calls) != 2 {
		t.Fatalf("stop on error: %v, calls %v", statuses(res), f2.calls)
	}
	f3 := &fake{}
	res = runner(t, f3, batch.Config{}).Execute(ctx, outcomes("reject", "fail"), batch.Options{})
	if res.Status != batch.StatusFailed {
		t.Fatalf("all failed: %s", res.Status)
	}
	f4 := &fake{}
	res = runner(t, f4, batch.Config{}).Execute(ctx, outcomes("ok", "ok"), batch.Options{})
	if res.Status != batch.StatusSuccess || res.Summary.Succeeded != 2 {
		t.Fatalf("all ok: %+v", res)
	}
}

func TestPartialRunsAChunkConcurrently(t *testing.T) {
	f := &fake{gate: make(chan struct{})}
	r := runner(t, f, batch.Config{})
	done := make(chan batch.Result)
	go func() {
		done <- r.Execute(context.Background(), outcomes("ok", "ok", "ok", "ok"), batch.Options{MaxConcurrency: 4})
	}()
	// All four must be in flight at once before any may finish.
	for f.inFlight.Load() < 4 {
		select {
		case res := <-done:
			t.Fatalf("finished early: %+v", res)
		default:
		}
		runtime.Gosched()
	}
	close(f.gate)
	if res := <-done; res.Status != batch.StatusSuccess || f.maxFlight.Load() != 4 {
		t.Fatalf("concurrent chunk: %s, max in flight %d", res.Status, f.maxFlight.Load())
	}
}

func TestIDsCorrelationAndContext(t *testing.T) {
	var seen []command.Command
	var mu sync.Mutex
	exec := func(ctx context.Context, c command.Command) (command.Result, error) {
		mu.Lock()
		seen = append(seen, c)
		mu.Unlock()
		return command.Result{Status: command.StatusExecuted}, nil
	}
	r, err := batch.New(batch.Config{Executor: exec, IDs: es.NewSequentialIDs(), DefaultBoundedContext: "orders", Sequential: true})
	if err != nil {
		t.Fatal(err)
	}
	own := add("o2").WithID("mine").WithCorrelation("corr-own")
	res := r.Execute(context.Background(), []command.Command{add("o1"), own}, batch.Options{})
	if res.CorrelationID != "corr_00000000-0000-7000-8000-000000000001" {
		t.Fatalf("batch correlation = %s", res.CorrelationID)
	}
	if seen[0].ID != "cmd_00000000-0000-7000-8000-000000000002" || seen[0].Metadata.CorrelationID != res.CorrelationID || seen[0].TargetContext != "orders" {
		t.Fatalf("first command = %+v", seen[0])
	}
	if seen[1].ID != "mine" || seen[1].Metadata.CorrelationID != "corr-own" || res.Items[1].CommandID != "mine" {
		t.Fatalf("second command = %+v", seen[1])
	}
	res = r.Execute(context.Background(), []command.Command{add("o1")}, batch.Options{CorrelationID: "corr-batch", BoundedContext: "billing"})
	if res.CorrelationID != "corr-batch" || seen[2].TargetContext != "billing" {
		t.Fatalf("explicit correlation/context: %+v", seen[2])
	}
	if _, err := batch.New(batch.Config{}); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("no executor: %v", err)
	}
}

func TestOnEngine(t *testing.T) {
	ctx := context.Background()
	e := engine.New(memstore.New())
	if err := enginetest.Register(e.Registry()); err != nil {
		t.Fatal(err)
	}
	r, err := batch.New(batch.Config{Executor: e.Dispatch, Lookup: e.Registry(), Clock: e.Clock(), IDs: e.IDs(), Sequential: true})
	if err != nil {
		t.Fatal(err)
	}
	create := cmd("CreateOrder", map[string]any{"orderId": "o1", "customerId": "c"})
	res := r.Execute(ctx, []command.Command{create, add("o1"), cmd("AddItem", map[string]any{"orderId": "o1", "sku": "b", "qty": 0}), add("o1")}, batch.Options{Mode: batch.Atomic})
	if !slices.Equal(statuses(res), []string{"success", "success", "rejected", "skipped"}) || res.Items[2].Error != "quantity must be positive, got 0" {
		t.Fatalf("atomic on engine: %v %+v", statuses(res), res.Items[2])
	}
	if res.Items[1].Result.Version != 2 || res.Items[1].Result.CorrelationID != res.CorrelationID {
		t.Fatalf("item result: %+v", res.Items[1].Result)
	}
	if !strings.HasPrefix(res.Items[3].CommandID, "cmd_") {
		t.Fatalf("skipped item id: %s", res.Items[3].CommandID)
	}
}
