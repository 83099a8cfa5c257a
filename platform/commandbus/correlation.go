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
	if err := validateID("commandId", r.CommandID); err != nil {
		return err
	}
	if r.TTL < 0 {
		return es.Errorf(es.CodeInvalidArgument, "ttl %s is negative", r.TTL)
	}
	docs := tx.Documents()
	doc, found, err := store.LookupDocument(ctx, docs, CollCorrelations, r.CommandID)
	switch {
	case err != nil:
		return err
	case found:
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
		_, err = docs.Update(ctx, CollCorrelations, r.CommandID, doc.Version, raw)
		return err
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := l.clock.Now().UTC()
	ids := make([]string, 0, len(r.EventIDs))
	for _, id := range r.EventIDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	c := Correlation{CommandID: r.CommandID, EventIDs: ids, CommandType: r.CommandType, BoundedContext: r.BoundedContext,
		CreatedAt: now, TTL: ttl, ExpiresAt: now.Add(ttl)}
	raw, err := c.appendJSON(make([]byte, 0, 256))
	if err != nil {
		return es.Wrap(es.CodeInternal, err, "correlation %q: encoding", r.CommandID)
	}
	_, err = docs.InsertIndexed(ctx, CollCorrelations, r.CommandID, raw,
		store.IndexEntry{Index: IndexByContext, Key: prefixedMsKey(r.BoundedContext, now)},
		store.IndexEntry{Index: IndexByExpiry, Key: msKey(c.ExpiresAt)})
	return err
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
