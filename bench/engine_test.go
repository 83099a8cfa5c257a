package bench

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/middleware"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/store"
)

// engineOrders is how many orders the command benchmarks spread AddItem
// commands over (each order's stream grows by b.N/engineOrders events).
const engineOrders = 1000

// BenchmarkEngineDispatch measures commands per second through the full
// command path on memstore, one goroutine: validation of the arguments
// against the registry → middleware (authorization, logging to a no-op
// logger) → command log →
// CMS load → decider → dual write (CMS + event) → command
// completion and command→event correlation. (The orders are registered
// without projection routes: follow-up jobs would pile up unclaimed.) The baseline decides with the
// same decider on state kept in memory, encodes the event with the same
// codec and appends it straight to the same store.
func BenchmarkEngineDispatch(b *testing.B) {
	benchDispatch(b, engineOrders, func(b *testing.B) clockStore { return memstore.New() })
}

// BenchmarkEngineDispatchPostgres is BenchmarkEngineDispatch on the
// PostgreSQL adapter (a fresh schema per round; skipped without a
// database, see pgtest), over 100 orders. One goroutine, so it measures
// latency: every command is a transaction and a commit.
//
//	EVENTSPEC_PG_DSN=… go test -run='^$' -bench=EngineDispatchPostgres -benchtime=500x ./bench/
func BenchmarkEngineDispatchPostgres(b *testing.B) {
	benchDispatch(b, 100, func(b *testing.B) clockStore {
		return pgtest.New(b).Open(b, postgresadapter.Options{})
	})
}

// clockStore is a store that tells its clock (both engines do).
type clockStore interface {
	store.Store
	Clock() es.Clock
}

// benchDispatch runs the dispatch benchmark over orders orders, on a store
// from newStore for each side of each round.
func benchDispatch(b *testing.B, orders int, newStore func(b *testing.B) clockStore) {
	ctx := context.Background()
	ids := make([]string, orders)
	for i := range ids {
		ids[i] = fmt.Sprintf("o%04d", i)
	}
	compare(b, "engine", func(b *testing.B) {
		s := newStore(b)
		states := make([]enginetest.Order, orders)
		versions := make([]es.Version, orders)
		for i, id := range ids {
			ev, _ := enginetest.Codec.Encode(enginetest.OrderCreated{OrderID: id, CustomerID: "c"})
			if _, err := store.Append(ctx, s, es.AppendRequest{Stream: es.StreamID("Order-" + id), Expected: es.NoStream, Events: []es.Event{ev}}); err != nil {
				b.Fatal(err)
			}
			states[i], versions[i] = enginetest.Decider.Evolve(enginetest.Decider.Initial(), enginetest.OrderCreated{OrderID: id}), 1
		}
		dctx := decider.Context{Now: s.Clock().Now()}
		b.ResetTimer()
		cpu := startCPU()
		for n := 0; b.Loop(); n++ {
			i := n % orders
			out := enginetest.Decider.Decide(states[i], enginetest.AddItem{OrderID: ids[i], SKU: "a", Qty: 1}, dctx)
			if !out.IsSuccess() {
				b.Fatalf("decision: %+v", out)
			}
			ev, err := enginetest.Codec.Encode(out.Events[0])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := store.Append(ctx, s, es.AppendRequest{Stream: es.StreamID("Order-" + ids[i]), Expected: es.Exact(versions[i]), Events: []es.Event{ev}}); err != nil {
				b.Fatal(err)
			}
			states[i] = enginetest.Decider.Evolve(states[i], out.Events[0])
			versions[i]++
		}
		cpu.report(b)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
	}, func(b *testing.B) {
		s := newStore(b)
		pipe := middleware.New(middleware.WithClock(s.Clock()))
		e := engine.New(s, engine.WithPipeline(pipe))
		if err := enginetest.Register(e.Registry(), enginetest.WithoutProjections()); err != nil {
			b.Fatal(err)
		}
		pipe.Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: func(context.Context, middleware.Context) (middleware.AuthDecision, error) {
			return middleware.Allow(), nil
		}}))
		pipe.Use(middleware.Logging(middleware.LoggingConfig{Clock: s.Clock()}))
		for _, id := range ids {
			r, err := e.Dispatch(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: id, CustomerID: "c"}))
			if err != nil || !r.Succeeded() {
				b.Fatalf("CreateOrder %s: %+v %v", id, r, err)
			}
		}
		cmds := make([]command.Command, orders)
		for i, id := range ids {
			cmds[i] = command.MustNew("AddItem", enginetest.AddItem{OrderID: id, SKU: "a", Qty: 1})
		}
		b.ResetTimer()
		cpu := startCPU()
		for n := 0; b.Loop(); n++ {
			r, err := e.Dispatch(ctx, cmds[n%orders])
			if err != nil || r.Status != command.StatusExecuted {
				b.Fatalf("AddItem: %+v %v", r, err)
			}
		}
		cpu.report(b)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
	})
}

// cpuClock measures the process's CPU time (user + system, every thread,
// so the garbage collector's work counts) over a benchmark loop. On a
// shared machine it varies much less with other processes' load than
// wall time does.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

// report adds the metric cpu-ns/op: CPU time per iteration.
func (c cpuClock) report(b *testing.B) {
	if d := processCPU() - c.start; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
