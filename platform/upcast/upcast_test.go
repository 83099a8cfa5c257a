package upcast_test

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

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/upcast"
	"github.com/eventspec/eventspec/store"
)

func rec(typ string, version int, data string) es.Recorded {
	return es.Recorded{
		Event: es.Event{Type: typ, Data: json.RawMessage(data), Metadata: es.Metadata{
			EventID: "evt-1", SchemaVersion: version, Category: "domain", Extra: map[string]string{"k": "v"}}},
		StreamID: "order-1", StreamVersion: 1, Position: 7, RecordedAt: es.DefaultVirtualStart,
	}
}

func code(err error) es.Code { return es.CodeOf(err) }

// orderChain: v1 {id} → v2 adds currency "EUR" → v3 renames id to orderId.
func orderChain(t *testing.T, opts ...upcast.ChainOption) *upcast.Chain {
	t.Helper()
	c, err := upcast.NewChain(3, map[int]upcast.Migration{
		1: upcast.AddField("currency", "EUR", 2),
		2: upcast.RenameField("id", "orderId", 3),
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewChainValidatesAtConstruction(t *testing.T) {
	noop := func(r es.Recorded) (es.Recorded, error) { return r, nil }
	_, err := upcast.NewChain(4, map[int]upcast.Migration{1: noop, 3: noop})
	var ue *upcast.Error
	if !errors.As(err, &ue) || ue.ErrCode != upcast.CodeMissingMigration || ue.Message != "Missing migration for version 2" {
		t.Fatalf("missing step error = %v", err)
	}
	if !cmp.Equal(ue.Context, map[string]any{"fromVersion": 2, "currentVersion": 4}) || ue.Name() != "EventUpcasterError" {
		t.Errorf("context = %v name = %s", ue.Context, ue.Name())
	}
	for name, tc := range map[string]struct {
		current int
		steps   map[int]upcast.Migration
		want    string
	}{
		"zero current":  {0, nil, "current version 0 must be at least 1"},
		"step too high": {2, map[int]upcast.Migration{1: noop, 2: noop}, "migration for version 2 is outside 1…1"},
		"step zero":     {2, map[int]upcast.Migration{0: noop, 1: noop}, "migration for version 0 is outside 1…1"},
		"nil step":      {2, map[int]upcast.Migration{1: nil}, "migration for version 1 is nil"},
	} {
		_, err := upcast.NewChain(tc.current, tc.steps)
		if code(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want INVALID_ARGUMENT containing %q", name, err, tc.want)
		}
	}
	c, err := upcast.NewChain(1, nil)
	if err != nil || c.Current() != 1 {
		t.Errorf("a chain at version 1 needs no steps: %v", err)
	}
}

func TestUpcastAtCurrentVersionIsUnchanged(t *testing.T) {
	c := orderChain(t)
	in := rec("OrderCreated", 3, `{"orderId":"o1","currency":"USD"}`)
	res, err := c.Upcast(in)
	if err != nil {
		t.Fatal(err)
	}
	want := upcast.Result{Event: in, WasUpcasted: false, OriginalSchemaVersion: 3, CurrentSchemaVersion: 3}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestUpcastFutureVersion(t *testing.T) {
	_, err := orderChain(t).Upcast(rec("OrderCreated", 5, `{}`))
	var ue *upcast.Error
	if !errors.As(err, &ue) || ue.ErrCode != upcast.CodeFutureVersion || !strings.Contains(ue.Message, "is newer than current version") {
		t.Fatalf("err = %v", err)
	}
	want := map[string]any{"eventType": "OrderCreated", "eventId": "evt-1", "position": int64(7), "schemaVersion": 5, "currentVersion": 3}
	if diff := cmp.Diff(want, ue.Context); diff != "" {
		t.Errorf("context (-want +got)\n%s", diff)
	}
	if !errors.Is(err, &upcast.Error{ErrCode: upcast.CodeFutureVersion}) || errors.Is(err, &upcast.Error{ErrCode: upcast.CodeInvalidEvent}) {
		t.Error("errors.Is by code")
	}
}

func TestUpcastAppliesEveryStepInOrder(t *testing.T) {
	in := rec("OrderCreated", 1, `{"id":"o1","total":12.50}`)
	inData := string(in.Data)
	res, err := orderChain(t).Upcast(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.Event.Data); got != `{"currency":"EUR","orderId":"o1","total":12.50}` {
		t.Errorf("data = %s", got)
	}
	if res.Event.Metadata.SchemaVersion != 3 || !res.WasUpcasted || res.OriginalSchemaVersion != 1 || res.CurrentSchemaVersion != 3 {
		t.Errorf("result = %+v", res)
	}
	// Everything else is kept, and the input is untouched.
	if res.Event.Position != 7 || res.Event.StreamID != "order-1" || res.Event.Metadata.EventID != "evt-1" || res.Event.Metadata.Extra["k"] != "v" {
		t.Errorf("other fields changed: %+v", res.Event)
	}
	if string(in.Data) != inData || in.Metadata.SchemaVersion != 1 {
		t.Errorf("input modified: %s v%d", in.Data, in.Metadata.SchemaVersion)
	}
	// From version 2 only the second step runs.
	res, err = orderChain(t).Upcast(rec("OrderCreated", 2, `{"id":"o2","currency":"USD"}`))
	if err != nil || string(res.Event.Data) != `{"currency":"USD","orderId":"o2"}` || res.OriginalSchemaVersion != 2 {
		t.Errorf("from v2: %s %+v %v", res.Event.Data, res, err)
	}
	// Schema version 0 (unset) counts as 1.
	res, err = orderChain(t).Upcast(rec("OrderCreated", 0, `{"id":"o3"}`))
	if err != nil || res.OriginalSchemaVersion != 1 || string(res.Event.Data) != `{"currency":"EUR","orderId":"o3"}` {
		t.Errorf("from v0: %s %+v %v", res.Event.Data, res, err)
	}
}

func TestChainSetsSchemaVersionForCustomMigrations(t *testing.T) {
	var seen []int
	forgetful := func(r es.Recorded) (es.Recorded, error) {
		seen = append(seen, r.Metadata.SchemaVersion)
		r.Data = json.RawMessage(`{"step":` + fmt.Sprint(r.Metadata.SchemaVersion) + `}`)
		return r, nil // does not set SchemaVersion
	}
	c, err := upcast.NewChain(3, map[int]upcast.Migration{1: forgetful, 2: forgetful})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Upcast(rec("X", 1, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(seen, []int{1, 2}) || res.Event.Metadata.SchemaVersion != 3 || string(res.Event.Data) != `{"step":2}` {
		t.Errorf("seen %v, version %d, data %s", seen, res.Event.Metadata.SchemaVersion, res.Event.Data)
	}
}

func TestValidationAfterUpcast(t *testing.T) {
	errNoCustomer := errors.New("customer is required")
	c := orderChain(t, upcast.WithValidate(func(r es.Recorded) error {
		if !strings.Contains(string(r.Data), "customer") {
			return errNoCustomer
		}
		return nil
	}))
	_, err := c.Upcast(rec("OrderCreated", 1, `{"id":"o1"}`))
	var ue *upcast.Error
	if !errors.As(err, &ue) || ue.ErrCode != upcast.CodeInvalidEvent || ue.Message != "Upcasted event failed validation" || !errors.Is(err, errNoCustomer) {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, es.ErrInvalidEvent) {
		t.Error("INVALID_EVENT upcast error is not es.ErrInvalidEvent")
	}
	// Current-version events are not re-validated.
	if _, err := c.Upcast(rec("OrderCreated", 3, `{"orderId":"o1"}`)); err != nil {
		t.Errorf("current event validated: %v", err)
	}
	if _, err := c.Upcast(rec("OrderCreated", 1, `{"id":"o1","customer":"c"}`)); err != nil {
		t.Errorf("valid event rejected: %v", err)
	}
}

func TestMigrationErrorsPropagateUnchanged(t *testing.T) {
	boom := errors.New("cannot parse legacy amount")
	c, err := upcast.NewChain(2, map[int]upcast.Migration{1: func(es.Recorded) (es.Recorded, error) { return es.Recorded{}, boom }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upcast(rec("X", 1, `{}`)); err != boom {
		t.Errorf("err = %v, want the migration's own error", err)
	}
}

func TestMigrationMustKeepTypeAndJSON(t *testing.T) {
	c, _ := upcast.NewChain(2, map[int]upcast.Migration{1: func(r es.Recorded) (es.Recorded, error) { r.Type = "Other"; return r, nil }})
	_, err := c.Upcast(rec("X", 1, `{}`))
	if code(err) != upcast.CodeInvalidEvent || !strings.Contains(err.Error(), `changed its type to "Other"`) {
		t.Errorf("type change err = %v", err)
	}
	c, _ = upcast.NewChain(2, map[int]upcast.Migration{1: func(r es.Recorded) (es.Recorded, error) { r.Data = json.RawMessage(`{`); return r, nil }})
	_, err = c.Upcast(rec("X", 1, `{}`))
	if code(err) != upcast.CodeInvalidEvent || !strings.Contains(err.Error(), "data is not valid JSON") {
		t.Errorf("bad JSON err = %v", err)
	}
}

func TestHelpers(t *testing.T) {
	r := rec("OrderCreated", 1, `{"id":"o1","big":12345678901234567890,"html":"<b>"}`)
	r.RecordedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	got, err := upcast.AddFieldFunc("createdAt", func(e es.Recorded) any { return e.RecordedAt.UnixMilli() }, 2)(r)
	if err != nil || string(got.Data) != `{"big":12345678901234567890,"createdAt":1741064767000,"html":"<b>","id":"o1"}` || got.Metadata.SchemaVersion != 2 {
		t.Errorf("AddFieldFunc = %s v%d %v", got.Data, got.Metadata.SchemaVersion, err)
	}
	got, err = upcast.RenameField("missing", "renamed", 2)(r)
	if err != nil || string(got.Data) != `{"big":12345678901234567890,"html":"<b>","id":"o1","renamed":null}` {
		t.Errorf("RenameField absent = %s %v", got.Data, err)
	}
	got, err = upcast.RemoveField("big", 4)(r)
	if err != nil || string(got.Data) != `{"html":"<b>","id":"o1"}` || got.Metadata.SchemaVersion != 4 {
		t.Errorf("RemoveField = %s v%d %v", got.Data, got.Metadata.SchemaVersion, err)
	}
	for _, data := range []string{`[1]`, `"s"`, `null`, `{`} {
		_, err := upcast.AddField("x", 1, 2)(rec("E", 1, data))
		if code(err) != upcast.CodeInvalidEvent || !strings.Contains(err.Error(), "data is not a JSON object") {
			t.Errorf("AddField on %s: %v", data, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	reg := upcast.NewRegistry()
	if err := reg.Register("OrderCreated", orderChain(t)); err != nil {
		t.Fatal(err)
	}
	if err := reg.Define("ItemAdded", 2, map[int]upcast.Migration{1: upcast.AddField("qty", 1, 2)}); err != nil {
		t.Fatal(err)
	}
	if !reg.Has("OrderCreated") || reg.Has("Unknown") || !cmp.Equal(reg.Types(), []string{"ItemAdded", "OrderCreated"}) {
		t.Errorf("Has/Types = %v", reg.Types())
	}
	// Unregistered types pass through as they are.
	in := rec("Unknown", 4, `{"a":1}`)
	res, err := reg.Upcast(in)
	if err != nil || !cmp.Equal(res, upcast.Result{Event: in, OriginalSchemaVersion: 4, CurrentSchemaVersion: 4}) {
		t.Errorf("unregistered = %+v %v", res, err)
	}
	// Strict refuses them.
	_, err = reg.Strict(in)
	if code(err) != upcast.CodeUnknownEventType || !strings.Contains(err.Error(), "no upcaster registered for event type Unknown") {
		t.Errorf("Strict = %v", err)
	}
	if out, err := reg.Strict(rec("ItemAdded", 1, `{}`)); err != nil || string(out.Data) != `{"qty":1}` {
		t.Errorf("Strict registered = %s %v", out.Data, err)
	}
	// Re-registering replaces.
	if err := reg.Define("ItemAdded", 1, nil); err != nil {
		t.Fatal(err)
	}
	if reg.Chain("ItemAdded").Current() != 1 {
		t.Error("Register did not replace")
	}
	// A gap fails at registration, naming the type.
	err = reg.Define("OrderShipped", 3, map[int]upcast.Migration{2: upcast.AddField("x", 1, 3)})
	var ue *upcast.Error
	if !errors.As(err, &ue) || ue.Message != "event OrderShipped: Missing migration for version 1" || ue.Context["eventType"] != "OrderShipped" {
		t.Errorf("Define gap = %v", err)
	}
	if reg.Has("OrderShipped") {
		t.Error("a failed Define registered the type")
	}
	if err := reg.Register("", orderChain(t)); code(err) != es.CodeInvalidArgument {
		t.Errorf("empty type: %v", err)
	}
	if err := reg.Register("X", nil); code(err) != es.CodeInvalidArgument {
		t.Errorf("nil chain: %v", err)
	}
	// ApplyAll keeps order and leaves the input alone.
	events := []es.Recorded{rec("OrderCreated", 1, `{"id":"a"}`), rec("Unknown", 1, `{}`), rec("OrderCreated", 3, `{"orderId":"b"}`)}
	out, err := reg.ApplyAll(events)
	if err != nil {
		t.Fatal(err)
	}
	var datas []string
	for _, e := range out {
		datas = append(datas, string(e.Data))
	}
	if !cmp.Equal(datas, []string{`{"currency":"EUR","orderId":"a"}`, `{}`, `{"orderId":"b"}`}) || string(events[0].Data) != `{"id":"a"}` {
		t.Errorf("ApplyAll = %v", datas)
	}
	if out, err := reg.ApplyAll(nil); out != nil || err != nil {
		t.Errorf("ApplyAll(nil) = %v %v", out, err)
	}
}

// seed appends OrderCreated at v1 and v3 plus an unrelated event.
func seed(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	v1 := es.MustEvent("OrderCreated", map[string]any{"id": "o1"}, "order:o1")
	v3 := es.MustEvent("OrderCreated", map[string]any{"orderId": "o2", "currency": "USD"}, "order:o2")
	v3.Metadata.SchemaVersion = 3
	other := es.MustEvent("Noted", map[string]any{"n": 1})
	for _, req := range []es.AppendRequest{
		{Stream: "order-o1", Events: []es.Event{v1}},
		{Stream: "order-o2", Events: []es.Event{v3}},
		{Stream: "notes", Events: []es.Event{other}},
	} {
		if _, err := store.Append(ctx, s, req); err != nil {
			t.Fatal(err)
		}
	}
}

func datas(events []es.Recorded) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = fmt.Sprintf("%d:%s:v%d:%s", e.Position, e.Type, e.Metadata.SchemaVersion, e.Data)
	}
	return out
}

func TestStoreWrapperUpcastsEveryRead(t *testing.T) {
	ctx := context.Background()
	raw := memstore.New()
	seed(t, raw)
	reg := upcast.NewRegistry()
	if err := reg.Register("OrderCreated", orderChain(t)); err != nil {
		t.Fatal(err)
	}
	s := upcast.Store(raw, reg)

	stream, err := store.ReadStream(ctx, s, "order-o1", store.StreamRead{})
	if err != nil {
		t.Fatal(err)
	}
	if got := datas(stream); !cmp.Equal(got, []string{`1:OrderCreated:v3:{"currency":"EUR","orderId":"o1"}`}) {
		t.Errorf("ReadStream = %v", got)
	}
	page, err := store.ReadAll(ctx, s, store.LogRead{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`1:OrderCreated:v3:{"currency":"EUR","orderId":"o1"}`,
		`2:OrderCreated:v3:{"currency":"USD","orderId":"o2"}`,
		`3:Noted:v1:{"n":1}`,
	}
	if got := datas(page.Events); !cmp.Equal(got, want) || page.Head != 3 || page.Next != 3 {
		t.Errorf("ReadAll = %v head %d next %d", got, page.Head, page.Next)
	}
	q, err := store.ReadQuery(ctx, s, es.Tags("order:o1"), store.QueryRead{})
	if err != nil {
		t.Fatal(err)
	}
	if got := datas(q.Events); !cmp.Equal(got, want[:1]) || q.Head != 3 || !q.Complete {
		t.Errorf("ReadQuery = %v %+v", got, q)
	}
	// The stored event is unchanged.
	stored, _ := store.ReadStream(ctx, raw, "order-o1", store.StreamRead{})
	if got := datas(stored); !cmp.Equal(got, []string{`1:OrderCreated:v1:{"id":"o1"}`}) {
		t.Errorf("stored event rewritten: %v", got)
	}
	// Appends and versions go through the wrapper.
	err = s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "order-o1", Expected: es.Exact(1), Events: []es.Event{es.MustEvent("Noted", 1)}}); err != nil {
			return err
		}
		v, err := tx.Events().StreamVersion(ctx, "order-o1")
		if v != 2 {
			return fmt.Errorf("version %d", v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Capabilities().Has(store.GaplessPositions) {
		t.Error("capabilities not passed through")
	}
}

func TestReadFailsWholeWhenAnEventCannotBeUpcast(t *testing.T) {
	ctx := context.Background()
	raw := memstore.New()
	seed(t, raw)
	reg := upcast.NewRegistry()
	if err := reg.Define("OrderCreated", 2, map[int]upcast.Migration{1: upcast.AddField("x", 1, 2)}); err != nil {
		t.Fatal(err)
	}
	_, err := store.ReadAll(ctx, upcast.Store(raw, reg), store.LogRead{})
	var ue *upcast.Error
	if !errors.As(err, &ue) || ue.ErrCode != upcast.CodeFutureVersion ||
		!strings.HasPrefix(err.Error(), "upcast on read: event OrderCreated at position 2: FUTURE_VERSION") {
		t.Errorf("err = %v", err)
	}
	if _, err := store.ReadStream(ctx, upcast.Store(raw, reg), "order-o1", store.StreamRead{}); err != nil {
		t.Errorf("unaffected stream fails: %v", err)
	}
	// Errors of the inner log pass through.
	_, err = store.ReadStream(ctx, upcast.Store(raw, reg), "", store.StreamRead{Limit: -1})
	if err == nil {
		t.Error("invalid read succeeded")
	}
}

func TestConcurrentReads(t *testing.T) {
	raw := memstore.New()
	seed(t, raw)
	reg := upcast.NewRegistry()
	if err := reg.Register("OrderCreated", orderChain(t)); err != nil {
		t.Fatal(err)
	}
	s := upcast.Store(raw, reg)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				page, err := store.ReadAll(context.Background(), s, store.LogRead{})
				if err != nil || len(page.Events) != 3 || string(page.Events[0].Data) != `{"currency":"EUR","orderId":"o1"}` {
					errs <- fmt.Errorf("read: %v %v", datas(page.Events), err)
					return
				}
				_ = reg.Types()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func Example() {
	reg := upcast.NewRegistry()
	// OrderCreated v1 {id} → v2 adds currency → v3 renames id to orderId.
	err := reg.Define("OrderCreated", 3, map[int]upcast.Migration{
		1: upcast.AddField("currency", "EUR", 2),
		2: upcast.RenameField("id", "orderId", 3),
	})
	fmt.Println("registered:", err)

	old := es.Recorded{Event: es.Event{Type: "OrderCreated", Data: json.RawMessage(`{"id":"o1"}`),
		Metadata: es.Metadata{SchemaVersion: 1}}}
	res, _ := reg.Upcast(old)
	fmt.Println(string(res.Event.Data), res.OriginalSchemaVersion, "->", res.Event.Metadata.SchemaVersion)

	// A gap in the chain is an error at registration, not at read time.
	err = reg.Define("OrderShipped", 3, map[int]upcast.Migration{1: upcast.AddField("carrier", "", 2)})
	fmt.Println(err)
	// Output:
	// registered: <nil>
	// {"currency":"EUR","orderId":"o1"} 1 -> 3
	// MISSING_MIGRATION: event OrderShipped: Missing migration for version 2
}

// bare hides everything but store.Store.
type bare struct{ store.Store }

func TestStoreWrapperForwardsOptionalMethods(t *testing.T) {
	mem := memstore.New()
	reg := upcast.NewRegistry()
	if err := reg.Define("OrderCreated", 2, map[int]upcast.Migration{1: upcast.AddField("channel", "web", 2)}); err != nil {
		t.Fatal(err)
	}
	wrapped := upcast.Store(mem, reg)
	c, ok := wrapped.(interface{ Clock() es.Clock })
	if !ok || c.Clock() != mem.Clock() {
		t.Error("Clock not forwarded")
	}
	if i, ok := wrapped.(interface{ IDs() es.IDs }); !ok || i.IDs() != mem.IDs() {
		t.Error("IDs not forwarded")
	}
	f, ok := wrapped.(store.FaultInjector)
	if !ok {
		t.Fatal("FaultInjector not forwarded")
	}
	f.FailNextCommit(nil)
	_, err := store.Append(context.Background(), wrapped, es.AppendRequest{Stream: "s", Events: []es.Event{es.MustEvent("E", 1)}})
	if !errors.Is(err, es.ErrInjectedFault) {
		t.Errorf("injected fault through the wrapper = %v", err)
	}
	plain := upcast.Store(bare{mem}, reg)
	if _, ok := plain.(interface{ Clock() es.Clock }); ok {
		t.Error("a store without Clock gained one")
	}
	if _, ok := plain.(store.FaultInjector); ok {
		t.Error("a store without faults gained FaultInjector")
	}
	only := upcast.Store(struct {
		store.Store
		store.FaultInjector
	}{mem, mem}, reg)
	if _, ok := only.(store.FaultInjector); !ok {
		t.Error("FaultInjector alone not forwarded")
	}
	if _, ok := only.(interface{ IDs() es.IDs }); ok {
		t.Error("IDs appeared")
	}
}

func TestEngineReadsThroughTheUpcastingStore(t *testing.T) {
	mem := memstore.New()
	reg := upcast.NewRegistry()
	if err := reg.Define("OrderCreated", 2, map[int]upcast.Migration{1: upcast.AddField("channel", "web", 2)}); err != nil {
		t.Fatal(err)
	}
	e := engine.New(upcast.Store(mem, reg))
	if e.Clock() != mem.Clock() {
		t.Fatal("the engine did not take the store's virtual clock")
	}
	if err := enginetest.Register(e.Registry()); err != nil {
		t.Fatal(err)
	}
	r, err := e.Dispatch(context.Background(), command.MustNew("CreateOrder", enginetest.CreateOrder{OrderID: "o1", CustomerID: "c1"}))
	if err != nil || r.Status != command.StatusExecuted {
		t.Fatalf("dispatch = %+v %v", r, err)
	}
	evs, err := store.ReadStream(context.Background(), e.Store(), "Order-o1", store.StreamRead{})
	if err != nil || len(evs) != 1 || evs[0].Metadata.SchemaVersion != 2 || string(evs[0].Data) != `{"channel":"web","customerId":"c1","orderId":"o1"}` {
		t.Errorf("engine read = %v %v", datas(evs), err)
	}
	raw, _ := store.ReadStream(context.Background(), mem, "Order-o1", store.StreamRead{})
	if len(raw) != 1 || raw[0].Metadata.SchemaVersion != 1 {
		t.Errorf("stored = %v", datas(raw))
	}
}
