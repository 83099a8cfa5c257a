package ids

import (
	"strconv"
	"strings"

	"github.com/eventspec/eventspec/es"
)

// MaxPartLength bounds the context and type parts of a generated id.
const MaxPartLength = 64

// Prefixes and the type part of the platform's generated ids.
const (
	// CommandPrefix starts command ids: "cmd_<uuid>".
	CommandPrefix = "cmd_"
	// CorrelationPrefix starts correlation ids: "corr_<uuid>".
	CorrelationPrefix = "corr_"
	// EventType is the type part of event ids: "<context>_event_<uuid>".
	EventType = "event"
	// IntegrationEventPrefix starts integration event ids: "int_evt_<uuid>".
	IntegrationEventPrefix = "int_evt_"
	// ApprovalPrefix starts approval ids: "apr_<uuid>".
	ApprovalPrefix = "apr_"
	// DecisionPrefix starts agent decision ids: "dec_<uuid>".
	DecisionPrefix = "dec_"
	// SubscriptionPrefix starts agent subscription ids: "sub_<agent>_<uuid>".
	SubscriptionPrefix = "sub_"
	// LifecyclePrefix starts agent lifecycle decision ids:
	// "lifecycle_<agent>_<uuid>".
	LifecyclePrefix = "lifecycle_"
)

// fallback mints the unique part when a generator is given no es.IDs: the
// production UUIDv7 generator on the real clock.
var fallback es.IDs = es.NewUUIDv7(nil)

// uuid returns the next unique part from src (the real-clock UUIDv7
// generator when src is nil).
func uuid(src es.IDs) string {
	if src == nil {
		return fallback.NewID()
	}
	return src.NewID()
}

// prefixed returns prefix + uuid(src) (in one allocation, see
// es.NewPrefixedID).
func prefixed(src es.IDs, prefix string) string {
	if src == nil {
		src = fallback
	}
	return es.NewPrefixedID(src, prefix)
}

// IsValidPart reports whether part can be the context or type of a
// generated id: 1 to MaxPartLength lowercase ASCII letters and digits.
func IsValidPart(part string) bool {
	return part != "" && len(part) <= MaxPartLength && lowerAlnum(part)
}

func lowerAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ValidatePart checks part, named name in messages, as an id part and
// returns an *es.Error with code when it is not one. In order: empty is
// "<name> cannot be empty"; any character other than a lowercase ASCII
// letter or digit (uppercase, "_", space, punctuation) is
// "Invalid <name> "<part>": only lowercase letters and digits are allowed";
// more than MaxPartLength characters is "<name> is too long: <n>
// characters; at most 64".
func ValidatePart(code es.Code, name, part string) error {
	switch {
	case part == "":
		return es.Errorf(code, "%s cannot be empty", name)
	case !lowerAlnum(part):
		return es.Errorf(code, "Invalid %s %s: only lowercase letters and digits are allowed", name, quote(part))
	case len(part) > MaxPartLength:
		return es.Errorf(code, "%s is too long: %d characters; at most %d", name, len(part), MaxPartLength)
	}
	return nil
}

// quote quotes part for a message, cut to 2×MaxPartLength bytes so a huge
// input does not make a huge error.
func quote(part string) string {
	const limit = 2 * MaxPartLength
	if len(part) <= limit {
		return strconv.Quote(part)
	}
	return strconv.Quote(part[:limit]) + "…"
}

// Generate returns a new id "<context>_<type>_<uuid>" with the unique part
// from src (the real-clock UUIDv7 generator when nil). context and typ
// must pass ValidatePart (errors name them "context" and "type", code
// INVALID_ARGUMENT); context is checked first.
func Generate(src es.IDs, context, typ string) (string, error) {
	if err := ValidatePart(es.CodeInvalidArgument, "context", context); err != nil {
		return "", err
	}
	if err := ValidatePart(es.CodeInvalidArgument, "type", typ); err != nil {
		return "", err
	}
	return context + "_" + typ + "_" + uuid(src), nil
}

// Parts are the pieces of an id "<context>_<type>_<uuid>".
type Parts struct {
	Context string
	Type    string
	// UUID is everything after the second "_", underscores included.
	UUID string
}

// Parse splits id on "_": the first piece is the context, the second the
// type and the rest, joined again with "_", the UUID. It reports false when
// id has fewer than three pieces or an empty context or type. It does not
// check the pieces any further: "orders_order_x_y" parses with UUID "x_y".
func Parse(id string) (Parts, bool) {
	context, rest, ok := strings.Cut(id, "_")
	if !ok || context == "" {
		return Parts{}, false
	}
	typ, uuid, ok := strings.Cut(rest, "_")
	if !ok || typ == "" {
		return Parts{}, false
	}
	return Parts{Context: context, Type: typ, UUID: uuid}, true
}

// NewCommandID returns a new command id "cmd_<uuid>".
func NewCommandID(src es.IDs) CommandID { return CommandID(prefixed(src, CommandPrefix)) }

// NewCorrelationID returns a new correlation id "corr_<uuid>".
func NewCorrelationID(src es.IDs) CorrelationID {
	return CorrelationID(prefixed(src, CorrelationPrefix))
}

// NewCommandAndCorrelationID returns NewCommandID(src) and then
// NewCorrelationID(src), built in one allocation (the two strings share
// memory, as a command and its correlation chain live as long as each
// other).
func NewCommandAndCorrelationID(src es.IDs) (CommandID, CorrelationID) {
	if src == nil {
		src = fallback
	}
	c, r := es.NewPrefixedIDPair(src, CommandPrefix, CorrelationPrefix)
	return CommandID(c), CorrelationID(r)
}

// NewEventID returns a new event id "<context>_event_<uuid>"; context must
// pass ValidatePart as in Generate.
func NewEventID(src es.IDs, context string) (EventID, error) {
	id, err := Generate(src, context, EventType)
	return EventID(id), err
}

// NewIntegrationEventID returns a new integration event id
// "int_evt_<uuid>".
func NewIntegrationEventID(src es.IDs) EventID {
	return EventID(IntegrationEventPrefix + uuid(src))
}

// NewApprovalID returns a new approval id "apr_<uuid>".
func NewApprovalID(src es.IDs) ApprovalID { return ApprovalID(ApprovalPrefix + uuid(src)) }

// NewDecisionID returns a new agent decision id "dec_<uuid>".
func NewDecisionID(src es.IDs) DecisionID { return DecisionID(DecisionPrefix + uuid(src)) }

// NewSubscriptionID returns a new agent subscription id
// "sub_<agent>_<uuid>"; agent must not be empty ("Invalid AgentId: must be
// a non-empty string").
func NewSubscriptionID(src es.IDs, agent AgentID) (string, error) {
	if _, err := ParseAgentID(string(agent)); err != nil {
		return "", err
	}
	return SubscriptionPrefix + string(agent) + "_" + uuid(src), nil
}

// NewLifecycleDecisionID returns a new decision id for an agent lifecycle
// change, "lifecycle_<agent>_<uuid>"; agent must not be empty ("Invalid
// AgentId: must be a non-empty string").
func NewLifecycleDecisionID(src es.IDs, agent AgentID) (DecisionID, error) {
	if _, err := ParseAgentID(string(agent)); err != nil {
		return "", err
	}
	return DecisionID(LifecyclePrefix + string(agent) + "_" + uuid(src)), nil
}
