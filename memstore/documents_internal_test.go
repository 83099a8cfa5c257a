package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// decodeIx decodes an encoded entry list into index names and cursors.
func decodeIx(ix string) (names, cursors []string) {
	for rest := ix; rest != ""; {
		var name, cursor string
		name, cursor, rest = nextIx(rest)
		names = append(names, name)
		cursors = append(cursors, cursor)
	}
	return names, cursors
}

// checkIxRoundTrip checks that the entries of key decode to their index
// names and store.IndexCursor values, in order.
func checkIxRoundTrip(t *testing.T, key string, entries []store.IndexEntry) {
	t.Helper()
	ix := encodeIx(key, entries)
	if len(entries) == 0 && ix != "" {
		t.Fatalf("encodeIx(%q, none) = %q, want empty", key, ix)
	}
	names, cursors := decodeIx(ix)
	var wantNames, wantCursors []string
	for _, e := range entries {
		wantNames = append(wantNames, e.Index)
		wantCursors = append(wantCursors, store.IndexCursor(e.Key, key))
	}
	if !slices.Equal(names, wantNames) || !slices.Equal(cursors, wantCursors) {
		t.Fatalf("entries %+v of %q decode to names %q cursors %q, want %q %q", entries, key, names, cursors, wantNames, wantCursors)
	}
}

// TestIxEncodingRoundTrip: a document's encoded index entries decode to
// exactly its entries, in order, with their store.IndexCursor.
func TestIxEncodingRoundTrip(t *testing.T) {
	for _, c := range []struct {
		key     string
		entries []store.IndexEntry
	}{
		{"k", nil},
		{"k", []store.IndexEntry{{Index: "i", Key: "a"}}},
		{"cmd-000000000042", []store.IndexEntry{{Index: "by-correlation", Key: "corr/2026-01-01T00:00:00.000"}, {Index: "by-expiry", Key: "2026-01-02T00:00:00.000"}}},
		{"clé ünicode 日本", []store.IndexEntry{{Index: "índice", Key: "clé"}, {Index: "i2", Key: " "}, {Index: "i3", Key: "~"}, {Index: "日本", Key: "x y z"}}},
	} {
		checkIxRoundTrip(t, c.key, c.entries)
	}
}

// FuzzIxEncoding: any valid document key and index entries (as
// store.ValidateInsert admits them) round-trip through encodeIx and nextIx.
func FuzzIxEncoding(f *testing.F) {
	f.Add("k", "i", "a", "j", "b", 2)
	f.Add("cmd-1", "by-expiry", "2026", "by-corr", "c/2026", 1)
	f.Add("日本", "índice", "clé", "x", " ", 0)
	f.Fuzz(func(t *testing.T, key, i1, k1, i2, k2 string, n int) {
		entries := []store.IndexEntry{{Index: i1, Key: k1}, {Index: i2, Key: k2}}
		entries = entries[:min(max(n, 0), len(entries))]
		if store.ValidateInsert("c", key, json.RawMessage(`1`), entries) != nil {
			t.Skip()
		}
		checkIxRoundTrip(t, key, entries)
	})
}

// spareIsEmpty reports whether the store's kept undo log is empty and
// holds no reference to a record or closure, over its whole capacity.
func spareIsEmpty(s *Store) error {
	if len(s.spareUndo) != 0 {
		return fmt.Errorf("kept undo log has %d entries", len(s.spareUndo))
	}
	for i, u := range s.spareUndo[:cap(s.spareUndo)] {
		if u.coll != nil || u.key != "" || u.prev != nil || u.fn != nil {
			return fmt.Errorf("kept undo log entry %d still holds %+v", i, u)
		}
	}
	return nil
}

// TestUndoLogReusedAcrossUnits: the undo log's backing array passes from
// one unit of work to the next emptied, so a rollback undoes only its own
// unit's writes, and a log grown past maxSpareUndo is not kept.
func TestUndoLogReusedAcrossUnits(t *testing.T) {
	ctx := context.Background()
	s := New()
	data := json.RawMessage(`{"v":1}`)
	err := s.Atomic(ctx, func(tx store.Tx) error {
		for _, k := range []string{"a", "b", "c"} {
			if _, err := tx.Documents().InsertIndexed(ctx, "docs", k, data, store.IndexEntry{Index: "i", Key: k}); err != nil {
				return err
			}
		}
		_, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "k"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if cap(s.spareUndo) < 4 {
		t.Fatalf("kept undo log capacity %d, want at least the unit's 4 writes", cap(s.spareUndo))
	}
	if err := spareIsEmpty(s); err != nil {
		t.Fatal(err)
	}
	kept := &s.spareUndo[:1][0]

	boom := errors.New("boom")
	err = s.Atomic(ctx, func(stx store.Tx) error {
		u := stx.(*tx)
		if len(u.undo) != 0 || cap(u.undo) == 0 || &u.undo[:1][0] != kept {
			return fmt.Errorf("the unit did not start on the kept, empty log: len %d cap %d", len(u.undo), cap(u.undo))
		}
		d := stx.Documents()
		if _, err := d.InsertIndexed(ctx, "docs", "d", data, store.IndexEntry{Index: "i", Key: "d"}); err != nil {
			return err
		}
		if _, err := d.Update(ctx, "docs", "a", 1, json.RawMessage(`{"v":2}`)); err != nil {
			return err
		}
		if err := d.Delete(ctx, "docs", "b", 1); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failing unit returned %v, want boom", err)
	}
	if err := spareIsEmpty(s); err != nil {
		t.Fatal(err)
	}
	var listed []string
	err = s.Atomic(ctx, func(tx store.Tx) error {
		p, err := tx.Documents().ListIndex(ctx, "docs", "i", store.ListOptions{})
		for _, d := range p.Documents {
			listed = append(listed, fmt.Sprintf("%s@%d=%s", d.Key, d.Version, d.Data))
		}
		return err
	})
	if want := []string{`a@1={"v":1}`, `b@1={"v":1}`, `c@1={"v":1}`}; err != nil || !slices.Equal(listed, want) {
		t.Fatalf("after the rollback index i lists %q (%v), want %q", listed, err, want)
	}
	if jobs := len(s.st.jobs); jobs != 1 {
		t.Fatalf("%d jobs after the rollback, want the first unit's 1", jobs)
	}

	err = s.Atomic(ctx, func(tx store.Tx) error {
		for i := range maxSpareUndo + 1 {
			if _, err := tx.Documents().Insert(ctx, "big", fmt.Sprintf("k%04d", i), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.spareUndo != nil {
		t.Fatalf("kept an undo log of capacity %d, want none above %d", cap(s.spareUndo), maxSpareUndo)
	}
	if _, err := store.Append(ctx, s, es.AppendRequest{Stream: "s", Events: []es.Event{{Type: "t", Data: data}}}); err != nil {
		t.Fatalf("a unit after the large one: %v", err)
	}
}

// TestDocRecSizes: a document of every size around the inline rooms reads
// back exactly, its data cannot grow into the record's spare room, and a
// small one costs one allocation.
func TestDocRecSizes(t *testing.T) {
	for _, n := range []int{2, 55, 56, 57, 104, 105, 136, 137, 184, 185, 248, 249, 376, 377, 4000} {
		data := []byte(`"` + strings.Repeat("x", n-2) + `"`)
		r := newDocRec(data)
		if string(r.data) != string(data) || len(r.data) != n || (n <= 376 && cap(r.data) != n) {
			t.Fatalf("size %d: record data %q (len %d, cap %d)", n, r.data, len(r.data), cap(r.data))
		}
		data[0] = '#'
		if r.data[0] != '"' {
			t.Fatalf("size %d: the record shares the caller's bytes", n)
		}
	}
	small := []byte(`{"a":1}`)
	if n := testing.AllocsPerRun(100, func() { _ = newDocRec(small) }); n != 1 {
		t.Fatalf("a small record takes %v allocations, want 1", n)
	}
}

// TestLastReadMemo: an update finds the document the unit just read, and
// any document write of the unit forgets it, so a write never acts on a
// record that is no longer current.
func TestLastReadMemo(t *testing.T) {
	ctx := context.Background()
	s := New()
	mustUnit := func(what string, fn func(d store.Documents) error) {
		t.Helper()
		if err := s.Atomic(ctx, func(tx store.Tx) error { return fn(tx.Documents()) }); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	mustUnit("insert", func(d store.Documents) error {
		_, err := d.Insert(ctx, "c", "a", json.RawMessage(`1`))
		return err
	})
	mustUnit("read then update twice", func(d store.Documents) error {
		if _, found, err := d.(store.DocumentLookup).Lookup(ctx, "c", "a"); err != nil || !found {
			return fmt.Errorf("lookup: %v %v", found, err)
		}
		if doc, err := d.Update(ctx, "c", "a", 1, json.RawMessage(`2`)); err != nil || doc.Version != 2 {
			return fmt.Errorf("first update: %+v %v", doc, err)
		}
		// The memo was cleared by the write: version 1 is stale now.
		if _, err := d.Update(ctx, "c", "a", 1, json.RawMessage(`3`)); es.CodeOf(err) != es.CodeVersionConflict {
			return fmt.Errorf("update at the stale version: %v, want VERSION_CONFLICT", err)
		}
		_, err := d.Update(ctx, "c", "a", 2, json.RawMessage(`3`))
		return err
	})
	mustUnit("read, delete, update", func(d store.Documents) error {
		if _, err := d.Get(ctx, "c", "a"); err != nil {
			return err
		}
		if err := d.Delete(ctx, "c", "a", 3); err != nil {
			return err
		}
		if _, err := d.Update(ctx, "c", "a", 3, json.RawMessage(`4`)); es.CodeOf(err) != es.CodeNotFound {
			return fmt.Errorf("update after delete: %v, want NOT_FOUND", err)
		}
		return nil
	})
	mustUnit("read one, update another", func(d store.Documents) error {
		if _, err := d.Insert(ctx, "c", "b", json.RawMessage(`1`)); err != nil {
			return err
		}
		if _, err := d.Insert(ctx, "c", "x", json.RawMessage(`1`)); err != nil {
			return err
		}
		if _, err := d.Get(ctx, "c", "b"); err != nil {
			return err
		}
		if doc, err := d.Update(ctx, "c", "x", 1, json.RawMessage(`9`)); err != nil || doc.Version != 2 {
			return fmt.Errorf("update of another document: %+v %v", doc, err)
		}
		got, err := d.Get(ctx, "c", "b")
		if err != nil || string(got.Data) != "1" || got.Version != 1 {
			return fmt.Errorf("the document read is untouched: %+v %v", got, err)
		}
		return nil
	})
}
