package postgresadapter

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// commandLog is a tx seen as store.CommandLog, over the tables commands and
// command_event_correlations (migration 0006). Every method is one
// statement, hence one round trip.
type commandLog tx

// Commands returns the unit of work's command log.
func (t *tx) Commands() store.CommandLog { return (*commandLog)(t) }

// Instants in the command log's tables are bigint nanoseconds since the
// Unix epoch. The zero time.Time is zeroTimeNS, below every other stored
// instant, so ordering and the before/since comparisons hold for it too;
// any other stored instant lies within minLogTime..maxLogTime, strictly
// between the smallest and the largest bigint.
const zeroTimeNS = math.MinInt64

var (
	minLogTime = time.Unix(0, math.MinInt64+1).UTC()
	maxLogTime = time.Unix(0, math.MaxInt64-1).UTC()
)

// logNS converts a record's time (what names it in the error) for storage.
func logNS(t time.Time, what string) (int64, error) {
	if t.IsZero() {
		return zeroTimeNS, nil
	}
	if t.Before(minLogTime) || t.After(maxLogTime) {
		return 0, es.Errorf(es.CodeInvalidArgument, "%s %s is outside the range the PostgreSQL adapter stores (%s to %s, or the zero time)",
			what, t.Format(time.RFC3339Nano), minLogTime.Format(time.RFC3339Nano), maxLogTime.Format(time.RFC3339Nano))
	}
	return t.UnixNano(), nil
}

// logTime reads back a time logNS stored.
func logTime(ns int64) time.Time {
	if ns == zeroTimeNS {
		return time.Time{}
	}
	return fromNS(ns)
}

// boundNS converts a query bound (any time) to nanoseconds such that a
// stored instant compares with it (<, >=) as the stored time compares with
// t: every bound is valid, and none can fail.
func boundNS(t time.Time) int64 {
	var zero time.Time
	switch {
	case !t.After(zero): // at or before the zero time, the least storable instant
		return zeroTimeNS
	case t.Before(minLogTime): // above the zero time, below every other storable instant
		return zeroTimeNS + 1
	case t.After(maxLogTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// executedNS is ExecutedAt's column value: NULL (nil) while zero.
func executedNS(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	return logNS(t, "executedAt")
}

// nilIfEmpty stores an empty result as none (NULL), so nil and empty both
// read back as nil.
func nilIfEmpty(b json.RawMessage) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// commandArgs appends rec's column values (commandColumns order) to args.
func commandArgs(args []any, rec *store.CommandRecord) ([]any, error) {
	ts, err := logNS(rec.Timestamp, "timestamp")
	if err != nil {
		return nil, err
	}
	exp, err := logNS(rec.ExpiresAt, "expiresAt")
	if err != nil {
		return nil, err
	}
	executed, err := executedNS(rec.ExecutedAt)
	if err != nil {
		return nil, err
	}
	cursor := rec.CorrelationCursor
	if cursor == "" {
		cursor = store.CorrelationCursor(rec.Timestamp, rec.CommandID)
	}
	return append(args, rec.CommandID, rec.CommandType, rec.TargetContext, []byte(rec.Payload), rec.UserID,
		rec.CorrelationID, rec.CausationID, ts, cursor, rec.Status, nilIfEmpty(rec.Result),
		executed, int64(rec.TTL), exp), nil
}

// correlationArgs appends c's column values after the command id
// (correlationColumns order, from event_ids) to args.
func correlationArgs(args []any, c *store.CorrelationRecord) ([]any, error) {
	created, err := logNS(c.CreatedAt, "createdAt")
	if err != nil {
		return nil, err
	}
	exp, err := logNS(c.ExpiresAt, "expiresAt")
	if err != nil {
		return nil, err
	}
	ids := c.EventIDs
	if ids == nil { // a nil slice would travel as NULL
		ids = []string{}
	}
	return append(args, ids, c.CommandType, c.BoundedContext, created, int64(c.TTL), exp), nil
}

// commandRow receives one row of commandColumns.
type commandRow struct {
	rec              store.CommandRecord
	payload, result  []byte
	ts, ttl, expires int64
	executed         *int64
}

// dest returns the scan destinations, in commandColumns order.
func (r *commandRow) dest() []any {
	return []any{&r.rec.CommandID, &r.rec.CommandType, &r.rec.TargetContext, &r.payload, &r.rec.UserID,
		&r.rec.CorrelationID, &r.rec.CausationID, &r.ts, &r.rec.CorrelationCursor, &r.rec.Status, &r.result,
		&r.executed, &r.ttl, &r.expires}
}

// record returns the scanned record and readies r for the next row.
func (r *commandRow) record() store.CommandRecord {
	rec := r.rec
	rec.Payload, rec.Result = r.payload, r.result
	if len(rec.Result) == 0 {
		rec.Result = nil
	}
	rec.Timestamp, rec.ExpiresAt, rec.TTL = logTime(r.ts), logTime(r.expires), time.Duration(r.ttl)
	if r.executed != nil {
		rec.ExecutedAt = logTime(*r.executed)
	}
	r.payload, r.result, r.executed = nil, nil, nil
	return rec
}

// correlationRow receives one row of correlationColumns.
type correlationRow struct {
	rec                   store.CorrelationRecord
	created, ttl, expires int64
}

// dest returns the scan destinations, in correlationColumns order.
func (r *correlationRow) dest() []any {
	return []any{&r.rec.CommandID, &r.rec.EventIDs, &r.rec.CommandType, &r.rec.BoundedContext, &r.created, &r.ttl, &r.expires}
}

// record returns the scanned record and readies r for the next row.
func (r *correlationRow) record() store.CorrelationRecord {
	rec := r.rec
	if rec.EventIDs == nil {
		rec.EventIDs = []string{}
	}
	rec.CreatedAt, rec.ExpiresAt, rec.TTL = logTime(r.created), logTime(r.expires), time.Duration(r.ttl)
	r.rec.EventIDs = nil
	return rec
}

// InsertCommand stores rec (and corr, merged as PutCorrelation would, only
// when rec was stored) in one statement; a taken command id makes it write
// nothing and fail with store.CommandExists.
func (l *commandLog) InsertCommand(ctx context.Context, rec store.CommandRecord, corr *store.CorrelationRecord) error {
	t := (*tx)(l)
	if err := store.ValidateCommandInsert(rec, corr); err != nil {
		return err
	}
	n := 14
	if corr != nil {
		n = 20
	}
	args, err := commandArgs(make([]any, 0, n), &rec)
	if err != nil {
		return err
	}
	if corr != nil {
		if args, err = correlationArgs(args, corr); err != nil {
			return err
		}
	}
	if err := t.begin(ctx); err != nil {
		return err
	}
	defer t.mu.Unlock()
	var inserted int32
	if corr == nil {
		tag, err := t.ptx.Exec(ctx, t.s.q.cmdInsert, args...)
		if err != nil {
			return t.dbErr("inserting a command", err)
		}
		inserted = int32(tag.RowsAffected())
	} else if err := t.ptx.QueryRow(ctx, t.s.q.cmdInsertCorr, args...).Scan(&inserted); err != nil {
		return t.dbErr("inserting a command with its correlation", err)
	}
	if inserted == 0 {
		return store.CommandExists(rec.CommandID)
	}
	return nil
}

// GetCommand returns the record of commandID, or false.
func (l *commandLog) GetCommand(ctx context.Context, commandID string) (store.CommandRecord, bool, error) {
	t := (*tx)(l)
	if err := store.ValidateCommandID("commandId", commandID); err != nil {
		return store.CommandRecord{}, false, err
	}
	if err := t.begin(ctx); err != nil {
		return store.CommandRecord{}, false, err
	}
	defer t.mu.Unlock()
	var r commandRow
	err := t.ptx.ReadQueryRow(ctx, t.s.q.cmdGet, commandID).Scan(r.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.CommandRecord{}, false, nil
	}
	if err != nil {
		return store.CommandRecord{}, false, t.dbErr("reading a command", err)
	}
	return r.record(), true, nil
}

// CompleteCommand completes a pending command; the status = 'pending'
// condition is re-checked on the latest row version after any concurrent
// completion, so the first completion wins.
func (l *commandLog) CompleteCommand(ctx context.Context, commandID string, status string, result json.RawMessage, executedAt time.Time) (bool, error) {
	t := (*tx)(l)
	if err := store.ValidateCommandCompletion(commandID, status, result); err != nil {
		return false, err
	}
	executed, err := executedNS(executedAt)
	if err != nil {
		return false, err
	}
	if err := t.begin(ctx); err != nil {
		return false, err
	}
	defer t.mu.Unlock()
	tag, err := t.ptx.Exec(ctx, t.s.q.cmdComplete, commandID, status, nilIfEmpty(result), executed)
	if err != nil {
		return false, t.dbErr("completing a command", err)
	}
	return tag.RowsAffected() > 0, nil
}

// CommandsByCorrelation lists correlationID's commands after the cursor
// after, in byte order of their correlation cursors.
func (l *commandLog) CommandsByCorrelation(ctx context.Context, correlationID, after string, limit int) ([]store.CommandRecord, error) {
	t := (*tx)(l)
	if err := store.ValidateCommandsByCorrelation(correlationID, after, limit); err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	rows, err := t.ptx.ReadQuery(ctx, t.s.q.cmdByCorrelation, correlationID, after, limit)
	if err != nil {
		return nil, t.dbErr("listing a correlation's commands", err)
	}
	var out []store.CommandRecord
	var r commandRow
	_, err = pgx.ForEachRow(rows, r.dest(), func() error {
		out = append(out, r.record())
		return nil
	})
	if err != nil {
		return nil, t.dbErr("listing a correlation's commands", err)
	}
	return out, nil
}

// DeleteExpiredCommands deletes up to limit completed commands that
// expired before before, in (ExpiresAt, CommandID) order.
func (l *commandLog) DeleteExpiredCommands(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	return (*tx)(l).deleteExpired(ctx, (*tx)(l).s.q.cmdDeleteExpired, "deleting expired commands", before, limit)
}

// DeleteExpiredCorrelations deletes up to limit correlation records that
// expired before before, in (ExpiresAt, CommandID) order.
func (l *commandLog) DeleteExpiredCorrelations(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	return (*tx)(l).deleteExpired(ctx, (*tx)(l).s.q.corrDeleteExpired, "deleting expired correlations", before, limit)
}

// deleteExpired runs one of the deletion statements.
func (t *tx) deleteExpired(ctx context.Context, sql, what string, before time.Time, limit int) (int, bool, error) {
	if err := store.ValidateCommandLogLimit(limit); err != nil {
		return 0, false, err
	}
	if err := t.begin(ctx); err != nil {
		return 0, false, err
	}
	defer t.mu.Unlock()
	var deleted int32
	var more bool
	if err := t.ptx.QueryRow(ctx, sql, boundNS(before), limit).Scan(&deleted, &more); err != nil {
		return 0, false, t.dbErr(what, err)
	}
	return int(deleted), more, nil
}

// PutCorrelation inserts c, or appends its new event ids to the stored
// record, in one statement (INSERT … ON CONFLICT DO UPDATE).
func (l *commandLog) PutCorrelation(ctx context.Context, c store.CorrelationRecord) error {
	t := (*tx)(l)
	if err := store.ValidateCorrelationRecord(c); err != nil {
		return err
	}
	var buf [7]any
	args, err := correlationArgs(append(buf[:0], c.CommandID), &c)
	if err != nil {
		return err
	}
	if err := t.begin(ctx); err != nil {
		return err
	}
	defer t.mu.Unlock()
	if _, err := t.ptx.Exec(ctx, t.s.q.corrPut, args...); err != nil {
		return t.dbErr("putting a correlation", err)
	}
	return nil
}

// GetCorrelation returns the correlation record of commandID, or false.
func (l *commandLog) GetCorrelation(ctx context.Context, commandID string) (store.CorrelationRecord, bool, error) {
	t := (*tx)(l)
	if err := store.ValidateCommandID("commandId", commandID); err != nil {
		return store.CorrelationRecord{}, false, err
	}
	if err := t.begin(ctx); err != nil {
		return store.CorrelationRecord{}, false, err
	}
	defer t.mu.Unlock()
	var r correlationRow
	err := t.ptx.ReadQueryRow(ctx, t.s.q.corrGet, commandID).Scan(r.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.CorrelationRecord{}, false, nil
	}
	if err != nil {
		return store.CorrelationRecord{}, false, t.dbErr("reading a correlation", err)
	}
	return r.record(), true, nil
}

// CorrelationsByContext lists boundedContext's correlation records created
// at or after since, in (CreatedAt, CommandID) order.
func (l *commandLog) CorrelationsByContext(ctx context.Context, boundedContext string, since time.Time, limit int) ([]store.CorrelationRecord, error) {
	t := (*tx)(l)
	if err := store.ValidateCorrelationsByContext(boundedContext, limit); err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	rows, err := t.ptx.ReadQuery(ctx, t.s.q.corrByContext, boundedContext, boundNS(since), limit)
	if err != nil {
		return nil, t.dbErr("listing a context's correlations", err)
	}
	var out []store.CorrelationRecord
	var r correlationRow
	_, err = pgx.ForEachRow(rows, r.dest(), func() error {
		out = append(out, r.record())
		return nil
	})
	if err != nil {
		return nil, t.dbErr("listing a context's correlations", err)
	}
	return out, nil
}
