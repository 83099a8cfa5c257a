package upcast

import (
	"context"
	"fmt"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// EventLog wraps log so that ReadStream, ReadAll and ReadQuery return
// events upcast by reg. Appends, StreamVersion and IdempotencyAudits pass
// through. A read fails as a whole when one of its events cannot be
// upcast; the error names the event's position.
func EventLog(log store.EventLog, reg *Registry) store.EventLog {
	return &eventLog{EventLog: log, reg: reg}
}

type eventLog struct {
	store.EventLog
	reg *Registry
}

func (l *eventLog) apply(events []es.Recorded) ([]es.Recorded, error) {
	if events == nil {
		return nil, nil
	}
	out := make([]es.Recorded, len(events))
	for i, ev := range events {
		up, err := l.reg.Apply(ev)
		if err != nil {
			return nil, fmt.Errorf("upcast on read: event %s at position %d: %w", ev.Type, ev.Position, err)
		}
		out[i] = up
	}
	return out, nil
}

func (l *eventLog) ReadStream(ctx context.Context, stream es.StreamID, opts store.StreamRead) ([]es.Recorded, error) {
	events, err := l.EventLog.ReadStream(ctx, stream, opts)
	if err != nil {
		return nil, err
	}
	return l.apply(events)
}

func (l *eventLog) ReadAll(ctx context.Context, opts store.LogRead) (store.LogPage, error) {
	page, err := l.EventLog.ReadAll(ctx, opts)
	if err != nil {
		return store.LogPage{}, err
	}
	if page.Events, err = l.apply(page.Events); err != nil {
		return store.LogPage{}, err
	}
	return page, nil
}

func (l *eventLog) ReadQuery(ctx context.Context, q es.Query, opts store.QueryRead) (store.QueryResult, error) {
	res, err := l.EventLog.ReadQuery(ctx, q, opts)
	if err != nil {
		return store.QueryResult{}, err
	}
	if res.Events, err = l.apply(res.Events); err != nil {
		return store.QueryResult{}, err
	}
	return res, nil
}

// Tx wraps tx so that its Events() upcast on read (see EventLog).
func Tx(tx store.Tx, reg *Registry) store.Tx { return &upTx{Tx: tx, reg: reg} }

type upTx struct {
	store.Tx
	reg *Registry
}

func (t *upTx) Events() store.EventLog { return EventLog(t.Tx.Events(), t.reg) }

// Store wraps s so that every unit of work sees an upcasting event log:
// give the wrapped store to the engine, projections and replays and they
// all read current-version events. Capabilities and Close pass through, and
// so do the optional methods engines look for: Clock() and IDs() (the
// engine takes its defaults from them) and store.FaultInjector, when s has
// them.
func Store(s store.Store, reg *Registry) store.Store {
	base := &upStore{Store: s, reg: reg}
	c, hasClock := s.(clockSource)
	i, hasIDs := s.(idSource)
	f, hasFaults := s.(store.FaultInjector)
	switch env := hasClock && hasIDs; {
	case env && hasFaults:
		return &upStoreEnvFaults{upStore: base, clockSource: c, idSource: i, FaultInjector: f}
	case env:
		return &upStoreEnv{upStore: base, clockSource: c, idSource: i}
	case hasFaults:
		return &upStoreFaults{upStore: base, FaultInjector: f}
	}
	return base
}

type clockSource interface{ Clock() es.Clock }

type idSource interface{ IDs() es.IDs }

type upStore struct {
	store.Store
	reg *Registry
}

func (s *upStore) Atomic(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Atomic(ctx, func(tx store.Tx) error { return fn(Tx(tx, s.reg)) })
}

type upStoreEnv struct {
	*upStore
	clockSource
	idSource
}

type upStoreFaults struct {
	*upStore
	store.FaultInjector
}

type upStoreEnvFaults struct {
	*upStore
	clockSource
	idSource
	store.FaultInjector
}
