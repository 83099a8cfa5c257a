package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// documents is a tx seen as store.Documents.
type documents tx

// collection holds one collection's documents, its keys in ascending
// byte order (for List) and its secondary indexes (for ListIndex).
type collection struct {
	docs map[string]*docRec
	keys []string
	// indexes maps an index name to its entries; nil until the first
	// indexed insert.
	indexes map[string]*docIndex
}

// docRec is one stored document version. Records are never mutated: an
// update installs a new record, so undo just puts the old pointer back.
type docRec struct {
	data      []byte
	version   int64
	updatedAt time.Time
	// ix holds the document's index entries in one string (encodeIx);
	// every version of a document shares the string of its first (entries
	// never change).
	ix string
}

// A document's index entries are encoded in one string, so an indexed
// insert allocates them at once: for each entry, the index name,
// ixNameEnd, the entry's store.IndexCursor (index key, NUL, document key),
// then ixEntryEnd. Names and keys hold no control characters
// (es.ValidateName), so the separators are unambiguous. The cursors filed
// in the indexes are substrings of it.
const (
	ixNameEnd  = '\x01'
	ixEntryEnd = '\x02'
)

// encodeIx encodes the entries of the document key (empty when none).
func encodeIx(key string, entries []store.IndexEntry) string {
	if len(entries) == 0 {
		return ""
	}
	n := 0
	for _, e := range entries {
		n += len(e.Index) + len(e.Key) + len(key) + 3
	}
	var b strings.Builder
	b.Grow(n)
	for _, e := range entries {
		b.WriteString(e.Index)
		b.WriteByte(ixNameEnd)
		b.WriteString(e.Key)
		b.WriteByte(0)
		b.WriteString(key)
		b.WriteByte(ixEntryEnd)
	}
	return b.String()
}

// nextIx decodes the first entry of a non-empty encoded list: its index
// name, its cursor, and the entries after it.
func nextIx(ix string) (index, cursor, rest string) {
	i := strings.IndexByte(ix, ixNameEnd)
	j := i + 1 + strings.IndexByte(ix[i+1:], ixEntryEnd)
	return ix[:i], ix[i+1 : j], ix[j+1:]
}

// put installs d under key: a key new to the collection is added to the
// key list and its entries to the indexes (an update keeps both).
func (c *collection) put(key string, d *docRec) {
	if _, ok := c.docs[key]; !ok {
		c.addKey(key)
		c.addEntries(d)
	}
	c.docs[key] = d
}

// addKey inserts a new key into the sorted key list.
func (c *collection) addKey(key string) { c.keys = insertSorted(c.keys, key) }

// insertSorted inserts v into the ascending s. A v that sorts last (time-
// or sequence-ordered keys, the common case) is appended without a search.
func insertSorted(s []string, v string) []string {
	if n := len(s); n == 0 || v > s[n-1] {
		return append(s, v)
	}
	i, _ := slices.BinarySearch(s, v)
	return slices.Insert(s, i, v)
}

func (c *collection) remove(key string) {
	r, ok := c.docs[key]
	if !ok {
		return
	}
	delete(c.docs, key)
	if i, ok := slices.BinarySearch(c.keys, key); ok {
		c.keys = slices.Delete(c.keys, i, i+1)
	}
	for rest := r.ix; rest != ""; {
		var index, cursor string
		index, cursor, rest = nextIx(rest)
		c.indexes[index].remove(cursor)
	}
}

// addEntries files d's index entries.
func (c *collection) addEntries(d *docRec) {
	if d.ix == "" {
		return
	}
	if c.indexes == nil {
		c.indexes = make(map[string]*docIndex)
	}
	for rest := d.ix; rest != ""; {
		var index, cursor string
		index, cursor, rest = nextIx(rest)
		x := c.indexes[index]
		if x == nil {
			x = &docIndex{}
			// A copy: the map outlives the document whose entries
			// hold the name.
			c.indexes[strings.Clone(index)] = x
		}
		x.add(cursor)
	}
}

// docIndex is one secondary index of a collection: the cursors
// (store.IndexCursor) of its entries in ascending byte order, which is the
// order of (index key, document key). Cursors are unique: a document has at
// most one entry per index.
//
// Entries usually arrive in increasing order (time- or sequence-ordered
// index keys) and leave from the front (expiry): both are O(1) amortized.
// Any other insert or removal is a binary search and a copy.
type docIndex struct {
	cursors []string
}

func (x *docIndex) add(cursor string) { x.cursors = insertSorted(x.cursors, cursor) }

func (x *docIndex) remove(cursor string) {
	switch n := len(x.cursors); {
	case n == 0:
	case x.cursors[0] == cursor:
		x.cursors[0] = "" // release the string; append reallocates from the live part
		x.cursors = x.cursors[1:]
	case x.cursors[n-1] == cursor:
		x.cursors[n-1] = ""
		x.cursors = x.cursors[:n-1]
	default:
		if i, ok := slices.BinarySearch(x.cursors, cursor); ok {
			x.cursors = slices.Delete(x.cursors, i, i+1)
		}
	}
}

func (r *docRec) export(coll, key string) store.Document {
	return store.Document{Collection: coll, Key: key, Data: slices.Clone(r.data), Version: r.version, UpdatedAt: r.updatedAt}
}

// docRecWith is a document record with room B for its data in the same
// allocation.
type docRecWith[B any] struct {
	r   docRec
	buf B
}

// newDocRec returns a record holding a copy of data: a small document's
// bytes share the record's allocation (one allocation per write instead
// of two), a larger one's get their own. The rooms fill the allocator's
// size classes with a 72-byte docRec (128, 176, 208, 256, 320 and 448
// bytes), so the shared allocation is no larger than the two it replaces.
func newDocRec(data []byte) *docRec {
	switch n := len(data); {
	case n <= 56:
		return withRoom[[56]byte](data)
	case n <= 104:
		return withRoom[[104]byte](data)
	case n <= 136:
		return withRoom[[136]byte](data)
	case n <= 184:
		return withRoom[[184]byte](data)
	case n <= 248:
		return withRoom[[248]byte](data)
	case n <= 376:
		return withRoom[[376]byte](data)
	}
	return &docRec{data: slices.Clone(data)}
}

// withRoom returns a record with its copy of data in its room B, a byte
// array at least len(data) long.
func withRoom[B any](data []byte) *docRec {
	w := &docRecWith[B]{}
	room := unsafe.Slice((*byte)(unsafe.Pointer(&w.buf)), unsafe.Sizeof(w.buf))
	w.r.data = room[:copy(room, data):len(data)]
	return &w.r
}

// written is the document a write returns: the stored record's metadata
// with the caller's own data, which the store copied on the way in (so the
// caller and the store never share bytes, without a second copy).
func (r *docRec) written(coll, key string, data json.RawMessage) store.Document {
	return store.Document{Collection: coll, Key: key, Data: data, Version: r.version, UpdatedAt: r.updatedAt}
}

// setDoc installs d under key in c (nil: removes the key), where prev is
// the key's current record (nil: none), and records the undo.
func (t *tx) setDoc(c *collection, key string, prev, d *docRec) {
	t.lastRead = docMemo{}
	switch {
	case d == nil:
		c.remove(key)
	case prev == nil:
		c.addKey(key)
		c.addEntries(d)
		c.docs[key] = d
	default:
		c.docs[key] = d
	}
	t.undo = append(t.undo, undoEntry{coll: c, key: key, prev: prev})
	t.wrote = true
}

// docMemo is the document a unit of work last read, so that writing the
// same document right after (the orchestrator reads an aggregate's CMS and
// then updates it) finds it without looking it up again. Every document
// write of the unit clears it (setDoc), so it never outlives the record.
type docMemo struct {
	coll, key string
	c         *collection
	r         *docRec
}

// read returns the collection and record of key as st.doc does, and
// remembers a found record as the unit's last read.
func (t *tx) read(coll, key string) (*collection, *docRec) {
	c, r := t.s.st.doc(coll, key)
	if r != nil {
		t.lastRead = docMemo{coll: coll, key: key, c: c, r: r}
	}
	return c, r
}

// doc is st.doc, answered from the unit's last read when it is that
// document.
func (t *tx) doc(coll, key string) (*collection, *docRec) {
	if m := &t.lastRead; m.r != nil && m.key == key && m.coll == coll {
		return m.c, m.r
	}
	return t.s.st.doc(coll, key)
}

// doc returns the collection (nil when it does not exist) and its record
// of key (nil when missing).
func (st *state) doc(coll, key string) (*collection, *docRec) {
	c := st.collections[coll]
	if c == nil {
		return nil, nil
	}
	return c, c.docs[key]
}

// newCollection creates and files an empty collection.
func (st *state) newCollection(coll string) *collection {
	c := &collection{docs: make(map[string]*docRec)}
	st.collections[coll] = c
	return c
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
	_, r := t.read(coll, key)
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
	_, r := t.read(coll, key)
	if r == nil {
		return store.Document{}, false, nil
	}
	return r.export(coll, key), true, nil
}

// Insert creates the document at version 1, or fails with VERSION_CONFLICT
// (Expected 0) when the key exists.
func (d *documents) Insert(ctx context.Context, coll, key string, data json.RawMessage) (store.Document, error) {
	return d.InsertIndexed(ctx, coll, key, data)
}

// InsertIndexed is Insert that also files the document under entries
// (store.Documents.InsertIndexed); the entries are undone with the insert.
func (d *documents) InsertIndexed(ctx context.Context, coll, key string, data json.RawMessage, entries ...store.IndexEntry) (store.Document, error) {
	t := (*tx)(d)
	if err := store.ValidateInsert(coll, key, data, entries); err != nil {
		return store.Document{}, err
	}
	if err := t.beginWrite(ctx, "document insert"); err != nil {
		return store.Document{}, err
	}
	defer t.s.mu.Unlock()
	c, cur := t.s.st.doc(coll, key)
	if cur != nil {
		return store.Document{}, &es.VersionConflictError{Collection: coll, Key: key, Expected: 0, Actual: cur.version}
	}
	if c == nil {
		c = t.s.st.newCollection(coll)
	}
	r := newDocRec(data)
	r.version, r.updatedAt, r.ix = 1, t.now(), encodeIx(key, entries)
	t.setDoc(c, key, nil, r)
	return r.written(coll, key, data), nil
}

// Update replaces the document iff its version is expected (> 0).
func (d *documents) Update(ctx context.Context, coll, key string, expected int64, data json.RawMessage) (store.Document, error) {
	t := (*tx)(d)
	if err := store.ValidateUpdate(coll, key, expected, data); err != nil {
		return store.Document{}, err
	}
	if err := t.beginWrite(ctx, "document update"); err != nil {
		return store.Document{}, err
	}
	defer t.s.mu.Unlock()
	c, cur := t.doc(coll, key)
	if cur == nil {
		return store.Document{}, notFound(coll, key)
	}
	if cur.version != expected {
		return store.Document{}, &es.VersionConflictError{Collection: coll, Key: key, Expected: expected, Actual: cur.version}
	}
	r := newDocRec(data)
	r.version, r.updatedAt, r.ix = cur.version+1, t.now(), cur.ix
	t.setDoc(c, key, cur, r)
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
	c, cur := t.s.st.doc(coll, key)
	if cur == nil {
		return notFound(coll, key)
	}
	if expected != 0 && cur.version != expected {
		return &es.VersionConflictError{Collection: coll, Key: key, Expected: expected, Actual: cur.version}
	}
	t.setDoc(c, key, cur, nil)
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

// ListIndex returns the documents with an entry in index whose index key
// starts with opts.Prefix and whose store.IndexCursor sorts after
// opts.After, in ascending byte order of (index key, document key). Next is
// the last document's cursor when more follow, else empty. An unknown
// collection or index lists as empty.
func (d *documents) ListIndex(ctx context.Context, coll, index string, opts store.ListOptions) (store.DocumentPage, error) {
	t := (*tx)(d)
	limit, err := store.ValidateListIndex(coll, index, opts)
	if err != nil {
		return store.DocumentPage{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.DocumentPage{}, err
	}
	defer t.s.mu.Unlock()
	var page store.DocumentPage
	c := t.s.st.collections[coll]
	if c == nil || c.indexes[index] == nil || strings.IndexByte(opts.Prefix, 0) >= 0 {
		// Index keys hold no NUL: a prefix with one matches nothing.
		return page, nil
	}
	cursors := c.indexes[index].cursors
	// Start at the first cursor > After and >= Prefix. A cursor starts with
	// Prefix iff its index key does (the NUL after the index key never
	// matches a prefix byte).
	i, found := slices.BinarySearch(cursors, opts.After)
	if found {
		i++
	}
	if j, _ := slices.BinarySearch(cursors, opts.Prefix); j > i {
		i = j
	}
	last := ""
	for ; i < len(cursors); i++ {
		cur := cursors[i]
		if !strings.HasPrefix(cur, opts.Prefix) {
			break
		}
		if len(page.Documents) == limit {
			page.Next = last
			break
		}
		key := cur[strings.IndexByte(cur, 0)+1:]
		page.Documents = append(page.Documents, c.docs[key].export(coll, key))
		last = cur
	}
	return page, nil
}
