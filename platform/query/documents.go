package query

import (
	"context"
	"encoding/json"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Documents is a query factory over one store.Documents collection:
// Page, All, Count and Get read documents whose key starts with Prefix, in
// ascending key order (a stable order: design keys so that it is the order
// you want, e.g. zero-padded numbers), decoded into T and optionally
// filtered. Set Collection at least; the zero values of the other fields
// are sensible.
type Documents[T any] struct {
	// Collection is the read model's collection. Required.
	Collection string
	// Prefix restricts the query to keys starting with it.
	Prefix string
	// Decode turns a document into T (nil: JSON-decode its data).
	Decode func(store.Document) (T, error)
	// Filter keeps only the items it returns true for (nil: all).
	Filter func(T) bool
	// DefaultPageSize (0: DefaultPageSize) and MaxPageSize (0:
	// MaxPageSize, never more) bound Page.
	DefaultPageSize int
	MaxPageSize     int
}

// cursorState is what a Documents cursor holds.
type cursorState struct {
	Collection string `json:"c"`
	Prefix     string `json:"p,omitempty"`
	Key        string `json:"k"`
}

func (q Documents[T]) bounds() (def, max int) {
	max = q.MaxPageSize
	if max <= 0 || max > MaxPageSize {
		max = MaxPageSize
	}
	def = q.DefaultPageSize
	if def <= 0 {
		def = DefaultPageSize
	}
	return min(def, max), max
}

func (q Documents[T]) decode(d store.Document) (T, error) {
	if q.Decode != nil {
		return q.Decode(d)
	}
	var v T
	if err := json.Unmarshal(d.Data, &v); err != nil {
		return v, es.Wrap(es.CodeInternal, err, "query: document %s/%s does not decode into %T", d.Collection, d.Key, v)
	}
	return v, nil
}

// scan calls visit for each matching item in key order after after, until
// visit returns false or the collection ends.
func (q Documents[T]) scan(ctx context.Context, docs store.Documents, after string, visit func(key string, v T) bool) error {
	if err := es.ValidateName(es.CodeInvalidCollection, "query: collection", q.Collection); err != nil {
		return err
	}
	for {
		page, err := docs.List(ctx, q.Collection, store.ListOptions{Prefix: q.Prefix, After: after, Limit: store.MaxListLimit})
		if err != nil {
			return err
		}
		for _, d := range page.Documents {
			v, err := q.decode(d)
			if err != nil {
				return err
			}
			if q.Filter != nil && !q.Filter(v) {
				continue
			}
			if !visit(d.Key, v) {
				return nil
			}
		}
		if page.Next == "" || len(page.Documents) == 0 {
			return nil
		}
		after = page.Next
	}
}

// Page returns the page of items after opts.Cursor. The page size is
// opts.PageSize normalised against the query's bounds (0: default). The
// continue cursor resumes exactly after the page's last item; it is empty
// (and IsDone true) when no item follows. A cursor that does not decode,
// or was made by a query on another collection or prefix, is
// INVALID_CURSOR.
func (q Documents[T]) Page(ctx context.Context, docs store.Documents, opts Options) (Page[T], error) {
	def, max := q.bounds()
	size := EffectivePageSize(opts.PageSize, def, max)
	after := ""
	if opts.Cursor != "" {
		c, ok := DecodeCursor[cursorState](opts.Cursor)
		if !ok {
			return Page[T]{}, es.Errorf(CodeInvalidCursor, "query %s: cursor does not decode", q.Collection)
		}
		if c.Collection != q.Collection || c.Prefix != q.Prefix {
			return Page[T]{}, es.Errorf(CodeInvalidCursor, "query %s: cursor belongs to another query (%s, prefix %q)", q.Collection, c.Collection, c.Prefix)
		}
		after = c.Key
	}
	items := make([]T, 0, size)
	var lastKey string
	more := false
	err := q.scan(ctx, docs, after, func(key string, v T) bool {
		if len(items) == size {
			more = true
			return false
		}
		items = append(items, v)
		lastKey = key
		return true
	})
	if err != nil {
		return Page[T]{}, err
	}
	if !more {
		return NewPage(items, ""), nil
	}
	cur, err := EncodeCursor(cursorState{Collection: q.Collection, Prefix: q.Prefix, Key: lastKey})
	if err != nil {
		return Page[T]{}, err
	}
	return NewPage(items, cur), nil
}

// All returns every matching item, in key order (a list query).
func (q Documents[T]) All(ctx context.Context, docs store.Documents) (ListResult[T], error) {
	items := []T{}
	err := q.scan(ctx, docs, "", func(_ string, v T) bool { items = append(items, v); return true })
	if err != nil {
		return ListResult[T]{}, err
	}
	n := len(items)
	return ListResult[T]{Status: StatusSuccess, Data: items, TotalCount: &n}, nil
}

// Count returns the number of matching items (a count query).
func (q Documents[T]) Count(ctx context.Context, docs store.Documents) (CountResult, error) {
	n := 0
	if err := q.scan(ctx, docs, "", func(string, T) bool { n++; return true }); err != nil {
		return CountResult{}, err
	}
	return CountResult{Status: StatusSuccess, Count: n}, nil
}

// Get returns the item stored under Prefix+id (a single query): not_found
// when it is missing or filtered out.
func (q Documents[T]) Get(ctx context.Context, docs store.Documents, id string) (SingleResult[T], error) {
	if err := es.ValidateName(es.CodeInvalidCollection, "query: collection", q.Collection); err != nil {
		return SingleResult[T]{}, err
	}
	d, err := docs.Get(ctx, q.Collection, q.Prefix+id)
	if es.CodeOf(err) == es.CodeNotFound {
		return NotFound[T](), nil
	}
	if err != nil {
		return SingleResult[T]{}, err
	}
	v, err := q.decode(d)
	if err != nil {
		return SingleResult[T]{}, err
	}
	if q.Filter != nil && !q.Filter(v) {
		return NotFound[T](), nil
	}
	return Found(v), nil
}
