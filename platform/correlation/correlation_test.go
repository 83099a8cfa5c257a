package correlation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/platform/correlation"
	"github.com/eventspec/eventspec/store"
)

const id1 = "00000000-0000-7000-8000-000000000001"

func env() (*es.SequentialIDs, *es.VirtualClock) {
	return es.NewSequentialIDs(), es.NewVirtualClock(time.Time{})
}

func TestNewRootChain(t *testing.T) {
	ids, clk := env()
	c, err := correlation.New("cmd_a", ids, clk)
	want := correlation.Chain{CommandID: "cmd_a", CorrelationID: "corr_" + id1, CausationID: "cmd_a", InitiatedAt: es.DefaultVirtualStart}
	if err != nil || !cmp.Equal(c, want) {
		t.Errorf("New = %+v %v", c, err)
	}
	at := es.DefaultVirtualStart.Add(time.Hour)
	c, err = correlation.New("cmd_b", ids, clk, correlation.WithCorrelationID("corr_saga"), correlation.WithInitiatedAt(at),
		correlation.WithUserID("u1"), correlation.WithContext(map[string]any{"tenant": "t1"}))
	want = correlation.Chain{CommandID: "cmd_b", CorrelationID: "corr_saga", CausationID: "cmd_b", InitiatedAt: at, UserID: "u1", Context: map[string]any{"tenant": "t1"}}
	if err != nil || !cmp.Equal(c, want) {
		t.Errorf("New with options = %+v %v", c, err)
	}
	if c, _ := correlation.New("cmd_c", ids, clk, correlation.WithContext(nil)); c.Context == nil || len(c.Context) != 0 {
		t.Errorf("explicit empty context = %#v", c.Context)
	}
	if _, err := correlation.New("", ids, clk); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("empty id: %v", err)
	}
}

func TestDerive(t *testing.T) {
	ids, clk := env()
	src := correlation.Source{EventID: "orders_event_1", CorrelationID: "corr_x", UserID: "u1"}
	c, err := correlation.Derive(src, ids, clk)
	want := correlation.Chain{CommandID: "cmd_" + id1, CorrelationID: "corr_x", CausationID: "orders_event_1", InitiatedAt: es.DefaultVirtualStart, UserID: "u1"}
	if err != nil || !cmp.Equal(c, want) {
		t.Errorf("Derive = %+v %v", c, err)
	}
	c, _ = correlation.Derive(src, ids, clk, correlation.WithCommandID("cmd_given"), correlation.WithUserID("u2"))
	if c.CommandID != "cmd_given" || c.UserID != "u2" {
		t.Errorf("Derive with options = %+v", c)
	}
	for _, tc := range []struct {
		name     string
		src, opt map[string]any
		optSet   bool
		want     map[string]any
	}{
		{"neither", nil, nil, false, nil},
		{"source only", map[string]any{"a": 1}, nil, false, map[string]any{"a": 1}},
		{"options only", nil, map[string]any{"b": 2}, true, map[string]any{"b": 2}},
		{"merged, options win", map[string]any{"a": 1, "b": 1}, map[string]any{"b": 2}, true, map[string]any{"a": 1, "b": 2}},
		{"two empty", map[string]any{}, map[string]any{}, true, map[string]any{}},
	} {
		s := src
		s.Context = tc.src
		var opts []correlation.Option
		if tc.optSet {
			opts = append(opts, correlation.WithContext(tc.opt))
		}
		c, err := correlation.Derive(s, ids, clk, opts...)
		if err != nil || !cmp.Equal(c.Context, tc.want) || (tc.want == nil) != (c.Context == nil) {
			t.Errorf("%s: context = %#v %v", tc.name, c.Context, err)
		}
	}
	if _, err := correlation.Derive(correlation.Source{CorrelationID: "c"}, ids, clk); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("no event id: %v", err)
	}
	if _, err := correlation.Derive(correlation.Source{EventID: "e"}, ids, clk); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("no correlation: %v", err)
	}
	r := es.Recorded{Event: es.Event{Metadata: es.Metadata{EventID: "e9", CorrelationID: "corr_9", Extra: map[string]string{"userId": "u9"}}}}
	if got := correlation.SourceOf(r); !cmp.Equal(got, correlation.Source{EventID: "e9", CorrelationID: "corr_9", UserID: "u9"}) {
		t.Errorf("SourceOf = %+v", got)
	}
}

func TestEventMetadata(t *testing.T) {
	c := correlation.Chain{CommandID: "cmd_1", CorrelationID: "corr_1", CausationID: "cmd_1", UserID: "u1", Context: map[string]any{"x": 1}}
	got := c.EventMetadata(map[string]string{"correlationId": "evil", "causationId": "evil", "userId": "other", "source": "api"})
	want := es.Metadata{CorrelationID: "corr_1", CausationID: "cmd_1", Extra: map[string]string{"userId": "u1", "source": "api"}}
	if !cmp.Equal(got, want) {
		t.Errorf("EventMetadata = %+v", got)
	}
	anon := correlation.Chain{CorrelationID: "corr_1", CausationID: "cmd_1"}
	if got := anon.EventMetadata(nil); !cmp.Equal(got, es.Metadata{CorrelationID: "corr_1", CausationID: "cmd_1"}) {
		t.Errorf("no user, no extra = %+v", got)
	}
	if got := anon.EventMetadata(map[string]string{"correlationId": "x"}); got.Extra != nil {
		t.Errorf("only forbidden extra keys = %+v", got)
	}
}

func TestPredicatesAndMultiHop(t *testing.T) {
	ids, clk := env()
	root, _ := correlation.New("cmd_root", ids, clk, correlation.WithUserID("u1"))
	if !correlation.IsCausedBy(root, root) {
		t.Error("a root chain is caused by itself")
	}
	// Three hops: each command reacts to the previous command's event.
	chains := []correlation.Chain{root}
	for i := range 3 {
		prev := chains[len(chains)-1]
		ev := es.Recorded{Event: es.Event{Metadata: prev.EventMetadata(nil)}}
		ev.Metadata.EventID = fmt.Sprint("evt_", i)
		next, err := correlation.Derive(correlation.SourceOf(ev), ids, clk)
		if err != nil {
			t.Fatal(err)
		}
		if next.CausationID != ev.Metadata.EventID || next.UserID != "u1" {
			t.Errorf("hop %d = %+v", i, next)
		}
		chains = append(chains, next)
	}
	for _, c := range chains {
		if !correlation.IsCorrelated(root, c) || c.CorrelationID != root.CorrelationID {
			t.Errorf("hop %+v left the correlation", c)
		}
	}
	if correlation.IsCausedBy(root, chains[1]) {
		t.Error("a derived chain is caused by the event, not the root command")
	}
	other, _ := correlation.New("cmd_other", ids, clk)
	if correlation.IsCorrelated(root, other) {
		t.Error("separate actions correlated")
	}
	cmd, err := chains[1].Command("AddItem", map[string]int{"qty": 1})
	if err != nil || cmd.ID != chains[1].CommandID || cmd.Metadata.CausationID != "evt_0" || cmd.Metadata.UserID != "u1" ||
		cmd.Metadata.CorrelationID != root.CorrelationID || string(cmd.Payload) != `{"qty":1}` {
		t.Errorf("Command = %+v %v", cmd, err)
	}
	if _, err := chains[1].Command("X", func() {}); err == nil {
		t.Error("unencodable payload accepted")
	}
}

func TestService(t *testing.T) {
	s := memstore.New()
	svc := correlation.NewService(commandbus.New(s, s.Clock()))
	ctx := context.Background()
	ok, err := svc.Record(ctx, commandbus.CorrelationRequest{CommandID: "cmd_1", EventIDs: []string{"e1"}, CommandType: "CreateOrder", BoundedContext: "orders"})
	if !ok || err != nil {
		t.Fatalf("Record = %v %v", ok, err)
	}
	if ok, err := svc.Record(ctx, commandbus.CorrelationRequest{CommandID: "cmd_1", EventIDs: []string{"e1", "e2"}, CommandType: "CreateOrder", BoundedContext: "orders"}); !ok || err != nil {
		t.Fatalf("merge = %v %v", ok, err)
	}
	c, err := svc.EventsByCommand(ctx, "cmd_1")
	if err != nil || c == nil || !cmp.Equal(c.EventIDs, []string{"e1", "e2"}) {
		t.Errorf("EventsByCommand = %+v %v", c, err)
	}
	if c, err := svc.EventsByCommand(ctx, "cmd_none"); c != nil || err != nil {
		t.Errorf("unknown = %+v %v", c, err)
	}
	_, _ = svc.Record(ctx, commandbus.CorrelationRequest{CommandID: "cmd_empty", CommandType: "Noop", BoundedContext: "orders"})
	for id, want := range map[string]int{"cmd_1": 2, "cmd_empty": 0, "cmd_none": 0} {
		n, err := svc.EventCount(ctx, id)
		has, err2 := svc.HasCorrelation(ctx, id)
		if n != want || has != (want > 0) || err != nil || err2 != nil {
			t.Errorf("%s: count %d has %v", id, n, has)
		}
	}
	_, _ = svc.Record(ctx, commandbus.CorrelationRequest{CommandID: "cmd_inv", EventIDs: []string{"e9"}, CommandType: "Reserve", BoundedContext: "inventory"})
	got, err := svc.ByContext(ctx, correlation.ContextQuery{BoundedContext: "orders"})
	if err != nil || len(got) != 2 || got[0].CommandID != "cmd_1" || got[1].CommandID != "cmd_empty" {
		t.Errorf("ByContext = %+v %v", got, err)
	}
	if got, _ := svc.ByContext(ctx, correlation.ContextQuery{BoundedContext: "orders", Limit: 1}); len(got) != 1 {
		t.Errorf("limit = %d", len(got))
	}
	if _, err := svc.ByContext(ctx, correlation.ContextQuery{}); es.CodeOf(err) != es.CodeInvalidArgument ||
		!strings.Contains(err.Error(), "boundedContext is required for getCorrelationsByContext") {
		t.Errorf("no context = %v", err)
	}
}

func TestTraceThroughTheEngine(t *testing.T) {
	s := memstore.New()
	e := engine.New(s)
	if err := enginetest.Register(e.Registry()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root, _ := correlation.New("cmd_create", e.IDs(), e.Clock(), correlation.WithCorrelationID("corr_checkout"), correlation.WithUserID("u1"))
	create, _ := root.Command("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"})
	r1, err := e.Dispatch(ctx, create)
	if err != nil || r1.Status != command.StatusExecuted || r1.CorrelationID != "corr_checkout" {
		t.Fatalf("create = %+v %v", r1, err)
	}
	// An unrelated action in between.
	if _, err := e.Dispatch(ctx, command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o2", CustomerID: "c2"}).WithCorrelation("corr_other")); err != nil {
		t.Fatal(err)
	}
	// A reaction to OrderCreated continues the action.
	evs, err := store.ReadStream(ctx, s, "Order-o1", store.StreamRead{})
	if err != nil || len(evs) != 1 {
		t.Fatalf("stream = %v %v", evs, err)
	}
	next, _ := correlation.Derive(correlation.SourceOf(evs[0]), e.IDs(), e.Clock(), correlation.WithCommandID("cmd_add"))
	add, _ := next.Command("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "A", Qty: 1})
	if r, err := e.Dispatch(ctx, add); err != nil || r.Status != command.StatusExecuted {
		t.Fatalf("add = %+v %v", r, err)
	}

	var tr correlation.Trace
	err = s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		tr, err = correlation.Load(ctx, tx, e.Orchestrator().CommandLog(), "corr_checkout")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range tr.Links {
		got = append(got, fmt.Sprintf("%s %s %s <- %s", l.Kind, l.Type, l.ID, l.CausationID))
	}
	evt1, evt2 := r1.EventIDs[0], tr.Events()[1].ID
	want := []string{
		"command CreateOrder cmd_create <- cmd_create",
		"event OrderCreated " + evt1 + " <- cmd_create",
		"command AddItem cmd_add <- " + evt1,
		"event ItemAdded " + evt2 + " <- cmd_add",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trace (-want +got)\n%s", diff)
	}
	if cs := tr.CausedBy(evt1); len(cs) != 1 || cs[0].ID != "cmd_add" {
		t.Errorf("CausedBy(event) = %+v", cs)
	}
	if len(tr.Commands()) != 2 || tr.Commands()[1].Status != command.StatusExecuted || tr.Events()[0].Stream != "Order-o1" {
		t.Errorf("commands = %+v", tr.Commands())
	}
	err = s.Atomic(ctx, func(tx store.Tx) error {
		evs, err := correlation.Events(ctx, tx.Events(), "corr_other")
		if err == nil && (len(evs) != 1 || evs[0].Type != "OrderCreated") {
			t.Errorf("other correlation = %v", evs)
		}
		_, err2 := correlation.Events(ctx, tx.Events(), "")
		if es.CodeOf(err2) != es.CodeInvalidArgument {
			t.Errorf("empty correlation id: %v", err2)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ExampleDerive() {
	ids, clock := es.NewSequentialIDs(), es.NewVirtualClock(time.Time{})
	root, _ := correlation.New("cmd_checkout", ids, clock, correlation.WithUserID("u1"))
	// The command emits an event stamped with the chain's metadata…
	event := es.Recorded{Event: es.Event{Type: "OrderPlaced", Metadata: root.EventMetadata(nil)}}
	event.Metadata.EventID = "orders_event_1"
	// …and a process manager reacts with a derived command.
	next, _ := correlation.Derive(correlation.SourceOf(event), ids, clock)
	fmt.Println(next.CorrelationID == root.CorrelationID, next.CausationID, next.UserID)
	fmt.Println(correlation.IsCorrelated(root, next), correlation.IsCausedBy(root, root))
	// Output:
	// true orders_event_1 u1
	// true true
}
