package orchestrator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

type fixture struct {
	t   *testing.T
	ctx context.Context
	s   *memstore.Store
	reg *registry.Registry
	o   *orchestrator.Orchestrator
}

func newFixture(t *testing.T, opts ...orchestrator.Option) *fixture {
	t.Helper()
	s := memstore.New()
	reg := registry.New(registry.WithClock(s.Clock()))
	if err := enginetest.Register(reg); err != nil {
		t.Fatal(err)
	}
	o := orchestrator.New(s, reg, append([]orchestrator.Option{orchestrator.WithClock(s.Clock()), orchestrator.WithIDs(s.IDs())}, opts...)...)
	return &fixture{t: t, ctx: context.Background(), s: s, reg: reg, o: o}
}

func (f *fixture) exec(cmd command.Command) command.Result {
	f.t.Helper()
	r, err := f.o.Execute(f.ctx, cmd)
	if err != nil {
		f.t.Fatalf("Execute(%s %s): %v", cmd.Type, cmd.Payload, err)
	}
	return r
}

func (f *fixture) log() []es.Recorded {
	f.t.Helper()
	page, err := store.ReadAll(f.ctx, f.s, store.LogRead{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return page.Events
}

func (f *fixture) doc(coll, key string) (store.Document, bool) {
	f.t.Helper()
	var d store.Document
	var found bool
	err := f.s.Atomic(f.ctx, func(tx store.Tx) error {
		var err error
		d, err = tx.Documents().Get(f.ctx, coll, key)
		if es.CodeOf(err) == es.CodeNotFound {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return d, found
}

func (f *fixture) cms(id string) orchestrator.CMSDocument {
	f.t.Helper()
	d, ok := f.doc("cms.Order", id)
	if !ok {
		f.t.Fatalf("no CMS for order %s", id)
	}
	var c orchestrator.CMSDocument
	if err := json.Unmarshal(d.Data, &c); err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) stored(id string) *commandbus.StoredCommand {
	f.t.Helper()
	c, err := commandbus.New(f.s, f.s.Clock()).Get(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) jobs() []string {
	f.t.Helper()
	var kinds []string
	err := f.s.Atomic(f.ctx, func(tx store.Tx) error {
		cl, err := tx.Jobs().Claim(f.ctx, 100, 0)
		for _, c := range cl {
			kinds = append(kinds, c.Job.Kind+" "+c.Job.Partition)
		}
		if err == nil {
			err = errors.New("peek only")
		}
		return err
	})
	if err != nil && err.Error() != "peek only" {
		f.t.Fatal(err)
	}
	return kinds
}

func create(id string) command.Command {
	return command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: id, CustomerID: "c1"}).WithID("create-" + id)
}

func TestSuccessDualWrite(t *testing.T) {
	f := newFixture(t)
	res := f.exec(create("o1").WithCorrelation("corr-user").WithUser("u7"))
	want := command.Result{CommandID: "create-o1", CommandType: "CreateOrder", Status: command.StatusExecuted, CorrelationID: "corr-user",
		Data: json.RawMessage(`{"orderId":"o1"}`), Stream: "Order-o1", EventIDs: []string{"orders_event_00000000-0000-7000-8000-000000000001"},
		Version: 1, Position: 1}
	if d := cmp.Diff(want, res); d != "" {
		t.Fatalf("result (-want +got):\n%s", d)
	}
	log := f.log()
	if len(log) != 1 {
		t.Fatalf("log has %d events, want 1", len(log))
	}
	m := log[0].Metadata
	if log[0].Type != "OrderCreated" || log[0].StreamID != "Order-o1" || m.CorrelationID != "corr-user" || m.CausationID != "create-o1" ||
		m.Category != "domain" || m.SchemaVersion != 1 || m.Extra["userId"] != "u7" || m.EventID != res.EventIDs[0] {
		t.Fatalf("recorded event = %+v", log[0])
	}
	if c := f.cms("o1"); c.Version != 1 || c.StateVersion != 1 || string(c.State) != `{"exists":true,"status":"draft","customerId":"c1"}` {
		t.Fatalf("CMS = %+v state %s", c, c.State)
	}
	sc := f.stored("create-o1")
	if sc == nil || sc.Status != command.StatusExecuted || sc.Metadata.CorrelationID != "corr-user" || sc.Metadata.UserID != "u7" || sc.TargetContext != "orders" {
		t.Fatalf("command log = %+v", sc)
	}
	corr, _ := commandbus.New(f.s, f.s.Clock()).EventsByCommand(f.ctx, "create-o1")
	if corr == nil || !slices.Equal(corr.EventIDs, res.EventIDs) || corr.BoundedContext != "orders" {
		t.Fatalf("event correlation = %+v", corr)
	}
	if got := f.jobs(); !slices.Equal(got, []string{"projection.orderSummary projection.orderSummary/orderId=o1"}) {
		t.Fatalf("jobs = %v", got)
	}
}

func TestGeneratedIDsAndFollowingCommands(t *testing.T) {
	f := newFixture(t)
	r1 := f.exec(command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}))
	if !strings.HasPrefix(r1.CommandID, "cmd_") || !strings.HasPrefix(r1.CorrelationID, "corr_") {
		t.Fatalf("generated ids: %+v", r1)
	}
	r2 := f.exec(command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 2}))
	r3 := f.exec(command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "b", Qty: 1}))
	r4 := f.exec(command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"}))
	if r2.Version != 2 || r3.Version != 3 || r4.Version != 4 || r4.Position != 4 || r4.Status != command.StatusExecuted {
		t.Fatalf("versions: %d %d %d, r4 %+v", r2.Version, r3.Version, r4.Version, r4)
	}
	if c := f.cms("o1"); c.Version != 4 || !strings.Contains(string(c.State), `"status":"submitted"`) {
		t.Fatalf("CMS = %+v %s", c, c.State)
	}
}

func TestDuplicateReturnsFirstResultAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	first := f.exec(create("o1"))
	before := f.log()
	jobsBefore := f.jobs()
	second := f.exec(create("o1"))
	if !second.Duplicate || first.Duplicate {
		t.Fatalf("duplicate flags: first %v second %v", first.Duplicate, second.Duplicate)
	}
	second.Duplicate = false
	if d := cmp.Diff(first, second); d != "" {
		t.Fatalf("duplicate result differs (-first +second):\n%s", d)
	}
	if len(f.log()) != len(before) || !slices.Equal(f.jobs(), jobsBefore) {
		t.Fatal("duplicate wrote something")
	}
	// A different payload under the same id is still the first command.
	third := f.exec(command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o2", CustomerID: "x"}).WithID("create-o1"))
	if !third.Duplicate || third.Stream != "Order-o1" {
		t.Fatalf("reused id with another payload: %+v", third)
	}
	// A rejected command is a duplicate too.
	rj := f.exec(command.MustNew("AddItem", enginetest.AddItem{OrderID: "zz", SKU: "a", Qty: 1}).WithID("add-zz"))
	rj2 := f.exec(command.MustNew("AddItem", enginetest.AddItem{OrderID: "zz", SKU: "a", Qty: 1}).WithID("add-zz"))
	rj2.Duplicate = false
	if rj.Status != command.StatusRejected || cmp.Diff(rj, rj2) != "" {
		t.Fatalf("rejected duplicate: %+v vs %+v", rj, rj2)
	}
}

func TestConcurrentSameCommandID(t *testing.T) {
	f := newFixture(t)
	const n = 16
	results := make([]command.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			results[i], errs[i] = f.o.Execute(f.ctx, create("o1"))
		}()
	}
	close(gate)
	wg.Wait()
	firsts := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if !results[i].Duplicate {
			firsts++
		}
		r := results[i]
		r.Duplicate = false
		r0 := results[0]
		r0.Duplicate = false
		if d := cmp.Diff(r0, r); d != "" {
			t.Fatalf("racer %d result differs:\n%s", i, d)
		}
	}
	if firsts != 1 {
		t.Fatalf("%d executions, want 1", firsts)
	}
	if len(f.log()) != 1 {
		t.Fatalf("%d events recorded, want 1", len(f.log()))
	}
}

func TestRejections(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		cmd  command.Command
		code string
		rsn  string
	}{
		{"handler rejection", command.MustNew("AddItem", enginetest.AddItem{OrderID: "none", SKU: "a", Qty: 1}), "ORDER_NOT_FOUND", "order none does not exist"},
		{"unknown command", command.MustNew("FlyToMoon", map[string]any{}), "UNKNOWN_COMMAND", "Unknown command type: FlyToMoon"},
		{"schema", command.MustNew("CreateOrder", map[string]any{"orderId": "o9"}), "VALIDATION_ERROR", "Invalid command arguments: customerId is required"},
		{"wrong type", command.MustNew("CreateOrder", map[string]any{"orderId": "o9", "customerId": 5}), "VALIDATION_ERROR", "Invalid command arguments: expected string, received number"},
		{"missing aggregate id", command.MustNew("CancelOrder", map[string]any{}), "VALIDATION_ERROR", "Invalid command arguments: orderId is required"},
		{"wrong context", func() command.Command {
			c := command.MustNew("CancelOrder", map[string]any{"orderId": "o1"})
			c.TargetContext = "billing"
			return c
		}(), "WRONG_BOUNDED_CONTEXT", `Command CancelOrder belongs to bounded context "orders", not "billing"`},
	}
	for _, c := range cases {
		r := f.exec(c.cmd)
		if r.Status != command.StatusRejected || r.Code != c.code || r.Reason != c.rsn || len(r.EventIDs) != 0 {
			t.Errorf("%s: %+v, want rejected %s %q", c.name, r, c.code, c.rsn)
			continue
		}
		if sc := f.stored(r.CommandID); sc == nil || sc.Status != command.StatusRejected {
			t.Errorf("%s: command log = %+v, want rejected", c.name, sc)
		}
	}
	if len(f.log()) != 0 || len(f.jobs()) != 0 {
		t.Fatal("rejections wrote events or jobs")
	}
	if _, ok := f.doc("cms.Order", "none"); ok {
		t.Fatal("rejection wrote a CMS")
	}
	r := f.exec(command.MustNew("CreateOrder", map[string]any{"orderId": "o9", "customerId": 5}))
	errs, _ := r.Context["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["path"] != "customerId" || errs[0].(map[string]any)["code"] != "invalid_type" {
		t.Fatalf("validation context = %#v", r.Context)
	}
}

func TestInvalidEnvelopeWritesNothing(t *testing.T) {
	f := newFixture(t)
	_, err := f.o.Execute(f.ctx, command.Command{Type: "CreateOrder", Payload: json.RawMessage(`{`)})
	if es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("bad JSON: %v", err)
	}
	_, err = f.o.Execute(f.ctx, command.Command{Payload: json.RawMessage(`{}`)})
	if es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), "command type is empty") {
		t.Fatalf("no type: %v", err)
	}
	// Count every completed record by deleting all of them in a unit of
	// work that is then rolled back.
	var n int
	rollback := errors.New("roll back")
	err = f.s.Atomic(f.ctx, func(tx store.Tx) error {
		var err error
		n, _, err = tx.Commands().DeleteExpiredCommands(f.ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), store.MaxListLimit)
		return errors.Join(err, rollback)
	})
	if !errors.Is(err, rollback) || n != 0 {
		t.Fatalf("%d commands recorded for invalid envelopes (%v)", n, err)
	}
}

func TestBusinessFailureKeepsCMSInStep(t *testing.T) {
	f := newFixture(t)
	f.exec(create("o1"))
	r := f.exec(command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"}).WithID("submit-1"))
	if r.Status != command.StatusFailed || r.Reason != "order has no items" || len(r.EventIDs) != 1 || r.Version != 2 || r.Code != "" {
		t.Fatalf("failure result = %+v", r)
	}
	if got := f.log()[1].Type; got != "SubmissionFailed" {
		t.Fatalf("failure event = %s", got)
	}
	if c := f.cms("o1"); c.Version != 2 || string(c.State) != `{"exists":true,"status":"draft","customerId":"c1"}` {
		t.Fatalf("CMS after failure = %+v %s", c, c.State)
	}
	if got := f.jobs(); !slices.Contains(got, "projection.orderFailures projection.orderFailures/orderId=o1") {
		t.Fatalf("failed projection not enqueued: %v", got)
	}
	if r := f.exec(command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 1})); r.Status != command.StatusExecuted || r.Version != 3 {
		t.Fatalf("command after a failure: %+v", r)
	}
	if sc := f.stored("submit-1"); sc.Status != command.StatusFailed {
		t.Fatalf("stored status %s, want failed", sc.Status)
	}
}

func TestCatchUpFromEventsAppendedOutside(t *testing.T) {
	f := newFixture(t)
	ev1, _ := enginetest.Codec.Encode(enginetest.OrderCreated{OrderID: "o1", CustomerID: "c1"})
	ev2, _ := enginetest.Codec.Encode(enginetest.ItemAdded{OrderID: "o1", SKU: "a", Qty: 1})
	if _, err := store.Append(f.ctx, f.s, es.AppendRequest{Stream: "Order-o1", Expected: es.NoStream, Events: []es.Event{ev1, ev2}}); err != nil {
		t.Fatal(err)
	}
	r := f.exec(command.MustNew("SubmitOrder", enginetest.SubmitOrder{OrderID: "o1"}))
	if r.Status != command.StatusExecuted || r.Version != 3 {
		t.Fatalf("submit after given events: %+v", r)
	}
	if c := f.cms("o1"); c.Version != 3 || !strings.Contains(string(c.State), `"items":{"a":1}`) {
		t.Fatalf("CMS = %+v %s", c, c.State)
	}
}

// handlerReg registers a custom handler for "DoThing" targeting aggregate Thing.
func handlerReg(t *testing.T, f *fixture, h command.Handler) {
	t.Helper()
	if _, err := registry.DefineAggregate(f.reg, registry.AggregateDef{CommandType: "DoThing", BoundedContext: "things",
		TargetAggregate: "Thing", AggregateIDField: "id", Handler: h}); err != nil {
		t.Fatal(err)
	}
}

func thing(id string) command.Command {
	return command.MustNew("DoThing", map[string]string{"id": id}).WithID("do-" + id)
}

func TestAbortsRollEverythingBack(t *testing.T) {
	f := newFixture(t)
	expect := int64(5)
	handlerReg(t, f, func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
		r := command.Success(nil, 1, es.MustEvent("ThingDone", map[string]int{"n": 1})).WithState(json.RawMessage(`{"n":1}`))
		if hc.Command.Metadata.Extra["stale"] == "yes" {
			r = r.WithExpectedVersion(expect)
		}
		return r, nil
	})
	stale := thing("t1")
	stale.Metadata.Extra = map[string]string{"stale": "yes"}
	_, err := f.o.Execute(f.ctx, stale)
	var ae *command.AbortError
	if !errors.As(err, &ae) || ae.ErrCode != command.CodeEventStoreConflict || !errors.Is(err, es.ErrConcurrency) {
		t.Fatalf("stale expected version: %v, want EVENT_STORE_CONFLICT", err)
	}
	if len(f.log()) != 0 || f.stored("do-t1") != nil || len(f.jobs()) != 0 {
		t.Fatal("abort left writes behind")
	}
	if _, ok := f.doc("cms.Thing", "t1"); ok {
		t.Fatal("abort left the CMS behind")
	}
	// The same command id starts fresh.
	if r := f.exec(thing("t1")); r.Status != command.StatusExecuted || r.Duplicate || r.Version != 1 {
		t.Fatalf("retry after abort: %+v", r)
	}
}

// TestHandlerChangingItsContextChangesNothingRecorded: a handler that
// writes to the command in its context cannot change the id, type,
// payload or correlation the orchestrator records and stamps.
func TestHandlerChangingItsContextChangesNothingRecorded(t *testing.T) {
	f := newFixture(t)
	handlerReg(t, f, func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
		hc.Command.ID, hc.Command.Type = "hijacked", "Other"
		hc.Command.Metadata.CorrelationID = "corr-hijacked"
		hc.Command.Payload = json.RawMessage(`{"id":"t9"}`)
		return command.Success(nil, 1, es.MustEvent("ThingDone", map[string]int{"n": 1})).WithState(json.RawMessage(`{"n":1}`)), nil
	})
	r := f.exec(thing("t1"))
	if r.CommandID != "do-t1" || r.CommandType != "DoThing" || r.Status != command.StatusExecuted {
		t.Fatalf("result %+v, want command do-t1 of type DoThing executed", r)
	}
	c := f.stored("do-t1")
	if c == nil || c.CommandType != "DoThing" || string(c.Payload) != `{"id":"t1"}` || c.Metadata.CorrelationID != r.CorrelationID {
		t.Fatalf("recorded %+v, want the command as dispatched", c)
	}
	if f.stored("hijacked") != nil {
		t.Fatal("a record under the handler's id")
	}
	log := f.log()
	if len(log) != 1 || log[0].Metadata.CausationID != "do-t1" || log[0].Metadata.CorrelationID != r.CorrelationID {
		t.Fatalf("stamped %+v, want causation do-t1 and the command's correlation", log)
	}
}

// TestInvalidCMSStateAborts: a handler's new state that is not valid JSON
// is refused by the store's document write; the command aborts naming the
// state, and nothing is written.
func TestInvalidCMSStateAborts(t *testing.T) {
	f := newFixture(t)
	handlerReg(t, f, func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
		return command.Success(nil, 1, es.MustEvent("ThingDone", map[string]int{"n": 1})).WithState(json.RawMessage(`{"n":`)), nil
	})
	_, err := f.o.Execute(f.ctx, thing("t1"))
	var ae *command.AbortError
	if !errors.As(err, &ae) || ae.ErrCode != command.CodeAppendAbort || !strings.Contains(ae.Message, "CMS state") || !strings.Contains(ae.Message, "not valid JSON") {
		t.Fatalf("invalid state: %v, want EVENT_STORE_APPEND_ABORT naming the CMS state", err)
	}
	if es.CodeOf(ae.Cause) != es.CodeInvalidArgument {
		t.Fatalf("cause %v, want the store's INVALID_ARGUMENT", ae.Cause)
	}
	if len(f.log()) != 0 || f.stored("do-t1") != nil {
		t.Fatal("the abort left writes behind")
	}
	if _, ok := f.doc("cms.Thing", "t1"); ok {
		t.Fatal("the abort left a CMS document behind")
	}
}

func TestPostAppendAbort(t *testing.T) {
	boom := errors.New("outbox unavailable")
	f := newFixture(t, orchestrator.WithHook(func(ctx context.Context, tx store.Tx, out orchestrator.Outcome) error {
		if out.Command.Type == "CancelOrder" {
			return boom
		}
		return nil
	}))
	f.exec(create("o1"))
	_, err := f.o.Execute(f.ctx, command.MustNew("CancelOrder", enginetest.CancelOrder{OrderID: "o1"}).WithID("cancel-1"))
	var ae *command.AbortError
	if !errors.As(err, &ae) || ae.ErrCode != command.CodePostAppendAbort || !errors.Is(err, boom) {
		t.Fatalf("hook failure: %v, want EVENT_STORE_POST_APPEND_ABORT", err)
	}
	if len(f.log()) != 1 || f.stored("cancel-1") != nil || f.cms("o1").Version != 1 {
		t.Fatal("post-append abort left writes behind")
	}
}

func TestHandlerErrorsAndPanics(t *testing.T) {
	f := newFixture(t)
	handlerReg(t, f, func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
		// Write something, then fail: the write must not survive.
		if _, err := hc.Tx.Documents().Insert(ctx, "scratch", hc.Aggregate.ID, json.RawMessage(`1`)); err != nil {
			return command.HandlerResult{}, err
		}
		switch hc.Aggregate.ID {
		case "err":
			return command.HandlerResult{}, errors.New("disk on fire")
		case "panic":
			panic("nil map")
		case "domain":
			return command.HandlerResult{}, command.InvalidState("Thing", "closed", "open")
		}
		return command.HandlerResult{Status: "weird"}, nil
	})
	cases := map[string]command.Result{
		"err":    {Status: command.StatusFailed, Code: "HANDLER_ERROR", Reason: "disk on fire"},
		"panic":  {Status: command.StatusFailed, Code: "HANDLER_ERROR", Reason: "handler panicked: nil map"},
		"domain": {Status: command.StatusRejected, Code: "INVALID_THING_STATE", Reason: `Thing is in "closed" state but "open" is required`},
		"weird":  {Status: command.StatusFailed, Code: "HANDLER_ERROR", Reason: `handler returned unknown outcome "weird"`},
	}
	for id, want := range cases {
		r := f.exec(thing(id))
		if r.Status != want.Status || r.Code != want.Code || r.Reason != want.Reason {
			t.Errorf("%s: %+v, want %+v", id, r, want)
		}
		if _, ok := f.doc("scratch", id); ok {
			t.Errorf("%s: the handler's write survived", id)
		}
		if sc := f.stored("do-" + id); sc == nil || sc.Status != want.Status {
			t.Errorf("%s: command log %+v", id, sc)
		}
	}
}

func TestStageOrderAndMiddleware(t *testing.T) {
	var stages []string
	var mu sync.Mutex
	observer := orchestrator.WithObserver(func(s orchestrator.Stage, c command.Command) {
		mu.Lock()
		stages = append(stages, string(s))
		mu.Unlock()
	})
	var calls []string
	pipe := orchestrator.PipelineFunc(func(ctx context.Context, info command.Info, next orchestrator.Next) (command.Result, error) {
		calls = append(calls, "before:"+info.Command.Type+":"+string(info.Category)+":"+info.BoundedContext)
		if info.Command.Metadata.UserID == "mallory" {
			return command.Result{Status: command.StatusRejected, Code: command.CodeUnauthorized, Reason: "Not authorized to perform this action"}, nil
		}
		if info.Command.Metadata.UserID == "abort" {
			return command.Result{}, &command.AbortError{ErrCode: command.CodeAppendAbort, Message: "abort from middleware"}
		}
		r, err := next(ctx, info)
		calls = append(calls, "after:"+string(r.Status))
		return r, err
	})
	f := newFixture(t, observer, orchestrator.WithPipeline(pipe))
	f.exec(create("o1"))
	want := []string{"validate", "middleware", "command-log", "load-cms", "handle", "dual-write", "follow-up", "complete"}
	if !slices.Equal(stages, want) {
		t.Fatalf("stages = %v\nwant     %v", stages, want)
	}
	for i, s := range orchestrator.Stages() {
		if string(s) != want[i] {
			t.Fatalf("Stages()[%d] = %s", i, s)
		}
	}
	if !slices.Equal(calls, []string{"before:CreateOrder:aggregate:orders", "after:executed"}) {
		t.Fatalf("middleware calls = %v", calls)
	}
	stages = nil
	r := f.exec(create("o2").WithUser("mallory"))
	if r.Status != command.StatusRejected || r.Code != "UNAUTHORIZED" || r.CommandID != "create-o2" {
		t.Fatalf("short-circuit: %+v", r)
	}
	if sc := f.stored("create-o2"); sc == nil || sc.Status != command.StatusRejected {
		t.Fatalf("short-circuit not recorded as rejected: %+v", sc)
	}
	if !slices.Equal(stages, []string{"validate", "middleware", "record"}) {
		t.Fatalf("short-circuit stages = %v", stages)
	}
	stages = nil
	if r := f.exec(create("o2").WithUser("mallory")); !r.Duplicate || !slices.Equal(stages, []string{"validate", "duplicate"}) {
		t.Fatalf("duplicate of a short-circuit: %+v, stages %v", r, stages)
	}
	_, err := f.o.Execute(f.ctx, create("o3").WithUser("abort"))
	if es.CodeOf(err) != command.CodeAppendAbort || f.stored("create-o3") != nil {
		t.Fatalf("middleware abort: %v", err)
	}
}

func TestFromDeciderFactory(t *testing.T) {
	f := newFixture(t)
	h, err := decider.NewHandler(decider.Config[enginetest.Order, enginetest.Command, enginetest.Event]{
		Name: "AddItemByFactory", StreamType: "Order", Decider: enginetest.Decider, Codec: enginetest.Codec,
		StreamID: func(c enginetest.Command) es.StreamID { return es.StreamID("Order-" + c.(enginetest.AddItem).OrderID) },
		Clock:    f.s.Clock(), IDs: f.s.IDs(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.reg.Register(registry.Registration{Meta: registry.Metadata{CommandType: "AddItemViaFactory", BoundedContext: "orders"},
		Handler: orchestrator.FromDecider(h, "Order", func(c command.Command) (enginetest.Command, error) {
			var a enginetest.AddItem
			err := c.Decode(&a)
			return a, err
		}), Projection: &registry.Route{Name: "items"}}); err != nil {
		t.Fatal(err)
	}
	r := f.exec(command.MustNew("AddItemViaFactory", enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 1}))
	if r.Status != command.StatusRejected || r.Code != "ORDER_NOT_FOUND" {
		t.Fatalf("factory on a missing stream: %+v", r)
	}
	f.exec(create("o1"))
	r = f.exec(command.MustNew("AddItemViaFactory", enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 1}).WithUser("u1"))
	if r.Status != command.StatusExecuted || r.Version != 2 || r.Stream != "Order-o1" || len(r.EventIDs) != 1 || !strings.HasPrefix(r.EventIDs[0], "order_event_") {
		t.Fatalf("factory success: %+v", r)
	}
	log := f.log()
	if len(log) != 2 || log[1].Metadata.CausationID != r.CommandID || log[1].Metadata.Extra["userId"] != "u1" {
		t.Fatalf("factory event: %+v", log[len(log)-1])
	}
	if got := f.jobs(); !slices.Contains(got, "projection.items projection.items/command=AddItemViaFactory") {
		t.Fatalf("jobs: %v", got)
	}
	r = f.exec(command.MustNew("AddItemViaFactory", enginetest.AddItem{OrderID: "o1", SKU: "a", Qty: 0}))
	if r.Status != command.StatusRejected || r.Code != "INVALID_QUANTITY" || r.Context["qty"] != float64(0) {
		t.Fatalf("factory rejection: %+v", r)
	}
}

func ExampleOrchestrator_Execute() {
	ctx := context.Background()
	s := memstore.New()
	reg := registry.New()
	_ = enginetest.Register(reg)
	o := orchestrator.New(s, reg, orchestrator.WithClock(s.Clock()), orchestrator.WithIDs(s.IDs()))
	cmd := command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}).WithID("cmd-1")
	r, _ := o.Execute(ctx, cmd)
	fmt.Println(r.Status, r.Stream, r.Version, r.Position)
	again, _ := o.Execute(ctx, cmd)
	fmt.Println(again.Duplicate, again.Version)
	rej, _ := o.Execute(ctx, command.MustNew("AddItem", enginetest.AddItem{OrderID: "o2", SKU: "a", Qty: 1}))
	fmt.Println(rej.Status, rej.Code)
	// Output:
	// executed Order-o1 1 1
	// true 1
	// rejected ORDER_NOT_FOUND
}

func TestDuplicateRunsNoHandler(t *testing.T) {
	f := newFixture(t)
	calls := 0
	handlerReg(t, f, func(ctx context.Context, hc *command.HandlerContext) (command.HandlerResult, error) {
		calls++
		return command.Success(nil, 1, es.MustEvent("ThingDone", map[string]int{"n": calls})), nil
	})
	f.exec(thing("t1"))
	f.exec(thing("t1"))
	if r := f.exec(thing("t1")); !r.Duplicate || calls != 1 {
		t.Fatalf("handler ran %d times for one command id (last result %+v)", calls, r)
	}
}

// repeatingIDs mints the same id forever: an id source gone wrong.
type repeatingIDs struct{}

func (repeatingIDs) NewID() string { return "00000000-0000-7000-8000-000000000001" }

// A minted command id is not looked up before the handler runs (no
// earlier execution can have used it), so an id source that repeats one
// must still be caught: the record insert fails, the unit of work rolls
// back, and the dispatch answers as a duplicate of the recorded command,
// writing nothing.
func TestRepeatedMintedIDIsADuplicate(t *testing.T) {
	f := newFixture(t, orchestrator.WithIDs(repeatingIDs{}))
	first := f.exec(command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}))
	if first.Status != command.StatusExecuted || first.Duplicate {
		t.Fatalf("first: %+v", first)
	}
	again := f.exec(command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o2", CustomerID: "c2"}))
	if !again.Duplicate || again.CommandID != first.CommandID || again.Stream != "Order-o1" {
		t.Fatalf("second command with the same minted id: %+v, want a duplicate of %+v", again, first)
	}
	if got := f.log(); len(got) != 1 || got[0].StreamID != "Order-o1" {
		t.Fatalf("log after the repeated id: %+v, want only Order-o1's event", got)
	}
}
