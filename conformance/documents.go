package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// The documents group certifies store.Documents: versions from 1,
// compare-and-set updates and deletes with exact VERSION_CONFLICT errors,
// NOT_FOUND, byte-exact data, UpdatedAt from the store's clock, and listing
// by key prefix in byte order with a cursor and limit.
func init() {
	register(
		Case{Group: "documents", Name: "insert-then-get-at-version-1", Run: docInsertGet},
		Case{Group: "documents", Name: "get-missing-is-not-found", Run: docGetMissing},
		Case{Group: "documents", Name: "insert-existing-is-version-conflict", Run: docInsertExisting},
		Case{Group: "documents", Name: "update-compares-and-sets", Run: docUpdateCAS},
		Case{Group: "documents", Name: "update-missing-is-not-found", Run: docUpdateMissing},
		Case{Group: "documents", Name: "delete-checks-version", Run: docDelete},
		Case{Group: "documents", Name: "collections-are-separate", Run: docCollectionsSeparate},
		Case{Group: "documents", Name: "data-round-trips-byte-for-byte", Run: docDataRoundTrip},
		Case{Group: "documents", Name: "list-prefix-in-byte-order", Run: docListPrefix},
		Case{Group: "documents", Name: "list-pages-with-cursor-and-limit", Run: docListCursor},
		Case{Group: "documents", Name: "list-default-limit-cap-and-2500-docs", Run: docListLarge},
		Case{Group: "documents", Name: "index-lists-by-index-key-then-document-key", Run: docIndexOrder},
		Case{Group: "documents", Name: "index-prefix-is-literal-on-the-index-key", Run: docIndexPrefix},
		Case{Group: "documents", Name: "index-pages-across-equal-index-keys", Run: docIndexPaging},
		Case{Group: "documents", Name: "index-entries-survive-update-and-go-with-delete", Run: docIndexLifecycle},
		Case{Group: "documents", Name: "index-entries-roll-back-with-their-unit", Run: docIndexRollback},
		Case{Group: "documents", Name: "index-1200-documents-out-of-order", Run: docIndexLarge},
	)
}

// docInsertGet: Insert creates version 1 stamped with the store's clock;
// the document reads back the same inside and after the unit of work.
func docInsertGet(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	env.Clock.Advance(42 * time.Second)
	data := `{"z": 1,  "a" : [true, null, 1.50], "s":"ü"}`
	want := store.Document{Collection: "profiles", Key: "user-1", Data: json.RawMessage(data), Version: 1, UpdatedAt: k.now()}
	k.atomic("insert then get in one unit of work", func(tx store.Tx) error {
		d, err := tx.Documents().Insert(k.ctx(), "profiles", "user-1", json.RawMessage(data))
		if err != nil {
			return err
		}
		k.diff("Insert's result", docView(want), docView(d))
		in, err := tx.Documents().Get(k.ctx(), "profiles", "user-1")
		if err != nil {
			return fmt.Errorf("get inside the inserting unit of work: %w", err)
		}
		k.diff("Get inside the inserting unit of work", docView(want), docView(in))
		return nil
	})
	env.Clock.Advance(time.Hour) // reading does not restamp
	k.wantDoc("Get after commit", want)
}

// docGetMissing: a missing key, in a used or an unused collection, is NOT_FOUND.
func docGetMissing(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	_, err := k.getDoc("never-used", "nobody")
	k.wantCode("get in an unused collection", err, es.CodeNotFound, "nobody")
	k.insertDoc("profiles", "user-1", `{}`)
	_, err = k.getDoc("profiles", "user-2")
	k.wantCode("get a missing key", err, es.CodeNotFound, "user-2")
	if !errors.Is(err, es.ErrNotFound) {
		t.Errorf("errors.Is(err, es.ErrNotFound) is false for %v", err)
	}
}

// docInsertExisting: inserting an existing key is VERSION_CONFLICT with
// Expected 0 and the actual version, and changes nothing.
func docInsertExisting(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	first := k.insertDoc("profiles", "user-1", `{"n":1}`)
	check := func(actual int64) {
		t.Helper()
		err := k.try("insert over an existing key", func(tx store.Tx) error {
			_, err := tx.Documents().Insert(k.ctx(), "profiles", "user-1", json.RawMessage(`{"n":99}`))
			return err
		})
		k.wantCode("insert over an existing key", err, es.CodeVersionConflict)
		var vc *es.VersionConflictError
		if !errors.As(err, &vc) {
			t.Fatalf("insert over an existing key: %v is not an *es.VersionConflictError", err)
		}
		k.diff("the VersionConflictError", es.VersionConflictError{Collection: "profiles", Key: "user-1", Expected: 0, Actual: actual}, *vc)
	}
	check(1)
	k.wantDoc("the document after the rejected insert", first)

	var d store.Document
	k.atomic("two updates", func(tx store.Tx) error {
		var err error
		if d, err = tx.Documents().Update(k.ctx(), "profiles", "user-1", 1, json.RawMessage(`{"n":2}`)); err != nil {
			return err
		}
		d, err = tx.Documents().Update(k.ctx(), "profiles", "user-1", 2, json.RawMessage(`{"n":3}`))
		return err
	})
	check(3)
	k.wantDoc("the document after the second rejected insert", d)
}

// docUpdateCAS: Update applies only at the expected version, bumps it by
// one and restamps UpdatedAt; a stale or future expectation is
// VERSION_CONFLICT naming both versions and changes nothing.
func docUpdateCAS(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.insertDoc("carts", "c1", `{"items":[]}`)
	env.Clock.Advance(90 * time.Second)

	var v2 store.Document
	k.atomic("update at version 1", func(tx store.Tx) error {
		var err error
		v2, err = tx.Documents().Update(k.ctx(), "carts", "c1", 1, json.RawMessage(`{"items":["a"]}`))
		return err
	})
	want := store.Document{Collection: "carts", Key: "c1", Data: json.RawMessage(`{"items":["a"]}`), Version: 2, UpdatedAt: k.now()}
	k.diff("Update's result", docView(want), docView(v2))
	k.wantDoc("the document after the update", want)

	env.Clock.Advance(time.Minute)
	for _, expected := range []int64{1, 3} {
		err := k.try(fmt.Sprintf("update expecting version %d", expected), func(tx store.Tx) error {
			_, err := tx.Documents().Update(k.ctx(), "carts", "c1", expected, json.RawMessage(`{"items":["stale"]}`))
			return err
		})
		k.wantCode(fmt.Sprintf("update expecting %d at version 2", expected), err, es.CodeVersionConflict)
		var vc *es.VersionConflictError
		if !errors.As(err, &vc) {
			t.Fatalf("stale update: %v is not an *es.VersionConflictError", err)
		}
		k.diff("the VersionConflictError", es.VersionConflictError{Collection: "carts", Key: "c1", Expected: expected, Actual: 2}, *vc)
	}
	k.wantDoc("the document after rejected updates", want)

	var v3 store.Document
	k.atomic("update at version 2", func(tx store.Tx) error {
		var err error
		v3, err = tx.Documents().Update(k.ctx(), "carts", "c1", 2, json.RawMessage(`{"items":["a","b"]}`))
		return err
	})
	want = store.Document{Collection: "carts", Key: "c1", Data: json.RawMessage(`{"items":["a","b"]}`), Version: 3, UpdatedAt: k.now()}
	k.diff("the second Update's result", docView(want), docView(v3))
	k.wantDoc("the document after the second update", want)
}

// docUpdateMissing: updating a missing document is NOT_FOUND and creates nothing.
func docUpdateMissing(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	err := k.try("update a missing document", func(tx store.Tx) error {
		_, err := tx.Documents().Update(k.ctx(), "carts", "ghost", 1, json.RawMessage(`{}`))
		return err
	})
	k.wantCode("update a missing document", err, es.CodeNotFound, "ghost")
	k.wantNoDoc("after updating a missing document", "carts", "ghost")
}

// docDelete: Delete applies at the expected version (0: any), a wrong
// version is VERSION_CONFLICT, a missing document NOT_FOUND; a deleted key
// can be inserted again, at version 1.
func docDelete(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	d1 := k.insertDoc("carts", "c1", `{"n":1}`)
	del := func(key string, expected int64) error {
		t.Helper()
		return k.try(fmt.Sprintf("delete %s expecting %d", key, expected), func(tx store.Tx) error {
			return tx.Documents().Delete(k.ctx(), "carts", key, expected)
		})
	}

	err := del("c1", 2)
	k.wantCode("delete at a wrong version", err, es.CodeVersionConflict)
	var vc *es.VersionConflictError
	if errors.As(err, &vc) {
		k.diff("the VersionConflictError", es.VersionConflictError{Collection: "carts", Key: "c1", Expected: 2, Actual: 1}, *vc)
	} else {
		t.Errorf("delete at a wrong version: %v is not an *es.VersionConflictError", err)
	}
	k.wantDoc("the document after a rejected delete", d1)

	if err := del("c1", 1); err != nil {
		t.Fatalf("delete at the current version: %v", err)
	}
	k.wantNoDoc("after delete", "carts", "c1")
	k.wantCode("deleting again", del("c1", 0), es.CodeNotFound, "c1")
	k.wantCode("deleting a never-inserted key", del("c9", 1), es.CodeNotFound, "c9")
	keys, _ := k.listKeys("carts", store.ListOptions{})
	k.diff("keys listed after delete", []string{}, keys)

	env.Clock.Advance(time.Second)
	again := k.insertDoc("carts", "c1", `{"n":"again"}`)
	k.diff("re-insert after delete", docView(store.Document{Collection: "carts", Key: "c1", Data: json.RawMessage(`{"n":"again"}`), Version: 1, UpdatedAt: k.now()}), docView(again))

	k.atomic("two updates", func(tx store.Tx) error {
		for v := int64(1); v <= 2; v++ {
			if _, err := tx.Documents().Update(k.ctx(), "carts", "c1", v, json.RawMessage(`{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := del("c1", 0); err != nil {
		t.Fatalf("delete at any version (0) of a version-3 document: %v", err)
	}
	k.wantNoDoc("after delete at any version", "carts", "c1")
}

// docCollectionsSeparate: the same key in two collections is two documents.
func docCollectionsSeparate(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	a := k.insertDoc("alpha", "k", `"in alpha"`)
	b := k.insertDoc("beta", "k", `"in beta"`)
	k.atomic("update alpha/k", func(tx store.Tx) error {
		var err error
		a, err = tx.Documents().Update(k.ctx(), "alpha", "k", 1, json.RawMessage(`"alpha again"`))
		return err
	})
	k.wantDoc("alpha/k", a)
	k.wantDoc("beta/k (untouched by the update of alpha/k)", b)
	if err := k.try("delete beta/k", func(tx store.Tx) error { return tx.Documents().Delete(k.ctx(), "beta", "k", 1) }); err != nil {
		t.Fatalf("delete beta/k: %v", err)
	}
	k.wantDoc("alpha/k after deleting beta/k", a)
	for _, c := range []string{"alpha", "beta", "gamma"} {
		keys, _ := k.listKeys(c, store.ListOptions{})
		want := []string{}
		if c == "alpha" {
			want = []string{"k"}
		}
		k.diff("keys of "+c, want, keys)
	}
}

// docDataRoundTrip: every kind of JSON value, with its spacing and key
// order, and data of exactly es.MaxPayloadBytes, read back byte for byte
// through Get and List.
func docDataRoundTrip(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	big := `"` + strings.Repeat("x", es.MaxPayloadBytes-2) + `"`
	values := []string{
		`null`, `true`, `0`, `-12.50e3`, `"text with \"quotes\" and \\ and é"`, `[]`, `[1, [2, [3]]]`,
		`{}`, `{ "b" : 2 , "a" : 1 }`, `{"nested":{"z":[{"y":null}],"a":"ü€𝄞"}}`, big,
	}
	k.atomic("insert every value", func(tx store.Tx) error {
		for i, v := range values {
			if _, err := tx.Documents().Insert(k.ctx(), "values", fmt.Sprintf("v%02d", i), json.RawMessage(v)); err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
		}
		return nil
	})
	listed := map[string]string{}
	p, err := k.listDocs("values", store.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, d := range p.Documents {
		listed[d.Key] = string(d.Data)
	}
	for i, v := range values {
		key := fmt.Sprintf("v%02d", i)
		d, err := k.getDoc("values", key)
		if err != nil {
			t.Errorf("get %s: %v", key, err)
			continue
		}
		if string(d.Data) != v {
			t.Errorf("Get %s: data %s, want exactly %s", key, strconvQuote(string(d.Data)), strconvQuote(v))
		}
		if listed[key] != v {
			t.Errorf("List: data of %s is %s, want exactly %s", key, strconvQuote(listed[key]), strconvQuote(v))
		}
	}
}

// docListPrefix: List is in ascending byte order of key (not a locale
// collation), and a prefix is literal — "_", "%" and "\" are not wildcards.
func docListPrefix(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	keys := []string{"b", "ä", "a_1", "A", "ab", "a%x", "a", "a-1", `a\b`, "B", "a1"}
	k.atomic("insert keys", func(tx store.Tx) error {
		for _, key := range keys {
			if _, err := tx.Documents().Insert(k.ctx(), "keys", key, json.RawMessage(`1`)); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"A", "B", "a", "a%x", "a-1", "a1", `a\b`, "a_1", "ab", "b", "ä"}},
		{"a", []string{"a", "a%x", "a-1", "a1", `a\b`, "a_1", "ab"}},
		{"a_", []string{"a_1"}},
		{"a%", []string{"a%x"}},
		{`a\`, []string{`a\b`}},
		{"A", []string{"A"}},
		{"ä", []string{"ä"}},
		{"ab", []string{"ab"}},
		{"abc", []string{}},
		{"zz", []string{}},
	}
	for _, c := range cases {
		got, next := k.listKeys("keys", store.ListOptions{Prefix: c.prefix})
		k.diff(fmt.Sprintf("keys with prefix %q", c.prefix), c.want, got)
		if next != "" {
			t.Errorf("prefix %q: Next is %q on the only page, want empty", c.prefix, next)
		}
	}
}

// docListCursor: pages follow the After cursor and Limit; Next is the last
// key of a page and empty on the last page; a cursor between keys or with
// a prefix works.
func docListCursor(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.atomic("insert keys", func(tx store.Tx) error {
		for _, key := range []string{"j9", "k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "l0"} {
			if _, err := tx.Documents().Insert(k.ctx(), "keys", key, json.RawMessage(`{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	type page struct {
		Keys []string
		Next string
	}
	var pages []page
	opts := store.ListOptions{Prefix: "k", Limit: 3}
	for i := 0; i < 5; i++ {
		keys, next := k.listKeys("keys", opts)
		pages = append(pages, page{keys, next})
		if next == "" {
			break
		}
		opts.After = next
	}
	k.diff("pages of prefix k, limit 3", []page{
		{[]string{"k00", "k01", "k02"}, "k02"},
		{[]string{"k03", "k04", "k05"}, "k05"},
		{[]string{"k06", "k07", "k08"}, ""},
	}, pages)

	got, next := k.listKeys("keys", store.ListOptions{Prefix: "k", After: "k035", Limit: 2})
	k.diff("prefix k after k035 (between keys), limit 2", page{[]string{"k04", "k05"}, "k05"}, page{got, next})
	got, next = k.listKeys("keys", store.ListOptions{After: "k08"})
	k.diff("no prefix after k08", page{[]string{"l0"}, ""}, page{got, next})
	got, next = k.listKeys("keys", store.ListOptions{After: "j"})
	k.diff("no prefix after j", page{[]string{"j9", "k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "l0"}, ""}, page{got, next})
	got, next = k.listKeys("keys", store.ListOptions{After: "l0"})
	k.diff("after the last key", page{[]string{}, ""}, page{got, next})
}

// docListLarge: 2,500 documents — a zero limit gives DefaultListLimit, a
// huge one is capped at MaxListLimit, and paging with either visits every
// document exactly once in byte order.
func docListLarge(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	const n = 2500
	for batch := 0; batch < n; batch += 500 {
		k.atomic(fmt.Sprintf("insert documents %d..%d", batch, batch+499), func(tx store.Tx) error {
			for i := batch; i < batch+500; i++ {
				if _, err := tx.Documents().Insert(k.ctx(), "bulk", fmt.Sprintf("doc-%05d", i), json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
					return err
				}
			}
			return nil
		})
	}
	k.insertDoc("bulk", "aaa-outside-prefix", `0`)
	k.insertDoc("bulk", "zzz-outside-prefix", `0`)

	p, err := k.listDocs("bulk", store.ListOptions{Prefix: "doc-"})
	if err != nil {
		t.Fatalf("list with limit 0: %v", err)
	}
	if len(p.Documents) != store.DefaultListLimit || p.Next != "doc-00099" {
		t.Errorf("limit 0: got %d documents and Next %q, want %d and %q", len(p.Documents), p.Next, store.DefaultListLimit, "doc-00099")
	}
	p, err = k.listDocs("bulk", store.ListOptions{Prefix: "doc-", Limit: 5000})
	if err != nil {
		t.Fatalf("list with limit 5000: %v", err)
	}
	if len(p.Documents) != store.MaxListLimit || p.Next != "doc-00999" {
		t.Errorf("limit 5000: got %d documents and Next %q, want %d (the cap) and %q", len(p.Documents), p.Next, store.MaxListLimit, "doc-00999")
	}

	for _, limit := range []int{0, 1000, 7} {
		seen := make(map[string]int, n)
		var order []string
		opts := store.ListOptions{Prefix: "doc-", Limit: limit}
		pages := 0
		for {
			p, err := k.listDocs("bulk", opts)
			if err != nil {
				t.Fatalf("limit %d, page %d: %v", limit, pages+1, err)
			}
			pages++
			for _, d := range p.Documents {
				seen[d.Key]++
				order = append(order, d.Key)
				var i int
				if _, err := fmt.Sscanf(d.Key, "doc-%05d", &i); err != nil {
					t.Fatalf("limit %d: listed key %q is not one of the prefix's keys", limit, d.Key)
				}
				if want := fmt.Sprintf(`{"i":%d}`, i); string(d.Data) != want {
					t.Errorf("limit %d: %s has data %s, want %s", limit, d.Key, d.Data, want)
				}
			}
			if p.Next == "" {
				break
			}
			if pages > n {
				t.Fatalf("limit %d: paging did not end after %d pages", limit, pages)
			}
			opts.After = p.Next
		}
		perPage := limit
		if perPage == 0 {
			perPage = store.DefaultListLimit
		}
		if want := (n + perPage - 1) / perPage; pages != want {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, want)
		}
		if len(order) != n {
			t.Errorf("limit %d: paging returned %d documents, want %d", limit, len(order), n)
		}
		for i, key := range order {
			if i > 0 && order[i-1] >= key {
				t.Errorf("limit %d: %q listed after %q: not strictly ascending", limit, key, order[i-1])
				break
			}
		}
		for i := 0; i < n; i++ {
			if key := fmt.Sprintf("doc-%05d", i); seen[key] != 1 {
				t.Errorf("limit %d: %s seen %d times, want once", limit, key, seen[key])
				break
			}
		}
	}
}

// --- secondary indexes ---------------------------------------------------

// insertIndexed inserts a document with index entries in its own unit of work.
func (k *kit) insertIndexed(collection, key, data string, entries ...store.IndexEntry) store.Document {
	k.t.Helper()
	var d store.Document
	k.atomic(fmt.Sprintf("inserting %s/%s with entries %v", collection, key, entries), func(tx store.Tx) error {
		var err error
		d, err = tx.Documents().InsertIndexed(k.ctx(), collection, key, json.RawMessage(data), entries...)
		return err
	})
	return d
}

// listIndex lists one page of an index in its own unit of work.
func (k *kit) listIndex(collection, index string, opts store.ListOptions) (store.DocumentPage, error) {
	k.t.Helper()
	var p store.DocumentPage
	err := k.try(fmt.Sprintf("listing index %s of %s %+v", index, collection, opts), func(tx store.Tx) error {
		var err error
		p, err = tx.Documents().ListIndex(k.ctx(), collection, index, opts)
		return err
	})
	return p, err
}

// indexKeys lists one page of an index and returns its document keys and
// Next; it stops the case on error.
func (k *kit) indexKeys(collection, index string, opts store.ListOptions) (keys []string, next string) {
	k.t.Helper()
	p, err := k.listIndex(collection, index, opts)
	if err != nil {
		k.t.Fatalf("listing index %s of %s %+v: %v", index, collection, opts, err)
	}
	keys = []string{}
	for _, d := range p.Documents {
		keys = append(keys, d.Key)
	}
	return keys, p.Next
}

func ix(index, key string) store.IndexEntry { return store.IndexEntry{Index: index, Key: key} }

// docIndexOrder: ListIndex returns the documents that have an entry in the
// index, in ascending byte order of (index key, document key) whatever the
// insertion order, each document as Get returns it; documents without an
// entry, entries in other indexes and other collections are not listed.
func docIndexOrder(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	var docs []store.Document
	k.atomic("insert indexed documents out of order", func(tx store.Tx) error {
		for _, d := range []struct {
			key, data string
			entries   []store.IndexEntry
		}{
			{"d5", `{"n":5}`, []store.IndexEntry{ix("by-day", "2024-03-02"), ix("by-owner", "bob")}},
			{"d1", `{"n":1}`, []store.IndexEntry{ix("by-owner", "ann"), ix("by-day", "2024-03-02")}},
			{"d3", `{"n":3}`, []store.IndexEntry{ix("by-day", "2024-03-01")}},
			{"d4", `{"n":4}`, []store.IndexEntry{ix("by-day", "2024-03-01"), ix("by-owner", "ann"), ix("x", "1"), ix("y", "2")}},
			{"d0", `{"n":0}`, nil},
			{"d2", `{"n":2}`, []store.IndexEntry{ix("by-day", "2024-02-29")}},
		} {
			doc, err := tx.Documents().InsertIndexed(k.ctx(), "orders", d.key, json.RawMessage(d.data), d.entries...)
			if err != nil {
				return fmt.Errorf("insert %s: %w", d.key, err)
			}
			docs = append(docs, doc)
		}
		// Read back inside the unit of work, too.
		p, err := tx.Documents().ListIndex(k.ctx(), "orders", "by-day", store.ListOptions{})
		if err != nil {
			return err
		}
		got := []string{}
		for _, d := range p.Documents {
			got = append(got, d.Key)
		}
		k.diff("by-day inside the inserting unit of work", []string{"d2", "d3", "d4", "d1", "d5"}, got)
		return nil
	})
	k.insertDoc("orders", "d9", `{"n":9}`)
	k.insertIndexed("other", "d1", `{"n":"other"}`, ix("by-day", "2024-01-01"))
	for _, d := range docs {
		if d.Version != 1 || !d.UpdatedAt.Equal(k.now()) {
			t.Errorf("InsertIndexed %s: version %d, updated %v; want 1, %v", d.Key, d.Version, d.UpdatedAt, k.now())
		}
	}

	p, err := k.listIndex("orders", "by-day", store.ListOptions{})
	if err != nil {
		t.Fatalf("list by-day: %v", err)
	}
	want := []documentView{}
	for _, key := range []string{"d2", "d3", "d4", "d1", "d5"} {
		d, err := k.getDoc("orders", key)
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		want = append(want, docView(d))
	}
	got := []documentView{}
	for _, d := range p.Documents {
		got = append(got, docView(d))
	}
	k.diff("by-day: documents in (index key, document key) order, as Get returns them", want, got)
	if p.Next != "" {
		t.Errorf("by-day: Next %q on the only page, want empty", p.Next)
	}
	for _, c := range []struct {
		coll, index string
		want        []string
	}{
		{"orders", "by-owner", []string{"d1", "d4", "d5"}},
		{"orders", "x", []string{"d4"}},
		{"orders", "y", []string{"d4"}},
		{"orders", "by-nothing", []string{}},
		{"other", "by-day", []string{"d1"}},
		{"other", "by-owner", []string{}},
		{"never-used", "by-day", []string{}},
	} {
		keys, next := k.indexKeys(c.coll, c.index, store.ListOptions{})
		k.diff("index "+c.index+" of "+c.coll, c.want, keys)
		if next != "" {
			t.Errorf("index %s of %s: Next %q on the only page, want empty", c.index, c.coll, next)
		}
	}
	keys, _ := k.listKeys("orders", store.ListOptions{})
	k.diff("List of the collection (entries are not documents)", []string{"d0", "d1", "d2", "d3", "d4", "d5", "d9"}, keys)
}

// docIndexPrefix: Prefix selects index keys in byte order and literally
// ("_", "%" and "\" are not wildcards); it never matches document keys.
func docIndexPrefix(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	indexKeys := []string{"b", "ä", "a_1", "A", "ab", "a%x", "a", "a-1", `a\b`, "B", "a1"}
	k.atomic("insert indexed documents", func(tx store.Tx) error {
		for i, ik := range indexKeys {
			// Document keys sort against their index keys, so a listing by
			// document key would differ.
			if _, err := tx.Documents().InsertIndexed(k.ctx(), "keys", fmt.Sprintf("doc-%02d", len(indexKeys)-i), json.RawMessage(`1`), ix("ik", ik)); err != nil {
				return err
			}
		}
		return nil
	})
	docOf := map[string]string{}
	for i, ik := range indexKeys {
		docOf[ik] = fmt.Sprintf("doc-%02d", len(indexKeys)-i)
	}
	docs := func(iks ...string) []string {
		out := []string{}
		for _, ik := range iks {
			out = append(out, docOf[ik])
		}
		return out
	}
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"", docs("A", "B", "a", "a%x", "a-1", "a1", `a\b`, "a_1", "ab", "b", "ä")},
		{"a", docs("a", "a%x", "a-1", "a1", `a\b`, "a_1", "ab")},
		{"a_", docs("a_1")},
		{"a%", docs("a%x")},
		{`a\`, docs(`a\b`)},
		{"A", docs("A")},
		{"ä", docs("ä")},
		{"ab", docs("ab")},
		{"abc", []string{}},
		{"doc", []string{}},
		{"zz", []string{}},
		{"a\x00", []string{}},
	} {
		got, next := k.indexKeys("keys", "ik", store.ListOptions{Prefix: c.prefix})
		k.diff(fmt.Sprintf("index keys with prefix %q", c.prefix), c.want, got)
		if next != "" {
			t.Errorf("prefix %q: Next is %q on the only page, want empty", c.prefix, next)
		}
	}
}

// docIndexPaging: pages follow After and Limit across many documents
// sharing an index key; Next is the last document's store.IndexCursor and
// empty on the last page. An index key alone as After starts at that key;
// the key followed by "\x01" skips it; a cursor with a prefix works.
func docIndexPaging(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.atomic("insert", func(tx store.Tx) error {
		for _, d := range []struct{ key, ik string }{
			{"e3", "t2"}, {"e1", "t2"}, {"z", "t1"}, {"e2", "t2"}, {"a", "t3"}, {"e0", "t2"}, {"m", "t2x"}, {"b", "t10"},
		} {
			if _, err := tx.Documents().InsertIndexed(k.ctx(), "c", d.key, json.RawMessage(`{}`), ix("at", d.ik)); err != nil {
				return err
			}
		}
		return nil
	})
	type page struct {
		Keys []string
		Next string
	}
	var pages []page
	opts := store.ListOptions{Limit: 3}
	for i := 0; i < 6; i++ {
		keys, next := k.indexKeys("c", "at", opts)
		pages = append(pages, page{keys, next})
		if next == "" {
			break
		}
		opts.After = next
	}
	k.diff("pages of limit 3", []page{
		{[]string{"z", "b", "e0"}, store.IndexCursor("t2", "e0")},
		{[]string{"e1", "e2", "e3"}, store.IndexCursor("t2", "e3")},
		{[]string{"m", "a"}, ""},
	}, pages)
	for _, c := range []struct {
		what string
		opts store.ListOptions
		want page
	}{
		{"after an index key alone", store.ListOptions{After: "t2"}, page{[]string{"e0", "e1", "e2", "e3", "m", "a"}, ""}},
		{"after an index key and \\x01", store.ListOptions{After: "t2\x01"}, page{[]string{"m", "a"}, ""}},
		{"after a cursor between documents", store.ListOptions{After: store.IndexCursor("t2", "e15"), Limit: 2}, page{[]string{"e2", "e3"}, store.IndexCursor("t2", "e3")}},
		{"prefix t2, from the start", store.ListOptions{Prefix: "t2", Limit: 4}, page{[]string{"e0", "e1", "e2", "e3"}, store.IndexCursor("t2", "e3")}},
		{"prefix t2, after e3", store.ListOptions{Prefix: "t2", After: store.IndexCursor("t2", "e3")}, page{[]string{"m"}, ""}},
		{"prefix t2, after a cursor before the prefix", store.ListOptions{Prefix: "t2", After: store.IndexCursor("t1", "zz")}, page{[]string{"e0", "e1", "e2", "e3", "m"}, ""}},
		{"prefix t1, after a cursor past the prefix", store.ListOptions{Prefix: "t1", After: store.IndexCursor("t2", "e0")}, page{[]string{}, ""}},
		{"after the last entry", store.ListOptions{After: store.IndexCursor("t3", "a")}, page{[]string{}, ""}},
		{"exactly one page", store.ListOptions{Limit: 8}, page{[]string{"z", "b", "e0", "e1", "e2", "e3", "m", "a"}, ""}},
	} {
		keys, next := k.indexKeys("c", "at", c.opts)
		k.diff(c.what, c.want, page{keys, next})
	}
}

// docIndexLifecycle: Update keeps a document's entries (the listing shows
// the new data and version); Delete removes them; a key inserted again
// without entries is not listed, one inserted with new entries is listed
// under them only.
func docIndexLifecycle(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.insertIndexed("c", "a", `{"v":1}`, ix("i1", "k1"), ix("i2", "k9"))
	k.insertIndexed("c", "b", `{"v":1}`, ix("i1", "k2"))
	env.Clock.Advance(time.Minute)
	var upd store.Document
	k.atomic("update a twice", func(tx store.Tx) error {
		if _, err := tx.Documents().Update(k.ctx(), "c", "a", 1, json.RawMessage(`{"v":2}`)); err != nil {
			return err
		}
		var err error
		upd, err = tx.Documents().Update(k.ctx(), "c", "a", 2, json.RawMessage(`{"v":3}`))
		return err
	})
	p, err := k.listIndex("c", "i1", store.ListOptions{})
	if err != nil {
		t.Fatalf("list i1: %v", err)
	}
	if len(p.Documents) != 2 {
		t.Fatalf("i1 after the update lists %d documents, want 2", len(p.Documents))
	}
	k.diff("a as listed by i1 after the update", docView(upd), docView(p.Documents[0]))
	keys, _ := k.indexKeys("c", "i2", store.ListOptions{})
	k.diff("i2 after the update", []string{"a"}, keys)

	if err := k.try("delete a", func(tx store.Tx) error { return tx.Documents().Delete(k.ctx(), "c", "a", 3) }); err != nil {
		t.Fatalf("delete a: %v", err)
	}
	keys, _ = k.indexKeys("c", "i1", store.ListOptions{})
	k.diff("i1 after deleting a", []string{"b"}, keys)
	keys, _ = k.indexKeys("c", "i2", store.ListOptions{})
	k.diff("i2 after deleting a", []string{}, keys)

	k.insertDoc("c", "a", `{"v":"plain"}`)
	keys, _ = k.indexKeys("c", "i1", store.ListOptions{})
	k.diff("i1 after inserting a again without entries", []string{"b"}, keys)
	if err := k.try("delete a again", func(tx store.Tx) error { return tx.Documents().Delete(k.ctx(), "c", "a", 0) }); err != nil {
		t.Fatalf("delete a again: %v", err)
	}
	k.insertIndexed("c", "a", `{"v":"new"}`, ix("i2", "k0"), ix("i3", "k0"))
	for _, c := range []struct {
		index string
		want  []string
	}{{"i1", []string{"b"}}, {"i2", []string{"a"}}, {"i3", []string{"a"}}} {
		keys, _ := k.indexKeys("c", c.index, store.ListOptions{})
		k.diff(c.index+" after inserting a with new entries", c.want, keys)
	}
	if err := k.try("delete b at any version", func(tx store.Tx) error { return tx.Documents().Delete(k.ctx(), "c", "b", 0) }); err != nil {
		t.Fatalf("delete b: %v", err)
	}
	keys, _ = k.indexKeys("c", "i1", store.ListOptions{})
	k.diff("i1 after deleting b", []string{}, keys)
}

// docIndexRollback: a rolled-back unit of work leaves no entry of the
// documents it inserted and restores the entries of those it deleted; an
// insert over an existing key (VERSION_CONFLICT) files nothing and keeps
// the existing document's entries.
func docIndexRollback(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	k.insertIndexed("c", "keep", `1`, ix("i", "m"))
	errBoom := errors.New("boom")
	err := k.try("a unit that inserts, deletes, then fails", func(tx store.Tx) error {
		d := tx.Documents()
		if _, err := d.InsertIndexed(k.ctx(), "c", "new", json.RawMessage(`2`), ix("i", "a"), ix("j", "a")); err != nil {
			return err
		}
		if err := d.Delete(k.ctx(), "c", "keep", 1); err != nil {
			return err
		}
		if _, err := d.InsertIndexed(k.ctx(), "c", "keep", json.RawMessage(`3`), ix("i", "z")); err != nil {
			return err
		}
		p, err := d.ListIndex(k.ctx(), "c", "i", store.ListOptions{})
		if err != nil {
			return err
		}
		got := []string{}
		for _, x := range p.Documents {
			got = append(got, x.Key+"="+string(x.Data))
		}
		k.diff("index i inside the failing unit", []string{"new=2", "keep=3"}, got)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("the failing unit returned %v, want boom", err)
	}
	for _, c := range []struct {
		index string
		want  []string
	}{{"i", []string{"keep"}}, {"j", []string{}}} {
		keys, _ := k.indexKeys("c", c.index, store.ListOptions{})
		k.diff("index "+c.index+" after the rollback", c.want, keys)
	}
	p, err := k.listIndex("c", "i", store.ListOptions{Prefix: "m"})
	if err != nil || len(p.Documents) != 1 || string(p.Documents[0].Data) != "1" {
		t.Errorf("keep under its old entry m after the rollback: %+v, %v; want data 1", p.Documents, err)
	}

	err = k.try("insert over an existing key with entries", func(tx store.Tx) error {
		_, err := tx.Documents().InsertIndexed(k.ctx(), "c", "keep", json.RawMessage(`4`), ix("i", "b"), ix("k", "b"))
		return err
	})
	k.wantCode("insert over an existing key with entries", err, es.CodeVersionConflict)
	for _, c := range []struct {
		index, prefix string
		want          []string
	}{{"i", "", []string{"keep"}}, {"i", "b", []string{}}, {"k", "", []string{}}} {
		keys, _ := k.indexKeys("c", c.index, store.ListOptions{Prefix: c.prefix})
		k.diff(fmt.Sprintf("index %s prefix %q after the rejected insert", c.index, c.prefix), c.want, keys)
	}
}

// docIndexLarge: 1,200 documents filed in descending, ascending and
// scattered order, many per index key — a zero limit gives
// DefaultListLimit, a huge one MaxListLimit, and paging visits every
// document exactly once in (index key, document key) order.
func docIndexLarge(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	const n = 1200
	ikOf := func(i int) string { return fmt.Sprintf("t%03d", (i*7)%150) } // 8 documents per index key
	order := make([]int, 0, n)
	for i := n - 1; i >= n-400; i-- {
		order = append(order, i)
	}
	for i := 0; i < 400; i++ {
		order = append(order, i)
	}
	for i := 400; i < 800; i++ {
		order = append(order, 400+(i*37)%400)
	}
	for batch := 0; batch < n; batch += 400 {
		k.atomic(fmt.Sprintf("insert documents %d..%d", batch, batch+399), func(tx store.Tx) error {
			for _, i := range order[batch : batch+400] {
				if _, err := tx.Documents().InsertIndexed(k.ctx(), "bulk", fmt.Sprintf("doc-%04d", i), json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), ix("at", ikOf(i))); err != nil {
					return err
				}
			}
			return nil
		})
	}
	type entry struct{ ik, key string }
	want := make([]entry, 0, n)
	for i := 0; i < n; i++ {
		want = append(want, entry{ikOf(i), fmt.Sprintf("doc-%04d", i)})
	}
	slices.SortFunc(want, func(a, b entry) int {
		if c := strings.Compare(a.ik, b.ik); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	p, err := k.listIndex("bulk", "at", store.ListOptions{})
	if err != nil {
		t.Fatalf("limit 0: %v", err)
	}
	if w := want[store.DefaultListLimit-1]; len(p.Documents) != store.DefaultListLimit || p.Next != store.IndexCursor(w.ik, w.key) {
		t.Errorf("limit 0: %d documents, Next %q; want %d and %q", len(p.Documents), p.Next, store.DefaultListLimit, store.IndexCursor(w.ik, w.key))
	}
	p, err = k.listIndex("bulk", "at", store.ListOptions{Limit: 5000})
	if err != nil {
		t.Fatalf("limit 5000: %v", err)
	}
	if w := want[store.MaxListLimit-1]; len(p.Documents) != store.MaxListLimit || p.Next != store.IndexCursor(w.ik, w.key) {
		t.Errorf("limit 5000: %d documents, Next %q; want %d (the cap) and %q", len(p.Documents), p.Next, store.MaxListLimit, store.IndexCursor(w.ik, w.key))
	}
	for _, limit := range []int{1000, 7} {
		var got []string
		opts := store.ListOptions{Limit: limit}
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatalf("limit %d: paging did not end", limit)
			}
			p, err := k.listIndex("bulk", "at", opts)
			if err != nil {
				t.Fatalf("limit %d: %v", limit, err)
			}
			for _, d := range p.Documents {
				var i int
				if _, err := fmt.Sscanf(d.Key, "doc-%04d", &i); err != nil || string(d.Data) != fmt.Sprintf(`{"i":%d}`, i) {
					t.Fatalf("limit %d: listed %s with data %s", limit, d.Key, d.Data)
				}
				got = append(got, d.Key)
			}
			if p.Next == "" {
				break
			}
			opts.After = p.Next
		}
		wantKeys := make([]string, 0, n)
		for _, w := range want {
			wantKeys = append(wantKeys, w.key)
		}
		k.diff(fmt.Sprintf("limit %d: every document once, in order", limit), wantKeys, got)
	}
}
