package cms_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/cms"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

// A v1 Order CMS lacked "status"; v2 adds it. The engine upcasts on load,
// decides on the upcast state, and persists it at v2 with the next write.
func TestStateFuncUpcastsInTheEngine(t *testing.T) {
	up, err := cms.NewUpcaster(2, map[int]cms.Migration{1: cms.AddField("status", enginetest.StatusDraft, 2)})
	if err != nil {
		t.Fatal(err)
	}
	s := memstore.New()
	e := engine.New(s, engine.WithOrchestratorOptions(orchestrator.WithStateUpcaster("Order", up.StateFunc())))
	if err := enginetest.Register(e.Registry()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	coll := orchestrator.CMSCollectionPrefix + "Order"
	legacy := `{"stateVersion":1,"version":1,"state":{"exists":true,"customerId":"c1"}}`
	err = s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Documents().Insert(ctx, coll, "o1", json.RawMessage(legacy)); err != nil {
			return err
		}
		_, err := tx.Events().Append(ctx, es.AppendRequest{Stream: orchestrator.StreamFor("Order", "o1"), Expected: es.NoStream,
			Events: []es.Event{es.MustEvent("OrderCreated", enginetest.OrderCreated{OrderID: "o1", CustomerID: "c1"})}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Dispatch(ctx, command.MustNew("AddItem", enginetest.AddItem{OrderID: "o1", SKU: "A", Qty: 2}))
	if err != nil || r.Status != command.StatusExecuted {
		t.Fatalf("AddItem on a v1 CMS = %+v %v", r, err)
	}
	var stored orchestrator.CMSDocument
	err = s.Atomic(ctx, func(tx store.Tx) error {
		d, err := tx.Documents().Get(ctx, coll, "o1")
		if err == nil {
			err = json.Unmarshal(d.Data, &stored)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if stored.StateVersion != 2 || stored.Version != 2 || string(stored.State) != `{"exists":true,"status":"draft","customerId":"c1","items":{"A":2}}` {
		t.Errorf("stored = v%d/%d %s", stored.StateVersion, stored.Version, stored.State)
	}
}

func TestStateFuncErrors(t *testing.T) {
	up, _ := cms.NewUpcaster(2, map[int]cms.Migration{1: cms.AddField("status", "draft", 2)})
	f := up.StateFunc()
	raw, v, err := f(json.RawMessage(`{"a":1}`), 1)
	if err != nil || v != 2 || string(raw) != `{"a":1,"status":"draft"}` {
		t.Errorf("upcast = %s v%d %v", raw, v, err)
	}
	raw, v, err = f(json.RawMessage(`{"a":1}`), 2)
	if err != nil || v != 2 || string(raw) != `{"a":1}` {
		t.Errorf("current = %s v%d %v", raw, v, err)
	}
	if _, _, err := f(json.RawMessage(`{}`), 3); es.CodeOf(err) != cms.CodeFutureVersion {
		t.Errorf("future = %v", err)
	}
	if _, _, err := f(json.RawMessage(`[1]`), 1); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("array = %v", err)
	}
	if _, _, err := f(json.RawMessage(`{}`), 0); es.CodeOf(err) != cms.CodeMissingMigration {
		t.Errorf("v0 without migration[0] = %v", err)
	}
}
