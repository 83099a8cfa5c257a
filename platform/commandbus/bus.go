package commandbus

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/store"
)

// Bus runs each command-log operation in its own unit of work on a store.
// It has the shape of the spec's Bus interface.
type Bus struct {
	s   store.Store
	log *Log
}

// New returns a Bus over s, reading time from clock (es.RealClock when
// nil). Use the same clock as the store.
func New(s store.Store, clock es.Clock) *Bus { return &Bus{s: s, log: NewLog(clock)} }

// Log returns the in-transaction operations the Bus uses.
func (b *Bus) Log() *Log { return b.log }

// Record records a new pending command or reports a duplicate. When a
// concurrent unit of work inserted the same command id first (the store
// reports VERSION_CONFLICT), Record retries once in a fresh unit of work
// and reports the duplicate: racing callers see exactly one New.
func (b *Bus) Record(ctx context.Context, r RecordRequest) (RecordResult, error) {
	var res RecordResult
	run := func() error {
		return b.s.Atomic(ctx, func(tx store.Tx) error {
			var err error
			res, err = b.log.Record(ctx, tx, r)
			return err
		})
	}
	err := run()
	if es.CodeOf(err) == es.CodeVersionConflict {
		err = run()
	}
	return res, err
}

// Complete sets a pending command's final status; see Log.Complete.
func (b *Bus) Complete(ctx context.Context, commandID string, status command.Status, result json.RawMessage) (bool, error) {
	var ok bool
	err := b.s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		ok, err = b.log.Complete(ctx, tx, commandID, status, result)
		return err
	})
	return ok, err
}

// Get returns the stored command, or nil.
func (b *Bus) Get(ctx context.Context, commandID string) (*StoredCommand, error) {
	var c *StoredCommand
	err := b.s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		c, err = b.log.Get(ctx, tx, commandID)
		return err
	})
	return c, err
}

// ByCorrelation pages through a correlation id's commands; see
// Log.ByCorrelation.
func (b *Bus) ByCorrelation(ctx context.Context, correlationID string, limit int, cursor string) (Page, error) {
	var p Page
	err := b.s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		p, err = b.log.ByCorrelation(ctx, tx, correlationID, limit, cursor)
		return err
	})
	return p, err
}

// CleanupExpired deletes expired, completed commands and expired
// correlation records; see Log.CleanupExpired.
func (b *Bus) CleanupExpired(ctx context.Context, batch int) (CleanupResult, error) {
	var r CleanupResult
	err := b.s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		r, err = b.log.CleanupExpired(ctx, tx, batch)
		return err
	})
	return r, err
}

// RecordEventCorrelation records (merging) which events a command
// produced; see Log.RecordEventCorrelation.
func (b *Bus) RecordEventCorrelation(ctx context.Context, r CorrelationRequest) error {
	return b.s.Atomic(ctx, func(tx store.Tx) error { return b.log.RecordEventCorrelation(ctx, tx, r) })
}

// EventsByCommand returns the command's correlation record, or nil.
func (b *Bus) EventsByCommand(ctx context.Context, commandID string) (*Correlation, error) {
	var c *Correlation
	err := b.s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		c, err = b.log.EventsByCommand(ctx, tx, commandID)
		return err
	})
	return c, err
}

// CorrelationsByContext lists a bounded context's correlation records; see
// Log.CorrelationsByContext.
func (b *Bus) CorrelationsByContext(ctx context.Context, bc string, limit int, after *time.Time) ([]Correlation, error) {
	var out []Correlation
	err := b.s.Atomic(ctx, func(tx store.Tx) error {
		var err error
		out, err = b.log.CorrelationsByContext(ctx, tx, bc, limit, after)
		return err
	})
	return out, err
}
