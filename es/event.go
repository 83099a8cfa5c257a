package es

import (
	"encoding/json"
	"time"
)

// StreamID names an event stream, for example "order-42".
type StreamID string

// Version is a per-stream event number. The first event of a stream has
// version 1; a stream that does not exist has version 0.
type Version int64

// Position is an event's place in the global log. Positions start at 1 and
// increase strictly in commit order; 0 means "before the first event".
type Position int64

// Tag is a DCB tag, conventionally "key:value" such as "course:c1".
type Tag string

// Default values the store fills in when an event leaves them empty.
const (
	DefaultCategory      = "domain"
	DefaultSchemaVersion = 1
)

// Metadata travels with an event. The store fills EventID (from its IDs),
// Category (DefaultCategory) and SchemaVersion (DefaultSchemaVersion) when
// they are empty.
type Metadata struct {
	EventID       string            `json:"eventId,omitempty"`
	CorrelationID string            `json:"correlationId,omitempty"`
	CausationID   string            `json:"causationId,omitempty"`
	SchemaVersion int               `json:"schemaVersion,omitempty"`
	Category      string            `json:"category,omitempty"`
	Extra         map[string]string `json:"extra,omitempty"`
}

// Event is an event to append: a type, JSON data, DCB tags and metadata.
type Event struct {
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
	Tags     []Tag           `json:"tags,omitempty"`
	Metadata Metadata        `json:"metadata"`
}

// Recorded is an event as stored: the event plus where and when it landed.
// StreamID is empty and StreamVersion 0 for events appended without a stream
// (pure DCB appends).
type Recorded struct {
	Event
	StreamID      StreamID  `json:"streamId,omitempty"`
	StreamVersion Version   `json:"streamVersion,omitempty"`
	Position      Position  `json:"position"`
	RecordedAt    time.Time `json:"recordedAt"`
}

// HasTag reports whether the event carries tag t.
func (e Event) HasTag(t Tag) bool {
	for _, x := range e.Tags {
		if x == t {
			return true
		}
	}
	return false
}

// NewEvent builds an event of type typ whose data is the JSON encoding of
// data. It returns an INVALID_EVENT error when data cannot be encoded.
func NewEvent(typ string, data any, tags ...Tag) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, Errorf(CodeInvalidEvent, "event %q: data does not encode as JSON: %v", typ, err)
	}
	return Event{Type: typ, Data: raw, Tags: tags}, nil
}

// MustEvent is NewEvent for tests and examples with known-good data; it
// panics when data cannot be encoded.
func MustEvent(typ string, data any, tags ...Tag) Event {
	e, err := NewEvent(typ, data, tags...)
	if err != nil {
		panic(err)
	}
	return e
}
