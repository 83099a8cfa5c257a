package memstore_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// TestLookupMatchesGet checks Lookup (store.DocumentLookup) answers as Get
// does: the same document when present, found = false instead of NOT_FOUND
// when missing, and the same validation errors.
func TestLookupMatchesGet(t *testing.T) {
	s := memstore.New()
	in(t, s, func(ctx context.Context, tx store.Tx) {
		d := tx.Documents()
		if _, ok := d.(store.DocumentLookup); !ok {
			t.Fatal("memstore documents do not implement store.DocumentLookup")
		}
		if _, err := d.Insert(ctx, "c", "k", json.RawMessage(`{"n":1}`)); err != nil {
			t.Fatal(err)
		}
		got, found, err := store.LookupDocument(ctx, d, "c", "k")
		want, gerr := d.Get(ctx, "c", "k")
		if err != nil || gerr != nil || !found || !cmp.Equal(want, got) {
			t.Fatalf("lookup = %+v, %v, %v; get = %+v, %v", got, found, err, want, gerr)
		}
		got.Data[0] = 'x' // the caller's copy: the store keeps its own
		if again, _ := d.Get(ctx, "c", "k"); string(again.Data) != `{"n":1}` {
			t.Fatalf("lookup shares bytes with the store: %s", again.Data)
		}
		for _, ref := range [][2]string{{"c", "missing"}, {"unknown", "k"}} {
			got, found, err := store.LookupDocument(ctx, d, ref[0], ref[1])
			if err != nil || found || !cmp.Equal(store.Document{}, got) {
				t.Fatalf("lookup %v = %+v, %v, %v; want not found", ref, got, found, err)
			}
		}
		_, _, err = store.LookupDocument(ctx, d, "c", "")
		_, gerr = d.Get(ctx, "c", "")
		if es.CodeOf(err) != es.CodeOf(gerr) || es.CodeOf(err) == "" {
			t.Fatalf("invalid key: lookup %v, get %v", err, gerr)
		}
	})
}

// getOnly hides Lookup, so LookupDocument falls back to Get.
type getOnly struct{ store.Documents }

func TestLookupDocumentFallsBackToGet(t *testing.T) {
	s := memstore.New()
	in(t, s, func(ctx context.Context, tx store.Tx) {
		d := getOnly{tx.Documents()}
		if _, err := d.Insert(ctx, "c", "k", json.RawMessage(`true`)); err != nil {
			t.Fatal(err)
		}
		got, found, err := store.LookupDocument(ctx, d, "c", "k")
		if err != nil || !found || string(got.Data) != "true" || got.Version != 1 {
			t.Fatalf("lookup = %+v, %v, %v", got, found, err)
		}
		if _, found, err := store.LookupDocument(ctx, d, "c", "missing"); err != nil || found {
			t.Fatalf("missing: %v, %v", found, err)
		}
		if _, _, err := store.LookupDocument(ctx, d, "c", ""); es.CodeOf(err) != es.CodeInvalidKey {
			t.Fatalf("invalid key: %v", err)
		}
	})
}
