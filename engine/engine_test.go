package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/store"
)

func newEngine(t *testing.T, opts ...engine.Option) (*engine.Engine, *memstore.Store) {
	t.Helper()
	s := memstore.New()
	e := engine.New(s, opts...)
	if err := enginetest.Register(e.Registry()); err != nil {
		t.Fatal(err)
	}
	return e, s
}

func dispatch(t *testing.T, e *engine.Engine, cmd command.Command) command.Result {
	t.Helper()
	r, err := e.Dispatch(context.Background(), cmd)
	if err != nil {
		t.Fatalf("Dispatch(%s): %v", cmd.Type, err)
	}
	return r
}

func summary(t *testing.T, s store.Store, id string) (enginetest.Summary, bool) {
	t.Helper()
	var sum enginetest.Summary
	found := false
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		d, err := tx.Documents().Get(context.Background(), enginetest.SummaryCollection, id)
		if es.CodeOf(err) == es.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return json.Unmarshal(d.Data, &sum)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, found
}

func TestDispatchThenRunUntilIdle(t *testing.T) {
	ctx := context.Background()
	e, s := newEngine(t)
	if err := e.RegisterJobHandler("projection.orderSummary", enginetest.SummaryHandler); err != nil {
		t.Fatal(err)
	}
	if err := e.RegisterJobHandler("projection.orderFailures", enginetest.SummaryHandler); err != nil {
		t.Fatal(err)
	}
	dispatch(t, e, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c"}))
	dispatch(t, e, command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"}))
	dispatch(t, e, command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 1}))
	if _, found := summary(t, s, "o1"); found {
		t.Fatal("projection ran before RunUntilIdle")
	}
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := summary(t, s, "o1")
	if got != (enginetest.Summary{OrderID: "o1", Events: 3, LastEvent: "ItemAdded", Version: 3, Failures: 1}) {
		t.Fatalf("summary = %+v", got)
	}
	st := e.Stats()
	if st.Commands != 3 || st.JobsRun != 3 || st.JobsFailed != 0 {
		t.Fatalf("stats = %+v", st)
	}
	if err := e.RunUntilIdle(ctx); err != nil || e.Stats().JobsRun != 3 {
		t.Fatalf("second RunUntilIdle ran more: %v %+v", err, e.Stats())
	}
}

func TestJobHandlerRegistration(t *testing.T) {
	e, _ := newEngine(t)
	h := func(context.Context, store.Tx, store.Job) error { return nil }
	if err := e.RegisterJobHandler("k", h); err != nil {
		t.Fatal(err)
	}
	if err := e.RegisterJobHandler("k", h); es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), `"k" already has a handler`) {
		t.Fatalf("duplicate kind: %v", err)
	}
	if err := e.RegisterJobHandler("", h); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("empty kind: %v", err)
	}
	if err := e.RegisterJobHandler("x", nil); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("nil handler: %v", err)
	}
}

func enqueue(t *testing.T, s store.Store, specs ...store.JobSpec) {
	t.Helper()
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		for _, sp := range specs {
			if _, err := tx.Jobs().Enqueue(context.Background(), sp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFailingJobRetriesOnAdvanceThenDies(t *testing.T) {
	ctx := context.Background()
	e, s := newEngine(t)
	var attempts []time.Time
	if err := e.RegisterJobHandler("flaky", func(ctx context.Context, tx store.Tx, job store.Job) error {
		attempts = append(attempts, e.Clock().Now())
		if _, err := tx.Documents().Insert(ctx, "side-effects", fmt.Sprint(len(attempts)), json.RawMessage(`1`)); err != nil {
			return err
		}
		return errors.New("downstream unavailable")
	}); err != nil {
		t.Fatal(err)
	}
	enqueue(t, s, store.JobSpec{Kind: "flaky", MaxAttempts: 3, Backoff: time.Minute})
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 1 {
		t.Fatalf("attempts after first run: %d", len(attempts))
	}
	if err := e.Advance(ctx, 59*time.Second); err != nil || len(attempts) != 1 {
		t.Fatalf("retry ran before its backoff: %d attempts, %v", len(attempts), err)
	}
	if err := e.Advance(ctx, time.Second); err != nil || len(attempts) != 2 {
		t.Fatalf("retry not run at backoff: %d attempts, %v", len(attempts), err)
	}
	if err := e.Advance(ctx, 2*time.Minute); err != nil || len(attempts) != 3 {
		t.Fatalf("third attempt: %d, %v", len(attempts), err)
	}
	st := e.Stats()
	if st.JobsFailed != 3 || st.JobsDead != 1 || st.JobsRun != 0 {
		t.Fatalf("stats = %+v", st)
	}
	var dead []store.Job
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		dead, err = tx.Jobs().DeadLetters(ctx, "", 0)
		return err
	})
	if len(dead) != 1 || dead[0].Kind != "flaky" || dead[0].LastError != "downstream unavailable" {
		t.Fatalf("dead letters = %+v", dead)
	}
	var n int
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		p, err := tx.Documents().List(ctx, "side-effects", store.ListOptions{})
		n = len(p.Documents)
		return err
	})
	if n != 0 {
		t.Fatalf("failed attempts left %d side effects", n)
	}
	want := []time.Time{es.DefaultVirtualStart, es.DefaultVirtualStart.Add(time.Minute), es.DefaultVirtualStart.Add(3 * time.Minute)}
	if !slices.EqualFunc(attempts, want, time.Time.Equal) {
		t.Fatalf("attempt times = %v, want %v", attempts, want)
	}
}

func TestUnhandledAndPanickingJobs(t *testing.T) {
	ctx := context.Background()
	e, s := newEngine(t)
	if err := e.RegisterJobHandler("boom", func(context.Context, store.Tx, store.Job) error { panic("bad input") }); err != nil {
		t.Fatal(err)
	}
	enqueue(t, s, store.JobSpec{Kind: "nobody", MaxAttempts: 1}, store.JobSpec{Kind: "boom", MaxAttempts: 1})
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var dead []store.Job
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		dead, err = tx.Jobs().DeadLetters(ctx, "", 0)
		return err
	})
	if len(dead) != 2 || dead[0].LastError != `no handler registered for job kind "nobody"` || dead[1].LastError != "job handler panicked: bad input" {
		t.Fatalf("dead letters = %+v", dead)
	}
}

func TestJobsRunInOrderAndChainsComplete(t *testing.T) {
	ctx := context.Background()
	e, s := newEngine(t)
	var order []string
	if err := e.RegisterJobHandler("step", func(ctx context.Context, tx store.Tx, job store.Job) error {
		var n int
		_ = json.Unmarshal(job.Payload, &n)
		order = append(order, fmt.Sprint(n))
		if n < 3 {
			_, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "step", Payload: json.RawMessage(fmt.Sprint(n + 10))})
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	enqueue(t, s, store.JobSpec{Kind: "step", Payload: json.RawMessage(`1`)}, store.JobSpec{Kind: "step", Payload: json.RawMessage(`2`)},
		store.JobSpec{Kind: "step", Payload: json.RawMessage(`3`), RunAt: es.DefaultVirtualStart.Add(time.Hour)})
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []string{"1", "2", "11", "12"}) {
		t.Fatalf("order = %v", order)
	}
	if err := e.Advance(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []string{"1", "2", "11", "12", "3"}) {
		t.Fatalf("order after advance = %v", order)
	}
}

func runSeeded(t *testing.T, seed uint64) []string {
	t.Helper()
	e, s := newEngine(t, engine.WithSeed(seed))
	var order []string
	if err := e.RegisterJobHandler("j", func(ctx context.Context, tx store.Tx, job store.Job) error {
		order = append(order, string(job.Payload))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var specs []store.JobSpec
	for i := range 10 {
		specs = append(specs, store.JobSpec{Kind: "j", Payload: json.RawMessage(fmt.Sprint(i))})
	}
	// A partition keeps FIFO order whatever the seed.
	for i := range 3 {
		specs = append(specs, store.JobSpec{Kind: "j", Partition: "p", Payload: json.RawMessage(fmt.Sprintf(`"p%d"`, i))})
	}
	enqueue(t, s, specs...)
	if err := e.RunUntilIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.Seed() != seed {
		t.Fatalf("Seed() = %d", e.Seed())
	}
	return order
}

func TestSeedShufflesDeterministically(t *testing.T) {
	plain := runSeeded(t, 0)
	if !slices.Equal(plain, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", `"p0"`, `"p1"`, `"p2"`}) {
		t.Fatalf("seed 0 order = %v", plain)
	}
	a, b := runSeeded(t, 42), runSeeded(t, 42)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different orders:\n%v\n%v", a, b)
	}
	if slices.Equal(a, plain) {
		t.Fatalf("seed 42 did not shuffle: %v", a)
	}
	var ps []string
	for _, x := range a {
		if strings.HasPrefix(x, `"p`) {
			ps = append(ps, x)
		}
	}
	if !slices.Equal(ps, []string{`"p0"`, `"p1"`, `"p2"`}) || len(a) != 13 {
		t.Fatalf("partition order under seed: %v (all %v)", ps, a)
	}
}

type countingWorker struct {
	name  string
	left  int
	steps int
	err   error
}

func (w *countingWorker) Name() string { return w.name }
func (w *countingWorker) Step(context.Context) (bool, error) {
	if w.err != nil {
		return false, w.err
	}
	if w.left == 0 {
		return false, nil
	}
	w.left--
	w.steps++
	return true, nil
}

func TestWorkers(t *testing.T) {
	ctx := context.Background()
	e, _ := newEngine(t)
	w := &countingWorker{name: "projector", left: 5}
	if err := e.AddWorker(w); err != nil {
		t.Fatal(err)
	}
	if err := e.AddWorker(&countingWorker{name: "projector"}); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("duplicate worker: %v", err)
	}
	if err := e.AddWorker(nil); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("nil worker: %v", err)
	}
	if err := e.RunUntilIdle(ctx); err != nil || w.steps != 5 || e.Stats().WorkerSteps != 5 {
		t.Fatalf("worker steps %d, stats %+v, err %v", w.steps, e.Stats(), err)
	}
	bad := &countingWorker{name: "broken", err: errors.New("lost connection")}
	_ = e.AddWorker(bad)
	if err := e.RunUntilIdle(ctx); err == nil || !strings.Contains(err.Error(), "worker broken: lost connection") {
		t.Fatalf("worker error: %v", err)
	}
}

func TestMaxStepsAndClockRequirements(t *testing.T) {
	ctx := context.Background()
	e, _ := newEngine(t, engine.WithMaxSteps(10))
	_ = e.AddWorker(&countingWorker{name: "busy", left: 1000})
	if err := e.RunUntilIdle(ctx); es.CodeOf(err) != es.CodeInternal || !strings.Contains(err.Error(), "still busy after 10 steps") {
		t.Fatalf("runaway: %v", err)
	}
	real := engine.New(memstore.New(), engine.WithClock(es.RealClock{}))
	if err := real.Advance(ctx, time.Second); es.CodeOf(err) != es.CodeUnsupported {
		t.Fatalf("Advance on a real clock: %v", err)
	}
	e2, _ := newEngine(t)
	if err := e2.Advance(ctx, -time.Second); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("negative advance: %v", err)
	}
}

func TestEngineUsesStoreClockAndIDs(t *testing.T) {
	s := memstore.New()
	e := engine.New(s)
	if e.Clock() != s.Clock() || e.IDs() != s.IDs() || e.Store() != store.Store(s) || e.Orchestrator() == nil {
		t.Fatal("engine does not default to the store's clock and ids")
	}
}

func Example() {
	ctx := context.Background()
	s := memstore.New()
	e := engine.New(s)
	_ = enginetest.Register(e.Registry())
	_ = e.RegisterJobHandler("projection.orderSummary", enginetest.SummaryHandler)

	r, _ := e.Dispatch(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}))
	fmt.Println(r.Status, r.Stream, r.Version)
	_ = e.RunUntilIdle(ctx)
	fmt.Println(e.Stats().JobsRun)
	// Output:
	// executed Order-o1 1
	// 1
}
