package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/event/field"
)

// Metadata is the metadata every stored event has (spec §2 rule 9).
type Metadata struct {
	EventID        string `json:"eventId"`
	EventType      string `json:"eventType"`
	StreamType     string `json:"streamType"`
	StreamID       string `json:"streamId"`
	Version        int64  `json:"version"`
	GlobalPosition int64  `json:"globalPosition"`
	// Timestamp is epoch milliseconds.
	Timestamp      int64  `json:"timestamp"`
	CorrelationID  string `json:"correlationId"`
	CausationID    string `json:"causationId,omitempty"`
	BoundedContext string `json:"boundedContext"`
}

// EnhancedMetadata adds the taxonomy to Metadata (spec §2 rule 10).
type EnhancedMetadata struct {
	Metadata
	Category      Category `json:"category"`
	SchemaVersion int      `json:"schemaVersion"`
}

// Event is a parsed event: its metadata, category and schema version, its
// payload decoded into a P, and optional free-form metadata. Category and
// SchemaVersion are zero when the schema that parsed it does not define
// them (New, ParseDomainEvent).
type Event[P any] struct {
	EnhancedMetadata
	Payload P `json:"payload"`
	// Meta is the optional free-form "metadata" object (nil when absent).
	Meta map[string]any `json:"metadata,omitempty"`
}

// readMetadata reads the fields of rule 9 from o: the strings are required
// and non-empty (causationId optional), version an integer >= 1,
// globalPosition an integer >= 0, timestamp an integer >= 1.
func readMetadata(o *field.Object) Metadata {
	return Metadata{
		EventID:        o.String("eventId", true),
		EventType:      o.String("eventType", true),
		StreamType:     o.String("streamType", true),
		StreamID:       o.String("streamId", true),
		Version:        o.Int("version", 1, 0, true),
		GlobalPosition: o.Int("globalPosition", 0, 0, true),
		Timestamp:      o.Int("timestamp", 1, 0, true),
		CorrelationID:  o.String("correlationId", true),
		CausationID:    o.String("causationId", false),
		BoundedContext: o.String("boundedContext", true),
	}
}

// readTaxonomy reads category and schemaVersion (rule 10): absent means
// domain and 1; a category must be one of the four and a schema version an
// integer >= 1.
func readTaxonomy(o *field.Object) (Category, int) {
	c := Category(o.Enum("category", categoryNames(), string(DefaultCategory), false))
	v := o.Int("schemaVersion", 1, DefaultSchemaVersion, false)
	return c, int(v)
}

func fail(o *field.Object, what string) error { return o.Err(es.CodeInvalidEvent, what) }

// ParseMetadata checks stored-event metadata (EventMetadataSchema). An
// empty or partial object is invalid; the error lists every problem.
func ParseMetadata(raw []byte) (Metadata, error) {
	o := field.Decode(raw, "")
	m := readMetadata(o)
	if err := fail(o, "event metadata"); err != nil {
		return Metadata{}, err
	}
	return m, nil
}

// ParseEnhancedMetadata checks metadata with category (default domain) and
// schemaVersion (default 1) (EnhancedEventMetadataSchema).
func ParseEnhancedMetadata(raw []byte) (EnhancedMetadata, error) {
	o := field.Decode(raw, "")
	m := EnhancedMetadata{Metadata: readMetadata(o)}
	m.Category, m.SchemaVersion = readTaxonomy(o)
	if err := fail(o, "event metadata"); err != nil {
		return EnhancedMetadata{}, err
	}
	return m, nil
}

// ParseDomainEvent checks an event with any payload (DomainEventSchema):
// the metadata of rule 9, an optional payload kept as raw JSON and an
// optional free-form metadata object. Category and schema version are not
// read.
func ParseDomainEvent(raw []byte) (Event[json.RawMessage], error) {
	return anyPayload(raw, false)
}

// ParseEnhancedDomainEvent is ParseDomainEvent plus category and
// schemaVersion with their defaults (EnhancedDomainEventSchema).
func ParseEnhancedDomainEvent(raw []byte) (Event[json.RawMessage], error) {
	return anyPayload(raw, true)
}

func anyPayload(raw []byte, enhanced bool) (Event[json.RawMessage], error) {
	o := field.Decode(raw, "")
	e := Event[json.RawMessage]{EnhancedMetadata: EnhancedMetadata{Metadata: readMetadata(o)}}
	if enhanced {
		e.Category, e.SchemaVersion = readTaxonomy(o)
	}
	if p, ok := o.Raw("payload", false); ok {
		e.Payload = append(json.RawMessage(nil), p...)
	}
	e.Meta = o.Map("metadata", false)
	if err := fail(o, "domain event"); err != nil {
		return Event[json.RawMessage]{}, err
	}
	return e, nil
}

// Decoder decodes and checks an event payload. Returning a *field.Error
// reports its issues under the "payload" path; any other error is one
// issue at "payload".
type Decoder[P any] func(raw json.RawMessage) (P, error)

// Validator is implemented by payload types that check themselves.
type Validator interface {
	Validate() error
}

// JSON returns a Decoder that unmarshals the payload into a P (unknown
// fields are ignored) and then runs P's Validate method, when P or *P has
// one.
func JSON[P any]() Decoder[P] {
	return func(raw json.RawMessage) (P, error) {
		var p P
		if err := json.Unmarshal(raw, &p); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return p, &field.Error{ErrCode: es.CodeInvalidEvent, What: "payload", Issues: []field.Issue{{
					Path: te.Field, Code: field.CodeInvalidType, Message: fmt.Sprintf("expected %s, received %s", te.Type, te.Value)}}}
			}
			return p, err
		}
		if v, ok := any(&p).(Validator); ok {
			return p, v.Validate()
		}
		if v, ok := any(p).(Validator); ok {
			return p, v.Validate()
		}
		return p, nil
	}
}

// Schema checks one event type: its literal type, its category and schema
// version (fixed by the factory that made it) and its payload. Build it
// with New, DomainSchema, IntegrationSchema, TriggerSchema or FatSchema. The zero Schema is not
// usable.
type Schema[P any] struct {
	eventType string
	category  Category // "" for New: category and schema version not read
	version   int
	decode    Decoder[P]
}

// New is createEventSchema: eventType must equal typ exactly, the payload
// must decode, and an optional free-form metadata object is kept. Category
// and schema version are not part of this schema.
func New[P any](typ string, decode Decoder[P]) Schema[P] {
	return Schema[P]{eventType: typ, decode: decode}
}

// DomainSchema is createDomainEventSchema: New plus category fixed to domain and
// schemaVersion fixed to version (0 means 1); both default to those values
// when absent, and any other value is invalid.
func DomainSchema[P any](typ string, version int, decode Decoder[P]) Schema[P] {
	return factory(typ, Domain, version, decode)
}

// IntegrationSchema is createIntegrationEventSchema: DomainSchema with category
// integration.
func IntegrationSchema[P any](typ string, version int, decode Decoder[P]) Schema[P] {
	return factory(typ, Integration, version, decode)
}

// FatSchema is createFatEventSchema: DomainSchema with category fat, for payloads that
// carry a full snapshot.
func FatSchema[P any](typ string, version int, decode Decoder[P]) Schema[P] {
	return factory(typ, Fat, version, decode)
}

// TriggerPayload is a trigger event's payload: the entity id field and its
// value.
type TriggerPayload map[string]string

// TriggerSchema is createTriggerEventSchema: category trigger, and a payload
// that must be an object with the non-empty string field entityIDField;
// other payload fields are dropped.
func TriggerSchema(typ, entityIDField string, version int) Schema[TriggerPayload] {
	decode := func(raw json.RawMessage) (TriggerPayload, error) {
		o := field.Decode(raw, "")
		id := o.String(entityIDField, true)
		if err := o.Err(es.CodeInvalidEvent, "payload"); err != nil {
			return nil, err
		}
		return TriggerPayload{entityIDField: id}, nil
	}
	return factory(typ, Trigger, version, decode)
}

func factory[P any](typ string, c Category, version int, decode Decoder[P]) Schema[P] {
	if version <= 0 {
		version = DefaultSchemaVersion
	}
	return Schema[P]{eventType: typ, category: c, version: version, decode: decode}
}

// EventType is the type the schema accepts.
func (s Schema[P]) EventType() string { return s.eventType }

// Category is the category the schema fixes ("" for New).
func (s Schema[P]) Category() Category { return s.category }

// SchemaVersion is the schema version the schema fixes (0 for New).
func (s Schema[P]) SchemaVersion() int { return s.version }

func (s Schema[P]) what() string {
	if s.version > 0 {
		return fmt.Sprintf("event %q (v%d)", s.eventType, s.version)
	}
	return fmt.Sprintf("event %q", s.eventType)
}

// Parse checks raw, a whole event as JSON, and decodes its payload. It
// applies the schema's defaults (category, schema version) and reports
// every problem in one *field.Error with code INVALID_EVENT.
func (s Schema[P]) Parse(raw []byte) (Event[P], error) {
	o := field.Decode(raw, "")
	e := Event[P]{EnhancedMetadata: EnhancedMetadata{Metadata: readMetadata(o)}}
	if e.EventType != "" && e.EventType != s.eventType {
		o.Add("eventType", field.CodeInvalidLiteral, fmt.Sprintf("expected %q, received %q", s.eventType, e.EventType))
	}
	if s.category != "" {
		e.Category = Category(o.Literal("category", string(s.category), false))
		e.SchemaVersion = int(o.Int("schemaVersion", 1, int64(s.version), false))
		if e.SchemaVersion != s.version && o.Has("schemaVersion") {
			o.Add("schemaVersion", field.CodeInvalidLiteral, fmt.Sprintf("expected %d, received %d", s.version, e.SchemaVersion))
		}
		e.SchemaVersion = s.version
	}
	if p, ok := o.Raw("payload", true); ok {
		e.Payload = s.decodePayload(o, p)
	}
	e.Meta = o.Map("metadata", false)
	if err := fail(o, s.what()); err != nil {
		return Event[P]{}, err
	}
	return e, nil
}

func (s Schema[P]) decodePayload(o *field.Object, raw json.RawMessage) P {
	p, err := s.decode(raw)
	if err == nil {
		return p
	}
	var fe *field.Error
	if errors.As(err, &fe) {
		o.AddIssues("payload", fe.Issues)
	} else {
		o.Add("payload", field.CodeCustom, err.Error())
	}
	var zero P
	return zero
}

// CheckPayload decodes and checks a payload alone. It is what a schema
// Registry runs on events before they are appended.
func (s Schema[P]) CheckPayload(raw json.RawMessage) error {
	o := field.Decode([]byte(`{}`), "")
	s.decodePayload(o, raw)
	return fail(o, s.what())
}

// ParseRecorded checks a recorded event against the schema, through the
// view Stored gives of it.
func (s Schema[P]) ParseRecorded(r es.Recorded) (Event[P], error) {
	raw, err := json.Marshal(Stored(r))
	if err != nil {
		return Event[P]{}, es.Wrap(es.CodeInvalidEvent, err, "event %q", r.Type)
	}
	return s.Parse(raw)
}

// Stored is the stored-event view of a recorded event (spec §2 rule 16):
// stream identity (stream type and id from the metadata the builder
// writes, else the whole stream id), version tracking, taxonomy (defaulted
// when absent), correlation and the recording time in epoch milliseconds.
// The free-form Meta holds the rest of Metadata.Extra.
func Stored(r es.Recorded) Event[json.RawMessage] {
	extra := r.Metadata.Extra
	streamType, streamID := extra[ExtraStreamType], string(r.StreamID)
	if streamType != "" {
		streamID = strings.TrimPrefix(streamID, streamType+"-")
	}
	e := Event[json.RawMessage]{
		EnhancedMetadata: EnhancedMetadata{
			Metadata: Metadata{
				EventID: r.Metadata.EventID, EventType: r.Type, StreamType: streamType, StreamID: streamID,
				Version: int64(r.StreamVersion), GlobalPosition: int64(r.Position), Timestamp: r.RecordedAt.UnixMilli(),
				CorrelationID: r.Metadata.CorrelationID, CausationID: r.Metadata.CausationID,
				BoundedContext: extra[ExtraBoundedContext],
			},
			Category:      NormalizeCategory(r.Metadata.Category),
			SchemaVersion: NormalizeSchemaVersion(r.Metadata.SchemaVersion),
		},
		Payload: r.Data,
	}
	for k, v := range extra {
		switch k {
		case ExtraStreamType, ExtraBoundedContext:
			continue
		}
		if e.Meta == nil {
			e.Meta = map[string]any{}
		}
		e.Meta[k] = v
	}
	return e
}

// OccurredAt returns the build time Data.Event wrote into an event's
// metadata; ok is false when it is absent or malformed.
func OccurredAt(m es.Metadata) (t time.Time, ok bool) {
	s, ok := m.Extra[ExtraOccurredAt]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
