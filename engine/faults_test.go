package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/store"
)

// fullPlan injects every fault often enough that 50 seeds see each many
// times.
var fullPlan = engine.FaultPlan{Duplicate: 0.15, FailedCommit: 0.15, Crash: 0.15}

const (
	tallyCollection = "order-tallies"
	inboxCollection = "tally-inbox"
)

// tally is a projection document: events per type and follow-ups applied.
// Its updates commute, so any delivery order gives the same document; only
// redelivery can change it.
type tally struct {
	Events    map[string]int `json:"events"`
	FollowUps int            `json:"followUps"`
	Failures  int            `json:"failures,omitempty"`
}

// tallyHandler projects order follow-ups into tallies. Idempotent handlers
// keep an inbox: a marker per job id written in the same unit of work, and
// a delivery whose marker exists does nothing. calls counts every handler
// run, including rolled-back ones.
func tallyHandler(idempotent bool, calls *int) engine.JobHandler {
	return func(ctx context.Context, tx store.Tx, job store.Job) error {
		*calls++
		docs := tx.Documents()
		if idempotent {
			_, err := docs.Get(ctx, inboxCollection, job.ID)
			if err == nil {
				return nil // already applied
			}
			if es.CodeOf(err) != es.CodeNotFound {
				return err
			}
			if _, err := docs.Insert(ctx, inboxCollection, job.ID, json.RawMessage(`true`)); err != nil {
				return err
			}
		}
		var f orchestrator.FollowUp
		if err := json.Unmarshal(job.Payload, &f); err != nil {
			return err
		}
		id := f.Partition.Value
		t := tally{Events: map[string]int{}}
		doc, err := docs.Get(ctx, tallyCollection, id)
		switch {
		case err == nil:
			if err := json.Unmarshal(doc.Data, &t); err != nil {
				return err
			}
		case es.CodeOf(err) != es.CodeNotFound:
			return err
		}
		for _, et := range f.EventTypes {
			t.Events[et]++
		}
		t.FollowUps++
		if f.Status == command.StatusFailed {
			t.Failures++
		}
		raw, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if doc.Version == 0 {
			_, err = docs.Insert(ctx, tallyCollection, id, raw)
		} else {
			_, err = docs.Update(ctx, tallyCollection, id, doc.Version, raw)
		}
		return err
	}
}

// workload dispatches commands for four orders: creations, items,
// submissions (o4 is submitted empty, a business failure routed to the
// failures projection) and one cancellation.
func workload(t *testing.T, e *engine.Engine) {
	t.Helper()
	for i := 1; i <= 4; i++ {
		id := fmt.Sprintf("o%d", i)
		dispatch(t, e, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: id, CustomerID: "c"}))
		if i != 4 {
			for j := 0; j < i; j++ {
				dispatch(t, e, command.MustNew("AddItem", enginetest.AddItem{OrderID: id, SKU: fmt.Sprintf("sku%d", j), Qty: 1}))
			}
		}
		dispatch(t, e, command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: id}))
	}
	dispatch(t, e, command.MustNew("CancelOrder", enginetest.CancelOrder{OrderID: "o1"}))
}

// faultRun is what one run under a seed produced.
type faultRun struct {
	tallies map[string]string // order id → document JSON
	calls   int
	faults  []engine.Fault
	stats   engine.Stats
	report  string
	jobs    int // jobs enqueued by the workload
}

// settle brings the run to rest across retries (see Engine.Settle).
func settle(t *testing.T, e *engine.Engine) {
	t.Helper()
	if err := e.Settle(context.Background(), store.DefaultMaxBackoff); err != nil {
		t.Fatalf("%v\n%s", err, e.FaultReport())
	}
}

// runTallies runs the workload on s with the tally projection.
func runTallies(t *testing.T, s store.Store, idempotent bool, opts ...engine.Option) faultRun {
	t.Helper()
	e := engine.New(s, opts...)
	if err := enginetest.Register(e.Registry()); err != nil {
		t.Fatal(err)
	}
	var r faultRun
	for _, kind := range []string{"projection." + enginetest.SummaryProjection, "projection." + enginetest.FailuresProjection} {
		if err := e.RegisterJobHandler(kind, tallyHandler(idempotent, &r.calls)); err != nil {
			t.Fatal(err)
		}
	}
	workload(t, e)
	settle(t, e)
	r.tallies = readCollection(t, s, tallyCollection)
	r.faults = e.Faults()
	r.stats = e.Stats()
	r.report = e.FaultReport()
	r.jobs = r.stats.JobsRun
	if n := len(deadLetters(t, s)); n != 0 {
		t.Fatalf("%d dead letters\n%s", n, r.report)
	}
	return r
}

func readCollection(t *testing.T, s store.Store, coll string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		p, err := tx.Documents().List(context.Background(), coll, store.ListOptions{Limit: store.MaxListLimit})
		for _, d := range p.Documents {
			out[d.Key] = string(d.Data)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func deadLetters(t *testing.T, s store.Store) []store.Job {
	t.Helper()
	var dead []store.Job
	if err := s.Atomic(context.Background(), func(tx store.Tx) error {
		var err error
		dead, err = tx.Jobs().DeadLetters(context.Background(), "", 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return dead
}

func countKinds(faults []engine.Fault) map[engine.FaultKind]int {
	n := map[engine.FaultKind]int{}
	for _, f := range faults {
		n[f.Kind]++
	}
	return n
}

func TestIdempotentProjectionSurvivesFaults(t *testing.T) {
	base := runTallies(t, memstore.New(), true)
	if len(base.tallies) != 4 || base.jobs != 15 || base.calls != 15 || len(base.faults) != 0 {
		t.Fatalf("baseline: %d tallies, %d jobs, %d calls, faults %v", len(base.tallies), base.jobs, base.calls, base.faults)
	}
	if want := `{"events":{"ItemAdded":1,"OrderCancelled":1,"OrderCreated":1,"OrderSubmitted":1},"followUps":4}`; base.tallies["o1"] != want {
		t.Fatalf("baseline o1 = %s, want %s", base.tallies["o1"], want)
	}
	if want := `{"events":{"OrderCreated":1,"SubmissionFailed":1},"followUps":2,"failures":1}`; base.tallies["o4"] != want {
		t.Fatalf("baseline o4 = %s, want %s", base.tallies["o4"], want)
	}
	total := map[engine.FaultKind]int{}
	for seed := uint64(1); seed <= 50; seed++ {
		r := runTallies(t, memstore.New(), true, engine.WithSeed(seed), engine.WithFaults(fullPlan))
		if !maps.Equal(r.tallies, base.tallies) {
			t.Fatalf("final tallies differ from the fault-free run\n got %v\nwant %v\n%s", r.tallies, base.tallies, r.report)
		}
		// Every injected fault costs exactly one extra handler run: a
		// fault logged but not injected (or injected twice) shows here.
		if r.calls != base.calls+len(r.faults) || r.stats.FaultsInjected != len(r.faults) {
			t.Fatalf("%d handler runs for %d jobs and %d faults (stats %+v)\n%s", r.calls, base.jobs, len(r.faults), r.stats, r.report)
		}
		if r.jobs != base.jobs {
			t.Fatalf("%d jobs completed, want %d\n%s", r.jobs, base.jobs, r.report)
		}
		k := countKinds(r.faults)
		if r.stats.JobsFailed != k[engine.FaultFailedCommit] {
			t.Fatalf("%d failed attempts, %d injected failed commits\n%s", r.stats.JobsFailed, k[engine.FaultFailedCommit], r.report)
		}
		for kind, n := range k {
			total[kind] += n
		}
	}
	for _, kind := range []engine.FaultKind{engine.FaultDuplicate, engine.FaultFailedCommit, engine.FaultCrash} {
		if total[kind] < 10 {
			t.Errorf("50 seeds injected %s only %d times", kind, total[kind])
		}
	}
	t.Logf("50 seeds injected %v", total)
}

func TestNonIdempotentHandlerIsCaught(t *testing.T) {
	base := runTallies(t, memstore.New(), false)
	var caught []uint64
	for seed := uint64(1); seed <= 50; seed++ {
		r := runTallies(t, memstore.New(), false, engine.WithSeed(seed), engine.WithFaults(fullPlan))
		k := countKinds(r.faults)
		redelivered := k[engine.FaultDuplicate] + k[engine.FaultCrash]
		wrong := !maps.Equal(r.tallies, base.tallies)
		// A handler without an inbox counts a redelivered follow-up twice;
		// a rolled-back attempt (failed commit) leaves no trace.
		if wrong != (redelivered > 0) {
			t.Fatalf("seed %d: tallies wrong = %v with %d redeliveries\n%s", seed, wrong, redelivered, r.report)
		}
		if wrong {
			caught = append(caught, seed)
		}
	}
	if len(caught) == 0 {
		t.Fatal("no seed in 1..50 caught the non-idempotent handler")
	}
	t.Logf("duplicate delivery caught the non-idempotent handler under seeds %v (replay one with engine.WithSeed)", caught)
}

func TestFaultsReplayExactly(t *testing.T) {
	a := runTallies(t, memstore.New(), true, engine.WithSeed(7), engine.WithFaults(fullPlan))
	b := runTallies(t, memstore.New(), true, engine.WithSeed(7), engine.WithFaults(fullPlan))
	if len(a.faults) == 0 {
		t.Fatal("seed 7 injected no fault")
	}
	if !slices.Equal(a.faults, b.faults) || a.report != b.report {
		t.Fatalf("same seed, different faults:\n%s\n%s", a.report, b.report)
	}
	if !maps.Equal(a.tallies, b.tallies) || a.calls != b.calls || !statsEqual(a.stats, b.stats) {
		t.Fatalf("same seed, different runs: %+v %d vs %+v %d", a.stats, a.calls, b.stats, b.calls)
	}
	for i, f := range a.faults {
		if f.Seq != i+1 {
			t.Fatalf("fault %d has Seq %d", i, f.Seq)
		}
	}
	c := runTallies(t, memstore.New(), true, engine.WithSeed(8), engine.WithFaults(fullPlan))
	if slices.Equal(a.faults, c.faults) {
		t.Fatalf("seeds 7 and 8 injected the same faults:\n%s", a.report)
	}
}

func statsEqual(a, b engine.Stats) bool {
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
}

// effects records every handler run as a document named by job id and run
// number, so a test sees exactly which runs committed.
type effects struct {
	runs []string
}

func (ef *effects) handler(ctx context.Context, tx store.Tx, job store.Job) error {
	ef.runs = append(ef.runs, string(job.Payload))
	id := fmt.Sprintf("%s-run%d", job.Payload, len(ef.runs))
	_, err := tx.Documents().Insert(ctx, "effects", id, json.RawMessage(`1`))
	return err
}

func effectIDs(t *testing.T, s store.Store) []string {
	t.Helper()
	return slices.Sorted(maps.Keys(readCollection(t, s, "effects")))
}

func jobState(t *testing.T, s store.Store, id string) store.Job {
	t.Helper()
	var j store.Job
	if err := s.Atomic(context.Background(), func(tx store.Tx) error {
		var err error
		j, err = tx.Jobs().Get(context.Background(), id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return j
}

func enqueueIDs(t *testing.T, s store.Store, specs ...store.JobSpec) []string {
	t.Helper()
	var ids []string
	if err := s.Atomic(context.Background(), func(tx store.Tx) error {
		for _, sp := range specs {
			j, err := tx.Jobs().Enqueue(context.Background(), sp)
			if err != nil {
				return err
			}
			ids = append(ids, j.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestDuplicateDeliveryRunsTheHandlerTwice(t *testing.T) {
	s := memstore.New()
	e := engine.New(s, engine.WithFaults(engine.FaultPlan{Duplicate: 1}))
	var ef effects
	if err := e.RegisterJobHandler("fx", ef.handler); err != nil {
		t.Fatal(err)
	}
	ids := enqueueIDs(t, s, store.JobSpec{Kind: "fx", Payload: json.RawMessage(`"a"`)})
	if err := e.RunUntilIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := effectIDs(t, s); !slices.Equal(got, []string{`"a"-run1`, `"a"-run2`}) {
		t.Fatalf("effects = %v", got)
	}
	want := []engine.Fault{{Seq: 1, Kind: engine.FaultDuplicate, JobID: ids[0], JobKind: "fx", Attempt: 1}}
	if got := e.Faults(); !slices.Equal(got, want) {
		t.Fatalf("faults = %+v", got)
	}
	if j := jobState(t, s, ids[0]); j.State != store.JobDone || j.Attempts != 1 {
		t.Fatalf("job = %+v", j)
	}
	if st := e.Stats(); st.JobsRun != 1 || st.FaultsInjected != 1 || st.JobsFailed != 0 {
		t.Fatalf("stats = %+v", st)
	}
	if r := e.FaultReport(); r != "seed 0 (replay with engine.WithSeed(0)): 1 injected fault(s)\n  #1 duplicate-delivery job "+ids[0]+" (fx) attempt 1" {
		t.Fatalf("report = %q", r)
	}
}

func TestDuplicateDeliveryErrorIsRecorded(t *testing.T) {
	s := memstore.New()
	e := engine.New(s, engine.WithFaults(engine.FaultPlan{Duplicate: 1}))
	// Inserting under the job id is not idempotent: the copy conflicts.
	if err := e.RegisterJobHandler("once", func(ctx context.Context, tx store.Tx, job store.Job) error {
		_, err := tx.Documents().Insert(ctx, "once", job.ID, json.RawMessage(`1`))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ids := enqueueIDs(t, s, store.JobSpec{Kind: "once"})
	if err := e.RunUntilIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := e.Faults()
	if len(f) != 1 || f[0].Kind != engine.FaultDuplicate || f[0].Err == "" || !strings.Contains(f[0].String(), ": handler failed: ") {
		t.Fatalf("faults = %+v", f)
	}
	if j := jobState(t, s, ids[0]); j.State != store.JobDone {
		t.Fatalf("job = %+v", j)
	}
	if n := len(readCollection(t, s, "once")); n != 1 {
		t.Fatalf("%d documents, want the original's 1", n)
	}
}

func TestFailedCommitRollsBackAndRetries(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	e := engine.New(s, engine.WithFaults(engine.FaultPlan{FailedCommit: 1}))
	var ef effects
	if err := e.RegisterJobHandler("fx", ef.handler); err != nil {
		t.Fatal(err)
	}
	ids := enqueueIDs(t, s, store.JobSpec{Kind: "fx", Payload: json.RawMessage(`"a"`), MaxAttempts: 3, Backoff: time.Second})
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if len(ef.runs) != 1 || len(effectIDs(t, s)) != 0 {
		t.Fatalf("after the first attempt: %d runs, effects %v", len(ef.runs), effectIDs(t, s))
	}
	j := jobState(t, s, ids[0])
	if j.State != store.JobPending || j.Attempts != 1 || !strings.Contains(j.LastError, "injected fault") || !j.RunAt.Equal(es.DefaultVirtualStart.Add(time.Second)) {
		t.Fatalf("job after a failed commit = %+v", j)
	}
	if err := e.Advance(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	// The third attempt is the last: no fault is injected on it.
	if err := e.Advance(ctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := effectIDs(t, s); len(ef.runs) != 3 || !slices.Equal(got, []string{`"a"-run3`}) {
		t.Fatalf("%d runs, effects %v: a rolled-back attempt left a trace", len(ef.runs), got)
	}
	want := []engine.Fault{
		{Seq: 1, Kind: engine.FaultFailedCommit, JobID: ids[0], JobKind: "fx", Attempt: 1},
		{Seq: 2, Kind: engine.FaultFailedCommit, JobID: ids[0], JobKind: "fx", Attempt: 2},
	}
	if got := e.Faults(); !slices.Equal(got, want) {
		t.Fatalf("faults = %+v", got)
	}
	if j := jobState(t, s, ids[0]); j.State != store.JobDone || j.Attempts != 3 {
		t.Fatalf("job = %+v", j)
	}
	if st := e.Stats(); st.JobsRun != 1 || st.JobsFailed != 2 || st.JobsDead != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestCrashBeforeDoneRedeliversAndKeepsPartitionOrder(t *testing.T) {
	s := memstore.New()
	e := engine.New(s, engine.WithFaults(engine.FaultPlan{Crash: 1, MaxFaults: 1}))
	var ef effects
	if err := e.RegisterJobHandler("fx", ef.handler); err != nil {
		t.Fatal(err)
	}
	ids := enqueueIDs(t, s,
		store.JobSpec{Kind: "fx", Partition: "p", Payload: json.RawMessage(`"a"`)},
		store.JobSpec{Kind: "fx", Partition: "p", Payload: json.RawMessage(`"b"`)},
		store.JobSpec{Kind: "fx", Payload: json.RawMessage(`"c"`)})
	if err := e.RunUntilIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	// a crashes after its work committed; b waits behind a's lease while
	// the independent c runs; a is delivered again, then b.
	if want := []string{`"a"`, `"c"`, `"a"`, `"b"`}; !slices.Equal(ef.runs, want) {
		t.Fatalf("runs = %v, want %v", ef.runs, want)
	}
	if got, want := effectIDs(t, s), []string{`"a"-run1`, `"a"-run3`, `"b"-run4`, `"c"-run2`}; !slices.Equal(got, want) {
		t.Fatalf("effects = %v, want %v", got, want)
	}
	want := []engine.Fault{{Seq: 1, Kind: engine.FaultCrash, JobID: ids[0], JobKind: "fx", Partition: "p", Attempt: 1}}
	if got := e.Faults(); !slices.Equal(got, want) {
		t.Fatalf("faults = %+v", got)
	}
	for _, id := range ids {
		if j := jobState(t, s, id); j.State != store.JobDone || j.Attempts != 1 {
			t.Fatalf("job = %+v", j)
		}
	}
	if st := e.Stats(); st.JobsRun != 3 || st.JobsFailed != 0 || st.FaultsInjected != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestFaultKindsFilter(t *testing.T) {
	s := memstore.New()
	e := engine.New(s, engine.WithFaults(engine.FaultPlan{Duplicate: 1, Kinds: []string{"noisy"}}))
	var quiet, noisy int
	_ = e.RegisterJobHandler("quiet", func(context.Context, store.Tx, store.Job) error { quiet++; return nil })
	_ = e.RegisterJobHandler("noisy", func(context.Context, store.Tx, store.Job) error { noisy++; return nil })
	enqueueIDs(t, s, store.JobSpec{Kind: "quiet"}, store.JobSpec{Kind: "noisy"}, store.JobSpec{Kind: "quiet"})
	if err := e.RunUntilIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if quiet != 2 || noisy != 2 || len(e.Faults()) != 1 {
		t.Fatalf("quiet %d, noisy %d runs; faults %v", quiet, noisy, e.Faults())
	}
}

func TestFaultPlanValidation(t *testing.T) {
	for _, c := range []struct {
		plan engine.FaultPlan
		want string
	}{
		{engine.FaultPlan{Duplicate: -0.1}, "Duplicate is -0.1"},
		{engine.FaultPlan{FailedCommit: 1.5}, "FailedCommit is 1.5"},
		{engine.FaultPlan{Crash: 0.6, Duplicate: 0.6}, "add up to at most 1"},
		{engine.FaultPlan{Crash: 1}, "Crash is 1 without MaxFaults"},
		{engine.FaultPlan{MaxFaults: -1}, "MaxFaults is -1"},
		{engine.FaultPlan{Kinds: []string{"ok", ""}}, "Kinds[1]"},
	} {
		e := engine.New(memstore.New(), engine.WithFaults(c.plan))
		err := e.RunUntilIdle(context.Background())
		if es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want INVALID_ARGUMENT naming %q", c.plan, err, c.want)
		}
		if err := c.plan.Validate(); es.CodeOf(err) != es.CodeInvalidArgument {
			t.Errorf("%+v: Validate = %v", c.plan, err)
		}
		if err := e.Advance(context.Background(), time.Second); es.CodeOf(err) != es.CodeInvalidArgument {
			t.Errorf("%+v: Advance = %v", c.plan, err)
		}
	}
	if err := fullPlan.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRunErrorNamesTheSeed(t *testing.T) {
	e := engine.New(memstore.New(), engine.WithSeed(9), engine.WithFaults(fullPlan))
	_ = e.AddWorker(&countingWorker{name: "broken", err: errors.New("lost connection")})
	err := e.RunUntilIdle(context.Background())
	if err == nil || !strings.Contains(err.Error(), "worker broken: lost connection (seed 9; 0 fault(s) injected so far)") {
		t.Fatalf("error = %v", err)
	}
}

// ExampleWithFaults runs a projection job under a plan that duplicates
// every delivery: the handler must be idempotent.
func ExampleWithFaults() {
	ctx := context.Background()
	s := memstore.New()
	e := engine.New(s, engine.WithSeed(42), engine.WithFaults(engine.FaultPlan{Duplicate: 1}))
	_ = enginetest.Register(e.Registry())
	runs := 0
	_ = e.RegisterJobHandler("projection.orderSummary", func(ctx context.Context, tx store.Tx, job store.Job) error {
		runs++
		return nil // an idempotent handler (here: one that writes nothing)
	})
	_, _ = e.Dispatch(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}))
	_ = e.RunUntilIdle(ctx)
	fmt.Println(runs, e.Stats().JobsRun)
	fmt.Println(e.FaultReport())
	// Output:
	// 2 1
	// seed 42 (replay with engine.WithSeed(42)): 1 injected fault(s)
	//   #1 duplicate-delivery job 00000000-0000-7000-8000-000000000004 (projection.orderSummary) attempt 1
}

// TestFaultsOnPostgres runs the fault-injected projection on the
// PostgreSQL adapter (skipped loudly without a server; see pgtest): it must
// reach the fault-free tallies, and — with the same virtual clock and
// sequential ids as memstore — inject exactly the faults memstore does for
// the same seed.
func TestFaultsOnPostgres(t *testing.T) {
	base := runTallies(t, memstore.New(), true)
	total := map[engine.FaultKind]int{}
	for seed := uint64(1); seed <= 5; seed++ {
		ms := runTallies(t, memstore.New(), true, engine.WithSeed(seed), engine.WithFaults(fullPlan))
		db := pgtest.New(t)
		ids := es.NewSequentialIDs()
		s := db.Open(t, postgresadapter.Options{Clock: es.NewVirtualClock(es.DefaultVirtualStart), IDs: ids})
		pg := runTallies(t, s, true, engine.WithSeed(seed), engine.WithFaults(fullPlan), engine.WithIDs(ids))
		if !maps.Equal(pg.tallies, base.tallies) {
			t.Fatalf("postgres: final tallies differ from the fault-free run\n got %v\nwant %v\n%s", pg.tallies, base.tallies, pg.report)
		}
		if len(pg.faults) == 0 || !slices.Equal(pg.faults, ms.faults) {
			t.Fatalf("postgres and memstore injected different faults for seed %d:\npostgres %s\nmemstore %s", seed, pg.report, ms.report)
		}
		if pg.calls != ms.calls || !statsEqual(pg.stats, ms.stats) {
			t.Fatalf("seed %d: postgres %d calls %+v, memstore %d calls %+v", seed, pg.calls, pg.stats, ms.calls, ms.stats)
		}
		for kind, n := range countKinds(pg.faults) {
			total[kind] += n
		}
	}
	if len(total) != 3 {
		t.Fatalf("5 seeds on postgres injected only %v", total)
	}
}

func TestSettleRetriesBehindAPartitionAndLeavesLaterWork(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	// Every attempt but the last fails its commit: b waits in a's
	// partition through a's four retries, then needs four of its own —
	// more rounds than a fixed number of advances would give.
	e := engine.New(s, engine.WithFaults(engine.FaultPlan{FailedCommit: 1}))
	var ef effects
	if err := e.RegisterJobHandler("fx", ef.handler); err != nil {
		t.Fatal(err)
	}
	ids := enqueueIDs(t, s,
		store.JobSpec{Kind: "fx", Partition: "p", Payload: json.RawMessage(`"a"`)},
		store.JobSpec{Kind: "fx", Partition: "p", Payload: json.RawMessage(`"b"`)},
		store.JobSpec{Kind: "fx", Payload: json.RawMessage(`"later"`), RunAt: es.DefaultVirtualStart.Add(48 * time.Hour)})
	if err := e.Settle(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := effectIDs(t, s); !slices.Equal(got, []string{`"a"-run5`, `"b"-run10`}) {
		t.Fatalf("effects = %v (runs %v)", got, ef.runs)
	}
	if j := jobState(t, s, ids[1]); j.State != store.JobDone || j.Attempts != 5 {
		t.Fatalf("b = %+v", j)
	}
	if j := jobState(t, s, ids[2]); j.State != store.JobPending {
		t.Fatalf("a job due in 48 hours ran while settling: %+v", j)
	}
	if n := len(e.Faults()); n != 8 {
		t.Fatalf("%d faults, want 8\n%s", n, e.FaultReport())
	}
	real := engine.New(memstore.New(), engine.WithClock(es.RealClock{}))
	if err := real.Settle(ctx, time.Hour); es.CodeOf(err) != es.CodeUnsupported {
		t.Fatalf("Settle on a real clock: %v", err)
	}
	if err := e.Settle(ctx, 0); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("Settle with a zero step: %v", err)
	}
	busy := engine.New(memstore.New(), engine.WithMaxSteps(3))
	_ = busy.RegisterJobHandler("tick", func(ctx context.Context, tx store.Tx, job store.Job) error {
		_, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "tick", RunAt: job.RunAt.Add(1000 * time.Hour)})
		return err
	})
	enqueueIDs(t, busy.Store(), store.JobSpec{Kind: "tick"})
	if err := busy.Settle(ctx, 1000*time.Hour); es.CodeOf(err) != es.CodeInternal || !strings.Contains(err.Error(), "still busy after 3 advances of 1000h0m0s") {
		t.Fatalf("Settle on work that keeps scheduling work: %v", err)
	}
}
