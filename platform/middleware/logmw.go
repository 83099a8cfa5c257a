package middleware

import (
	"context"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/logging"
)

// LoggingConfig configures Logging.
type LoggingConfig struct {
	// Logger receives the entries (nil: nothing is logged).
	Logger logging.Logger
	// Clock measures durationMs (default es.RealClock); use the pipeline's.
	Clock es.Clock
	// IncludePayload adds the command's arguments as "args".
	IncludePayload bool
	// OmitTiming leaves durationMs out.
	OmitTiming bool
}

// Logging logs each command (order 40): before, INFO "Command started:
// <type>" with commandType, commandId, correlationId, boundedContext,
// category, targetAggregate and aggregateIdField (when the command targets
// one) and args (IncludePayload); after, with durationMs, INFO "Command
// succeeded: <type>" (+eventId, and eventIds when several), INFO "Command
// rejected: <type>" (+errorCode, errorReason), or ERROR "Command failed:
// <type>" (+errorCode when set, errorReason, eventId).
//
// Without a logger (nil or logging.Nop()) the middleware has no hooks and
// costs nothing.
func Logging(cfg LoggingConfig) Middleware {
	log := logging.OrNop(cfg.Logger)
	if log == logging.Nop() {
		return Middleware{Name: NameLogging, Order: OrderLogging}
	}
	clock := cfg.Clock
	if clock == nil {
		clock = es.RealClock{}
	}
	base := func(mc Context) logging.Fields {
		c := mc.Info.Command
		f := make(logging.Fields, 12)
		f["commandType"] = c.Type
		f["commandId"] = c.ID
		f["correlationId"] = c.Metadata.CorrelationID
		f["boundedContext"] = mc.Info.BoundedContext
		f["category"] = string(mc.Info.Category)
		if t := mc.Info.TargetAggregate; t != nil {
			f["targetAggregate"] = t.Type
			f["aggregateIdField"] = t.IDField
		}
		return f
	}
	return Middleware{Name: NameLogging, Order: OrderLogging,
		Before: func(_ context.Context, mc Context) (Context, *command.Result, error) {
			f := base(mc)
			if cfg.IncludePayload {
				f["args"] = Args(mc.Info.Command)
			}
			log.Info("Command started: "+mc.Info.Command.Type, f)
			return mc, nil, nil
		},
		After: func(_ context.Context, mc Context, r command.Result) (command.Result, error) {
			f := base(mc)
			if !cfg.OmitTiming {
				f["durationMs"] = clock.Now().Sub(mc.StartedAt).Milliseconds()
			}
			addEvents := func() {
				if len(r.EventIDs) > 0 {
					f["eventId"] = r.EventIDs[0]
				}
				if len(r.EventIDs) > 1 {
					f["eventIds"] = r.EventIDs
				}
			}
			typ := mc.Info.Command.Type
			switch r.Status {
			case command.StatusExecuted:
				addEvents()
				log.Info("Command succeeded: "+typ, f)
			case command.StatusRejected:
				f["errorCode"] = r.Code
				f["errorReason"] = r.Reason
				log.Info("Command rejected: "+typ, f)
			default:
				if r.Code != "" {
					f["errorCode"] = r.Code
				}
				f["errorReason"] = r.Reason
				addEvents()
				log.Error("Command failed: "+typ, f)
			}
			return r, nil
		}}
}
