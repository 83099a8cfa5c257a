package middleware

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/eventspec/eventspec/platform/command"
)

// Messages of the authorization built-ins.
const (
	MsgNotAuthorized          = "Not authorized to perform this action"
	MsgAuthenticationRequired = "Authentication required"
	MsgOtherOwner             = "Cannot access resources owned by other users"
)

// AuthDecision is an authorization checker's answer. Reason explains a
// denial ("" uses the default message).
type AuthDecision struct {
	Allowed bool
	Reason  string
}

// Allow is the allowing decision.
func Allow() AuthDecision { return AuthDecision{Allowed: true} }

// Deny is a denial with reason.
func Deny(reason string) AuthDecision { return AuthDecision{Reason: reason} }

// AuthChecker decides whether the command in mc may run. An error means
// the check itself failed (a MIDDLEWARE_ERROR rejection).
type AuthChecker func(ctx context.Context, mc Context) (AuthDecision, error)

// AuthorizationConfig configures Authorization.
type AuthorizationConfig struct {
	Checker AuthChecker
	// SkipFor lists command types that bypass the check (the checker is
	// not called).
	SkipFor []string
}

// Authorization runs the checker before the command (order 30). A denial
// short-circuits with UNAUTHORIZED and the checker's reason, or "Not
// authorized to perform this action". A nil checker denies everything.
func Authorization(cfg AuthorizationConfig) Middleware {
	return Middleware{Name: NameAuthorization, Order: OrderAuthorization,
		Before: func(ctx context.Context, mc Context) (Context, *command.Result, error) {
			if slices.Contains(cfg.SkipFor, mc.Info.Command.Type) {
				return mc, nil, nil
			}
			d := AuthDecision{}
			if cfg.Checker != nil {
				var err error
				if d, err = cfg.Checker(ctx, mc); err != nil {
					return mc, nil, err
				}
			}
			if d.Allowed {
				return mc, nil, nil
			}
			reason := d.Reason
			if reason == "" {
				reason = MsgNotAuthorized
			}
			r := rejected(command.CodeUnauthorized, reason, nil)
			return mc, &r, nil
		}}
}

// RoleConfig configures RoleBasedChecker.
type RoleConfig struct {
	// Roles lists, per command type, the roles allowed to run it.
	Roles map[string][]string
	// Role returns the caller's role ("" when unauthenticated).
	Role func(mc Context) string
	// DenyUnlisted denies command types that Roles does not mention
	// (deny by default); otherwise they are allowed.
	DenyUnlisted bool
}

// RoleBasedChecker allows a command when the caller's role is one of the
// roles configured for its type. A type with no roles configured is
// allowed (denied with DenyUnlisted: "No authorization rule for <type>");
// a caller without a role is denied "Authentication required"; any other
// role is denied "Role '<role>' is not authorized to execute <type>.
// Required: <role1> or <role2>".
func RoleBasedChecker(cfg RoleConfig) AuthChecker {
	return func(_ context.Context, mc Context) (AuthDecision, error) {
		typ := mc.Info.Command.Type
		roles, listed := cfg.Roles[typ]
		if !listed || len(roles) == 0 {
			if cfg.DenyUnlisted {
				return Deny("No authorization rule for " + typ), nil
			}
			return Allow(), nil
		}
		role := ""
		if cfg.Role != nil {
			role = cfg.Role(mc)
		}
		if role == "" {
			return Deny(MsgAuthenticationRequired), nil
		}
		if slices.Contains(roles, role) {
			return Allow(), nil
		}
		return Deny(fmt.Sprintf("Role '%s' is not authorized to execute %s. Required: %s", role, typ, strings.Join(roles, " or "))), nil
	}
}

// OwnerConfig configures OwnerBasedChecker.
type OwnerConfig struct {
	// Owner returns the owner of the resource the command targets ("" when
	// it has none yet, e.g. a creation).
	Owner func(ctx context.Context, mc Context) (string, error)
	// UserID returns the caller ("" when unauthenticated); nil: the
	// command's metadata.userId.
	UserID func(mc Context) string
	// AdminRoles are roles (read from Custom["userRole"]) that may act on
	// anyone's resources.
	AdminRoles []string
}

// OwnerBasedChecker allows the owner of a resource, and admins: no caller
// → "Authentication required"; an admin role → allowed; a resource owned
// by someone else → "Cannot access resources owned by other users". A
// resource without an owner is allowed.
func OwnerBasedChecker(cfg OwnerConfig) AuthChecker {
	return func(ctx context.Context, mc Context) (AuthDecision, error) {
		user := mc.Info.Command.Metadata.UserID
		if cfg.UserID != nil {
			user = cfg.UserID(mc)
		}
		if user == "" {
			return Deny(MsgAuthenticationRequired), nil
		}
		if role, ok := mc.Custom["userRole"].(string); ok && slices.Contains(cfg.AdminRoles, role) {
			return Allow(), nil
		}
		if cfg.Owner == nil {
			return Allow(), nil
		}
		owner, err := cfg.Owner(ctx, mc)
		if err != nil {
			return AuthDecision{}, err
		}
		if owner != "" && owner != user {
			return Deny(MsgOtherOwner), nil
		}
		return Allow(), nil
	}
}

// CombineCheckers allows only when every checker allows; the first denial
// (in order) is returned.
func CombineCheckers(cs ...AuthChecker) AuthChecker {
	return func(ctx context.Context, mc Context) (AuthDecision, error) {
		for _, c := range cs {
			d, err := c(ctx, mc)
			if err != nil || !d.Allowed {
				return d, err
			}
		}
		return Allow(), nil
	}
}

// AnyChecker allows when some checker allows (the first allow wins);
// otherwise it denies with the reasons joined by "; ". No checkers deny.
func AnyChecker(cs ...AuthChecker) AuthChecker {
	return func(ctx context.Context, mc Context) (AuthDecision, error) {
		var reasons []string
		for _, c := range cs {
			d, err := c(ctx, mc)
			if err != nil {
				return d, err
			}
			if d.Allowed {
				return d, nil
			}
			r := d.Reason
			if r == "" {
				r = MsgNotAuthorized
			}
			reasons = append(reasons, r)
		}
		return Deny(strings.Join(reasons, "; ")), nil
	}
}
