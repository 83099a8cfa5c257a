package event

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/eventspec/eventspec/es"
)

// PayloadSchema is what a Registry needs of a schema; every Schema[P]
// implements it.
type PayloadSchema interface {
	EventType() string
	Category() Category
	SchemaVersion() int
	CheckPayload(raw json.RawMessage) error
}

// Registry holds the payload schemas of event types per schema version,
// and checks events against them before they are appended. It is safe for
// concurrent use.
type Registry struct {
	mu      sync.RWMutex
	schemas map[string]map[int]PayloadSchema
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{schemas: map[string]map[int]PayloadSchema{}} }

// Register adds s. A schema made by New (no schema version) covers every
// version of its type that has no schema of its own. Registering the same
// type and version twice is INVALID_ARGUMENT.
func (r *Registry) Register(s PayloadSchema) error {
	if err := es.ValidateName(es.CodeInvalidArgument, "event schema type", s.EventType()); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	byVersion := r.schemas[s.EventType()]
	if byVersion == nil {
		byVersion = map[int]PayloadSchema{}
		r.schemas[s.EventType()] = byVersion
	}
	if _, dup := byVersion[s.SchemaVersion()]; dup {
		return es.Errorf(es.CodeInvalidArgument, "event schema %q version %d is already registered", s.EventType(), s.SchemaVersion())
	}
	byVersion[s.SchemaVersion()] = s
	return nil
}

// Versions lists the schema versions registered for typ, ascending (0 is
// a versionless New schema).
func (r *Registry) Versions(typ string) []int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []int
	for v := range r.schemas[typ] {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Check validates e against the schema of its type and schema version (0
// counts as 1): an unregistered type, an unregistered version, a category
// other than the schema's (an empty category counts as domain) and a
// payload the schema refuses are INVALID_EVENT.
func (r *Registry) Check(e es.Event) error {
	version := NormalizeSchemaVersion(e.Metadata.SchemaVersion)
	r.mu.RLock()
	byVersion := r.schemas[e.Type]
	s, ok := byVersion[version]
	if !ok {
		s, ok = byVersion[0]
	}
	r.mu.RUnlock()
	if byVersion == nil {
		return es.Errorf(es.CodeInvalidEvent, "event %q has no registered schema", e.Type)
	}
	if !ok {
		return es.Errorf(es.CodeInvalidEvent, "event %q schema version %d is not registered (registered: %v)", e.Type, version, r.Versions(e.Type))
	}
	if want := s.Category(); want != "" {
		got := Category(e.Metadata.Category)
		if got == "" {
			got = DefaultCategory
		}
		if got != want {
			return es.Errorf(es.CodeInvalidEvent, "event %q has category %q; its schema requires %q", e.Type, got, want)
		}
	}
	if err := s.CheckPayload(e.Data); err != nil {
		return err
	}
	return nil
}

// CheckAll checks every event of events, naming the first that fails by
// its index.
func (r *Registry) CheckAll(events []es.Event) error {
	for i, e := range events {
		if err := r.Check(e); err != nil {
			return es.Wrap(es.CodeOf(err), err, "events[%d]", i)
		}
	}
	return nil
}

var _ PayloadSchema = Schema[struct{}]{}

// String describes the registry for debugging: its types and versions.
func (r *Registry) String() string {
	r.mu.RLock()
	types := make([]string, 0, len(r.schemas))
	for t := range r.schemas {
		types = append(types, t)
	}
	r.mu.RUnlock()
	slices.Sort(types)
	out := "event.Registry{"
	for i, t := range types {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%s%v", t, r.Versions(t))
	}
	return out + "}"
}
