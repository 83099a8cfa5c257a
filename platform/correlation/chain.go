// Package correlation carries correlation and causation through every hop
// of a user action — command → events → derived command → events … — and
// reads a whole action back by its correlation id (spec §23).
//
// A Chain is the correlation context of one command: its id, the
// correlation id shared by the whole action, and its causation (a root
// command causes itself; a derived command is caused by the event it
// reacts to). New starts an action, Derive continues it from an event,
// and EventMetadata / CommandMetadata stamp what a hop emits.
//
// Service records and reads which events each command produced (over the
// command bus), and Load assembles a Trace: every command and event of a
// correlation id, linked by causation.
package correlation

import (
	"maps"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
)

// UserIDKey is the es.Metadata.Extra key that carries the user id on
// events (the orchestrator writes it there too).
const UserIDKey = "userId"

// Chain is the correlation context of one command.
type Chain struct {
	CommandID     string         `json:"commandId"`
	CorrelationID string         `json:"correlationId"`
	CausationID   string         `json:"causationId"`
	InitiatedAt   time.Time      `json:"initiatedAt"`
	UserID        string         `json:"userId,omitempty"`
	Context       map[string]any `json:"context,omitempty"`
}

type options struct {
	commandID     string
	correlationID string
	initiatedAt   time.Time
	userID        string
	context       map[string]any
	hasContext    bool
}

// Option sets an optional part of a chain.
type Option func(*options)

// WithCorrelationID continues an existing correlation (New only).
func WithCorrelationID(id string) Option { return func(o *options) { o.correlationID = id } }

// WithCommandID sets the derived command's id (Derive only; default a
// fresh "cmd_<id>").
func WithCommandID(id string) Option { return func(o *options) { o.commandID = id } }

// WithInitiatedAt sets the instant the hop started (default: the clock's
// now).
func WithInitiatedAt(t time.Time) Option { return func(o *options) { o.initiatedAt = t } }

// WithUserID sets the user (New; Derive inherits the source's user unless
// this is given).
func WithUserID(id string) Option { return func(o *options) { o.userID = id } }

// WithContext adds context values; Derive merges them over the source's.
func WithContext(ctx map[string]any) Option {
	return func(o *options) { o.context, o.hasContext = ctx, true }
}

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// New starts a chain for a root command: the correlation id is the given
// one or a fresh "corr_<id>", the causation is the command itself, and the
// chain was initiated now (or at WithInitiatedAt). An empty command id is
// INVALID_ARGUMENT.
func New(commandID string, ids es.IDs, clock es.Clock, opts ...Option) (Chain, error) {
	if commandID == "" {
		return Chain{}, es.Errorf(es.CodeInvalidArgument, "correlation: command id is empty")
	}
	o := collect(opts)
	c := Chain{CommandID: commandID, CorrelationID: o.correlationID, CausationID: commandID,
		InitiatedAt: o.initiatedAt, UserID: o.userID}
	if c.CorrelationID == "" {
		c.CorrelationID = command.NewCorrelationID(ids)
	}
	if c.InitiatedAt.IsZero() {
		c.InitiatedAt = clock.Now()
	}
	if o.hasContext {
		c.Context = maps.Clone(o.context)
		if c.Context == nil {
			c.Context = map[string]any{}
		}
	}
	return c, nil
}

// Source is the event a derived command reacts to.
type Source struct {
	EventID       string
	CorrelationID string
	UserID        string
	Context       map[string]any
}

// SourceOf reads a Source from a recorded event's metadata (the user id
// from Extra[UserIDKey]).
func SourceOf(r es.Recorded) Source {
	return Source{EventID: r.Metadata.EventID, CorrelationID: r.Metadata.CorrelationID, UserID: r.Metadata.Extra[UserIDKey]}
}

// Derive continues a chain from an event: the correlation id is kept, the
// causation is the event, the command id is WithCommandID's or a fresh
// "cmd_<id>", the user is inherited (WithUserID overrides), and the
// context is nil when neither side has one, else the source's merged with
// the options' (theirs win). A source without event id or correlation id
// is INVALID_ARGUMENT.
func Derive(src Source, ids es.IDs, clock es.Clock, opts ...Option) (Chain, error) {
	if src.EventID == "" {
		return Chain{}, es.Errorf(es.CodeInvalidArgument, "correlation: source event id is empty")
	}
	if src.CorrelationID == "" {
		return Chain{}, es.Errorf(es.CodeInvalidArgument, "correlation: source event %s has no correlation id", src.EventID)
	}
	o := collect(opts)
	c := Chain{CommandID: o.commandID, CorrelationID: src.CorrelationID, CausationID: src.EventID,
		InitiatedAt: o.initiatedAt, UserID: src.UserID}
	if c.CommandID == "" {
		c.CommandID = command.NewCommandID(ids)
	}
	if o.userID != "" {
		c.UserID = o.userID
	}
	if c.InitiatedAt.IsZero() {
		c.InitiatedAt = clock.Now()
	}
	if src.Context != nil || o.hasContext {
		c.Context = make(map[string]any, len(src.Context)+len(o.context))
		maps.Copy(c.Context, src.Context)
		maps.Copy(c.Context, o.context)
	}
	return c, nil
}

// EventMetadata is the metadata of an event this chain's command emits
// (toEventMetadata): its correlation and causation ids, the user id in
// Extra[UserIDKey] when set, and extra's other keys. extra cannot override
// the user id; command id, initiation time and context are not copied.
func (c Chain) EventMetadata(extra map[string]string) es.Metadata {
	m := es.Metadata{CorrelationID: c.CorrelationID, CausationID: c.CausationID}
	if len(extra) > 0 || c.UserID != "" {
		m.Extra = maps.Clone(extra)
		if m.Extra == nil {
			m.Extra = map[string]string{}
		}
		delete(m.Extra, "correlationId")
		delete(m.Extra, "causationId")
		if c.UserID != "" {
			m.Extra[UserIDKey] = c.UserID
		}
		if len(m.Extra) == 0 {
			m.Extra = nil
		}
	}
	return m
}

// CommandMetadata is the metadata of the chain's command envelope.
func (c Chain) CommandMetadata() command.Metadata {
	return command.Metadata{CorrelationID: c.CorrelationID, CausationID: c.CausationID, UserID: c.UserID, Timestamp: c.InitiatedAt}
}

// Command builds the chain's command: type typ, payload encoded as JSON,
// the chain's id and metadata.
func (c Chain) Command(typ string, payload any) (command.Command, error) {
	cmd, err := command.New(typ, payload)
	if err != nil {
		return command.Command{}, err
	}
	cmd.ID = c.CommandID
	cmd.Metadata = c.CommandMetadata()
	return cmd, nil
}

// IsCorrelated reports whether a and b belong to the same action.
func IsCorrelated(a, b Chain) bool { return a.CorrelationID == b.CorrelationID }

// IsCausedBy reports whether child was caused by parent's command (a root
// chain is caused by itself).
func IsCausedBy(parent, child Chain) bool { return child.CausationID == parent.CommandID }
