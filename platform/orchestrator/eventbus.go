package orchestrator

import (
	"context"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/correlation"
	"github.com/eventspec/eventspec/platform/event"
	"github.com/eventspec/eventspec/store"
)

// EventBus publishes a command's events inside its unit of work (spec §7
// rule 9, the bus of §21): whatever it enqueues commits with the events,
// and an error aborts the command with EVENT_STORE_POST_APPEND_ABORT, so
// nothing of it is kept.
type EventBus interface {
	Publish(ctx context.Context, tx store.Tx, ev event.Published, chain correlation.Chain) error
}

// EventBusFunc adapts a function to EventBus.
type EventBusFunc func(ctx context.Context, tx store.Tx, ev event.Published, chain correlation.Chain) error

// Publish calls f.
func (f EventBusFunc) Publish(ctx context.Context, tx store.Tx, ev event.Published, chain correlation.Chain) error {
	return f(ctx, tx, ev, chain)
}

// WithEventBus publishes, in stage follow-up, every event a successful
// command appended, in append order, after its follow-up jobs are enqueued
// and before the hooks run (a business failure's event is not published,
// spec §7 rule 8). Each event goes out as event.NewPublished describes it,
// stamped with the orchestrator's clock (UTC, to the millisecond, as the
// spec's integer timestamps), with the command's correlation chain: its
// command id, correlation id, causation id (the command id), user id and
// the time the command was accepted.
func WithEventBus(b EventBus) Option { return func(o *Orchestrator) { o.bus = b } }

// publish hands the appended events of a successful command to the event
// bus.
func (o *Orchestrator) publish(ctx context.Context, tx store.Tx, cmd *command.Command, reg *registry.Registration, res *command.Result, events []es.Event, positions []es.Position) error {
	if o.bus == nil || res.Status != command.StatusExecuted || len(events) == 0 {
		return nil
	}
	now := o.clock.Now()
	chain := correlation.Chain{CommandID: cmd.ID, CorrelationID: cmd.Metadata.CorrelationID, CausationID: cmd.ID,
		InitiatedAt: cmd.Metadata.Timestamp, UserID: cmd.Metadata.UserID}
	for i, e := range events {
		var pos es.Position
		if i < len(positions) {
			pos = positions[i]
		}
		if i < len(res.EventIDs) {
			e.Metadata.EventID = res.EventIDs[i] // also when the store minted it
		}
		if err := o.bus.Publish(ctx, tx, event.NewPublished(e, res.Stream, pos, reg.Meta.BoundedContext, now.UTC().Truncate(time.Millisecond)), chain); err != nil {
			return err
		}
	}
	return nil
}
