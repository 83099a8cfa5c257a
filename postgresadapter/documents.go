package postgresadapter

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// documents is a tx seen as store.Documents.
type documents tx

func docNotFound(coll, key string) error {
	return es.Errorf(es.CodeNotFound, "document %s/%q not found", coll, key)
}

// version reads a document's current version (0 when missing). t.mu held.
func (t *tx) docVersion(ctx context.Context, coll, key string) (int64, error) {
	var v int64
	err := t.ptx.ReadQueryRow(ctx, t.s.q.docVersion, coll, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, t.dbErr("reading a document version", err)
	}
	return v, nil
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
	defer t.mu.Unlock()
	doc := store.Document{Collection: coll, Key: key}
	var at int64
	err := t.ptx.ReadQueryRow(ctx, t.s.q.docGet, coll, key).Scan(&doc.Data, &doc.Version, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Document{}, docNotFound(coll, key)
	}
	if err != nil {
		return store.Document{}, t.dbErr("reading a document", err)
	}
	doc.UpdatedAt = fromNS(at)
	return doc, nil
}

// Insert creates the document at version 1, or fails with VERSION_CONFLICT
// (Expected 0) when the key exists. A concurrent insert of the same key
// waits for the other unit of work and then conflicts if it committed.
func (d *documents) Insert(ctx context.Context, coll, key string, data json.RawMessage) (store.Document, error) {
	return d.InsertIndexed(ctx, coll, key, data)
}

// InsertIndexed is Insert that also files the document under entries
// (store.Documents.InsertIndexed), in the same single statement: entry i
// goes to the row's index slot i+1 (migration 0004), so the entries live
// and die with the row.
func (d *documents) InsertIndexed(ctx context.Context, coll, key string, data json.RawMessage, entries ...store.IndexEntry) (store.Document, error) {
	t := (*tx)(d)
	if err := store.ValidateInsert(coll, key, data, entries); err != nil {
		return store.Document{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.Document{}, err
	}
	defer t.mu.Unlock()
	ns, err := toNS(t.now(), "the clock's time")
	if err != nil {
		return store.Document{}, err
	}
	var args [4 + 2*store.MaxIndexEntries]any
	args[0], args[1], args[2], args[3] = coll, key, []byte(data), ns
	for i, e := range entries {
		args[4+2*i], args[5+2*i] = e.Index, e.Key
	}
	tag, err := t.ptx.Exec(ctx, t.s.q.docInsertIndexed, args[:]...)
	if err != nil {
		return store.Document{}, t.dbErr("inserting an indexed document", err)
	}
	if tag.RowsAffected() == 0 {
		v, err := t.docVersion(ctx, coll, key)
		if err != nil {
			return store.Document{}, err
		}
		return store.Document{}, &es.VersionConflictError{Collection: coll, Key: key, Expected: 0, Actual: v}
	}
	return store.Document{Collection: coll, Key: key, Data: cloneBytes(data), Version: 1, UpdatedAt: fromNS(ns)}, nil
}

// Update replaces the document iff its version is expected, and bumps the
// version; NOT_FOUND when missing, VERSION_CONFLICT otherwise.
func (d *documents) Update(ctx context.Context, coll, key string, expected int64, data json.RawMessage) (store.Document, error) {
	t := (*tx)(d)
	if err := store.ValidateUpdate(coll, key, expected, data); err != nil {
		return store.Document{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.Document{}, err
	}
	defer t.mu.Unlock()
	ns, err := toNS(t.now(), "the clock's time")
	if err != nil {
		return store.Document{}, err
	}
	var v int64
	err = t.ptx.QueryRow(ctx, t.s.q.docUpdate, coll, key, []byte(data), expected, ns).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		cur, err := t.docVersion(ctx, coll, key)
		if err != nil {
			return store.Document{}, err
		}
		if cur == 0 {
			return store.Document{}, docNotFound(coll, key)
		}
		return store.Document{}, &es.VersionConflictError{Collection: coll, Key: key, Expected: expected, Actual: cur}
	}
	if err != nil {
		return store.Document{}, t.dbErr("updating a document", err)
	}
	return store.Document{Collection: coll, Key: key, Data: cloneBytes(data), Version: v, UpdatedAt: fromNS(ns)}, nil
}

// Delete removes the document iff its version is expected (0: any);
// NOT_FOUND when missing.
func (d *documents) Delete(ctx context.Context, coll, key string, expected int64) error {
	t := (*tx)(d)
	if err := store.ValidateDocumentRef(coll, key); err != nil {
		return err
	}
	if err := store.ValidateExpectedDocVersion(coll, key, expected); err != nil {
		return err
	}
	if err := t.begin(ctx); err != nil {
		return err
	}
	defer t.mu.Unlock()
	tag, err := t.ptx.Exec(ctx, t.s.q.docDelete, coll, key, expected)
	if err != nil {
		return t.dbErr("deleting a document", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	cur, err := t.docVersion(ctx, coll, key)
	if err != nil {
		return err
	}
	if cur == 0 {
		return docNotFound(coll, key)
	}
	return &es.VersionConflictError{Collection: coll, Key: key, Expected: expected, Actual: cur}
}

// List returns the documents whose key starts with opts.Prefix and sorts
// after opts.After, in ascending byte order of key (keys are stored with
// the C collation). Next is the last key of the page when more documents
// follow, else empty. An unknown collection lists as empty.
func (d *documents) List(ctx context.Context, coll string, opts store.ListOptions) (store.DocumentPage, error) {
	t := (*tx)(d)
	if err := es.ValidateName(es.CodeInvalidCollection, "collection", coll); err != nil {
		return store.DocumentPage{}, err
	}
	limit, err := es.ValidateLimit(opts.Limit, store.DefaultListLimit, store.MaxListLimit)
	if err != nil {
		return store.DocumentPage{}, err
	}
	prefix, after := opts.Prefix, opts.After
	// Keys never hold NUL: a prefix with one matches nothing, and a cursor
	// with one orders like its part before the NUL.
	if strings.IndexByte(prefix, 0) >= 0 {
		return store.DocumentPage{}, nil
	}
	if i := strings.IndexByte(after, 0); i >= 0 {
		after = after[:i]
	}
	if !utf8.ValidString(prefix) || !utf8.ValidString(after) {
		return store.DocumentPage{}, es.Errorf(es.CodeInvalidArgument, "document list of %s: prefix and cursor must be valid UTF-8", coll)
	}
	if err := t.begin(ctx); err != nil {
		return store.DocumentPage{}, err
	}
	defer t.mu.Unlock()
	var upper *string
	if u, ok := prefixUpperBound(prefix); ok {
		upper = &u
	}
	rows, err := t.ptx.ReadQuery(ctx, t.s.q.docList, coll, after, prefix, upper, limit+1)
	if err != nil {
		return store.DocumentPage{}, t.dbErr("listing documents", err)
	}
	var page store.DocumentPage
	var doc store.Document
	var at int64
	_, err = pgx.ForEachRow(rows, []any{&doc.Key, &doc.Data, &doc.Version, &at}, func() error {
		doc.Collection, doc.UpdatedAt = coll, fromNS(at)
		page.Documents = append(page.Documents, doc)
		doc.Data = nil
		return nil
	})
	if err != nil {
		return store.DocumentPage{}, t.dbErr("listing documents", err)
	}
	if len(page.Documents) > limit {
		page.Documents = page.Documents[:limit]
		page.Next = page.Documents[limit-1].Key
	}
	return page, nil
}

// ListIndex returns the documents with an entry in index whose index key
// starts with opts.Prefix and whose store.IndexCursor sorts after
// opts.After, in ascending byte order of (index key, document key): the
// ordered scans of the four slot indexes, merged. Next is the last
// document's cursor when more follow, else empty.
func (d *documents) ListIndex(ctx context.Context, coll, index string, opts store.ListOptions) (store.DocumentPage, error) {
	t := (*tx)(d)
	limit, err := store.ValidateListIndex(coll, index, opts)
	if err != nil {
		return store.DocumentPage{}, err
	}
	prefix := opts.Prefix
	if strings.IndexByte(prefix, 0) >= 0 { // index keys hold no NUL
		return store.DocumentPage{}, nil
	}
	// An entry is listed iff IndexCursor(ik, key) > After, that is iff
	// (ik, key) > (afterKey, afterDoc) as a row, where After splits at its
	// first NUL (no NUL: afterDoc is "", below every document key). Keys
	// hold no NUL, so afterDoc can be cut at a second one. A prefix raises
	// the lower bound to (prefix, "").
	afterKey, afterDoc, _ := strings.Cut(opts.After, "\x00")
	if i := strings.IndexByte(afterDoc, 0); i >= 0 {
		afterDoc = afterDoc[:i]
	}
	if prefix > afterKey {
		afterKey, afterDoc = prefix, ""
	}
	if err := t.begin(ctx); err != nil {
		return store.DocumentPage{}, err
	}
	defer t.mu.Unlock()
	q := &t.s.q
	var rows pgx.Rows
	if upper, ok := prefixUpperBound(prefix); ok {
		rows, err = t.ptx.ReadQuery(ctx, q.docListIndexBounded, coll, index, afterKey, afterDoc, prefix, limit+1, upper)
	} else {
		rows, err = t.ptx.ReadQuery(ctx, q.docListIndex, coll, index, afterKey, afterDoc, prefix, limit+1)
	}
	if err != nil {
		return store.DocumentPage{}, t.dbErr("listing an index", err)
	}
	var page store.DocumentPage
	var doc store.Document
	var at int64
	var ik, lastIK string
	_, err = pgx.ForEachRow(rows, []any{&doc.Key, &doc.Data, &doc.Version, &at, &ik}, func() error {
		if len(page.Documents) == limit {
			last := page.Documents[limit-1].Key
			page.Next = store.IndexCursor(lastIK, last)
			return nil
		}
		doc.Collection, doc.UpdatedAt = coll, fromNS(at)
		page.Documents = append(page.Documents, doc)
		doc.Data = nil
		lastIK = ik
		return nil
	})
	if err != nil {
		return store.DocumentPage{}, t.dbErr("listing an index", err)
	}
	return page, nil
}

// prefixUpperBound returns the smallest valid UTF-8 string greater than
// every string starting with prefix, in byte order, and false when there is
// none (empty prefix, or one made only of U+10FFFF). It only narrows the
// index range; starts_with decides membership.
func prefixUpperBound(prefix string) (string, bool) {
	rs := []rune(prefix)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i] + 1
		if r == 0xD800 { // skip the surrogate range, which UTF-8 cannot encode
			r = 0xE000
		}
		if r <= utf8.MaxRune {
			rs[i] = r
			return string(rs[:i+1]), true
		}
	}
	return "", false
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
