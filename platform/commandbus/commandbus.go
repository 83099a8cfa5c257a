// Package commandbus is the command log (spec §6): infrastructure-level
// idempotency keyed by command id, command status tracking, paging by
// correlation id, TTL cleanup that never deletes pending commands, and the
// command→events correlation record.
//
// It is built on store.Documents, so it works on every adapter and joins
// the caller's unit of work. Log holds the operations on a store.Tx; Bus
// runs each operation in its own unit of work on a store.Store.
//
// Storage layout (collections and keys):
//
//	commands                         <commandId>                   the StoredCommand
//	commands.by-correlation          <len>:<correlationId>:<cursor> index for ByCorrelation
//	commands.by-expiry               <expiresAt ms, 16 digits>:<commandId>
//	command-event-correlations       <commandId>                   the Correlation
//	command-event-correlations.by-context <len>:<boundedContext>:<createdAt ms>:<commandId>
//	command-event-correlations.by-expiry  <expiresAt ms>:<commandId>
//
// The correlation cursor is "<timestamp ms left-padded to 16 digits>:<commandId>",
// so byte order is timestamp order, then command id. Prefixing a variable
// part with its length keeps one correlation id's keys from ever sharing a
// prefix with another's.
package commandbus

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/store"
)

// Collections the command log uses.
const (
	CollCommands          = "commands"
	CollByCorrelation     = "commands.by-correlation"
	CollByExpiry          = "commands.by-expiry"
	CollCorrelations      = "command-event-correlations"
	CollCorrelationsByBC  = "command-event-correlations.by-context"
	CollCorrelationsByExp = "command-event-correlations.by-expiry"
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

// prefixedKey is lenPrefix(prefixed) + suffix.
func prefixedKey(prefixed, suffix string) string {
	var a [160]byte
	return string(append(appendLenPrefix(a[:0], prefixed), suffix...))
}

// prefixedTimeKey is lenPrefix(prefixed) + timeKey(t, id).
func prefixedTimeKey(prefixed string, t time.Time, id string) string {
	var a [160]byte
	return string(appendTimeKey(appendLenPrefix(a[:0], prefixed), t, id))
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

// write inserts the record and its index rows.
func (l *Log) write(ctx context.Context, tx store.Tx, r RecordRequest, status command.Status, result json.RawMessage) error {
	rec := l.newRecord(r)
	if status != command.StatusPending {
		rec.Status, rec.Result, rec.ExecutedAt = status, result, l.clock.Now().UTC()
	}
	raw, err := rec.appendJSON(make([]byte, 0, 512+len(rec.Payload)+len(rec.Result)))
	if err != nil {
		return es.Wrap(es.CodeInternal, err, "command %q: encoding the record", r.CommandID)
	}
	docs := tx.Documents()
	if _, err := docs.Insert(ctx, CollCommands, r.CommandID, raw); err != nil {
		return err
	}
	id := idJSON(r.CommandID)
	if _, err := docs.Insert(ctx, CollByCorrelation, prefixedKey(rec.Metadata.CorrelationID, rec.CorrelationCursor), id); err != nil {
		return err
	}
	_, err = docs.Insert(ctx, CollByExpiry, timeKey(rec.ExpiresAt, r.CommandID), id)
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
	after := ""
	if cursor != "" {
		after = prefix + cursor
	}
	idx, err := tx.Documents().List(ctx, CollByCorrelation, store.ListOptions{Prefix: prefix, After: after, Limit: limit + 1})
	if err != nil {
		return Page{}, err
	}
	page := Page{Commands: []Summary{}}
	docs := idx.Documents
	if len(docs) > limit {
		docs, page.HasMore = docs[:limit], true
	}
	for _, d := range docs {
		var id string
		if err := json.Unmarshal(d.Data, &id); err != nil {
			return Page{}, es.Wrap(es.CodeInternal, err, "correlation index %q does not decode", d.Key)
		}
		c, err := l.Get(ctx, tx, id)
		if err != nil {
			return Page{}, err
		}
		if c == nil { // index row without its command: skip (cleanup removes both)
			continue
		}
		page.Commands = append(page.Commands, Summary{CommandID: c.CommandID, CommandType: c.CommandType,
			TargetContext: c.TargetContext, Status: c.Status, ExecutedAt: c.ExecutedAt, Timestamp: c.Metadata.Timestamp})
	}
	if page.HasMore {
		page.NextCursor = strings.TrimPrefix(docs[len(docs)-1].Key, prefix)
	}
	return page, nil
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
	now := l.clock.Now()
	var res CleanupResult
	docs := tx.Documents()
	expired := func(key string) bool {
		if len(key) < 17 {
			return false
		}
		ms, err := strconv.ParseInt(key[:16], 10, 64)
		return err == nil && ms < now.UnixMilli()
	}
	// Commands.
	after := ""
scanCommands:
	for {
		page, err := docs.List(ctx, CollByExpiry, store.ListOptions{After: after, Limit: MaxPageSize})
		if err != nil {
			return res, err
		}
		for _, d := range page.Documents {
			after = d.Key
			if !expired(d.Key) {
				break scanCommands
			}
			var id string
			if err := json.Unmarshal(d.Data, &id); err != nil {
				return res, es.Wrap(es.CodeInternal, err, "expiry index %q does not decode", d.Key)
			}
			c, err := l.Get(ctx, tx, id)
			if err != nil {
				return res, err
			}
			if c != nil && c.Status == command.StatusPending {
				continue
			}
			if res.Commands == batch {
				res.HasMore = true
				break scanCommands
			}
			if c != nil {
				if err := docs.Delete(ctx, CollCommands, id, 0); err != nil {
					return res, err
				}
				if err := deleteIfExists(ctx, docs, CollByCorrelation, prefixedKey(c.Metadata.CorrelationID, c.CorrelationCursor)); err != nil {
					return res, err
				}
			}
			if err := docs.Delete(ctx, CollByExpiry, d.Key, 0); err != nil {
				return res, err
			}
			res.Commands++
		}
		if page.Next == "" {
			break
		}
	}
	// Correlations.
	page, err := docs.List(ctx, CollCorrelationsByExp, store.ListOptions{Limit: batch + 1})
	if err != nil {
		return res, err
	}
	for _, d := range page.Documents {
		if !expired(d.Key) {
			break
		}
		if res.Correlations == batch {
			res.HasMore = true
			break
		}
		var id string
		if err := json.Unmarshal(d.Data, &id); err != nil {
			return res, es.Wrap(es.CodeInternal, err, "expiry index %q does not decode", d.Key)
		}
		c, err := l.EventsByCommand(ctx, tx, id)
		if err != nil {
			return res, err
		}
		if c != nil {
			if err := docs.Delete(ctx, CollCorrelations, id, 0); err != nil {
				return res, err
			}
			if err := deleteIfExists(ctx, docs, CollCorrelationsByBC, prefixedTimeKey(c.BoundedContext, c.CreatedAt, id)); err != nil {
				return res, err
			}
		}
		if err := docs.Delete(ctx, CollCorrelationsByExp, d.Key, 0); err != nil {
			return res, err
		}
		res.Correlations++
	}
	return res, nil
}

func deleteIfExists(ctx context.Context, docs store.Documents, coll, key string) error {
	err := docs.Delete(ctx, coll, key, 0)
	if es.CodeOf(err) == es.CodeNotFound {
		return nil
	}
	return err
}
