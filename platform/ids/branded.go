package ids

import "github.com/eventspec/eventspec/es"

// CommandID identifies one command; it is the command log's idempotency
// key.
type CommandID string

// CorrelationID links the commands and events of one causal chain.
type CorrelationID string

// CausationID names the direct cause (a command or an event) of a command
// or event.
type CausationID string

// EventID identifies one stored event.
type EventID string

// StreamID identifies an aggregate's event stream, such as "Order-123".
type StreamID string

// ApprovalID identifies a pending human approval of an agent's action.
type ApprovalID string

// DecisionID identifies one decision of an agent.
type DecisionID string

// AgentID identifies an agent (an agent bounded context).
type AgentID string

// IsValidIDString reports whether s can be an id: any non-empty string.
func IsValidIDString(s string) bool { return len(s) > 0 }

// IsValidID reports whether v is an id: a non-empty string or branded id
// (CommandID, CorrelationID, CausationID, EventID, StreamID, ApprovalID,
// DecisionID, AgentID). Anything else — nil, numbers, maps, slices, other
// types — is not. Use it on untyped values such as decoded JSON.
func IsValidID(v any) bool {
	switch x := v.(type) {
	case string:
		return IsValidIDString(x)
	case CommandID:
		return x != ""
	case CorrelationID:
		return x != ""
	case CausationID:
		return x != ""
	case EventID:
		return x != ""
	case StreamID:
		return x != ""
	case ApprovalID:
		return x != ""
	case DecisionID:
		return x != ""
	case AgentID:
		return x != ""
	}
	return false
}

// brand returns s as a T, or INVALID_ARGUMENT "Invalid <kind>: must be a
// non-empty string" when s is empty.
func brand[T ~string](kind, s string) (T, error) {
	if !IsValidIDString(s) {
		return "", es.Errorf(es.CodeInvalidArgument, "Invalid %s: must be a non-empty string", kind)
	}
	return T(s), nil
}

// ParseCommandID returns s as a CommandID; s must not be empty ("Invalid
// CommandId: must be a non-empty string").
func ParseCommandID(s string) (CommandID, error) { return brand[CommandID]("CommandId", s) }

// ParseCorrelationID returns s as a CorrelationID; s must not be empty
// ("Invalid CorrelationId: must be a non-empty string").
func ParseCorrelationID(s string) (CorrelationID, error) {
	return brand[CorrelationID]("CorrelationId", s)
}

// ParseCausationID returns s as a CausationID; s must not be empty
// ("Invalid CausationId: must be a non-empty string").
func ParseCausationID(s string) (CausationID, error) { return brand[CausationID]("CausationId", s) }

// ParseEventID returns s as an EventID; s must not be empty ("Invalid
// EventId: must be a non-empty string").
func ParseEventID(s string) (EventID, error) { return brand[EventID]("EventId", s) }

// ParseStreamID returns s as a StreamID; s must not be empty ("Invalid
// StreamId: must be a non-empty string").
func ParseStreamID(s string) (StreamID, error) { return brand[StreamID]("StreamId", s) }

// ParseApprovalID returns s as an ApprovalID; s must not be empty
// ("Invalid ApprovalId: must be a non-empty string").
func ParseApprovalID(s string) (ApprovalID, error) { return brand[ApprovalID]("ApprovalId", s) }

// ParseDecisionID returns s as a DecisionID; s must not be empty
// ("Invalid DecisionId: must be a non-empty string").
func ParseDecisionID(s string) (DecisionID, error) { return brand[DecisionID]("DecisionId", s) }

// ParseAgentID returns s as an AgentID; s must not be empty ("Invalid
// AgentId: must be a non-empty string").
func ParseAgentID(s string) (AgentID, error) { return brand[AgentID]("AgentId", s) }
