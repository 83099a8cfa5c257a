package middleware_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/logging"
	"github.com/eventspec/eventspec/platform/logging/logtest"
	"github.com/eventspec/eventspec/platform/middleware"
	"github.com/eventspec/eventspec/platform/middleware/ratelimit"
	"github.com/eventspec/eventspec/store"
)

// newEngine wires the order domain behind a full pipeline: authorization
// by role (read from metadata.extra.role), logging, and a store-backed
// rate limit of 2 commands per user per minute.
func newEngine(t testing.TB) (*engine.Engine, *memstore.Store, *logtest.Recorder) {
	t.Helper()
	s := memstore.New()
	clk := s.VirtualClock()
	limiter, err := ratelimit.New(s, clk, "commandDispatch", ratelimit.FixedWindow{Rate: 2, Period: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	rec := logtest.New().WithClock(clk)
	p := middleware.New(middleware.WithClock(clk)).
		Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: middleware.RoleBasedChecker(middleware.RoleConfig{
			Roles: map[string][]string{"CancelOrder": {"support"}},
			Role:  func(mc middleware.Context) string { return mc.Command().Metadata.Extra["role"] },
		})})).
		Use(middleware.Logging(middleware.LoggingConfig{Logger: rec, Clock: clk})).
		Use(middleware.RateLimit(middleware.RateLimitConfig{
			Checker: func(middleware.Context) ratelimit.Checker { return limiter.Check },
			Key:     middleware.KeyByUserID,
		}))
	e := engine.New(s, engine.WithPipeline(p))
	if err := enginetest.Register(e.Registry()); err != nil {
		t.Fatal(err)
	}
	return e, s, rec
}

func dispatch(t testing.TB, e *engine.Engine, cmd command.Command) command.Result {
	t.Helper()
	r, err := e.Dispatch(context.Background(), cmd)
	if err != nil {
		t.Fatalf("Dispatch(%s): %v", cmd.Type, err)
	}
	return r
}

func TestPipelineInTheEngine(t *testing.T) {
	e, s, rec := newEngine(t)
	create := command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}).WithID("cmd-1").WithUser("alice")
	if r := dispatch(t, e, create); r.Status != command.StatusExecuted || len(r.EventIDs) != 1 {
		t.Fatalf("create = %+v", r)
	}
	// Authorization denies, and the command is completed as rejected.
	cancel := command.MustNew("CancelOrder", enginetest.CancelOrder{OrderID: "o1"}).WithID("cmd-2").WithUser("alice")
	r := dispatch(t, e, cancel)
	if r.Status != command.StatusRejected || r.Code != "UNAUTHORIZED" || r.Reason != "Authentication required" {
		t.Errorf("cancel without role = %+v", r)
	}
	if again := dispatch(t, e, cancel); !again.Duplicate || again.Code != "UNAUTHORIZED" {
		t.Errorf("retry of a rejected command = %+v (want the recorded rejection)", again)
	}
	// The rate limit (2 per user per minute) counts alice's commands that
	// passed authorization: the create, then this one is the 2nd.
	add := command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "A", Qty: 1}).WithUser("alice")
	if r := dispatch(t, e, add); r.Status != command.StatusExecuted {
		t.Errorf("2nd command = %+v", r)
	}
	r = dispatch(t, e, add)
	if r.Status != command.StatusRejected || r.Code != "RATE_LIMITED" || r.Context["retryAfterMs"] != float64(60000) {
		t.Errorf("3rd command = %+v", r)
	}
	// Other users have their own budget; time restores alice's.
	if r := dispatch(t, e, add.WithUser("bob")); r.Status != command.StatusExecuted {
		t.Errorf("bob = %+v", r)
	}
	s.VirtualClock().Advance(time.Minute)
	if r := dispatch(t, e, add.WithUser("alice")); r.Status != command.StatusExecuted {
		t.Errorf("alice after a minute = %+v", r)
	}
	// Rejected commands wrote no events: 1 create + 3 adds.
	page, err := store.ReadAll(context.Background(), s, store.LogRead{})
	if err != nil || len(page.Events) != 4 {
		t.Errorf("log has %d events, %v", len(page.Events), err)
	}
	// Logging saw every command that passed authorization (order 40 < 50:
	// the rate-limited one too, as rejected).
	if got := len(rec.AtLevel(logging.LevelInfo)); got != 10 {
		t.Errorf("logged %d INFO entries, want 10:\n%s", got, rec)
	}
	rec.ExpectLogged(t, logging.LevelInfo, "Command rejected: AddItem")
	rec.ExpectNotLogged(t, logging.LevelInfo, "CancelOrder")
}

func ExamplePipeline() {
	s := memstore.New()
	p := middleware.New(middleware.WithClock(s.Clock())).
		Use(middleware.DomainValidation(map[string]middleware.DomainValidator{
			"AddItem": middleware.PositiveNumber("qty"),
		})).
		Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: middleware.RoleBasedChecker(middleware.RoleConfig{
			Roles: map[string][]string{"CancelOrder": {"support"}},
			Role:  func(mc middleware.Context) string { return mc.Command().Metadata.Extra["role"] },
		})}))
	e := engine.New(s, engine.WithPipeline(p))
	_ = enginetest.Register(e.Registry())
	ctx := context.Background()

	show := func(cmd command.Command) {
		r, _ := e.Dispatch(ctx, cmd)
		fmt.Println(strings.TrimSpace(fmt.Sprint(cmd.Type, " ", r.Status, " ", r.Code, " ", r.Reason)))
	}
	show(command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}))
	show(command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "A", Qty: 0}))
	show(command.MustNew("CancelOrder", enginetest.CancelOrder{OrderID: "o1"}).WithUser("u1"))
	// Output:
	// CreateOrder executed
	// AddItem rejected DOMAIN_VALIDATION_ERROR qty must be a positive number
	// CancelOrder rejected UNAUTHORIZED Authentication required
}

// BenchmarkPipelineOverhead measures the pipeline's own cost around a
// no-op handler, with the validation, authorization and logging built-ins.
func BenchmarkPipelineOverhead(b *testing.B) {
	p := middleware.New(middleware.WithClock(es.NewVirtualClock(time.Time{}))).
		Use(middleware.DomainValidation(map[string]middleware.DomainValidator{"AddItem": middleware.PositiveNumber("qty")})).
		Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: middleware.RoleBasedChecker(middleware.RoleConfig{})})).
		Use(middleware.Logging(middleware.LoggingConfig{Logger: logging.Nop()}))
	in := info("AddItem", `{"qty":1}`)
	next := func(context.Context, command.Info) (command.Result, error) { return executed, nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Execute(ctx, in, next); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmptyPipeline is the baseline: the pipeline with no middleware.
func BenchmarkEmptyPipeline(b *testing.B) {
	p := middleware.New(middleware.WithClock(es.NewVirtualClock(time.Time{})))
	in := info("AddItem", `{"qty":1}`)
	next := func(context.Context, command.Info) (command.Result, error) { return executed, nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Execute(ctx, in, next); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDispatch measures AddItem dispatches through the engine on
// memstore, with pipeline p (nil: no middleware) — the ratio of the two
// benchmarks below is the middleware's share of a full dispatch.
func benchDispatch(b *testing.B, p *middleware.Pipeline) {
	s := memstore.New()
	var opts []engine.Option
	if p != nil {
		opts = append(opts, engine.WithPipeline(p))
	}
	e := engine.New(s, opts...)
	if err := enginetest.Register(e.Registry()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.Dispatch(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"})); err != nil {
		b.Fatal(err)
	}
	add := command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "A", Qty: 1})
	b.ReportAllocs()
	for b.Loop() {
		r, err := e.Dispatch(ctx, add)
		if err != nil || r.Status != command.StatusExecuted {
			b.Fatalf("%+v %v", r, err)
		}
	}
}

// BenchmarkDispatchWithoutPipeline is the baseline for
// BenchmarkDispatchWithPipeline.
func BenchmarkDispatchWithoutPipeline(b *testing.B) { benchDispatch(b, nil) }

// BenchmarkDispatchWithPipeline dispatches through domain validation,
// role authorization and logging (to a no-op logger).
func BenchmarkDispatchWithPipeline(b *testing.B) {
	benchDispatch(b, middleware.New().
		Use(middleware.DomainValidation(map[string]middleware.DomainValidator{"AddItem": middleware.PositiveNumber("qty")})).
		Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: middleware.RoleBasedChecker(middleware.RoleConfig{})})).
		Use(middleware.Logging(middleware.LoggingConfig{Logger: logging.Nop()})))
}
