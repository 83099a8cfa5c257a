package cms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// NotFoundError reports a missing CMS document. Code NOT_FOUND (so
// errors.Is(err, es.ErrNotFound) holds).
type NotFoundError struct {
	Table string
	ID    string
}

// Name is the error's class name in the original platform.
func (e *NotFoundError) Name() string { return "NotFoundError" }

// Error renders "<CODE>: <message>".
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s: %s not found: %s", es.CodeNotFound, e.Table, e.ID)
}

// Code returns NOT_FOUND.
func (e *NotFoundError) Code() es.Code { return es.CodeNotFound }

// Is matches es.ErrNotFound.
func (e *NotFoundError) Is(target error) bool {
	t, ok := target.(es.Coder)
	return ok && t.Code() == es.CodeNotFound
}

// VersionConflictError reports a CMS write whose expected version did not
// match the stored document's version. Code VERSION_CONFLICT (so
// errors.Is(err, es.ErrVersionConflict) holds).
type VersionConflictError struct {
	Table           string
	ID              string
	ExpectedVersion int64
	ActualVersion   int64
}

// Name is the error's class name in the original platform.
func (e *VersionConflictError) Name() string { return "VersionConflictError" }

// Error renders "<CODE>: <message>".
func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("%s: Version conflict for %s %s: expected %d, got %d",
		es.CodeVersionConflict, e.Table, e.ID, e.ExpectedVersion, e.ActualVersion)
}

// Code returns VERSION_CONFLICT.
func (e *VersionConflictError) Code() es.Code { return es.CodeVersionConflict }

// Is matches es.ErrVersionConflict.
func (e *VersionConflictError) Is(target error) bool {
	t, ok := target.(es.Coder)
	return ok && t.Code() == es.CodeVersionConflict
}

// IsNotFoundError reports whether err's chain holds a *NotFoundError (and
// nothing else: a store NOT_FOUND or a version conflict is not one).
func IsNotFoundError(err error) bool {
	var e *NotFoundError
	return errors.As(err, &e)
}

// IsVersionConflictError reports whether err's chain holds a
// *VersionConflictError.
func IsVersionConflictError(err error) bool {
	var e *VersionConflictError
	return errors.As(err, &e)
}

// Config configures a Repository.
type Config struct {
	// Collection is the CMS table: the store.Documents collection holding
	// one document per aggregate, keyed by aggregate id. Required.
	Collection string
	// Upcaster upgrades documents on read; nil: documents are read as
	// stored.
	Upcaster *Upcaster
	// Clock, when set, makes writes stamp createdAt (insert) and updatedAt
	// (every write) in Unix milliseconds: the Timestamped variant.
	Clock es.Clock
}

// Repository is typed access to one CMS collection. T is the Go form of
// the state; documents convert to and from T through JSON (embed Base or
// Timestamped in T to see the version fields). A Repository is immutable
// and safe for concurrent use; its methods run in the caller's unit of
// work.
//
// Versions: a document's "version" field is the aggregate version (0 when
// absent), which the write methods compare with the caller's expected
// version. The store's own document version is used underneath as a
// compare-and-set, so a check and its write are atomic on every adapter.
type Repository[T any] struct {
	coll string
	up   *Upcaster
	clk  es.Clock
}

// NewRepository returns a repository for cfg. An invalid collection name is
// INVALID_COLLECTION.
func NewRepository[T any](cfg Config) (*Repository[T], error) {
	if err := es.ValidateName(es.CodeInvalidCollection, "cms: collection", cfg.Collection); err != nil {
		return nil, err
	}
	return &Repository[T]{coll: cfg.Collection, up: cfg.Upcaster, clk: cfg.Clock}, nil
}

// Collection returns the repository's collection (table) name.
func (r *Repository[T]) Collection() string { return r.coll }

// Upcaster returns the repository's upcaster, or nil.
func (r *Repository[T]) Upcaster() *Upcaster { return r.up }

// Loaded is a CMS document read through a repository, upcast and decoded.
type Loaded[T any] struct {
	// ID is the aggregate id, which is also the storage document key.
	ID string
	// State is the upcast document decoded into T.
	State T
	// Doc is the upcast document.
	Doc Doc
	// Version is the document's aggregate version (0 when absent).
	Version int64
	// WasUpcasted and OriginalStateVersion report the upcast.
	WasUpcasted          bool
	OriginalStateVersion int
	// StoreVersion is the storage document's own version.
	StoreVersion int64
}

// StateJSON returns the upcast document as JSON.
func (l Loaded[T]) StateJSON() (json.RawMessage, error) {
	raw, err := json.Marshal(l.Doc)
	if err != nil {
		return nil, es.Wrap(es.CodeInternal, err, "cms: document %q does not encode", l.ID)
	}
	return raw, nil
}

// VersionOf returns a document's aggregate version: its integer "version"
// field, or 0 when absent.
func VersionOf(d Doc) int64 {
	n, _ := intValue(d[FieldVersion])
	return n
}

func (r *Repository[T]) load(doc store.Document) (Loaded[T], error) {
	raw, err := ParseDoc(doc.Data)
	if err != nil {
		return Loaded[T]{}, es.Wrap(es.CodeInternal, err, "cms: %s/%s", r.coll, doc.Key)
	}
	res, err := UpcastAs[T](r.up, raw)
	if err != nil {
		return Loaded[T]{}, err
	}
	return Loaded[T]{
		ID: doc.Key, State: res.CMS, Doc: res.Doc, Version: VersionOf(res.Doc),
		WasUpcasted: res.WasUpcasted, OriginalStateVersion: res.OriginalStateVersion, StoreVersion: doc.Version,
	}, nil
}

func (r *Repository[T]) get(ctx context.Context, docs store.Documents, id string) (store.Document, bool, error) {
	doc, err := docs.Get(ctx, r.coll, id)
	if es.CodeOf(err) == es.CodeNotFound {
		return store.Document{}, false, nil
	}
	if err != nil {
		return store.Document{}, false, err
	}
	return doc, true, nil
}

// Load reads, upcasts and decodes the document of aggregate id. A missing
// document is a *NotFoundError ("<table> not found: <id>"); upcast errors
// are returned as they are.
func (r *Repository[T]) Load(ctx context.Context, docs store.Documents, id string) (Loaded[T], error) {
	doc, ok, err := r.get(ctx, docs, id)
	if err != nil {
		return Loaded[T]{}, err
	}
	if !ok {
		return Loaded[T]{}, &NotFoundError{Table: r.coll, ID: id}
	}
	return r.load(doc)
}

// TryLoad is Load returning nil, and no error, for a missing document.
func (r *Repository[T]) TryLoad(ctx context.Context, docs store.Documents, id string) (*Loaded[T], error) {
	doc, ok, err := r.get(ctx, docs, id)
	if err != nil || !ok {
		return nil, err
	}
	l, err := r.load(doc)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// Exists reports whether aggregate id has a document. It never upcasts.
func (r *Repository[T]) Exists(ctx context.Context, docs store.Documents, id string) (bool, error) {
	_, ok, err := r.get(ctx, docs, id)
	return ok, err
}

// LoadMany loads several aggregates: the result has the length and order
// of ids, with nil where a document is missing. Empty ids read nothing. Any
// upcast error fails the whole call.
func (r *Repository[T]) LoadMany(ctx context.Context, docs store.Documents, ids []string) ([]*Loaded[T], error) {
	out := make([]*Loaded[T], len(ids))
	for i, id := range ids {
		l, err := r.TryLoad(ctx, docs, id)
		if err != nil {
			return nil, err
		}
		out[i] = l
	}
	return out, nil
}

// stamp prepares a document for writing: the current stateVersion (so an
// upcast document is persisted at the current version) and timestamps.
func (r *Repository[T]) stamp(d Doc, creating bool) {
	if r.up != nil {
		d[FieldStateVersion] = r.up.Current()
	}
	if r.clk != nil {
		now := r.clk.Now().UnixMilli()
		if creating {
			d[FieldCreatedAt] = now
		}
		d[FieldUpdatedAt] = now
	}
}

func (r *Repository[T]) encode(id string, d Doc) (json.RawMessage, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, es.Wrap(es.CodeInvalidArgument, err, "cms: %s/%s does not encode", r.coll, id)
	}
	return raw, nil
}

// Insert writes the first document of aggregate id from state and returns
// the storage key (id). The document gets the upcaster's current
// stateVersion and, with a clock, createdAt/updatedAt; its version field is
// written as state has it. An existing document is a *VersionConflictError
// with ExpectedVersion 0.
func (r *Repository[T]) Insert(ctx context.Context, docs store.Documents, id string, state T) (string, error) {
	d, err := Encode(state)
	if err != nil {
		return "", err
	}
	return id, r.insertDoc(ctx, docs, id, d)
}

func (r *Repository[T]) insertDoc(ctx context.Context, docs store.Documents, id string, d Doc) error {
	r.stamp(d, true)
	raw, err := r.encode(id, d)
	if err != nil {
		return err
	}
	_, err = docs.Insert(ctx, r.coll, id, raw)
	if es.CodeOf(err) == es.CodeVersionConflict {
		return r.conflict(ctx, docs, id, 0)
	}
	return err
}

// conflict builds the VersionConflictError for expected, reading the
// stored aggregate version.
func (r *Repository[T]) conflict(ctx context.Context, docs store.Documents, id string, expected int64) error {
	doc, ok, err := r.get(ctx, docs, id)
	if err != nil {
		return err
	}
	if !ok {
		return &NotFoundError{Table: r.coll, ID: id}
	}
	d, err := ParseDoc(doc.Data)
	if err != nil {
		return es.Wrap(es.CodeInternal, err, "cms: %s/%s", r.coll, id)
	}
	return &VersionConflictError{Table: r.coll, ID: id, ExpectedVersion: expected, ActualVersion: VersionOf(d)}
}

// write replaces aggregate id's document with next (computed from the
// upcast current document) iff its aggregate version is expected.
func (r *Repository[T]) write(ctx context.Context, docs store.Documents, id string, expected int64, next func(current Doc) (Doc, error)) error {
	doc, ok, err := r.get(ctx, docs, id)
	if err != nil {
		return err
	}
	if !ok {
		return &NotFoundError{Table: r.coll, ID: id}
	}
	cur, err := r.load(doc)
	if err != nil {
		return err
	}
	if cur.Version != expected {
		return &VersionConflictError{Table: r.coll, ID: id, ExpectedVersion: expected, ActualVersion: cur.Version}
	}
	d, err := next(maps.Clone(cur.Doc))
	if err != nil {
		return err
	}
	if created, ok := cur.Doc[FieldCreatedAt]; ok {
		if n, _ := intValue(d[FieldCreatedAt]); n == 0 {
			d[FieldCreatedAt] = created
		}
	}
	r.stamp(d, false)
	raw, err := r.encode(id, d)
	if err != nil {
		return err
	}
	_, err = docs.Update(ctx, r.coll, id, doc.Version, raw)
	if es.CodeOf(err) == es.CodeVersionConflict { // a concurrent writer got in between
		return r.conflict(ctx, docs, id, expected)
	}
	return err
}

// Update applies patch to aggregate id's document iff its version is
// expected (spec §5 rule 7): a missing document is a *NotFoundError, a
// different version a *VersionConflictError. The patch sets top-level keys
// (a nil value stores null) on the upcast document, so a lazily upcast
// document is persisted at the current stateVersion. Update does not bump
// the version: the patch carries the new one.
func (r *Repository[T]) Update(ctx context.Context, docs store.Documents, id string, patch Doc, expected int64) error {
	return r.write(ctx, docs, id, expected, func(cur Doc) (Doc, error) {
		maps.Copy(cur, patch)
		return cur, nil
	})
}

// Save replaces aggregate id's document with state iff its version is
// expected (errors as Update). Like Update it writes the version state
// carries; the stored createdAt is kept when state's is absent or zero.
func (r *Repository[T]) Save(ctx context.Context, docs store.Documents, id string, state T, expected int64) error {
	d, err := Encode(state)
	if err != nil {
		return err
	}
	return r.write(ctx, docs, id, expected, func(Doc) (Doc, error) { return d, nil })
}
