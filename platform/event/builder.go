package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/correlation"
	"github.com/eventspec/eventspec/platform/ids"
)

// Keys of es.Metadata.Extra that Data.Event writes and Stored reads.
const (
	ExtraStreamType     = "streamType"
	ExtraBoundedContext = "boundedContext"
	// ExtraOccurredAt is when the event was built, RFC 3339 with
	// nanoseconds, UTC.
	ExtraOccurredAt = "occurredAt"
	// ExtraUserID is the acting user, as the orchestrator and package
	// correlation write it.
	ExtraUserID = correlation.UserIDKey
)

// MaxContextLength bounds a bounded-context name used as an id part.
const MaxContextLength = ids.MaxPartLength

// EventIDInfix sits between the bounded context and the unique part of a
// generated event id: "<boundedContext>_event_<id>".
const EventIDInfix = "_" + ids.EventType + "_"

// Input is what the builder needs to make event data.
type Input struct {
	EventType  string
	StreamType string
	StreamID   string
	// BoundedContext prefixes generated event ids, so for Builder.New it
	// must be lowercase alphanumeric, at most MaxContextLength characters.
	BoundedContext string
	// Payload is encoded as JSON; a json.RawMessage is kept as it is.
	Payload       any
	CorrelationID string
	CausationID   string
	// UserID is optional.
	UserID string
	// Category defaults to domain; SchemaVersion 0 means 1.
	Category      Category
	SchemaVersion int
	// Tags are optional DCB tags.
	Tags []es.Tag
}

// DataMetadata is the metadata of event data.
type DataMetadata struct {
	CorrelationID string `json:"correlationId"`
	CausationID   string `json:"causationId"`
	UserID        string `json:"userId,omitempty"`
}

// Data is well-formed event data ready to append (the original's
// NewEventData), with the category and schema version resolved.
type Data struct {
	EventID        string          `json:"eventId"`
	EventType      string          `json:"eventType"`
	StreamType     string          `json:"streamType"`
	StreamID       string          `json:"streamId"`
	BoundedContext string          `json:"boundedContext"`
	Payload        json.RawMessage `json:"payload"`
	Metadata       DataMetadata    `json:"metadata"`
	Category       Category        `json:"category"`
	SchemaVersion  int             `json:"schemaVersion"`
	Tags           []es.Tag        `json:"tags,omitempty"`
	// OccurredAt is when the builder made the data (from its clock).
	OccurredAt time.Time `json:"occurredAt"`
}

// Builder makes event data with ids from an es.IDs and time from an
// es.Clock. It is safe for concurrent use when its IDs and Clock are.
type Builder struct {
	ids   es.IDs
	clock es.Clock
}

// NewBuilder returns a builder. A nil clock is es.RealClock; nil ids are
// UUIDv7s on that clock.
func NewBuilder(ids es.IDs, clock es.Clock) *Builder {
	if clock == nil {
		clock = es.RealClock{}
	}
	if ids == nil {
		ids = es.NewUUIDv7(clock)
	}
	return &Builder{ids: ids, clock: clock}
}

// ValidateContext checks a bounded-context name used as an id part with
// the id-part rule of package ids (ids.ValidatePart): not empty
// ("boundedContext cannot be empty"), only lowercase letters and digits
// ("Invalid boundedContext …"), at most MaxContextLength characters
// ("… too long"). Errors carry INVALID_EVENT.
func ValidateContext(bc string) error {
	return ids.ValidatePart(es.CodeInvalidEvent, "boundedContext", bc)
}

// New makes event data with a fresh id "<boundedContext>_event_<id>"
// (createEventData). The bounded context must pass ValidateContext; see
// build for the other checks.
func (b *Builder) New(in Input) (Data, error) {
	if err := ValidateContext(in.BoundedContext); err != nil {
		return Data{}, err
	}
	return b.build(in.BoundedContext+EventIDInfix+b.ids.NewID(), in)
}

// NewWithID makes event data with the given id (createEventDataWithId).
// The bounded context is in.BoundedContext when set, else the text before
// the first "_" of eventID (the whole id when it has none): for
// "my_bounded_context_event_x" that is "my".
func (b *Builder) NewWithID(eventID string, in Input) (Data, error) {
	if err := es.ValidateName(es.CodeInvalidEvent, "eventId", eventID); err != nil {
		return Data{}, err
	}
	if in.BoundedContext == "" {
		in.BoundedContext = ContextOf(eventID)
	}
	return b.build(eventID, in)
}

// ContextOf returns the bounded context an event id starts with: the text
// before its first "_", or the whole id when it has none.
func ContextOf(eventID string) string {
	bc, _, _ := strings.Cut(eventID, "_")
	return bc
}

// build checks in and makes the data: eventType, streamType, streamId,
// correlationId and causationId must be valid, non-empty names; the stream
// id "<streamType>-<streamId>" must be valid; the category must be one of
// the four (empty: domain); the schema version must not be negative (0:
// 1); the payload must encode as JSON, and the resulting es.Event must
// pass es.ValidateEvent (size, JSON, tags).
func (b *Builder) build(eventID string, in Input) (Data, error) {
	named := []struct{ what, v string }{
		{"eventType", in.EventType}, {"streamType", in.StreamType}, {"streamId", in.StreamID},
		{"correlationId", in.CorrelationID}, {"causationId", in.CausationID},
	}
	for _, f := range named {
		if err := es.ValidateName(es.CodeInvalidEvent, f.what, f.v); err != nil {
			return Data{}, err
		}
	}
	cat := in.Category
	if cat == "" {
		cat = DefaultCategory
	}
	if !cat.Valid() {
		return Data{}, es.Errorf(es.CodeInvalidEvent, "event %q: unknown category %q; expected domain, integration, trigger or fat", in.EventType, string(cat))
	}
	version := in.SchemaVersion
	switch {
	case version < 0:
		return Data{}, es.Errorf(es.CodeInvalidEvent, "event %q: schemaVersion %d is negative", in.EventType, version)
	case version == 0:
		version = DefaultSchemaVersion
	}
	payload, err := encode(in.Payload)
	if err != nil {
		return Data{}, es.Wrap(es.CodeInvalidEvent, err, "event %q: payload does not encode as JSON", in.EventType)
	}
	d := Data{
		EventID: eventID, EventType: in.EventType, StreamType: in.StreamType, StreamID: in.StreamID,
		BoundedContext: in.BoundedContext, Payload: payload,
		Metadata: DataMetadata{CorrelationID: in.CorrelationID, CausationID: in.CausationID, UserID: in.UserID},
		Category: cat, SchemaVersion: version, Tags: append([]es.Tag(nil), in.Tags...),
		OccurredAt: b.clock.Now().UTC(),
	}
	if err := es.ValidateStreamID(d.Stream()); err != nil {
		return Data{}, err
	}
	if err := es.ValidateEvent(d.Event(), 0); err != nil {
		return Data{}, es.Wrap(es.CodeOf(err), err, "event %q", in.EventType)
	}
	return d, nil
}

func encode(v any) (json.RawMessage, error) {
	switch p := v.(type) {
	case json.RawMessage:
		if p == nil {
			return json.RawMessage("null"), nil
		}
		if !es.ValidJSON(p) {
			return nil, fmt.Errorf("not valid JSON")
		}
		return append(json.RawMessage(nil), p...), nil
	case []byte:
		return nil, fmt.Errorf("[]byte payload: pass json.RawMessage for raw JSON")
	}
	return json.Marshal(v)
}

// Stream is the event's stream: "<streamType>-<streamId>", the
// orchestrator's convention (orchestrator.StreamFor).
func (d Data) Stream() es.StreamID { return es.StreamID(d.StreamType + "-" + d.StreamID) }

// Event returns the data as an es.Event: type, payload and tags, and
// metadata with the event id, correlation and causation ids, category and
// schema version, and in Extra the stream type, bounded context, build time
// and user id (when set).
func (d Data) Event() es.Event {
	extra := map[string]string{
		ExtraStreamType:     d.StreamType,
		ExtraBoundedContext: d.BoundedContext,
		ExtraOccurredAt:     d.OccurredAt.UTC().Format(time.RFC3339Nano),
	}
	if d.Metadata.UserID != "" {
		extra[ExtraUserID] = d.Metadata.UserID
	}
	return es.Event{
		Type: d.EventType, Data: d.Payload, Tags: d.Tags,
		Metadata: es.Metadata{
			EventID: d.EventID, CorrelationID: d.Metadata.CorrelationID, CausationID: d.Metadata.CausationID,
			SchemaVersion: d.SchemaVersion, Category: string(d.Category), Extra: extra,
		},
	}
}
