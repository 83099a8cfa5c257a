package commandbus

import (
	"context"
	"encoding/json"
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
}

// RecordEventCorrelation records that the command produced eventIDs. It is
// idempotent: an existing record gets the new event ids appended (no
// duplicates, order preserved); otherwise a record is created at now with
// expiresAt = now + TTL.
func (l *Log) RecordEventCorrelation(ctx context.Context, tx store.Tx, r CorrelationRequest) error {
	if err := r.validate(); err != nil {
		return err
	}
	doc, found, err := store.LookupDocument(ctx, tx.Documents(), CollCorrelations, r.CommandID)
	switch {
	case err != nil:
		return err
	case found:
		return l.mergeCorrelation(ctx, tx, r, doc)
	}
	return l.insertCorrelation(ctx, tx, r)
}

// InsertEventCorrelation is RecordEventCorrelation for a caller that
// expects no record for the command yet (the orchestrator, for a command
// it has just executed): it inserts without looking first and merges, as
// RecordEventCorrelation does, only when a record exists after all.
func (l *Log) InsertEventCorrelation(ctx context.Context, tx store.Tx, r CorrelationRequest) error {
	if err := r.validate(); err != nil {
		return err
	}
	err := l.insertCorrelation(ctx, tx, r)
	if es.CodeOf(err) != es.CodeVersionConflict {
		return err
	}
	doc, found, err := store.LookupDocument(ctx, tx.Documents(), CollCorrelations, r.CommandID)
	switch {
	case err != nil:
		return err
	case !found: // deleted in between (a concurrent cleanup): insert again
		return l.insertCorrelation(ctx, tx, r)
	}
	return l.mergeCorrelation(ctx, tx, r, doc)
}

func (r CorrelationRequest) validate() error {
	if err := validateID("commandId", r.CommandID); err != nil {
		return err
	}
	if r.TTL < 0 {
		return es.Errorf(es.CodeInvalidArgument, "ttl %s is negative", r.TTL)
	}
	return nil
}

// mergeCorrelation appends r's new event ids to the stored record doc.
func (l *Log) mergeCorrelation(ctx context.Context, tx store.Tx, r CorrelationRequest, doc store.Document) error {
	var c Correlation
	if err := json.Unmarshal(doc.Data, &c); err != nil {
		return es.Wrap(es.CodeInternal, err, "correlation %q does not decode", r.CommandID)
	}
	changed := false
	for _, id := range r.EventIDs {
		if !slices.Contains(c.EventIDs, id) {
			c.EventIDs = append(c.EventIDs, id)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	raw, err := c.appendJSON(nil)
	if err != nil {
		return es.Wrap(es.CodeInternal, err, "correlation %q: encoding", r.CommandID)
	}
	_, err = tx.Documents().Update(ctx, CollCorrelations, r.CommandID, doc.Version, raw)
	return err
}

// insertCorrelation creates r's record at now with its index entries; it
// fails with VERSION_CONFLICT when the command has one.
func (l *Log) insertCorrelation(ctx context.Context, tx store.Tx, r CorrelationRequest) error {
	ttl := r.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := l.clock.Now().UTC()
	c := Correlation{CommandID: r.CommandID, EventIDs: uniqueIDs(r.EventIDs), CommandType: r.CommandType, BoundedContext: r.BoundedContext,
		CreatedAt: now, TTL: ttl, ExpiresAt: now.Add(ttl)}
	size := 192 + len(c.CommandID) + len(c.CommandType) + len(c.BoundedContext)
	for _, id := range c.EventIDs {
		size += len(id) + 3
	}
	raw, err := c.appendJSON(make([]byte, 0, size))
	if err != nil {
		return es.Wrap(es.CodeInternal, err, "correlation %q: encoding", r.CommandID)
	}
	byContext, byExpiry := indexKeys(r.BoundedContext, now, c.ExpiresAt)
	_, err = tx.Documents().InsertIndexed(ctx, CollCorrelations, r.CommandID, raw,
		store.IndexEntry{Index: IndexByContext, Key: byContext},
		store.IndexEntry{Index: IndexByExpiry, Key: byExpiry})
	return err
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

// EventsByCommand returns the command's correlation record, or nil.
func (l *Log) EventsByCommand(ctx context.Context, tx store.Tx, commandID string) (*Correlation, error) {
	doc, found, err := store.LookupDocument(ctx, tx.Documents(), CollCorrelations, commandID)
	if err != nil || !found {
		return nil, err
	}
	var c Correlation
	if err := json.Unmarshal(doc.Data, &c); err != nil {
		return nil, es.Wrap(es.CodeInternal, err, "correlation %q does not decode", commandID)
	}
	return &c, nil
}

// CorrelationsByContext returns the correlation records of bounded context
// bc created after after (nil: from the start, compared in milliseconds),
// in ascending creation order. limit 0 means DefaultPageSize; capped at
// MaxPageSize.
func (l *Log) CorrelationsByContext(ctx context.Context, tx store.Tx, bc string, limit int, after *time.Time) ([]Correlation, error) {
	limit, err := es.ValidateLimit(limit, DefaultPageSize, MaxPageSize)
	if err != nil {
		return nil, err
	}
	prefix := lenPrefix(bc)
	opts := store.ListOptions{Prefix: prefix, Limit: limit}
	if after != nil {
		// "\x01" sorts below the NUL of every index cursor at after's
		// millisecond, so this skips all of them (store.IndexCursor).
		opts.After = prefixedMsKey(bc, *after) + "\x01"
	}
	page, err := tx.Documents().ListIndex(ctx, CollCorrelations, IndexByContext, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Correlation, len(page.Documents))
	for i, d := range page.Documents {
		if err := json.Unmarshal(d.Data, &out[i]); err != nil {
			return nil, es.Wrap(es.CodeInternal, err, "correlation %q does not decode", d.Key)
		}
	}
	return out, nil
}
