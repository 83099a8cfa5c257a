// Package registry is the command registry (spec §8): a catalogue of command
// definitions — metadata, an argument validator, the handler and the
// follow-up routes — used for validation, introspection, category lookup
// and by the orchestrator to find a command's handler. DefineAggregate,
// DefineProcess and DefineSystem build definitions with less boilerplate.
//
// There is no hidden global: create a Registry with New and pass it where it
// is needed. Default returns a process-wide instance for convenience.
package registry

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/naming"
)

// Job pools follow-up work is enqueued on (spec §7, ADR-016).
const (
	PoolProjection = "projection"
	PoolFanout     = "fanout"
	PoolSaga       = "saga"
)

// Metadata describes a command type.
type Metadata struct {
	CommandType     string                   `json:"commandType"`
	BoundedContext  string                   `json:"boundedContext"`
	Category        command.Category         `json:"category"`
	TargetAggregate *command.AggregateTarget `json:"targetAggregate,omitempty"`
	TargetProcess   string                   `json:"targetProcess,omitempty"`
	ProcessIDField  string                   `json:"processIdField,omitempty"`
	Subsystem       string                   `json:"subsystem,omitempty"`
	Description     string                   `json:"description,omitempty"`
	SchemaVersion   int                      `json:"schemaVersion"`
	Tags            []string                 `json:"tags"`
}

// FieldError is one problem with a command's arguments.
type FieldError struct {
	// Path is the dot-joined path of the field ("" for the whole payload).
	Path    string `json:"path"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

// ArgsValidator checks a command's payload. It returns the (possibly
// normalised) payload, or the problems found.
type ArgsValidator func(payload json.RawMessage) (json.RawMessage, []FieldError)

// Partition is the structured partition key of a follow-up job.
type Partition struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Route sends a command's outcome to follow-up work: a job enqueued in the
// command's unit of work, run later by the engine's handler for its kind.
type Route struct {
	// Name names the projection (or saga router), e.g. "orderSummary".
	Name string
	// Kind is the job kind the engine runs; empty: "projection.<Name>"
	// (or "saga.<Name>" for a saga route).
	Kind string
	// Partition returns the route's partition key from the command payload;
	// nil: the definition's default partition.
	Partition func(payload map[string]any) Partition
}

// Registration is a registered command definition.
type Registration struct {
	Meta Metadata
	// Args validates the payload before anything else runs; nil accepts
	// every payload.
	Args ArgsValidator
	// Decode, when set, is the validator that also returns the decoded
	// arguments: the orchestrator validates with it instead of Args and
	// passes the arguments to the handler (command.HandlerContext.Args).
	// The Define helpers and Register set Args to it when Args is nil.
	Decode ArgsDecoder
	// Handler decides the command.
	Handler command.Handler
	// Projection, Secondary, Failed and Saga are follow-up routes: the
	// primary projection (projection pool, on success), secondary
	// projections (fan-out pool, on success), the failed projection
	// (projection pool, on business failure) and the saga router (saga pool,
	// on success).
	Projection *Route
	Secondary  []Route
	Failed     *Route
	Saga       *Route
	// DefaultPartition is the partition of routes without their own; nil:
	// {name: "command", value: the command type}.
	DefaultPartition func(payload map[string]any) Partition
	// RegisteredAt is set by Register when zero.
	RegisteredAt time.Time
}

// PartitionFor returns route r's partition key for payload.
func (reg Registration) PartitionFor(r Route, payload map[string]any) Partition {
	switch {
	case r.Partition != nil:
		return r.Partition(payload)
	case reg.DefaultPartition != nil:
		return reg.DefaultPartition(payload)
	}
	return Partition{Name: "command", Value: reg.Meta.CommandType}
}

// Info summarises a registration for introspection (spec §8 rule 5).
type Info struct {
	CommandType             string           `json:"commandType"`
	BoundedContext          string           `json:"boundedContext"`
	Category                command.Category `json:"category"`
	TargetAggregate         string           `json:"targetAggregate,omitempty"`
	TargetProcess           string           `json:"targetProcess,omitempty"`
	Description             string           `json:"description,omitempty"`
	SchemaVersion           int              `json:"schemaVersion"`
	Tags                    []string         `json:"tags"`
	HasProjection           bool             `json:"hasProjection"`
	HasSecondaryProjections bool             `json:"hasSecondaryProjections"`
	HasSagaRoute            bool             `json:"hasSagaRoute"`
	HasFailedProjection     bool             `json:"hasFailedProjection"`
}

// ValidationResult is the outcome of Registry.Validate.
type ValidationResult struct {
	Valid  bool            `json:"valid"`
	Data   json.RawMessage `json:"data,omitempty"`
	Errors []FieldError    `json:"errors,omitempty"`
}

// Lookup finds registrations by command type. *Registry implements it; the
// orchestrator and the batch executor depend on this interface only.
type Lookup interface {
	Get(commandType string) (Registration, bool)
}

// Option configures a Registry.
type Option func(*Registry)

// WithClock stamps RegisteredAt from c (default es.RealClock).
func WithClock(c es.Clock) Option { return func(r *Registry) { r.clock = c } }

// WithNamingPolicy makes Register refuse command types that break the
// naming policy (package naming), with the policy's message.
func WithNamingPolicy() Option { return func(r *Registry) { r.naming = true } }

// Registry holds command registrations in registration order. It is safe
// for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	byType map[string]Registration
	order  []string
	clock  es.Clock
	naming bool
}

// New returns an empty registry.
func New(opts ...Option) *Registry {
	r := &Registry{byType: map[string]Registration{}, clock: es.RealClock{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

var (
	defaultMu  sync.Mutex
	defaultReg *Registry
)

// Default returns the process-wide registry, creating it on first use.
// Prefer passing a Registry made with New.
func Default() *Registry {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultReg == nil {
		defaultReg = New()
	}
	return defaultReg
}

// ResetDefaultForTesting discards the process-wide registry; the next
// Default call returns a new, empty one.
func ResetDefaultForTesting() {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	defaultReg = nil
}

// Register adds reg. Errors: a duplicate command type — `Duplicate command
// registration: "<type>" is already registered in context "<bc>"` — and
// invalid metadata (empty type or context, unknown category, invalid
// aggregate target, missing handler, a name against the naming policy when
// enabled). Defaults: category aggregate, schema version 1, tags [],
// RegisteredAt now.
func (r *Registry) Register(reg Registration) error {
	reg = withDecoder(reg)
	m := &reg.Meta
	if err := es.ValidateName(es.CodeInvalidArgument, "command type", m.CommandType); err != nil {
		return err
	}
	if m.BoundedContext == "" {
		return command.ValidationError(command.CodeValidation, fmt.Sprintf("command %q: bounded context is empty", m.CommandType), nil)
	}
	if m.Category == "" {
		m.Category = command.DefaultCategory
	}
	if !m.Category.Valid() {
		return command.ValidationError(command.CodeValidation, fmt.Sprintf("command %q: unknown category %q", m.CommandType, m.Category), nil)
	}
	if m.TargetAggregate != nil {
		if err := m.TargetAggregate.Validate(); err != nil {
			return err
		}
	}
	if reg.Handler == nil {
		return command.ValidationError(command.CodeValidation, fmt.Sprintf("command %q: handler is nil", m.CommandType), nil)
	}
	if r.naming {
		if v := naming.Validate(m.CommandType); !v.Valid {
			return command.ValidationError(command.CodeValidation, v.Message, map[string]any{"suggestions": v.Suggestions})
		}
	}
	if m.SchemaVersion == 0 {
		m.SchemaVersion = 1
	}
	if m.Tags == nil {
		m.Tags = []string{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if existing, ok := r.byType[m.CommandType]; ok {
		return command.ValidationError("DUPLICATE_COMMAND",
			fmt.Sprintf("Duplicate command registration: %q is already registered in context %q", m.CommandType, existing.Meta.BoundedContext),
			map[string]any{"commandType": m.CommandType, "boundedContext": existing.Meta.BoundedContext})
	}
	if reg.RegisteredAt.IsZero() {
		reg.RegisteredAt = r.clock.Now()
	}
	r.byType[m.CommandType] = reg
	r.order = append(r.order, m.CommandType)
	return nil
}

// Unregister removes a command type and reports whether it was registered.
func (r *Registry) Unregister(commandType string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byType[commandType]; !ok {
		return false
	}
	delete(r.byType, commandType)
	r.order = slices.DeleteFunc(r.order, func(s string) bool { return s == commandType })
	return true
}

// Has reports whether commandType is registered.
func (r *Registry) Has(commandType string) bool {
	_, ok := r.Get(commandType)
	return ok
}

// Get returns the registration of commandType.
func (r *Registry) Get(commandType string) (Registration, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	reg, ok := r.byType[commandType]
	return reg, ok
}

// Validate checks payload against commandType's validator. An unknown type
// is invalid with one error {path "", code UNKNOWN_COMMAND, message
// "Unknown command type: <type>"}.
func (r *Registry) Validate(commandType string, payload json.RawMessage) ValidationResult {
	reg, ok := r.Get(commandType)
	if !ok {
		return ValidationResult{Errors: []FieldError{{Path: "", Code: command.CodeUnknownCommand, Message: "Unknown command type: " + commandType}}}
	}
	if reg.Args == nil {
		return ValidationResult{Valid: true, Data: payload}
	}
	data, errs := reg.Args(payload)
	if len(errs) > 0 {
		return ValidationResult{Errors: errs}
	}
	return ValidationResult{Valid: true, Data: data}
}

func (r *Registry) filtered(keep func(Registration) bool) []Info {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []Info{}
	for _, t := range r.order {
		if reg := r.byType[t]; keep(reg) {
			out = append(out, reg.Info())
		}
	}
	return out
}

// Info summarises the registration.
func (reg Registration) Info() Info {
	in := Info{
		CommandType: reg.Meta.CommandType, BoundedContext: reg.Meta.BoundedContext, Category: reg.Meta.Category,
		TargetProcess: reg.Meta.TargetProcess, Description: reg.Meta.Description, SchemaVersion: reg.Meta.SchemaVersion,
		Tags: append([]string{}, reg.Meta.Tags...), HasProjection: reg.Projection != nil,
		HasSecondaryProjections: len(reg.Secondary) > 0, HasSagaRoute: reg.Saga != nil, HasFailedProjection: reg.Failed != nil,
	}
	if reg.Meta.TargetAggregate != nil {
		in.TargetAggregate = reg.Meta.TargetAggregate.Type
	}
	return in
}

// List returns every registration's Info in registration order ([] when
// empty).
func (r *Registry) List() []Info { return r.filtered(func(Registration) bool { return true }) }

// ListByCategory returns the registrations of category c.
func (r *Registry) ListByCategory(c command.Category) []Info {
	return r.filtered(func(reg Registration) bool { return reg.Meta.Category == c })
}

// ListByContext returns the registrations of bounded context bc.
func (r *Registry) ListByContext(bc string) []Info {
	return r.filtered(func(reg Registration) bool { return reg.Meta.BoundedContext == bc })
}

// ListByTag returns the registrations tagged tag.
func (r *Registry) ListByTag(tag string) []Info {
	return r.filtered(func(reg Registration) bool { return slices.Contains(reg.Meta.Tags, tag) })
}

// ByContext returns the registrations of bounded context bc, in order.
func (r *Registry) ByContext(bc string) []Registration {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Registration
	for _, t := range r.order {
		if reg := r.byType[t]; reg.Meta.BoundedContext == bc {
			out = append(out, reg)
		}
	}
	return out
}

// GroupByContext maps each bounded context to its registrations' Infos (an
// empty map when the registry is empty).
func (r *Registry) GroupByContext() map[string][]Info {
	out := map[string][]Info{}
	for _, in := range r.List() {
		out[in.BoundedContext] = append(out[in.BoundedContext], in)
	}
	return out
}

// Size returns the number of registrations.
func (r *Registry) Size() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.order)
}

// Clear removes every registration.
func (r *Registry) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byType = map[string]Registration{}
	r.order = nil
}
