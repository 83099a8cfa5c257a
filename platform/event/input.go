package event

import (
	"encoding/json"
	"fmt"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/event/field"
)

// InputMetadata is the metadata of an event to append (spec §2 rule 15):
// correlationId is required; causationId and userId are optional; any
// other keys are kept in Extra.
type InputMetadata struct {
	CorrelationID string         `json:"correlationId"`
	CausationID   string         `json:"causationId,omitempty"`
	UserID        string         `json:"userId,omitempty"`
	Extra         map[string]any `json:"-"`
}

// NewEventInput is an event to append, as a client sends it
// (NewEventInputSchema).
type NewEventInput struct {
	EventType string          `json:"eventType"`
	Payload   json.RawMessage `json:"payload"`
	// Metadata is nil when absent.
	Metadata *InputMetadata `json:"metadata,omitempty"`
}

// ParseNewEventInput checks an event to append: a non-empty eventType, any
// payload (absent means null), and optional metadata with a required
// correlationId.
func ParseNewEventInput(raw []byte) (NewEventInput, error) {
	o := field.Decode(raw, "")
	in := NewEventInput{EventType: o.String("eventType", true), Payload: json.RawMessage("null")}
	if p, ok := o.Raw("payload", false); ok {
		in.Payload = append(json.RawMessage(nil), p...)
	}
	if m, ok := o.Sub("metadata", false); ok {
		md := &InputMetadata{
			CorrelationID: m.String("correlationId", true),
			CausationID:   m.String("causationId", false),
			UserID:        m.String("userId", false),
		}
		for _, k := range m.Keys() {
			switch k {
			case "correlationId", "causationId", "userId":
				continue
			}
			raw, _ := m.Raw(k, false)
			var v any
			_ = json.Unmarshal(raw, &v) // raw came from a valid object
			if md.Extra == nil {
				md.Extra = map[string]any{}
			}
			md.Extra[k] = v
		}
		in.Metadata = md
	}
	if err := fail(o, "new event input"); err != nil {
		return NewEventInput{}, err
	}
	return in, nil
}

// Event returns the input as an es.Event. Extra metadata values that are
// not strings are stored as their JSON text.
func (in NewEventInput) Event() es.Event {
	e := es.Event{Type: in.EventType, Data: in.Payload}
	if m := in.Metadata; m != nil {
		e.Metadata = es.Metadata{CorrelationID: m.CorrelationID, CausationID: m.CausationID}
		if len(m.Extra) > 0 || m.UserID != "" {
			e.Metadata.Extra = map[string]string{}
			for k, v := range m.Extra {
				if s, ok := v.(string); ok {
					e.Metadata.Extra[k] = s
				} else {
					raw, _ := json.Marshal(v) // decoded from JSON, so it encodes
					e.Metadata.Extra[k] = string(raw)
				}
			}
			if m.UserID != "" {
				e.Metadata.Extra[ExtraUserID] = m.UserID
			}
		}
	}
	return e
}

// Append result statuses (spec §1 rules 4, 16, 19, 20).
const (
	AppendSuccess             = "success"
	AppendConflict            = "conflict"
	AppendDuplicate           = "duplicate"
	AppendIdempotencyConflict = "idempotency_conflict"
)

// AppendOutcome is one of the four append results (AppendResultSchema).
// Which fields are set depends on Status.
type AppendOutcome struct {
	Status string `json:"status"`
	// success, duplicate
	EventIDs        []string `json:"eventIds,omitempty"`
	GlobalPositions []int64  `json:"globalPositions,omitempty"`
	NewVersion      int64    `json:"newVersion,omitempty"`
	// conflict, idempotency_conflict
	CurrentVersion int64 `json:"currentVersion,omitempty"`
	// idempotency_conflict
	ExistingEventID string `json:"existingEventId,omitempty"`
	AuditID         string `json:"auditId,omitempty"`
}

// ParseAppendResult checks an append result, discriminating on status:
// success and duplicate need eventIds, globalPositions (integers >= 0) and
// newVersion (>= 1); conflict needs currentVersion (>= 0) and carries no
// eventIds; idempotency_conflict needs existingEventId, auditId and
// currentVersion. Any other status is invalid.
func ParseAppendResult(raw []byte) (AppendOutcome, error) {
	o := field.Decode(raw, "")
	all := []string{AppendSuccess, AppendConflict, AppendDuplicate, AppendIdempotencyConflict}
	r := AppendOutcome{Status: o.Enum("status", all, "", true)}
	switch r.Status {
	case AppendSuccess, AppendDuplicate:
		r.EventIDs = o.Strings("eventIds", true)
		r.GlobalPositions = o.Ints("globalPositions", 0, true)
		r.NewVersion = o.Int("newVersion", 1, 0, true)
		if len(r.EventIDs) != len(r.GlobalPositions) && len(o.Issues()) == 0 {
			o.Add("globalPositions", field.CodeCustom, fmt.Sprintf("has %d entries for %d eventIds", len(r.GlobalPositions), len(r.EventIDs)))
		}
	case AppendConflict:
		r.CurrentVersion = o.Int("currentVersion", 0, 0, true)
		if o.Has("eventIds") {
			o.Add("eventIds", field.CodeCustom, "a conflict result carries no eventIds")
		}
	case AppendIdempotencyConflict:
		r.ExistingEventID = o.String("existingEventId", true)
		r.AuditID = o.String("auditId", true)
		r.CurrentVersion = o.Int("currentVersion", 0, 0, true)
	}
	if err := fail(o, "append result"); err != nil {
		return AppendOutcome{}, err
	}
	return r, nil
}
