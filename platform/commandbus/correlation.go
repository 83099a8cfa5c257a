package commandbus

import (
	"context"
	"slices"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// CorrelationRequest records which events a command produced.
type CorrelationRequest struct {
	CommandID      string
	EventIDs       []string
	CommandType    string
	BoundedContext string
	// TTL is how long the record is kept (zero: DefaultTTL).
	TTL time.Duration

	// rec is where InsertCompleted builds the record it hands to the store,
	// so a request the caller keeps on the heap costs no second allocation.
	rec store.CorrelationRecord
}

// RecordEventCorrelation records that the command produced eventIDs. It is
// idempotent: an existing record gets the new event ids appended (no
// duplicates, order preserved) and keeps its other fields; otherwise a
// record is created at now with expiresAt = now + TTL.
func (l *Log) RecordEventCorrelation(ctx context.Context, tx store.Tx, r CorrelationRequest) error {
	c, err := l.correlationRecord(r)
	if err != nil {
		return err
	}
	return tx.Commands().PutCorrelation(ctx, c)
}

// correlationRecord builds the record of r created now (repeated event ids
// dropped, TTL defaulted), or reports bad input.
func (l *Log) correlationRecord(r CorrelationRequest) (store.CorrelationRecord, error) {
	if r.TTL < 0 {
		return store.CorrelationRecord{}, es.Errorf(es.CodeInvalidArgument, "ttl %s is negative", r.TTL)
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := l.clock.Now().UTC()
	return store.CorrelationRecord{CommandID: r.CommandID, EventIDs: uniqueIDs(r.EventIDs), CommandType: r.CommandType,
		BoundedContext: r.BoundedContext, CreatedAt: now, TTL: ttl, ExpiresAt: now.Add(ttl)}, nil
}

// uniqueIDs returns ids without repeats, first occurrences in order; ids
// itself (never nil) when it has none.
func uniqueIDs(ids []string) []string {
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			out := slices.Clone(ids[:i])
			for _, id := range ids[i+1:] {
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
			return out
		}
	}
	if ids == nil {
		return []string{}
	}
	return ids
}

// correlation turns a port record into the log's record.
func correlation(r store.CorrelationRecord) Correlation {
	return Correlation{CommandID: r.CommandID, EventIDs: r.EventIDs, CommandType: r.CommandType,
		BoundedContext: r.BoundedContext, CreatedAt: r.CreatedAt, TTL: r.TTL, ExpiresAt: r.ExpiresAt}
}

// EventsByCommand returns the command's correlation record, or nil.
func (l *Log) EventsByCommand(ctx context.Context, tx store.Tx, commandID string) (*Correlation, error) {
	r, found, err := tx.Commands().GetCorrelation(ctx, commandID)
	if err != nil || !found {
		return nil, err
	}
	c := correlation(r)
	return &c, nil
}

// CorrelationsByContext returns the correlation records of bounded context
// bc created after after (nil: from the start), compared in milliseconds
// (a record created in after's millisecond is not listed), in ascending
// creation order. limit 0 means DefaultPageSize; capped at MaxPageSize.
func (l *Log) CorrelationsByContext(ctx context.Context, tx store.Tx, bc string, limit int, after *time.Time) ([]Correlation, error) {
	limit, err := es.ValidateLimit(limit, DefaultPageSize, MaxPageSize)
	if err != nil {
		return nil, err
	}
	var since time.Time
	if after != nil {
		since = after.Truncate(time.Millisecond).Add(time.Millisecond)
	}
	recs, err := tx.Commands().CorrelationsByContext(ctx, bc, since, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Correlation, len(recs))
	for i, r := range recs {
		out[i] = correlation(r)
	}
	return out, nil
}
