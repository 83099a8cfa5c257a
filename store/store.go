// Package store defines the ports every eventspec engine implements: a
// Store that runs units of work, and the Tx each unit of work sees, with its
// four capability sets — the event log, documents, jobs and the command
// log.
//
// Everything done through one Tx commits together or not at all: when the
// function given to Atomic returns an error or panics, no event, document,
// job or position it produced survives (idempotency-conflict audits are the
// one documented exception: they record a rejected attempt and persist).
//
// Memory is never shared across the port: a store copies what a caller
// passes in (event data and tags, document data, command payloads and
// results, id lists) before the call returns, and what it returns is the
// caller's own. A caller may change or reuse its buffers as soon as a call
// returns — the orchestrator reuses its encoding buffers from one command
// to the next — and changing what a read returned changes nothing stored.
//
// memstore implements these ports in memory (the deterministic default);
// postgresadapter implements them on PostgreSQL. The conformance package
// certifies any implementation against the same cases.
package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eventspec/eventspec/es"
)

// Store runs units of work.
type Store interface {
	// Atomic runs fn in one unit of work. If fn returns nil the work
	// commits; if fn returns an error or panics, everything fn did is rolled
	// back and the error is returned (a panic is re-raised after rollback).
	// A cancelled ctx aborts the unit of work. Do not call Atomic again from
	// inside fn with the same Store: units of work do not nest.
	Atomic(ctx context.Context, fn func(tx Tx) error) error
	// Capabilities lists what the adapter claims; the conformance suite
	// verifies each claim.
	Capabilities() Capabilities
	// Close releases the store's resources. Later calls fail with
	// STORE_CLOSED.
	Close() error
}

// Tx is the view of one unit of work. It is valid only inside the function
// passed to Atomic and must not be used from other goroutines.
type Tx interface {
	Events() EventLog
	Documents() Documents
	Jobs() Jobs
	// Commands is the command log's storage (CommandLog).
	Commands() CommandLog
}

// Default and maximum page sizes.
const (
	DefaultStreamLimit = 1000
	MaxStreamLimit     = 10000
	DefaultLogLimit    = 100
	MaxLogLimit        = 10000
	DefaultListLimit   = 100
	MaxListLimit       = 1000
)

// EventLog is the event store: per-stream optimistic concurrency, DCB
// conditional appends, idempotent appends, and reads by stream, by global
// position and by DCB query.
type EventLog interface {
	// Append writes req's events atomically. Errors: the validation codes of
	// es.AppendRequest.Validate, CONCURRENCY_CONFLICT (*es.ConcurrencyError),
	// APPEND_CONDITION_FAILED (*es.ConditionFailedError),
	// IDEMPOTENCY_CONFLICT (*es.IdempotencyConflictError). A rejected append
	// writes nothing and assigns no position.
	Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error)
	// ReadStream reads one stream. A missing stream reads as empty.
	ReadStream(ctx context.Context, stream es.StreamID, opts StreamRead) ([]es.Recorded, error)
	// StreamVersion returns the stream's current version (0 when missing).
	StreamVersion(ctx context.Context, stream es.StreamID) (es.Version, error)
	// ReadAll reads the global log in position order after opts.After.
	ReadAll(ctx context.Context, opts LogRead) (LogPage, error)
	// ReadQuery reads the events matching a DCB query, and the head of the
	// log from the same snapshot.
	ReadQuery(ctx context.Context, q es.Query, opts QueryRead) (QueryResult, error)
	// IdempotencyAudits lists the rejected reuses of an idempotency key, in
	// the order they happened.
	IdempotencyAudits(ctx context.Context, key string) ([]IdempotencyAudit, error)
}

// StreamRead selects part of a stream.
type StreamRead struct {
	// Backwards reads from the newest event towards the oldest.
	Backwards bool
	// From is an exclusive version cursor: forwards, events with version >
	// From; backwards, events with version < From, where From 0 means "from
	// the newest event". Negative is INVALID_ARGUMENT.
	From es.Version
	// Limit caps the events returned: 0 means DefaultStreamLimit; values
	// above MaxStreamLimit are capped; negative is INVALID_ARGUMENT.
	Limit int
}

// LogRead selects part of the global log.
type LogRead struct {
	// After is an exclusive position cursor (0 reads from the start).
	After es.Position
	// Limit: 0 means DefaultLogLimit; capped at MaxLogLimit; negative is
	// INVALID_ARGUMENT.
	Limit int
}

// LogPage is a page of the global log.
type LogPage struct {
	Events []es.Recorded
	// Next is the cursor for the next page: the last event's position, or
	// the request's After when the page is empty.
	Next es.Position
	// Head is the highest position a reader may safely consider consumed.
	// On adapters without gapless positions it can be lower than the
	// highest allocated position while other transactions are in flight.
	Head es.Position
	// HasMore reports that events beyond this page exist.
	HasMore bool
}

// QueryRead shapes a DCB read.
type QueryRead struct {
	// After is an exclusive position cursor (0 reads from the start).
	After es.Position
	// Limit: 0 means no limit; negative is INVALID_ARGUMENT.
	Limit int
	// Backwards returns events newest first (After still bounds them).
	Backwards bool
}

// QueryResult is the outcome of a DCB read.
type QueryResult struct {
	Events []es.Recorded
	// Head is the log's highest position in the snapshot the events were
	// read from. Use it as AppendCondition.After when Complete is true.
	Head es.Position
	// Complete is false when Limit cut the result short; then use the last
	// event's position, not Head, as the condition's After.
	Complete bool
}

// IdempotencyAudit records a rejected reuse of an idempotency key.
type IdempotencyAudit struct {
	ID                  string
	Key                 string
	Stream              es.StreamID
	ExistingFingerprint string
	IncomingFingerprint string
	At                  time.Time
}

// Document is a JSON document in a named collection. Versions start at 1
// and grow by one on every update.
type Document struct {
	Collection string
	Key        string
	Data       json.RawMessage
	Version    int64
	UpdatedAt  time.Time
}

// Documents is a key-value store of JSON documents with optimistic
// versions, grouped in collections. Collections need no declaration; their
// names, and keys, must be valid es names (INVALID_COLLECTION,
// INVALID_KEY). Data must be valid JSON of at most es.MaxPayloadBytes.
type Documents interface {
	// Get returns the document or NOT_FOUND.
	Get(ctx context.Context, collection, key string) (Document, error)
	// Insert creates a document at version 1. An existing key is
	// VERSION_CONFLICT (*es.VersionConflictError, Expected 0).
	Insert(ctx context.Context, collection, key string, data json.RawMessage) (Document, error)
	// Update replaces the document iff its version is expected, and bumps
	// the version. NOT_FOUND when missing, VERSION_CONFLICT otherwise.
	Update(ctx context.Context, collection, key string, expected int64, data json.RawMessage) (Document, error)
	// Delete removes the document iff its version is expected (0 = any
	// version). NOT_FOUND when missing.
	Delete(ctx context.Context, collection, key string, expected int64) error
	// List returns documents whose key starts with Prefix, in ascending
	// byte order of key, after the Cursor key.
	List(ctx context.Context, collection string, opts ListOptions) (DocumentPage, error)
	// InsertIndexed is Insert that also files the new document under up to
	// MaxIndexEntries secondary index entries, in the same write. Entries
	// must name distinct indexes; index names must be valid es names
	// (INVALID_ARGUMENT) and index keys valid es names (INVALID_KEY); see
	// ValidateIndexEntries. An existing key is VERSION_CONFLICT and writes
	// nothing, entries included.
	//
	// A document keeps its entries for its whole life: Update keeps them
	// (they cannot be changed), Delete removes them, and a rolled-back unit
	// of work leaves none behind. Documents written by Insert have none.
	InsertIndexed(ctx context.Context, collection, key string, data json.RawMessage, entries ...IndexEntry) (Document, error)
	// ListIndex returns the documents of collection that have an entry in
	// index, in ascending byte order of (index key, document key). Prefix
	// selects entries whose index key starts with it; After is an
	// exclusive cursor (see IndexCursor): the Next of the previous page.
	// Limit is as for List. An index or collection never written lists as
	// empty; an invalid index name is INVALID_ARGUMENT.
	ListIndex(ctx context.Context, collection, index string, opts ListOptions) (DocumentPage, error)
}

// MaxIndexEntries is the most index entries one document may carry.
const MaxIndexEntries = 4

// IndexEntry files a document under Key in the secondary index named
// Index of its collection. Several documents may share an index key: the
// document key orders them.
type IndexEntry struct {
	Index string
	Key   string
}

// IndexCursor returns the ListIndex cursor of an entry: the index key, a
// NUL byte, then the document key. Index keys and document keys never hold
// NUL, so the cursor is unambiguous and its byte order is the order of
// (index key, document key). ListIndex returns an entry iff its cursor
// sorts after ListOptions.After in byte order; so After may also be any
// string — for example an index key, to start at that key, or an index
// key followed by "\x01", to skip every entry at that key.
func IndexCursor(indexKey, documentKey string) string {
	return indexKey + "\x00" + documentKey
}

// ListOptions selects a page of a collection (List) or of one of its
// indexes (ListIndex).
type ListOptions struct {
	// Prefix selects keys starting with it: document keys for List, index
	// keys for ListIndex.
	Prefix string
	// After is an exclusive cursor: the Next of the previous page. For List
	// it is a document key; for ListIndex it is compared with each entry's
	// IndexCursor.
	After string
	// Limit: 0 means DefaultListLimit; capped at MaxListLimit; negative is
	// INVALID_ARGUMENT.
	Limit int
}

// DocumentPage is one page of a listing.
type DocumentPage struct {
	Documents []Document
	// Next is the cursor for the following page — the last document's key
	// (List) or IndexCursor (ListIndex) — and empty when this is the last.
	Next string
}
