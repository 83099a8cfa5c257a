// Package commandbus is the command log (spec §6): infrastructure-level
// idempotency keyed by command id, command status tracking, paging by
// correlation id, TTL cleanup that never deletes pending commands, and the
// command→events correlation record.
//
// It is built on store.Documents, so it works on every adapter and joins
// the caller's unit of work. Log holds the operations on a store.Tx; Bus
// runs each operation in its own unit of work on a store.Store.
//
// Storage layout: two collections, each record one document written with
// its secondary index entries (store.Documents.InsertIndexed), so a
// command costs one document write and its correlation record another.
//
//	commands                    <commandId>  the StoredCommand
//	  index by-correlation      <len>:<correlationId>:<timestamp ms, 16 digits>
//	  index by-expiry           <expiresAt ms, 16 digits>
//	command-event-correlations  <commandId>  the Correlation
//	  index by-context          <len>:<boundedContext>:<createdAt ms, 16 digits>
//	  index by-expiry           <expiresAt ms, 16 digits>
//
// An index lists in (index key, document key) order, and the document key
// is the command id, so by-correlation is in correlation-cursor order:
// "<timestamp ms left-padded to 16 digits>:<commandId>", timestamp order,
// then command id. Prefixing a variable part with its length keeps one
// correlation id's keys from ever sharing a prefix with another's.
package commandbus

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/store"
)

// Collections the command log uses.
const (
	CollCommands     = "commands"
	CollCorrelations = "command-event-correlations"
)

// Secondary indexes of the collections (store.IndexEntry.Index).
const (
	// IndexByCorrelation (commands) orders a correlation id's commands by
	// correlation cursor.
	IndexByCorrelation = "by-correlation"
	// IndexByExpiry (both collections) orders records by expiresAt.
	IndexByExpiry = "by-expiry"
	// IndexByContext (command-event-correlations) orders a bounded
	// context's records by createdAt.
	IndexByContext = "by-context"
)

// Defaults and limits.
const (
	// DefaultTTL is how long a command record and a correlation record are
	// kept: 7 days.
	DefaultTTL = 7 * 24 * time.Hour
	// DefaultPageSize and MaxPageSize bound ByCorrelation and
	// CorrelationsByContext.
	DefaultPageSize = 100
	MaxPageSize     = 1000
	// DefaultCleanupBatch and MaxCleanupBatch bound CleanupExpired.
	DefaultCleanupBatch = 100
	MaxCleanupBatch     = 500
)

// Metadata is the stored part of a command's metadata.
type Metadata struct {
	UserID        string    `json:"userId,omitempty"`
	CorrelationID string    `json:"correlationId"`
	CausationID   string    `json:"causationId,omitempty"`
	Timestamp     time.Time `json:"timestamp"`
}

// StoredCommand is a command log record.
type StoredCommand struct {
	CommandID         string          `json:"commandId"`
	CommandType       string          `json:"commandType"`
	TargetContext     string          `json:"targetContext"`
	Payload           json.RawMessage `json:"payload"`
	Metadata          Metadata        `json:"metadata"`
	CorrelationCursor string          `json:"correlationCursor"`
	Status            command.Status  `json:"status"`
	Result            json.RawMessage `json:"result,omitempty"`
	ExecutedAt        time.Time       `json:"executedAt,omitzero"`
	TTL               time.Duration   `json:"ttl"`
	ExpiresAt         time.Time       `json:"expiresAt"`
}

// RecordRequest records a command.
type RecordRequest struct {
	CommandID     string
	CommandType   string
	TargetContext string
	Payload       json.RawMessage
	UserID        string
	CorrelationID string
	CausationID   string
	// Timestamp is when the command was accepted (zero: now).
	Timestamp time.Time
	// TTL is how long the record is kept (zero: DefaultTTL).
	TTL time.Duration
}

// RecordResult says whether the command is new. For a duplicate it carries
// the stored status and result.
type RecordResult struct {
	New            bool
	ExistingStatus command.Status
	ExistingResult json.RawMessage
}

// Summary is one command of a ByCorrelation page.
type Summary struct {
	CommandID     string         `json:"commandId"`
	CommandType   string         `json:"commandType"`
	TargetContext string         `json:"targetContext"`
	Status        command.Status `json:"status"`
	ExecutedAt    time.Time      `json:"executedAt,omitzero"`
	Timestamp     time.Time      `json:"timestamp"`
}

// Page is a page of commands sharing a correlation id.
type Page struct {
	Commands []Summary `json:"commands"`
	// NextCursor is the last command's cursor when HasMore, else "".
	NextCursor string `json:"nextCursor"`
	HasMore    bool   `json:"hasMore"`
}

// CleanupResult reports what CleanupExpired deleted.
type CleanupResult struct {
	Commands     int  `json:"commands"`
	Correlations int  `json:"correlations"`
	HasMore      bool `json:"hasMore"`
}

// Correlation records which events a command produced.
type Correlation struct {
	CommandID      string        `json:"commandId"`
	EventIDs       []string      `json:"eventIds"`
	CommandType    string        `json:"commandType"`
	BoundedContext string        `json:"boundedContext"`
	CreatedAt      time.Time     `json:"createdAt"`
	TTL            time.Duration `json:"ttl"`
	ExpiresAt      time.Time     `json:"expiresAt"`
}

// Log is the command log's operations inside a unit of work. It is safe
// for concurrent use; it holds no state besides its clock.
type Log struct {
	clock es.Clock
}

// NewLog returns a Log reading time from clock (es.RealClock when nil).
func NewLog(clock es.Clock) *Log {
	if clock == nil {
		clock = es.RealClock{}
	}
	return &Log{clock: clock}
}

// Cursor returns the correlation cursor of a command accepted at ts.
func Cursor(ts time.Time, commandID string) string {
	return timeKey(ts, commandID)
}

// The keys below are built in a stack buffer and copied once into their
// string (the command log builds several keys per command).

func lenPrefix(s string) string {
	var a [96]byte
	return string(appendLenPrefix(a[:0], s))
}

func timeKey(t time.Time, id string) string {
	var a [96]byte
	return string(appendTimeKey(a[:0], t, id))
}

// indexKeys returns a record's two index keys, prefixedMsKey(prefixed, t)
// and msKey(expires), sharing one allocation.
func indexKeys(prefixed string, t, expires time.Time) (string, string) {
	var a [192]byte
	k := appendPadded(appendLenPrefix(a[:0], prefixed), t.UnixMilli(), 16)
	n := len(k)
	keys := string(appendPadded(k, expires.UnixMilli(), 16))
	return keys[:n], keys[n:]
}

// prefixedMsKey is lenPrefix(prefixed) + msKey(t): the by-correlation and
// by-context keys.
func prefixedMsKey(prefixed string, t time.Time) string {
	var a [160]byte
	return string(appendPadded(appendLenPrefix(a[:0], prefixed), t.UnixMilli(), 16))
}

func validateID(what, id string) error {
	if err := es.ValidateName(es.CodeInvalidArgument, what, id); err != nil {
		return err
	}
	if len(id) > command.MaxIDBytes {
		return es.Errorf(es.CodeInvalidArgument, "%s is %d bytes long; at most %d", what, len(id), command.MaxIDBytes)
	}
	return nil
}

func (r RecordRequest) validate() error {
	if err := validateID("commandId", r.CommandID); err != nil {
		return err
	}
	if err := es.ValidateName(es.CodeInvalidArgument, "commandType", r.CommandType); err != nil {
		return err
	}
	if err := validateID("correlationId", r.CorrelationID); err != nil {
		return err
	}
	if len(r.TargetContext) > es.MaxNameBytes {
		return es.Errorf(es.CodeInvalidArgument, "targetContext is %d bytes long; at most %d", len(r.TargetContext), es.MaxNameBytes)
	}
	if len(r.Payload) > es.MaxPayloadBytes {
		return es.Errorf(es.CodePayloadTooLarge, "recordCommand.payload is %d bytes; at most %d", len(r.Payload), es.MaxPayloadBytes)
	}
	if len(r.Payload) > 0 && !es.ValidJSON(r.Payload) {
		return es.Errorf(es.CodeInvalidArgument, "recordCommand.payload is not valid JSON")
	}
	if r.TTL < 0 {
		return es.Errorf(es.CodeInvalidArgument, "ttl %s is negative", r.TTL)
	}
	return nil
}

func (l *Log) newRecord(r RecordRequest) StoredCommand {
	if r.Timestamp.IsZero() {
		r.Timestamp = l.clock.Now()
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	payload := r.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	ts := r.Timestamp.UTC()
	return StoredCommand{
		CommandID: r.CommandID, CommandType: r.CommandType, TargetContext: r.TargetContext, Payload: payload,
		Metadata:          Metadata{UserID: r.UserID, CorrelationID: r.CorrelationID, CausationID: r.CausationID, Timestamp: ts},
		CorrelationCursor: Cursor(ts, r.CommandID), Status: command.StatusPending, TTL: ttl, ExpiresAt: ts.Add(ttl),
	}
}

// Get returns the stored command, or nil when there is none.
func (l *Log) Get(ctx context.Context, tx store.Tx, commandID string) (*StoredCommand, error) {
	doc, found, err := store.LookupDocument(ctx, tx.Documents(), CollCommands, commandID)
	if err != nil || !found {
		return nil, err
	}
	var c StoredCommand
	if err := json.Unmarshal(doc.Data, &c); err != nil {
		return nil, es.Wrap(es.CodeInternal, err, "command %q: stored record does not decode", commandID)
	}
	return &c, nil
}

// Record records a new pending command, or reports the existing one as a
// duplicate with its status and result. Errors: INVALID_ARGUMENT and
// PAYLOAD_TOO_LARGE for bad input; VERSION_CONFLICT when a concurrent unit
// of work inserted the same command id first (adapters that run units of
// work concurrently) — the caller's unit of work must then roll back, and a
// retry reports the duplicate (Bus.Record does this).
func (l *Log) Record(ctx context.Context, tx store.Tx, r RecordRequest) (RecordResult, error) {
	return l.insert(ctx, tx, r, command.StatusPending, nil)
}

// RecordCompleted records a new command that is already complete with
// status (executed, rejected or failed) and result — Record followed by
// Complete, in one write. A duplicate is reported as by Record.
func (l *Log) RecordCompleted(ctx context.Context, tx store.Tx, r RecordRequest, status command.Status, result json.RawMessage) (RecordResult, error) {
	if !status.Final() {
		return RecordResult{}, es.Errorf(es.CodeInvalidArgument, "command %q: completion status %q is not executed, rejected or failed", r.CommandID, status)
	}
	if len(result) > es.MaxPayloadBytes {
		return RecordResult{}, es.Errorf(es.CodePayloadTooLarge, "updateCommandResult.result is %d bytes; at most %d", len(result), es.MaxPayloadBytes)
	}
	return l.insert(ctx, tx, r, status, result)
}

// InsertCompleted is RecordCompleted for a caller that has just checked,
// in the same unit of work, that the command is not recorded: it skips the
// lookup. A concurrent insert of the same id fails with VERSION_CONFLICT.
func (l *Log) InsertCompleted(ctx context.Context, tx store.Tx, r RecordRequest, status command.Status, result json.RawMessage) error {
	if !status.Final() {
		return es.Errorf(es.CodeInvalidArgument, "command %q: completion status %q is not executed, rejected or failed", r.CommandID, status)
	}
	if len(result) > es.MaxPayloadBytes {
		return es.Errorf(es.CodePayloadTooLarge, "updateCommandResult.result is %d bytes; at most %d", len(result), es.MaxPayloadBytes)
	}
	if err := r.validate(); err != nil {
		return err
	}
	return l.write(ctx, tx, r, status, result)
}

func (l *Log) insert(ctx context.Context, tx store.Tx, r RecordRequest, status command.Status, result json.RawMessage) (RecordResult, error) {
	if err := r.validate(); err != nil {
		return RecordResult{}, err
	}
	existing, err := l.Get(ctx, tx, r.CommandID)
	if err != nil {
		return RecordResult{}, err
	}
	if existing != nil {
		return RecordResult{ExistingStatus: existing.Status, ExistingResult: existing.Result}, nil
	}
	if err := l.write(ctx, tx, r, status, result); err != nil {
		return RecordResult{}, err
	}
	return RecordResult{New: true}, nil
}

// write inserts the record with its index entries.
func (l *Log) write(ctx context.Context, tx store.Tx, r RecordRequest, status command.Status, result json.RawMessage) error {
	rec := l.newRecord(r)
	if status != command.StatusPending {
		rec.Status, rec.Result, rec.ExecutedAt = status, result, l.clock.Now().UTC()
	}
	raw, err := rec.appendJSON(make([]byte, 0, 512+len(rec.Payload)+len(rec.Result)))
	if err != nil {
		return es.Wrap(es.CodeInternal, err, "command %q: encoding the record", r.CommandID)
	}
	byCorrelation, byExpiry := indexKeys(rec.Metadata.CorrelationID, rec.Metadata.Timestamp, rec.ExpiresAt)
	_, err = tx.Documents().InsertIndexed(ctx, CollCommands, r.CommandID, raw,
		store.IndexEntry{Index: IndexByCorrelation, Key: byCorrelation},
		store.IndexEntry{Index: IndexByExpiry, Key: byExpiry})
	return err
}

// Complete sets a pending command's final status (executed, rejected or
// failed), result and executedAt = now, and returns true. It returns false,
// writing nothing, when the command is unknown or no longer pending (the
// first writer wins).
func (l *Log) Complete(ctx context.Context, tx store.Tx, commandID string, status command.Status, result json.RawMessage) (bool, error) {
	if !status.Final() {
		return false, es.Errorf(es.CodeInvalidArgument, "command %q: completion status %q is not executed, rejected or failed", commandID, status)
	}
	if len(result) > es.MaxPayloadBytes {
		return false, es.Errorf(es.CodePayloadTooLarge, "updateCommandResult.result is %d bytes; at most %d", len(result), es.MaxPayloadBytes)
	}
	if len(result) > 0 && !es.ValidJSON(result) {
		return false, es.Errorf(es.CodeInvalidArgument, "command %q: result is not valid JSON", commandID)
	}
	doc, found, err := store.LookupDocument(ctx, tx.Documents(), CollCommands, commandID)
	if err != nil || !found {
		return false, err
	}
	var c StoredCommand
	if err := json.Unmarshal(doc.Data, &c); err != nil {
		return false, es.Wrap(es.CodeInternal, err, "command %q: stored record does not decode", commandID)
	}
	if c.Status != command.StatusPending {
		return false, nil
	}
	c.Status, c.Result, c.ExecutedAt = status, result, l.clock.Now().UTC()
	raw, err := c.appendJSON(nil)
	if err != nil {
		return false, es.Wrap(es.CodeInternal, err, "command %q: encoding the record", commandID)
	}
	if _, err := tx.Documents().Update(ctx, CollCommands, commandID, doc.Version, raw); err != nil {
		return false, err
	}
	return true, nil
}

// ByCorrelation pages through the commands of correlationID in cursor order
// (timestamp, then command id), strictly after cursor ("" from the start).
// limit 0 means DefaultPageSize; it is capped at MaxPageSize.
func (l *Log) ByCorrelation(ctx context.Context, tx store.Tx, correlationID string, limit int, cursor string) (Page, error) {
	if err := validateID("correlationId", correlationID); err != nil {
		return Page{}, err
	}
	limit, err := es.ValidateLimit(limit, DefaultPageSize, MaxPageSize)
	if err != nil {
		return Page{}, err
	}
	prefix := lenPrefix(correlationID)
	page, err := tx.Documents().ListIndex(ctx, CollCommands, IndexByCorrelation,
		store.ListOptions{Prefix: prefix, After: correlationAfter(prefix, cursor), Limit: limit + 1})
	if err != nil {
		return Page{}, err
	}
	out := Page{Commands: []Summary{}}
	docs := page.Documents
	if len(docs) > limit {
		docs, out.HasMore = docs[:limit], true
	}
	var c StoredCommand
	for _, d := range docs {
		c = StoredCommand{}
		if err := json.Unmarshal(d.Data, &c); err != nil {
			return Page{}, es.Wrap(es.CodeInternal, err, "command %q: stored record does not decode", d.Key)
		}
		out.Commands = append(out.Commands, Summary{CommandID: c.CommandID, CommandType: c.CommandType,
			TargetContext: c.TargetContext, Status: c.Status, ExecutedAt: c.ExecutedAt, Timestamp: c.Metadata.Timestamp})
	}
	if out.HasMore {
		out.NextCursor = c.CorrelationCursor
	}
	return out, nil
}

// correlationAfter turns a correlation cursor into the by-correlation
// index cursor that lists exactly the commands whose correlation cursor
// ("<16 digits>:<commandId>") sorts after it, for any cursor string. An
// entry's index cursor is prefix + <16 digits> + NUL + commandId
// (store.IndexCursor), listed iff it sorts after the returned string.
func correlationAfter(prefix, cursor string) string {
	switch {
	case cursor == "":
		return ""
	case len(cursor) <= 16: // commands whose 16 digits are >= cursor
		return prefix + cursor
	case cursor[16] == ':': // a cursor of this format: (ms, id) > (cursor ms, cursor id)
		return store.IndexCursor(prefix+cursor[:16], cursor[17:])
	case cursor[16] < ':': // ms >= cursor's first 16 bytes
		return prefix + cursor[:16]
	default: // ms > cursor's first 16 bytes
		return prefix + cursor[:16] + "\x01"
	}
}

// CleanupExpired deletes up to batch commands whose expiresAt is before now
// and whose status is not pending (pending commands are never deleted), and
// up to batch expired correlation records. batch 0 means
// DefaultCleanupBatch; it is capped at MaxCleanupBatch. HasMore reports
// that more expired, deletable records remain.
func (l *Log) CleanupExpired(ctx context.Context, tx store.Tx, batch int) (CleanupResult, error) {
	batch, err := es.ValidateLimit(batch, DefaultCleanupBatch, MaxCleanupBatch)
	if err != nil {
		return CleanupResult{}, err
	}
	nowMs := l.clock.Now().UnixMilli()
	var res CleanupResult
	docs := tx.Documents()
	// Commands, by expiry; pending ones are skipped, never deleted.
	after := ""
scanCommands:
	for {
		page, err := docs.ListIndex(ctx, CollCommands, IndexByExpiry, store.ListOptions{After: after, Limit: MaxPageSize})
		if err != nil {
			return res, err
		}
		for _, d := range page.Documents {
			var c StoredCommand
			if err := json.Unmarshal(d.Data, &c); err != nil {
				return res, es.Wrap(es.CodeInternal, err, "command %q: stored record does not decode", d.Key)
			}
			if c.ExpiresAt.UnixMilli() >= nowMs {
				break scanCommands
			}
			if c.Status == command.StatusPending {
				continue
			}
			if res.Commands == batch {
				res.HasMore = true
				break scanCommands
			}
			if err := docs.Delete(ctx, CollCommands, d.Key, d.Version); err != nil {
				return res, err
			}
			res.Commands++
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	// Correlations, by expiry.
	page, err := docs.ListIndex(ctx, CollCorrelations, IndexByExpiry, store.ListOptions{Limit: batch + 1})
	if err != nil {
		return res, err
	}
	for _, d := range page.Documents {
		var c Correlation
		if err := json.Unmarshal(d.Data, &c); err != nil {
			return res, es.Wrap(es.CodeInternal, err, "correlation %q does not decode", d.Key)
		}
		if c.ExpiresAt.UnixMilli() >= nowMs {
			break
		}
		if res.Correlations == batch {
			res.HasMore = true
			break
		}
		if err := docs.Delete(ctx, CollCorrelations, d.Key, d.Version); err != nil {
			return res, err
		}
		res.Correlations++
	}
	return res, nil
}
