package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// documents is a tx seen as store.Documents.
type documents tx

// collection holds one collection's documents and its keys in ascending
// byte order (for List).
type collection struct {
	docs map[string]*docRec
	keys []string
}

// docRec is one stored document version. Records are never mutated: an
// update installs a new record, so undo just puts the old pointer back.
type docRec struct {
	data      []byte
	version   int64
	updatedAt time.Time
}

func (c *collection) put(key string, d *docRec) {
	if _, ok := c.docs[key]; !ok {
		c.addKey(key)
	}
	c.docs[key] = d
}

// addKey inserts a new key into the sorted key list. Keys that sort last
// (time- or sequence-ordered ids, the common case) are appended without a
// search.
func (c *collection) addKey(key string) {
	if n := len(c.keys); n == 0 || key > c.keys[n-1] {
		c.keys = append(c.keys, key)
		return
	}
	i, _ := slices.BinarySearch(c.keys, key)
	c.keys = slices.Insert(c.keys, i, key)
}

func (c *collection) remove(key string) {
	if _, ok := c.docs[key]; !ok {
		return
	}
	delete(c.docs, key)
	if i, ok := slices.BinarySearch(c.keys, key); ok {
		c.keys = slices.Delete(c.keys, i, i+1)
	}
}

func (r *docRec) export(coll, key string) store.Document {
	return store.Document{Collection: coll, Key: key, Data: slices.Clone(r.data), Version: r.version, UpdatedAt: r.updatedAt}
}

// written is the document a write returns: the stored record's metadata
// with the caller's own data, which the store copied on the way in (so the
// caller and the store never share bytes, without a second copy).
func (r *docRec) written(coll, key string, data json.RawMessage) store.Document {
	return store.Document{Collection: coll, Key: key, Data: data, Version: r.version, UpdatedAt: r.updatedAt}
}

// set installs d (nil: removes the key) and records the undo.
func (t *tx) setDoc(coll, key string, d *docRec) {
	st := &t.s.st
	c := st.collections[coll]
	if c == nil {
		c = &collection{docs: make(map[string]*docRec)}
		st.collections[coll] = c
	}
	prev := c.docs[key]
	switch {
	case d == nil:
		c.remove(key)
	case prev == nil:
		c.addKey(key)
		c.docs[key] = d
	default:
		c.docs[key] = d
	}
	t.undo = append(t.undo, undoEntry{coll: c, key: key, prev: prev})
	t.wrote = true
}

func (st *state) doc(coll, key string) *docRec {
	if c := st.collections[coll]; c != nil {
		return c.docs[key]
	}
	return nil
}

// notFound builds the NOT_FOUND error without fmt: reads of missing
// documents are on hot paths (the command log's duplicate check).
func notFound(coll, key string) error {
	return &es.Error{ErrCode: es.CodeNotFound, Message: "document " + coll + "/" + strconv.Quote(key) + " not found"}
}

// Get returns the document or NOT_FOUND.
func (d *documents) Get(ctx context.Context, coll, key string) (store.Document, error) {
	t := (*tx)(d)
	if err := store.ValidateDocumentRef(coll, key); err != nil {
		return store.Document{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.Document{}, err
	}
	defer t.s.mu.Unlock()
	r := t.s.st.doc(coll, key)
	if r == nil {
		return store.Document{}, notFound(coll, key)
	}
	return r.export(coll, key), nil
}

// Lookup returns the document and true, or false when it does not exist
// (store.DocumentLookup: no NOT_FOUND error is built).
func (d *documents) Lookup(ctx context.Context, coll, key string) (store.Document, bool, error) {
	t := (*tx)(d)
	if err := store.ValidateDocumentRef(coll, key); err != nil {
		return store.Document{}, false, err
	}
	if err := t.begin(ctx); err != nil {
		return store.Document{}, false, err
	}
	defer t.s.mu.Unlock()
	r := t.s.st.doc(coll, key)
	if r == nil {
		return store.Document{}, false, nil
	}
	return r.export(coll, key), true, nil
}

// Insert creates the document at version 1, or fails with VERSION_CONFLICT
// (Expected 0) when the key exists.
func (d *documents) Insert(ctx context.Context, coll, key string, data json.RawMessage) (store.Document, error) {
	t := (*tx)(d)
	if err := store.ValidateDocumentRef(coll, key); err != nil {
		return store.Document{}, err
	}
	if err := store.ValidateDocumentData(coll, key, data); err != nil {
		return store.Document{}, err
	}
	if err := t.beginWrite(ctx, "document insert"); err != nil {
		return store.Document{}, err
	}
	defer t.s.mu.Unlock()
	if r := t.s.st.doc(coll, key); r != nil {
		return store.Document{}, &es.VersionConflictError{Collection: coll, Key: key, Expected: 0, Actual: r.version}
	}
	r := &docRec{data: slices.Clone(data), version: 1, updatedAt: t.now()}
	t.setDoc(coll, key, r)
	return r.written(coll, key, data), nil
}

// Update replaces the document iff its version is expected (> 0).
func (d *documents) Update(ctx context.Context, coll, key string, expected int64, data json.RawMessage) (store.Document, error) {
	t := (*tx)(d)
	if err := store.ValidateDocumentRef(coll, key); err != nil {
		return store.Document{}, err
	}
	if err := store.ValidateExpectedDocVersion(coll, key, expected); err != nil {
		return store.Document{}, err
	}
	if err := store.ValidateDocumentData(coll, key, data); err != nil {
		return store.Document{}, err
	}
	if err := t.beginWrite(ctx, "document update"); err != nil {
		return store.Document{}, err
	}
	defer t.s.mu.Unlock()
	cur := t.s.st.doc(coll, key)
	if cur == nil {
		return store.Document{}, notFound(coll, key)
	}
	if cur.version != expected {
		return store.Document{}, &es.VersionConflictError{Collection: coll, Key: key, Expected: expected, Actual: cur.version}
	}
	r := &docRec{data: slices.Clone(data), version: cur.version + 1, updatedAt: t.now()}
	t.setDoc(coll, key, r)
	return r.written(coll, key, data), nil
}

// Delete removes the document iff its version is expected (0: any).
func (d *documents) Delete(ctx context.Context, coll, key string, expected int64) error {
	t := (*tx)(d)
	if err := store.ValidateDocumentRef(coll, key); err != nil {
		return err
	}
	if err := store.ValidateExpectedDocVersion(coll, key, expected); err != nil {
		return err
	}
	if err := t.beginWrite(ctx, "document delete"); err != nil {
		return err
	}
	defer t.s.mu.Unlock()
	cur := t.s.st.doc(coll, key)
	if cur == nil {
		return notFound(coll, key)
	}
	if expected != 0 && cur.version != expected {
		return &es.VersionConflictError{Collection: coll, Key: key, Expected: expected, Actual: cur.version}
	}
	t.setDoc(coll, key, nil)
	return nil
}

// List returns the documents whose key starts with opts.Prefix and sorts
// after opts.After, in ascending byte order of key. Next is the last key of
// the page when more documents follow, else empty. An unknown collection
// lists as empty.
func (d *documents) List(ctx context.Context, coll string, opts store.ListOptions) (store.DocumentPage, error) {
	t := (*tx)(d)
	if err := es.ValidateName(es.CodeInvalidCollection, "collection", coll); err != nil {
		return store.DocumentPage{}, err
	}
	limit, err := es.ValidateLimit(opts.Limit, store.DefaultListLimit, store.MaxListLimit)
	if err != nil {
		return store.DocumentPage{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.DocumentPage{}, err
	}
	defer t.s.mu.Unlock()
	var page store.DocumentPage
	c := t.s.st.collections[coll]
	if c == nil {
		return page, nil
	}
	// Start at the first key > After and >= Prefix.
	i, found := slices.BinarySearch(c.keys, opts.After)
	if found {
		i++
	}
	if j, _ := slices.BinarySearch(c.keys, opts.Prefix); j > i {
		i = j
	}
	for ; i < len(c.keys); i++ {
		k := c.keys[i]
		if !strings.HasPrefix(k, opts.Prefix) {
			break
		}
		if len(page.Documents) == limit {
			page.Next = page.Documents[limit-1].Key
			break
		}
		page.Documents = append(page.Documents, c.docs[k].export(coll, k))
	}
	return page, nil
}
