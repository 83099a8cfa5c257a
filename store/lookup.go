package store

import (
	"context"

	"github.com/eventspec/eventspec/es"
)

// DocumentLookup is an optional interface of Documents: Lookup reports a
// missing document with found = false instead of a NOT_FOUND error, so
// reads that usually miss (the command log's duplicate check, for
// example) build no error. It validates its arguments as Get does.
type DocumentLookup interface {
	Lookup(ctx context.Context, collection, key string) (doc Document, found bool, err error)
}

// LookupDocument returns the document and true, or false (and no error)
// when it does not exist. It uses docs' Lookup when docs implements
// DocumentLookup, else Get, turning NOT_FOUND into false.
func LookupDocument(ctx context.Context, docs Documents, collection, key string) (Document, bool, error) {
	if l, ok := docs.(DocumentLookup); ok {
		return l.Lookup(ctx, collection, key)
	}
	d, err := docs.Get(ctx, collection, key)
	switch {
	case err == nil:
		return d, true, nil
	case es.CodeOf(err) == es.CodeNotFound:
		return Document{}, false, nil
	}
	return Document{}, false, err
}
