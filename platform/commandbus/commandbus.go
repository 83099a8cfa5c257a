// Package commandbus is the command log (spec §6): infrastructure-level
// idempotency keyed by command id, command status tracking, paging by
// correlation id, TTL cleanup that never deletes pending commands, and the
// command→events correlation record.
//
// It is built on the store's command-log port (store.CommandLog), so it
// works on every adapter and joins the caller's unit of work. Log holds the
// operations on a store.Tx: it applies the spec's defaults (TTL, expiry,
// correlation cursor, timestamps) and leaves storage to the port. Bus runs
// each operation in its own unit of work on a store.Store.
package commandbus

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/store"
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

// Cursor returns the correlation cursor of a command accepted at ts:
// "<ts in ms, left-padded with zeros to 16 digits>:<commandId>"
// (store.CorrelationCursor).
func Cursor(ts time.Time, commandID string) string { return store.CorrelationCursor(ts, commandID) }

// newRecord builds the record of r with the spec's defaults: timestamp
// now, TTL DefaultTTL, expiresAt = timestamp + TTL, payload null, and the
// canonical correlation cursor (left empty: the store derives it from the
// timestamp and the id, so no string is built for it); status pending.
func (l *Log) newRecord(r RecordRequest) store.CommandRecord {
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
	return store.CommandRecord{
		CommandID: r.CommandID, CommandType: r.CommandType, TargetContext: r.TargetContext, Payload: payload,
		UserID: r.UserID, CorrelationID: r.CorrelationID, CausationID: r.CausationID, Timestamp: ts,
		Status: store.CommandPending, TTL: ttl, ExpiresAt: ts.Add(ttl),
	}
}

// storedCommand turns a port record into the log's record.
func storedCommand(r store.CommandRecord) *StoredCommand {
	return &StoredCommand{
		CommandID: r.CommandID, CommandType: r.CommandType, TargetContext: r.TargetContext, Payload: r.Payload,
		Metadata:          Metadata{UserID: r.UserID, CorrelationID: r.CorrelationID, CausationID: r.CausationID, Timestamp: r.Timestamp},
		CorrelationCursor: r.CorrelationCursor, Status: command.Status(r.Status), Result: r.Result,
		ExecutedAt: r.ExecutedAt, TTL: r.TTL, ExpiresAt: r.ExpiresAt,
	}
}

// Get returns the stored command, or nil when there is none.
func (l *Log) Get(ctx context.Context, tx store.Tx, commandID string) (*StoredCommand, error) {
	r, found, err := tx.Commands().GetCommand(ctx, commandID)
	if err != nil || !found {
		return nil, err
	}
	return storedCommand(r), nil
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
	return l.insert(ctx, tx, r, status, result)
}

// InsertCompleted is RecordCompleted for a caller that has just checked,
// in the same unit of work, that the command is not recorded: it skips the
// lookup, and a taken command id fails with VERSION_CONFLICT. When events
// is not nil, the command's correlation record is written with it, in the
// same write (as RecordEventCorrelation would; events.CommandID must be
// r's command id); InsertCompleted builds that record inside *events.
func (l *Log) InsertCompleted(ctx context.Context, tx store.Tx, r RecordRequest, status command.Status, result json.RawMessage, events *CorrelationRequest) error {
	if !status.Final() {
		return es.Errorf(es.CodeInvalidArgument, "command %q: completion status %q is not executed, rejected or failed", r.CommandID, status)
	}
	rec := l.completed(r, status, result)
	if events == nil {
		return tx.Commands().InsertCommand(ctx, rec, nil)
	}
	var err error
	if events.rec, err = l.correlationRecord(*events); err != nil {
		return err
	}
	return tx.Commands().InsertCommand(ctx, rec, &events.rec)
}

// completed is newRecord completed now with status and result.
func (l *Log) completed(r RecordRequest, status command.Status, result json.RawMessage) store.CommandRecord {
	rec := l.newRecord(r)
	if status != command.StatusPending {
		rec.Status, rec.Result, rec.ExecutedAt = string(status), result, l.clock.Now().UTC()
	}
	return rec
}

func (l *Log) insert(ctx context.Context, tx store.Tx, r RecordRequest, status command.Status, result json.RawMessage) (RecordResult, error) {
	rec := l.completed(r, status, result)
	if err := store.ValidateCommandRecord(rec); err != nil {
		return RecordResult{}, err
	}
	existing, found, err := tx.Commands().GetCommand(ctx, r.CommandID)
	if err != nil {
		return RecordResult{}, err
	}
	if found {
		return RecordResult{ExistingStatus: command.Status(existing.Status), ExistingResult: existing.Result}, nil
	}
	if err := tx.Commands().InsertCommand(ctx, rec, nil); err != nil {
		return RecordResult{}, err
	}
	return RecordResult{New: true}, nil
}

// Complete sets a pending command's final status (executed, rejected or
// failed), result and executedAt = now, and returns true. It returns false,
// writing nothing, when the command is unknown or no longer pending (the
// first writer wins).
func (l *Log) Complete(ctx context.Context, tx store.Tx, commandID string, status command.Status, result json.RawMessage) (bool, error) {
	return tx.Commands().CompleteCommand(ctx, commandID, string(status), result, l.clock.Now().UTC())
}

// ByCorrelation pages through the commands of correlationID in cursor order
// (timestamp, then command id), strictly after cursor ("" from the start).
// limit 0 means DefaultPageSize; it is capped at MaxPageSize.
func (l *Log) ByCorrelation(ctx context.Context, tx store.Tx, correlationID string, limit int, cursor string) (Page, error) {
	if err := store.ValidateCommandID("correlationId", correlationID); err != nil {
		return Page{}, err
	}
	limit, err := es.ValidateLimit(limit, DefaultPageSize, MaxPageSize)
	if err != nil {
		return Page{}, err
	}
	// One record more than the page tells whether more follow; a page of
	// the port's largest size asks for that one apart.
	recs, err := tx.Commands().CommandsByCorrelation(ctx, correlationID, cursor, min(limit+1, store.MaxListLimit))
	if err != nil {
		return Page{}, err
	}
	if len(recs) == limit && limit == store.MaxListLimit {
		next, err := tx.Commands().CommandsByCorrelation(ctx, correlationID, recs[limit-1].CorrelationCursor, 1)
		if err != nil {
			return Page{}, err
		}
		recs = append(recs, next...)
	}
	out := Page{Commands: make([]Summary, 0, min(len(recs), limit))}
	if len(recs) > limit {
		recs, out.HasMore = recs[:limit], true
		out.NextCursor = recs[limit-1].CorrelationCursor
	}
	for _, c := range recs {
		out.Commands = append(out.Commands, Summary{CommandID: c.CommandID, CommandType: c.CommandType,
			TargetContext: c.TargetContext, Status: command.Status(c.Status), ExecutedAt: c.ExecutedAt, Timestamp: c.Timestamp})
	}
	return out, nil
}

// CleanupExpired deletes up to batch commands whose expiresAt is before now
// (compared in milliseconds) and whose status is not pending (pending
// commands are never deleted), and up to batch expired correlation records.
// batch 0 means DefaultCleanupBatch; it is capped at MaxCleanupBatch.
// HasMore reports that more expired, deletable records remain.
func (l *Log) CleanupExpired(ctx context.Context, tx store.Tx, batch int) (CleanupResult, error) {
	batch, err := es.ValidateLimit(batch, DefaultCleanupBatch, MaxCleanupBatch)
	if err != nil {
		return CleanupResult{}, err
	}
	// Expired means expiresAt's millisecond is before now's: before the
	// start of now's millisecond.
	before := l.clock.Now().Truncate(time.Millisecond)
	var res CleanupResult
	var more bool
	if res.Commands, more, err = tx.Commands().DeleteExpiredCommands(ctx, before, batch); err != nil {
		return CleanupResult{}, err
	}
	res.HasMore = more
	if res.Correlations, more, err = tx.Commands().DeleteExpiredCorrelations(ctx, before, batch); err != nil {
		return CleanupResult{}, err
	}
	res.HasMore = res.HasMore || more
	return res, nil
}
