// Package event is the event taxonomy, the event builder and the event
// schemas of spec §2.
//
// Taxonomy: every event has a Category — domain (the default), integration,
// trigger or fat — and a schema version (default 1). ParseCategory,
// IsCategory, NormalizeCategory and NormalizeSchemaVersion validate and
// default them; Category.IsExternal and Category.IsCrossContext classify
// them.
//
// Builder: a Builder takes its ids from an injected es.IDs and its time from
// an es.Clock. Builder.New makes event data with the id
// "<boundedContext>_event_<id>"; NewWithID keeps a given id and infers the
// bounded context from it. Data.Event turns the data into an es.Event whose
// metadata carries the event id, correlation and causation ids, category
// and schema version, plus the stream type, bounded context and build time
// in Metadata.Extra (keys ExtraStreamType, ExtraBoundedContext,
// ExtraOccurredAt). Stored turns a recorded event back into that view.
//
// Schemas: ParseMetadata and ParseEnhancedMetadata check stored-event
// metadata; a Schema[P] (New, DomainSchema, IntegrationSchema,
// TriggerSchema, FatSchema) checks a whole typed event — its literal type,
// category, schema version and payload — and decodes the payload into a P.
// A Registry holds schemas per type and version and checks es.Events
// before they are appended. ParseDomainEvent and
// ParseEnhancedDomainEvent accept any payload; ParseNewEventInput and
// ParseAppendResult check the append input and the four append outcomes.
// Problems are *field.Error values with code INVALID_EVENT listing every
// issue with its field path.
package event
