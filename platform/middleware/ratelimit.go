package middleware

import (
	"context"
	"fmt"
	"slices"

	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/middleware/ratelimit"
)

// MsgRateLimited is the reason of a RATE_LIMITED rejection.
const MsgRateLimited = "Too many requests, please try again later"

// RateLimitConfig configures RateLimit.
type RateLimitConfig struct {
	// Checker returns the checker for this request (checkerFactory); a
	// *ratelimit.Limiter's Check is the usual one: func(Context)
	// ratelimit.Checker { return limiter.Check }.
	Checker func(mc Context) ratelimit.Checker
	// Key returns the key the request is counted under (see the Key*
	// strategies).
	Key func(mc Context) string
	// SkipFor lists command types that bypass the limit (the checker is not
	// built or called).
	SkipFor []string
}

// RateLimit counts each command against a limit (order 50). A denial
// short-circuits with RATE_LIMITED, reason "Too many requests, please try
// again later", context {retryAfterMs}. A checker error becomes a
// MIDDLEWARE_ERROR rejection.
func RateLimit(cfg RateLimitConfig) Middleware {
	return Middleware{Name: NameRateLimit, Order: OrderRateLimit,
		Before: func(ctx context.Context, mc Context) (Context, *command.Result, error) {
			if slices.Contains(cfg.SkipFor, mc.Info.Command.Type) {
				return mc, nil, nil
			}
			if cfg.Checker == nil || cfg.Key == nil {
				return mc, nil, fmt.Errorf("rate limit: checker and key are required")
			}
			check := cfg.Checker(mc)
			if check == nil {
				return mc, nil, fmt.Errorf("rate limit: no checker for %s", mc.Info.Command.Type)
			}
			d, err := check(ctx, cfg.Key(mc))
			if err != nil {
				return mc, nil, err
			}
			if d.Allowed {
				return mc, nil, nil
			}
			r := rejected(command.CodeRateLimited, MsgRateLimited, map[string]any{"retryAfterMs": d.RetryAfter.Milliseconds()})
			return mc, &r, nil
		}}
}

// KeyByUserID is "user:<userId|anonymous>".
func KeyByUserID(mc Context) string {
	return "user:" + or(mc.Info.Command.Metadata.UserID, "anonymous")
}

// KeyByCommandType is "command:<type>".
func KeyByCommandType(mc Context) string { return "command:" + mc.Info.Command.Type }

// KeyByUserAndCommand is "user:<userId|anonymous>:<type>".
func KeyByUserAndCommand(mc Context) string {
	return KeyByUserID(mc) + ":" + mc.Info.Command.Type
}

// KeyByAggregateID is "aggregate:<aggregate type>:<id|unknown>", the id
// read from the targeted aggregate's id field; commands without a target
// aggregate use their command type and "unknown".
func KeyByAggregateID(mc Context) string {
	t := mc.Info.TargetAggregate
	if t == nil {
		return "aggregate:" + mc.Info.Command.Type + ":unknown"
	}
	id, _ := Args(mc.Info.Command)[t.IDField].(string)
	return "aggregate:" + t.Type + ":" + or(id, "unknown")
}

// KeyByIPAddress is "ip:<ip|unknown>", the address read from
// Custom["ipAddress"], else the command's metadata extra "ipAddress".
func KeyByIPAddress(mc Context) string {
	ip, _ := mc.Custom["ipAddress"].(string)
	if ip == "" {
		ip = mc.Info.Command.Metadata.Extra["ipAddress"]
	}
	return "ip:" + or(ip, "unknown")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
