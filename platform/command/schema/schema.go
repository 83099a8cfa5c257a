// Package schema holds the command schemas of spec §9: the command
// metadata and envelope checks (ParseMetadata, New), the category
// factories (Aggregate, Process, System, Batch) whose schemas fix and
// default the command's category and add their category's fields,
// CategoryOf (getCommandCategoryFromSchema), and the command result
// schemas (ParseSuccessResult, ParseRejectedResult, ParseConflictResult,
// ParseErrorResult and the union ParseResult).
//
// Schemas check the command's wire form, a flat JSON object:
//
//	{"commandId", "commandType", "correlationId", "userId"?, "timestamp",
//	 "targetContext", "payload", "category"?, …category fields}
//
// with the timestamp in epoch milliseconds. Payloads are checked with a
// registry.ArgsValidator (registry.Schema[P] by default), the validator
// the command registry uses. Every problem is reported at once in a
// *field.Error with code VALIDATION_ERROR, each issue naming its field.
package schema

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/event/field"
)

// Metadata is the metadata every command carries (CommandMetadataSchema).
type Metadata struct {
	CommandID     string `json:"commandId"`
	CommandType   string `json:"commandType"`
	CorrelationID string `json:"correlationId"`
	UserID        string `json:"userId,omitempty"`
	// Timestamp is epoch milliseconds, an integer > 0.
	Timestamp int64 `json:"timestamp"`
}

// EnhancedMetadata is Metadata with the command's category (default
// aggregate) (EnhancedCommandMetadataSchema).
type EnhancedMetadata struct {
	Metadata
	Category command.Category `json:"category"`
}

func errOf(o *field.Object, what string) error { return o.Err(es.Code(command.CodeValidation), what) }

// readMetadata reads Metadata; commandType is checked separately so that
// a schema can require its literal.
func readMetadata(o *field.Object) Metadata {
	return Metadata{
		CommandID:     o.String("commandId", true),
		CorrelationID: o.String("correlationId", true),
		UserID:        o.String("userId", false),
		Timestamp:     o.Int("timestamp", 1, 0, true),
	}
}

// ParseMetadata checks command metadata: commandId, commandType and
// correlationId are required non-empty strings, userId is optional, and
// timestamp is an integer > 0 (1234.56, -1000 and 0 are invalid).
func ParseMetadata(raw []byte) (Metadata, error) {
	o := field.Decode(raw, "")
	m := readMetadata(o)
	m.CommandType = o.String("commandType", true)
	if err := errOf(o, "command metadata"); err != nil {
		return Metadata{}, err
	}
	return m, nil
}

// ParseEnhancedMetadata is ParseMetadata plus an optional category that
// must be one of the four and defaults to aggregate.
func ParseEnhancedMetadata(raw []byte) (EnhancedMetadata, error) {
	o := field.Decode(raw, "")
	m := EnhancedMetadata{Metadata: readMetadata(o)}
	m.CommandType = o.String("commandType", true)
	m.Category = command.Category(o.Enum("category", categoryNames(), string(command.DefaultCategory), false))
	if err := errOf(o, "command metadata"); err != nil {
		return EnhancedMetadata{}, err
	}
	return m, nil
}

func categoryNames() []string {
	cs := command.Categories()
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// IsCategory reports whether v is a string (or command.Category) naming one
// of the four command categories; nil, numbers and other types are not.
func IsCategory(v any) bool {
	_, ok := asCategory(v)
	return ok
}

// NormalizeCategory returns v as a category when it names one, else
// aggregate. It extends command.NormalizeCategory to values of any type.
func NormalizeCategory(v any) command.Category {
	if c, ok := asCategory(v); ok {
		return c
	}
	return command.DefaultCategory
}

func asCategory(v any) (command.Category, bool) {
	switch s := v.(type) {
	case string:
		return command.ParseCategory(s)
	case command.Category:
		return command.ParseCategory(string(s))
	}
	return "", false
}

// BatchConfig configures a batch command.
type BatchConfig struct {
	// MaxItems bounds the items of the batch; 0 means no bound.
	MaxItems int `json:"maxItems,omitempty"`
	// ContinueOnError runs the remaining items after one fails.
	ContinueOnError bool `json:"continueOnError"`
}

// BatchPayload is a batch command's payload: its items.
type BatchPayload[I any] struct {
	Items []I `json:"items"`
}

// Command is a parsed command: metadata, target context, the payload
// decoded into a P, and the fields of its category. Category is "" for a
// schema made by New.
type Command[P any] struct {
	Metadata
	TargetContext string           `json:"targetContext"`
	Payload       P                `json:"payload"`
	Category      command.Category `json:"category,omitempty"`
	// AggregateTarget: aggregate commands (nil when neither given nor
	// configured).
	AggregateTarget *command.AggregateTarget `json:"aggregateTarget,omitempty"`
	// ProcessType: process commands ("" when neither given nor configured).
	ProcessType string `json:"processType,omitempty"`
	// RequiresIdempotency: system commands.
	RequiresIdempotency bool `json:"requiresIdempotency,omitempty"`
	// BatchConfig: batch commands (nil when neither given nor configured).
	BatchConfig *BatchConfig `json:"batchConfig,omitempty"`
}

// Envelope returns the command as the envelope the orchestrator runs:
// id, type, target context, payload as JSON, correlation id, user id and
// timestamp.
func (c Command[P]) Envelope() (command.Command, error) {
	raw, err := json.Marshal(c.Payload)
	if err != nil {
		return command.Command{}, es.Errorf(es.CodeInvalidArgument, "command %q: payload does not encode as JSON: %v", c.CommandType, err)
	}
	return command.Command{
		ID: c.CommandID, Type: c.CommandType, TargetContext: c.TargetContext, Payload: raw,
		Metadata: command.Metadata{CorrelationID: c.CorrelationID, UserID: c.UserID, Timestamp: time.UnixMilli(c.Timestamp).UTC()},
	}, nil
}

// Schema checks one command type. Build it with New, NewWith, Aggregate,
// Process, System or Batch; the zero Schema accepts nothing.
type Schema[P any] struct {
	commandType string
	category    command.Category
	payload     registry.ArgsValidator
	// item validates each batch item (batch schemas only).
	item registry.ArgsValidator
	// category defaults
	target              *command.AggregateTarget
	processType         string
	requiresIdempotency bool
	batch               *BatchConfig
}

// New is createCommandSchema: commandType must equal typ, targetContext
// and payload are required, and the payload is checked by
// registry.Schema[P] (it must decode into a P — wrong field types are
// invalid, extra fields tolerated — and pass P's Validate when it has one).
func New[P any](typ string) Schema[P] { return NewWith[P](typ, registry.Schema[P]()) }

// NewWith is New with a payload validator of the caller's choice (nil
// accepts any payload that decodes into a P).
func NewWith[P any](typ string, payload registry.ArgsValidator) Schema[P] {
	return Schema[P]{commandType: typ, payload: payload}
}

// AggregateConfig configures Aggregate.
type AggregateConfig struct {
	// Target is the default aggregate target of parsed commands.
	Target *command.AggregateTarget
	// Payload validates the payload; nil means registry.Schema[P].
	Payload registry.ArgsValidator
}

// Aggregate is createAggregateCommandSchema: New plus category fixed to
// aggregate (absent means aggregate, anything else is invalid) and an
// optional aggregateTarget {type, idField} (both non-empty), defaulted to
// cfg.Target.
func Aggregate[P any](typ string, cfg AggregateConfig) Schema[P] {
	s := withCategory[P](typ, command.CategoryAggregate, cfg.Payload)
	s.target = cfg.Target
	return s
}

// ProcessConfig configures Process.
type ProcessConfig struct {
	// ProcessType is the default process type of parsed commands.
	ProcessType string
	Payload     registry.ArgsValidator
}

// Process is createProcessCommandSchema: category process and an optional
// processType string, defaulted to cfg.ProcessType.
func Process[P any](typ string, cfg ProcessConfig) Schema[P] {
	s := withCategory[P](typ, command.CategoryProcess, cfg.Payload)
	s.processType = cfg.ProcessType
	return s
}

// SystemConfig configures System.
type SystemConfig struct {
	// RequiresIdempotency is the default of parsed commands (false unless
	// set).
	RequiresIdempotency bool
	Payload             registry.ArgsValidator
}

// System is createSystemCommandSchema: category system and a
// requiresIdempotency boolean, defaulted to cfg.RequiresIdempotency.
func System[P any](typ string, cfg SystemConfig) Schema[P] {
	s := withCategory[P](typ, command.CategorySystem, cfg.Payload)
	s.requiresIdempotency = cfg.RequiresIdempotency
	return s
}

// BatchSchemaConfig configures Batch.
type BatchSchemaConfig struct {
	// Config is the default batch config of parsed commands (nil: none).
	Config *BatchConfig
	// Item validates each item; nil means registry.Schema[I].
	Item registry.ArgsValidator
}

// Batch is createBatchCommandSchema: category batch, a payload {items: []}
// whose every item is checked (an empty list is valid), and an optional
// batchConfig {maxItems (integer > 0)?, continueOnError (default false)},
// defaulted to cfg.Config. A batch with more items than its maxItems is
// invalid.
func Batch[I any](typ string, cfg BatchSchemaConfig) Schema[BatchPayload[I]] {
	s := withCategory[BatchPayload[I]](typ, command.CategoryBatch, func(raw json.RawMessage) (json.RawMessage, []registry.FieldError) {
		return raw, nil // items are checked one by one in Parse
	})
	s.item = cfg.Item
	if s.item == nil {
		s.item = registry.Schema[I]()
	}
	s.batch = cfg.Config
	return s
}

func withCategory[P any](typ string, c command.Category, payload registry.ArgsValidator) Schema[P] {
	if payload == nil {
		payload = registry.Schema[P]()
	}
	return Schema[P]{commandType: typ, category: c, payload: payload}
}

// CommandType is the command type the schema accepts.
func (s Schema[P]) CommandType() string { return s.commandType }

// Category is the category the schema fixes; "" for New and NewWith.
func (s Schema[P]) Category() command.Category { return s.category }

// Validate checks a payload alone; it is a registry.ArgsValidator, so a
// schema can be a registration's Args. Paths are relative to the payload.
func (s Schema[P]) Validate(payload json.RawMessage) (json.RawMessage, []registry.FieldError) {
	o := field.Decode([]byte(`{}`), "")
	s.checkPayload(o, payload)
	if is := o.Issues(); len(is) > 0 {
		out := make([]registry.FieldError, len(is))
		for i, x := range is {
			path := strings.TrimPrefix(strings.TrimPrefix(x.Path, "payload"), ".")
			out[i] = registry.FieldError{Path: path, Code: x.Code, Message: x.Message}
		}
		return nil, out
	}
	return payload, nil
}

// Categorized is implemented by schemas that record a command category.
type Categorized interface {
	Category() command.Category
}

// CategoryOf is getCommandCategoryFromSchema: the category a factory
// recorded in schema, or ("", false) for anything else — a schema made by
// New, a string, a number, a plain map.
func CategoryOf(schema any) (command.Category, bool) {
	c, ok := schema.(Categorized)
	if !ok || !c.Category().Valid() {
		return "", false
	}
	return c.Category(), true
}

func (s Schema[P]) what() string { return fmt.Sprintf("command %q", s.commandType) }

// Parse checks raw, a command in wire form, and decodes its payload into
// a P, applying the schema's defaults. Every problem is reported in one
// *field.Error with code VALIDATION_ERROR.
func (s Schema[P]) Parse(raw []byte) (Command[P], error) {
	o := field.Decode(raw, "")
	c := Command[P]{Metadata: readMetadata(o)}
	c.CommandType = o.Literal("commandType", s.commandType, true)
	c.TargetContext = o.String("targetContext", true)
	if s.category != "" {
		c.Category = command.Category(o.Literal("category", string(s.category), false))
	}
	switch s.category {
	case command.CategoryAggregate:
		c.AggregateTarget = s.target
		if t, ok := o.Sub("aggregateTarget", false); ok {
			c.AggregateTarget = &command.AggregateTarget{Type: t.String("type", true), IDField: t.String("idField", true)}
		} else if s.target != nil {
			if err := s.target.Validate(); err != nil {
				o.Add("aggregateTarget", field.CodeCustom, "configured target: "+err.Error())
			}
		}
	case command.CategoryProcess:
		c.ProcessType = s.processType
		if o.Has("processType") {
			c.ProcessType = o.String("processType", false)
		}
	case command.CategorySystem:
		c.RequiresIdempotency = o.Bool("requiresIdempotency", s.requiresIdempotency, false)
	case command.CategoryBatch:
		c.BatchConfig = s.batch
		if b, ok := o.Sub("batchConfig", false); ok {
			c.BatchConfig = &BatchConfig{
				MaxItems:        int(b.Int("maxItems", 1, 0, false)),
				ContinueOnError: b.Bool("continueOnError", false, false),
			}
		}
	}
	if p, ok := o.Raw("payload", true); ok {
		if s.checkPayload(o, p) {
			if err := json.Unmarshal(p, &c.Payload); err != nil {
				o.Add("payload", field.CodeInvalidType, err.Error())
			}
		}
	}
	if s.category == command.CategoryBatch && c.BatchConfig != nil && c.BatchConfig.MaxItems > 0 {
		if items, ok := o.Sub("payload", false); ok {
			if list, ok := items.Array("items", false); ok && len(list) > c.BatchConfig.MaxItems {
				items.Add("items", field.CodeTooBig, fmt.Sprintf("has %d items; batchConfig.maxItems is %d", len(list), c.BatchConfig.MaxItems))
			}
		}
	}
	if err := errOf(o, s.what()); err != nil {
		return Command[P]{}, err
	}
	return c, nil
}

// checkPayload runs the payload checks, recording issues under
// "payload"; it reports whether the payload passed.
func (s Schema[P]) checkPayload(o *field.Object, raw json.RawMessage) bool {
	before := len(o.Issues())
	if s.item != nil {
		p := field.Decode(raw, "")
		items, _ := p.Array("items", true)
		for i, it := range items {
			if _, errs := s.item(it); len(errs) > 0 {
				p.AddIssues(fmt.Sprintf("items.%d", i), fieldIssues(errs))
			}
		}
		o.AddIssues("payload", p.Issues())
		return len(o.Issues()) == before
	}
	if s.payload == nil {
		o.Add("payload", field.CodeCustom, "schema has no payload validator")
		return false
	}
	if _, errs := s.payload(raw); len(errs) > 0 {
		o.AddIssues("payload", fieldIssues(errs))
		return false
	}
	return true
}

func fieldIssues(errs []registry.FieldError) []field.Issue {
	out := make([]field.Issue, len(errs))
	for i, e := range errs {
		out[i] = field.Issue{Path: e.Path, Code: e.Code, Message: e.Message}
	}
	return out
}

var _ registry.ArgsValidator = Schema[struct{}]{}.Validate
