package orchestrator

import (
	"context"
	"encoding/json"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/metrics"
	"github.com/eventspec/eventspec/store"
)

// FollowUp is the payload of a follow-up job: what a projection, fan-out
// projection or saga router needs to know about the command and its events
// (spec §7 rules 9–10).
type FollowUp struct {
	// Pool is the job pool: projection, fanout or saga.
	Pool string `json:"pool"`
	// Route names the projection or saga router.
	Route string `json:"route"`
	// Purpose is "projection" or "saga-routing".
	Purpose        string             `json:"purpose"`
	CommandID      string             `json:"commandId"`
	CommandType    string             `json:"commandType"`
	BoundedContext string             `json:"boundedContext"`
	CorrelationID  string             `json:"correlationId"`
	CausationID    string             `json:"causationId"`
	Args           json.RawMessage    `json:"args"`
	Status         command.Status     `json:"status"`
	Data           json.RawMessage    `json:"data,omitempty"`
	Reason         string             `json:"reason,omitempty"`
	Stream         es.StreamID        `json:"stream,omitempty"`
	EventIDs       []string           `json:"eventIds"`
	EventTypes     []string           `json:"eventTypes"`
	Positions      []es.Position      `json:"positions"`
	Version        es.Version         `json:"version"`
	Partition      registry.Partition `json:"partition"`
}

// RouteKind is the job kind of a route: its Kind, or "projection.<Name>"
// ("saga.<Name>" for saga routes).
func RouteKind(r registry.Route, saga bool) string {
	switch {
	case r.Kind != "":
		return r.Kind
	case saga:
		return "saga." + r.Name
	}
	return "projection." + r.Name
}

type routed struct {
	route registry.Route
	pool  string
	saga  bool
}

// followUps enqueues the registration's routes for the outcome and runs
// the hooks (stage follow-up).
// cmd, reg and res are the execution's, passed by pointer so that the
// ~600 bytes are not copied per command; followUps only reads them.
func (o *Orchestrator) followUps(ctx context.Context, tx store.Tx, cmd *command.Command, reg *registry.Registration, res *command.Result, events []es.Event, positions []es.Position) error {
	var routes []routed
	if res.Status == command.StatusExecuted {
		if reg.Projection != nil {
			routes = append(routes, routed{*reg.Projection, registry.PoolProjection, false})
		}
		for _, r := range reg.Secondary {
			routes = append(routes, routed{r, registry.PoolFanout, false})
		}
		if reg.Saga != nil {
			routes = append(routes, routed{*reg.Saga, registry.PoolSaga, true})
		}
	} else if reg.Failed != nil {
		routes = append(routes, routed{*reg.Failed, registry.PoolProjection, false})
	}
	if len(routes) > 0 {
		var args map[string]any
		_ = json.Unmarshal(cmd.Payload, &args) // a non-object payload partitions as empty
		types := make([]string, len(events))
		for i, e := range events {
			types[i] = e.Type
		}
		for i, r := range routes {
			part := reg.PartitionFor(r.route, args)
			kind := RouteKind(r.route, r.saga)
			purpose := "projection"
			if r.saga {
				purpose = "saga-routing"
			}
			payload, err := json.Marshal(FollowUp{Pool: r.pool, Route: r.route.Name, Purpose: purpose, CommandID: cmd.ID, CommandType: cmd.Type,
				BoundedContext: reg.Meta.BoundedContext, CorrelationID: cmd.Metadata.CorrelationID, CausationID: cmd.ID, Args: cmd.Payload,
				Status: res.Status, Data: res.Data, Reason: res.Reason, Stream: res.Stream, EventIDs: res.EventIDs, EventTypes: types,
				Positions: positions, Version: res.Version, Partition: part})
			if err != nil {
				return err
			}
			if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: kind, Payload: payload, Partition: kind + "/" + part.Name + "=" + part.Value}); err != nil {
				return err
			}
			if !o.metricsOff {
				if err := o.gaugeDepth(ctx, tx, routes[:i+1]); err != nil {
					return err
				}
			}
		}
	}
	if err := o.publish(ctx, tx, cmd, reg, res, events, positions); err != nil {
		return err
	}
	if len(o.hooks) > 0 {
		out := Outcome{Command: *cmd, Registration: *reg, Result: *res, Events: events, Positions: positions}
		for _, h := range o.hooks {
			if err := h(ctx, tx, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// gaugeDepth records metrics.QueueDepth for the pool of the last of done,
// the routes enqueued so far: WithQueueDepth's measure, or how many of done
// went to that pool.
func (o *Orchestrator) gaugeDepth(ctx context.Context, tx store.Tx, done []routed) error {
	pool := done[len(done)-1].pool
	var depth float64
	if o.queueDepth != nil {
		var err error
		if depth, err = o.queueDepth(ctx, tx, pool); err != nil {
			return err
		}
	} else {
		for _, r := range done {
			if r.pool == pool {
				depth++
			}
		}
	}
	o.metrics.Gauge(metrics.QueueDepth, depth, metrics.Tag{Key: metrics.TagPool, Value: pool})
	return nil
}
