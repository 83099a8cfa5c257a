package store

import (
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/eventspec/eventspec/es"
)

// ValidateDocumentRef checks a collection name (INVALID_COLLECTION) and a
// document key (INVALID_KEY). Adapters call it before touching storage.
func ValidateDocumentRef(collection, key string) error {
	if err := es.ValidateName(es.CodeInvalidCollection, "collection", collection); err != nil {
		return err
	}
	return es.ValidateName(es.CodeInvalidKey, "document key", key)
}

// ValidateDocumentData checks a document's data: non-empty
// (INVALID_ARGUMENT), at most es.MaxPayloadBytes (PAYLOAD_TOO_LARGE) and
// valid JSON (INVALID_ARGUMENT).
func ValidateDocumentData(collection, key string, data json.RawMessage) error {
	switch {
	case len(data) == 0:
		return es.Errorf(es.CodeInvalidArgument, "document %s/%q: data is empty (use null or {} for no data)", collection, key)
	case len(data) > es.MaxPayloadBytes:
		return es.Errorf(es.CodePayloadTooLarge, "document %s/%q: data is %d bytes; at most %d", collection, key, len(data), es.MaxPayloadBytes)
	case !es.ValidJSON(data):
		return es.Errorf(es.CodeInvalidArgument, "document %s/%q: data is not valid JSON", collection, key)
	}
	return nil
}

// ValidateIndexName checks a secondary index name: a valid es name
// (INVALID_ARGUMENT naming the index of collection).
func ValidateIndexName(collection, index string) error {
	if err := es.ValidateName(es.CodeInvalidArgument, "index name", index); err != nil {
		return es.Errorf(es.CodeInvalidArgument, "collection %s: %s", collection, messageOf(err))
	}
	return nil
}

// ValidateIndexEntries checks InsertIndexed's entries for document
// collection/key: at most MaxIndexEntries (INVALID_ARGUMENT), each index
// name valid (INVALID_ARGUMENT) and named once (INVALID_ARGUMENT), each
// index key a valid es name (INVALID_KEY). Errors name the document and
// the entry.
func ValidateIndexEntries(collection, key string, entries []IndexEntry) error {
	if len(entries) > MaxIndexEntries {
		return es.Errorf(es.CodeInvalidArgument, "document %s/%q: %d index entries; at most %d", collection, key, len(entries), MaxIndexEntries)
	}
	for i, e := range entries {
		// Messages are built only on failure: this runs on every indexed write.
		if err := es.ValidateName(es.CodeInvalidArgument, "index name", e.Index); err != nil {
			return es.Errorf(es.CodeInvalidArgument, "document %s/%q: index entries[%d]: %s", collection, key, i, messageOf(err))
		}
		if err := es.ValidateName(es.CodeInvalidKey, "index key", e.Key); err != nil {
			return es.Errorf(es.CodeInvalidKey, "document %s/%q: index entries[%d] (index %q): %s", collection, key, i, e.Index, messageOf(err))
		}
		for j := range i {
			if entries[j].Index == e.Index {
				return es.Errorf(es.CodeInvalidArgument, "document %s/%q: index entries[%d] and [%d] both name index %q; one entry per index", collection, key, j, i, e.Index)
			}
		}
	}
	return nil
}

// ValidateListIndex checks ListIndex's arguments — the collection
// (INVALID_COLLECTION), the index name (INVALID_ARGUMENT), a negative
// limit (INVALID_ARGUMENT), a prefix or cursor that is not valid UTF-8
// (INVALID_ARGUMENT) — and returns the limit to apply.
func ValidateListIndex(collection, index string, opts ListOptions) (limit int, err error) {
	if err := es.ValidateName(es.CodeInvalidCollection, "collection", collection); err != nil {
		return 0, err
	}
	if err := ValidateIndexName(collection, index); err != nil {
		return 0, err
	}
	if !utf8.ValidString(opts.Prefix) || !utf8.ValidString(opts.After) {
		return 0, es.Errorf(es.CodeInvalidArgument, "index %s of collection %s: prefix and cursor (After) must be valid UTF-8", index, collection)
	}
	return es.ValidateLimit(opts.Limit, DefaultListLimit, MaxListLimit)
}

// ValidateExpectedDocVersion rejects a negative expected document version
// (INVALID_ARGUMENT).
func ValidateExpectedDocVersion(collection, key string, expected int64) error {
	if expected < 0 {
		return es.Errorf(es.CodeInvalidArgument, "document %s/%q: expected version %d is negative", collection, key, expected)
	}
	return nil
}

// ValidateClaim checks Jobs.Claim's arguments and returns the lease to use
// (DefaultLease for 0): max must be positive and lease not negative
// (INVALID_ARGUMENT).
func ValidateClaim(max int, lease time.Duration) (time.Duration, error) {
	if max <= 0 {
		return 0, es.Errorf(es.CodeInvalidArgument, "claim max %d must be positive", max)
	}
	if lease < 0 {
		return 0, es.Errorf(es.CodeInvalidArgument, "claim lease %s is negative", lease)
	}
	if lease == 0 {
		lease = DefaultLease
	}
	return lease, nil
}

// ValidateLease rejects a lease without a job id (INVALID_ARGUMENT).
func ValidateLease(l Lease) error {
	if l.JobID == "" {
		return es.Errorf(es.CodeInvalidArgument, "lease has no job id")
	}
	return nil
}

// Validate checks a read of stream (INVALID_STREAM_ID; a negative From or
// Limit is INVALID_ARGUMENT) and returns the limit to apply.
func (o StreamRead) Validate(stream es.StreamID) (limit int, err error) {
	if err := es.ValidateStreamID(stream); err != nil {
		return 0, err
	}
	if o.From < 0 {
		return 0, es.Errorf(es.CodeInvalidArgument, "stream read from version %d is negative", o.From)
	}
	return es.ValidateLimit(o.Limit, DefaultStreamLimit, MaxStreamLimit)
}

// Validate checks a read of the global log (a negative After or Limit is
// INVALID_ARGUMENT) and returns the limit to apply.
func (o LogRead) Validate() (limit int, err error) {
	if o.After < 0 {
		return 0, es.Errorf(es.CodeInvalidArgument, "log read after position %d is negative", o.After)
	}
	return es.ValidateLimit(o.Limit, DefaultLogLimit, MaxLogLimit)
}

// Validate checks a DCB read of q (INVALID_QUERY; a negative After or Limit
// is INVALID_ARGUMENT). Limit 0 means no limit.
func (o QueryRead) Validate(q es.Query) error {
	if err := q.Validate(); err != nil {
		return err
	}
	if o.After < 0 {
		return es.Errorf(es.CodeInvalidArgument, "query read after position %d is negative", o.After)
	}
	if o.Limit < 0 {
		return es.Errorf(es.CodeInvalidArgument, "limit %d is negative", o.Limit)
	}
	return nil
}

// messageOf is err's message without its code prefix.
func messageOf(err error) string {
	var e *es.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// ValidateInsert checks the arguments of Documents.Insert and InsertIndexed
// in the order every adapter reports them: the collection and key, the
// data, then the index entries.
func ValidateInsert(collection, key string, data json.RawMessage, entries []IndexEntry) error {
	if err := ValidateDocumentRef(collection, key); err != nil {
		return err
	}
	if err := ValidateDocumentData(collection, key, data); err != nil {
		return err
	}
	return ValidateIndexEntries(collection, key, entries)
}

// ValidateUpdate checks the arguments of Documents.Update in the order
// every adapter reports them: the collection and key, the expected
// version, then the data.
func ValidateUpdate(collection, key string, expected int64, data json.RawMessage) error {
	if err := ValidateDocumentRef(collection, key); err != nil {
		return err
	}
	if err := ValidateExpectedDocVersion(collection, key, expected); err != nil {
		return err
	}
	return ValidateDocumentData(collection, key, data)
}
