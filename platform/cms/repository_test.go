package cms_test

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

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/cms"
	"github.com/eventspec/eventspec/store"
)

type order struct {
	cms.Timestamped
	OrderID string   `json:"orderId"`
	Status  string   `json:"status"`
	Items   []string `json:"items,omitempty"`
}

func newRepo(t *testing.T, clk es.Clock) *cms.Repository[order] {
	t.Helper()
	up, err := cms.NewUpcaster(2, map[int]cms.Migration{1: cms.AddField("status", "draft", 2)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := cms.NewRepository[order](cms.Config{Collection: "orderCMS", Upcaster: up, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// in runs fn in one unit of work of s and fails the test on error.
func in(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.Atomic(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// rawDoc reads the stored JSON of a document.
func rawDoc(t *testing.T, s store.Store, coll, key string) string {
	t.Helper()
	var out string
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		d, err := tx.Documents().Get(ctx, coll, key)
		out = string(d.Data)
		return err
	})
	return out
}

func putRaw(t *testing.T, s store.Store, key, data string) {
	t.Helper()
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Documents().Insert(ctx, "orderCMS", key, json.RawMessage(data))
		return err
	})
}

func TestNewRepositoryValidates(t *testing.T) {
	if _, err := cms.NewRepository[order](cms.Config{}); es.CodeOf(err) != es.CodeInvalidCollection {
		t.Errorf("empty collection: %v", err)
	}
	r, err := cms.NewRepository[order](cms.Config{Collection: "c"})
	if err != nil || r.Collection() != "c" || r.Upcaster() != nil {
		t.Errorf("repo = %v %v", r, err)
	}
}

func TestLoadTryLoadExists(t *testing.T) {
	s := memstore.New()
	repo := newRepo(t, nil)
	putRaw(t, s, "o1", `{"stateVersion":1,"version":3,"orderId":"o1"}`)
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		l, err := repo.Load(ctx, tx.Documents(), "o1")
		if err != nil {
			return err
		}
		want := cms.Loaded[order]{
			ID:      "o1",
			State:   order{Timestamped: cms.Timestamped{Base: cms.Base{StateVersion: 2, Version: 3}}, OrderID: "o1", Status: "draft"},
			Doc:     cms.Doc{"stateVersion": 2, "version": 3.0, "orderId": "o1", "status": "draft"},
			Version: 3, WasUpcasted: true, OriginalStateVersion: 1, StoreVersion: 1,
		}
		if diff := cmp.Diff(want, l); diff != "" {
			t.Errorf("Load (-want +got)\n%s", diff)
		}
		_, err = repo.Load(ctx, tx.Documents(), "o2")
		var nf *cms.NotFoundError
		if !errors.As(err, &nf) || nf.Table != "orderCMS" || nf.ID != "o2" || !strings.Contains(err.Error(), "orderCMS not found: o2") || nf.Name() != "NotFoundError" {
			t.Errorf("Load missing = %v", err)
		}
		if !errors.Is(err, es.ErrNotFound) || es.CodeOf(err) != es.CodeNotFound {
			t.Errorf("NotFoundError is not NOT_FOUND")
		}
		p, err := repo.TryLoad(ctx, tx.Documents(), "o2")
		if p != nil || err != nil {
			t.Errorf("TryLoad missing = %v %v", p, err)
		}
		p, err = repo.TryLoad(ctx, tx.Documents(), "o1")
		if err != nil || p == nil || p.State.Status != "draft" {
			t.Errorf("TryLoad = %v %v", p, err)
		}
		for id, want := range map[string]bool{"o1": true, "o2": false} {
			if ok, err := repo.Exists(ctx, tx.Documents(), id); ok != want || err != nil {
				t.Errorf("Exists(%s) = %v %v", id, ok, err)
			}
		}
		return nil
	})
	// The upcast is not written back on read.
	if got := rawDoc(t, s, "orderCMS", "o1"); got != `{"stateVersion":1,"version":3,"orderId":"o1"}` {
		t.Errorf("stored after read = %s", got)
	}
}

func TestUpcastErrorsPropagateButExistsNeverUpcasts(t *testing.T) {
	s := memstore.New()
	repo := newRepo(t, nil)
	putRaw(t, s, "future", `{"stateVersion":9,"version":1}`)
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := repo.Load(ctx, tx.Documents(), "future"); es.CodeOf(err) != cms.CodeFutureVersion {
			t.Errorf("Load = %v", err)
		}
		if _, err := repo.TryLoad(ctx, tx.Documents(), "future"); es.CodeOf(err) != cms.CodeFutureVersion {
			t.Errorf("TryLoad = %v", err)
		}
		if ok, err := repo.Exists(ctx, tx.Documents(), "future"); !ok || err != nil {
			t.Errorf("Exists = %v %v", ok, err)
		}
		return nil
	})
}

func TestLoadMany(t *testing.T) {
	s := memstore.New()
	calls := 0
	up, _ := cms.NewUpcaster(2, map[int]cms.Migration{1: func(d cms.Doc) (cms.Doc, error) { calls++; d["status"] = "draft"; return d, nil }})
	repo, _ := cms.NewRepository[order](cms.Config{Collection: "orderCMS", Upcaster: up})
	putRaw(t, s, "a", `{"stateVersion":1,"orderId":"a"}`)
	putRaw(t, s, "b", `{"stateVersion":1,"orderId":"b"}`)
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := repo.LoadMany(ctx, tx.Documents(), []string{"b", "missing", "a", "b"})
		if err != nil {
			return err
		}
		if len(got) != 4 || got[0].ID != "b" || got[1] != nil || got[2].ID != "a" || got[3].ID != "b" || calls != 3 {
			t.Errorf("LoadMany = %v, upcaster calls %d", got, calls)
		}
		empty, err := repo.LoadMany(ctx, tx.Documents(), nil)
		if err != nil || empty == nil || len(empty) != 0 {
			t.Errorf("LoadMany(nil) = %v %v", empty, err)
		}
		return nil
	})
	putRaw(t, s, "bad", `{"stateVersion":7}`)
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := repo.LoadMany(ctx, tx.Documents(), []string{"a", "bad"})
		if got != nil || es.CodeOf(err) != cms.CodeFutureVersion {
			t.Errorf("LoadMany with a bad document = %v %v", got, err)
		}
		return nil
	})
}

func TestInsertAndConflicts(t *testing.T) {
	clk := es.NewVirtualClock(time.Time{})
	s := memstore.New(memstore.WithClock(clk))
	repo := newRepo(t, clk)
	start := es.DefaultVirtualStart.UnixMilli()
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		id, err := repo.Insert(ctx, tx.Documents(), "o1", order{Timestamped: cms.Timestamped{Base: cms.Base{Version: 1}}, OrderID: "o1", Status: "new"})
		if id != "o1" || err != nil {
			t.Errorf("Insert = %q %v", id, err)
		}
		return nil
	})
	want := fmt.Sprintf(`{"createdAt":%d,"orderId":"o1","stateVersion":2,"status":"new","updatedAt":%d,"version":1}`, start, start)
	if got := rawDoc(t, s, "orderCMS", "o1"); got != want {
		t.Errorf("stored = %s\nwant     %s", got, want)
	}
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		_, err := repo.Insert(context.Background(), tx.Documents(), "o1", order{OrderID: "o1"})
		return err
	})
	var vc *cms.VersionConflictError
	if !errors.As(err, &vc) || *vc != (cms.VersionConflictError{Table: "orderCMS", ID: "o1", ExpectedVersion: 0, ActualVersion: 1}) {
		t.Errorf("second insert = %v", err)
	}
}

func TestUpdate(t *testing.T) {
	clk := es.NewVirtualClock(time.Time{})
	s := memstore.New(memstore.WithClock(clk))
	repo := newRepo(t, clk)
	putRaw(t, s, "o1", `{"stateVersion":1,"version":1,"orderId":"o1","createdAt":5}`)
	clk.Advance(time.Minute)
	ctx := context.Background()
	update := func(id string, patch cms.Doc, expected int64) error {
		return s.Atomic(ctx, func(tx store.Tx) error { return repo.Update(ctx, tx.Documents(), id, patch, expected) })
	}
	if err := update("o1", cms.Doc{"status": "paid", "version": 2}, 1); err != nil {
		t.Fatal(err)
	}
	// The lazy upcast is persisted with the write, createdAt is kept.
	now := es.DefaultVirtualStart.Add(time.Minute).UnixMilli()
	want := fmt.Sprintf(`{"createdAt":5,"orderId":"o1","stateVersion":2,"status":"paid","updatedAt":%d,"version":2}`, now)
	if got := rawDoc(t, s, "orderCMS", "o1"); got != want {
		t.Errorf("stored = %s\nwant     %s", got, want)
	}
	err := update("o1", cms.Doc{"version": 3}, 1)
	var vc *cms.VersionConflictError
	if !errors.As(err, &vc) || vc.ExpectedVersion != 1 || vc.ActualVersion != 2 ||
		!strings.Contains(err.Error(), "Version conflict for orderCMS o1: expected 1, got 2") || vc.Name() != "VersionConflictError" {
		t.Errorf("stale update = %v", err)
	}
	if !errors.Is(err, es.ErrVersionConflict) || !cms.IsVersionConflictError(err) || cms.IsNotFoundError(err) {
		t.Errorf("guards on a conflict")
	}
	err = update("nope", cms.Doc{}, 0)
	if !cms.IsNotFoundError(err) || cms.IsVersionConflictError(err) {
		t.Errorf("update missing = %v", err)
	}
	// Without a version field the stored version counts as 0.
	putRaw(t, s, "nov", `{"stateVersion":2}`)
	if err := update("nov", cms.Doc{"version": 1}, 0); err != nil {
		t.Errorf("update of a version-less document at 0: %v", err)
	}
	// The repository does not bump the version itself.
	if err := update("nov", cms.Doc{"note": "x"}, 1); err != nil {
		t.Fatal(err)
	}
	if err := update("nov", cms.Doc{"note": "y"}, 1); err != nil {
		t.Errorf("version bumped by Update: %v", err)
	}
}

func TestSaveReplaces(t *testing.T) {
	s := memstore.New()
	repo := newRepo(t, nil)
	putRaw(t, s, "o1", `{"stateVersion":2,"version":1,"orderId":"o1","status":"new","createdAt":7,"items":["a"]}`)
	in(t, s, func(ctx context.Context, tx store.Tx) error {
		st := order{Timestamped: cms.Timestamped{Base: cms.Base{Version: 2}}, OrderID: "o1", Status: "confirmed"}
		return repo.Save(ctx, tx.Documents(), "o1", st, 1)
	})
	if got := rawDoc(t, s, "orderCMS", "o1"); got != `{"createdAt":7,"orderId":"o1","stateVersion":2,"status":"confirmed","updatedAt":0,"version":2}` {
		t.Errorf("stored = %s", got)
	}
}

func TestGuardsOnlyMatchTheirOwnType(t *testing.T) {
	for _, err := range []error{nil, errors.New("plain"), es.ErrNotFound, es.ErrVersionConflict, &es.VersionConflictError{}} {
		if cms.IsNotFoundError(err) || cms.IsVersionConflictError(err) {
			t.Errorf("guard matched %v", err)
		}
	}
	wrapped := fmt.Errorf("loading: %w", &cms.NotFoundError{Table: "t", ID: "i"})
	if !cms.IsNotFoundError(wrapped) || cms.IsVersionConflictError(wrapped) {
		t.Error("wrapped NotFoundError")
	}
}

func TestConcurrentUpdatesAtTheSameVersion(t *testing.T) {
	s := memstore.New()
	repo := newRepo(t, nil)
	putRaw(t, s, "o1", `{"stateVersion":2,"version":1}`)
	const n = 8
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			results <- s.Atomic(ctx, func(tx store.Tx) error {
				return repo.Update(ctx, tx.Documents(), "o1", cms.Doc{"version": 2, "writer": i}, 1)
			})
		}()
	}
	wg.Wait()
	close(results)
	ok, conflicts := 0, 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case cms.IsVersionConflictError(err):
			conflicts++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 || conflicts != n-1 {
		t.Errorf("ok %d conflicts %d, want 1 and %d", ok, conflicts, n-1)
	}
}
