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
	if _, err := docs.Insert(ctx, CollCorrelations, r.CommandID, raw); err != nil {
		return err
	}
	id := idJSON(r.CommandID)
	if _, err := docs.Insert(ctx, CollCorrelationsByBC, prefixedTimeKey(r.BoundedContext, now, r.CommandID), id); err != nil {
		return err
	}
	_, err = docs.Insert(ctx, CollCorrelationsByExp, timeKey(c.ExpiresAt, r.CommandID), id)
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
		// ';' sorts right after ':', so this skips every key at after's millisecond.
		opts.After = prefix + timeKey(*after, "")[:16] + ";"
	}
	page, err := tx.Documents().List(ctx, CollCorrelationsByBC, opts)
	if err != nil {
		return nil, err
	}
	out := []Correlation{}
	for _, d := range page.Documents {
		var id string
		if err := json.Unmarshal(d.Data, &id); err != nil {
			return nil, es.Wrap(es.CodeInternal, err, "context index %q does not decode", d.Key)
		}
		c, err := l.EventsByCommand(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}
