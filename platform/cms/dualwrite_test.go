package cms_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/cms"
	"github.com/eventspec/eventspec/store"
)

func streamVersion(t *testing.T, s store.Store, stream es.StreamID) es.Version {
	t.Helper()
	var v es.Version
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		v, err = tx.Events().StreamVersion(ctx, stream)
		return err
	})
	return v
}

func TestDualWriteCreateThenUpdate(t *testing.T) {
	s := memstore.New()
	repo := newRepo(t, nil)
	ctx := context.Background()
	var w cms.Written
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		w, err = repo.DualWrite(ctx, tx, cms.Change[order]{
			ID: "o1", State: order{OrderID: "o1", Status: "new"}, Expected: 0,
			Stream: "order-o1", Events: []es.Event{es.MustEvent("OrderCreated", map[string]string{"orderId": "o1"})},
		})
		return err
	})
	if w.Version != 1 || w.Append.Version != 1 || len(w.Append.Positions) != 1 {
		t.Errorf("create = %+v", w)
	}
	if got := rawDoc(t, s, "orderCMS", "o1"); got != `{"createdAt":0,"orderId":"o1","stateVersion":2,"status":"new","updatedAt":0,"version":1}` {
		t.Errorf("stored = %s", got)
	}
	// Load → decide → dual write with two events: version = old + 2.
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		l, err := repo.Load(ctx, tx.Documents(), "o1")
		if err != nil {
			return err
		}
		next := l.State
		next.Items = []string{"a", "b"}
		w, err = repo.DualWrite(ctx, tx, cms.Change[order]{ID: "o1", State: next, Expected: l.Version, Stream: "order-o1",
			Events: []es.Event{es.MustEvent("ItemAdded", "a"), es.MustEvent("ItemAdded", "b")}})
		return err
	})
	if w.Version != 3 || w.Append.Version != 3 || streamVersion(t, s, "order-o1") != 3 {
		t.Errorf("update = %+v", w)
	}
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		l, err := repo.Load(ctx, tx.Documents(), "o1")
		if err == nil && (l.Version != 3 || strings.Join(l.State.Items, ",") != "a,b") {
			t.Errorf("loaded = %+v", l)
		}
		return err
	})
	_ = ctx
}

func TestDualWriteRollsBackTogether(t *testing.T) {
	s := memstore.New()
	repo := newRepo(t, nil)
	ctx := context.Background()
	create := func(tx store.Tx) error {
		_, err := repo.DualWrite(ctx, tx, cms.Change[order]{ID: "o1", State: order{Status: "new"}, Stream: "order-o1",
			Events: []es.Event{es.MustEvent("OrderCreated", 1)}})
		return err
	}
	in(t, s, func(_ context.Context, tx store.Tx) error { return create(tx) })

	// Stream moved behind the CMS's back: the append conflicts, so the CMS
	// update made in the same unit of work rolls back.
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "order-o1", Events: []es.Event{es.MustEvent("Sneaky", 1)}})
		return err
	})
	before := rawDoc(t, s, "orderCMS", "o1")
	err := s.Atomic(ctx, func(tx store.Tx) error {
		_, err := repo.DualWrite(ctx, tx, cms.Change[order]{ID: "o1", State: order{Status: "paid"}, Expected: 1, Stream: "order-o1",
			Events: []es.Event{es.MustEvent("OrderPaid", 1)}})
		return err
	})
	var ce *es.ConcurrencyError
	if !errors.As(err, &ce) || ce.Actual != 2 {
		t.Fatalf("err = %v", err)
	}
	if got := rawDoc(t, s, "orderCMS", "o1"); got != before {
		t.Errorf("CMS changed by a failed dual write: %s", got)
	}
	if v := streamVersion(t, s, "order-o1"); v != 2 {
		t.Errorf("stream version %d", v)
	}

	// A stale CMS version: nothing is appended.
	err = s.Atomic(ctx, func(tx store.Tx) error {
		_, err := repo.DualWrite(ctx, tx, cms.Change[order]{ID: "o1", State: order{Status: "x"}, Expected: 5, Stream: "order-o1",
			Events: []es.Event{es.MustEvent("OrderPaid", 1)}})
		return err
	})
	if !cms.IsVersionConflictError(err) || streamVersion(t, s, "order-o1") != 2 {
		t.Errorf("stale dual write = %v", err)
	}

	// A creation that finds the document: conflict, nothing appended.
	err = s.Atomic(ctx, create)
	if !cms.IsVersionConflictError(err) || streamVersion(t, s, "order-o1") != 2 {
		t.Errorf("second create = %v", err)
	}

	// A commit that fails after both writes leaves neither.
	s.FailNextCommit(nil)
	err = s.Atomic(ctx, func(tx store.Tx) error {
		_, err := repo.DualWrite(ctx, tx, cms.Change[order]{ID: "o2", State: order{Status: "new"}, Stream: "order-o2",
			Events: []es.Event{es.MustEvent("OrderCreated", 2)}})
		return err
	})
	if !errors.Is(err, es.ErrInjectedFault) {
		t.Fatalf("injected fault = %v", err)
	}
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		if ok, _ := repo.Exists(ctx, tx.Documents(), "o2"); ok {
			t.Error("CMS o2 survived a failed commit")
		}
		if v, _ := tx.Events().StreamVersion(ctx, "order-o2"); v != 0 {
			t.Errorf("stream o2 at %d after a failed commit", v)
		}
		return nil
	})
}

func TestDualWriteValidation(t *testing.T) {
	s := memstore.New()
	repo := newRepo(t, nil)
	for name, c := range map[string]cms.Change[order]{
		"no events":        {ID: "o1", Stream: "order-o1"},
		"negative version": {ID: "o1", Stream: "order-o1", Expected: -1, Events: []es.Event{es.MustEvent("E", 1)}},
		"no stream":        {ID: "o1", Events: []es.Event{es.MustEvent("E", 1)}},
	} {
		err := s.Atomic(context.Background(), func(tx store.Tx) error {
			_, err := repo.DualWrite(context.Background(), tx, c)
			return err
		})
		if es.CodeOf(err) != es.CodeInvalidArgument && es.CodeOf(err) != es.CodeInvalidStreamID {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func validContract() cms.Contract {
	return cms.Contract{
		Identity:      cms.Identity{Name: "orders", Version: 1, StreamTypePrefix: "order"},
		ExecutionMode: cms.ExecutionModeDualWrite,
		CommandTypes:  []string{"CreateOrder", "CancelOrder"},
		EventTypes:    []string{"OrderCreated", "OrderCancelled"},
		CMSTypes:      map[string]cms.CMSType{"order": {TableName: "orderCMS", CurrentStateVersion: 2}},
		ErrorCodes:    []string{"ORDER_NOT_FOUND"},
	}
}

func TestContract(t *testing.T) {
	c := validContract()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.HasCommand("CreateOrder") || c.HasCommand("ShipOrder") || !c.HasEvent("OrderCancelled") || c.HasEvent("CreateOrder") || !c.HasErrorCode("ORDER_NOT_FOUND") {
		t.Error("Has*")
	}
	if got := fmt.Sprint(c.CMSTableNames()); got != "[orderCMS]" {
		t.Errorf("tables = %s", got)
	}
	up := newRepo(t, nil).Upcaster()
	if err := c.CheckUpcaster("order", up); err != nil {
		t.Errorf("CheckUpcaster = %v", err)
	}
	if err := c.CheckUpcaster("invoice", up); err == nil || !strings.Contains(err.Error(), `declares no CMS type "invoice"`) {
		t.Errorf("unknown CMS type = %v", err)
	}
	c.CMSTypes = map[string]cms.CMSType{"order": {TableName: "orderCMS", CurrentStateVersion: 3}}
	if err := c.CheckUpcaster("order", up); err == nil || !strings.Contains(err.Error(), "is at state version 3 but its upcaster produces 2") {
		t.Errorf("version mismatch = %v", err)
	}
	for name, tc := range map[string]struct {
		mutate func(*cms.Contract)
		want   string
	}{
		"name":        {func(c *cms.Contract) { c.Identity.Name = "" }, "identity name is empty"},
		"version":     {func(c *cms.Contract) { c.Identity.Version = 0 }, "version 0 must be at least 1"},
		"mode":        {func(c *cms.Contract) { c.ExecutionMode = "event-sourced" }, `execution mode "event-sourced" is not "dual-write"`},
		"no commands": {func(c *cms.Contract) { c.CommandTypes = nil }, "no command types declared"},
		"no events":   {func(c *cms.Contract) { c.EventTypes = nil }, "no event types declared"},
		"dup command": {func(c *cms.Contract) { c.CommandTypes = []string{"A", "A"} }, `command type "A" is declared twice`},
		"empty event": {func(c *cms.Contract) { c.EventTypes = []string{""} }, "event type is empty"},
		"dup code":    {func(c *cms.Contract) { c.ErrorCodes = []string{"X", "X"} }, `error code "X" is declared twice`},
		"cms version": {func(c *cms.Contract) { c.CMSTypes["order"] = cms.CMSType{TableName: "t", CurrentStateVersion: 0} }, "current state version 0 must be at least 1"},
		"cms table":   {func(c *cms.Contract) { c.CMSTypes["order"] = cms.CMSType{CurrentStateVersion: 1} }, "table is empty"},
		"shared table": {func(c *cms.Contract) {
			c.CMSTypes["invoice"] = cms.CMSType{TableName: "orderCMS", CurrentStateVersion: 1}
		}, "share table"},
	} {
		c := validContract()
		tc.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func ExampleRepository_DualWrite() {
	type account struct {
		cms.Base
		Owner   string `json:"owner"`
		Balance int    `json:"balance"`
	}
	s := memstore.New()
	up, _ := cms.NewUpcaster(1, nil)
	repo, _ := cms.NewRepository[account](cms.Config{Collection: "accounts", Upcaster: up})
	ctx := context.Background()

	// Create: CMS at version 1 and the stream's first event, in one unit of work.
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		_, err := repo.DualWrite(ctx, tx, cms.Change[account]{ID: "a1", State: account{Owner: "ann"}, Stream: "account-a1",
			Events: []es.Event{es.MustEvent("AccountOpened", map[string]string{"owner": "ann"})}})
		return err
	})
	// Load, decide, write the next state with its event.
	_ = s.Atomic(ctx, func(tx store.Tx) error {
		l, err := repo.Load(ctx, tx.Documents(), "a1")
		if err != nil {
			return err
		}
		next := l.State
		next.Balance += 50
		w, err := repo.DualWrite(ctx, tx, cms.Change[account]{ID: "a1", State: next, Expected: l.Version, Stream: "account-a1",
			Events: []es.Event{es.MustEvent("Deposited", map[string]int{"amount": 50})}})
		fmt.Println("version", w.Version, "stream version", w.Append.Version)
		return err
	})
	// A writer that read version 1 is refused.
	err := s.Atomic(ctx, func(tx store.Tx) error {
		return repo.Update(ctx, tx.Documents(), "a1", cms.Doc{"balance": 0, "version": 2}, 1)
	})
	fmt.Println(err)
	// Output:
	// version 2 stream version 2
	// VERSION_CONFLICT: Version conflict for accounts a1: expected 1, got 2
}
