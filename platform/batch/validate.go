// Package batch executes many commands (spec §13): atomically against one
// aggregate — one after another, stopping at the first non-success — or as
// independent best-effort items in chunks of bounded concurrency, after a
// pre-flight validation of the whole batch. "Atomic" means stop-on-first-
// failure, not one database transaction: every item is a normal command
// with its own unit of work and its own command-log record.
package batch

import (
	"encoding/json"
	"fmt"

	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
)

// Mode is how a batch runs.
type Mode string

// Batch modes.
const (
	// Atomic runs items in order and stops at the first item that does not
	// succeed; the rest are skipped. All items must target one aggregate.
	Atomic Mode = "atomic"
	// Partial runs items independently in chunks of MaxConcurrency.
	Partial Mode = "partial"
)

// Defaults.
const (
	DefaultMaxBatchSize   = 100
	DefaultMaxConcurrency = 10
)

// Validation error codes.
const (
	CodeEmptyBatch           = "EMPTY_BATCH"
	CodeBatchTooLarge        = "BATCH_TOO_LARGE"
	CodeMissingAggregateID   = "MISSING_AGGREGATE_ID"
	CodeCrossAggregateAtomic = "CROSS_AGGREGATE_ATOMIC"
	CodeUnregisteredCommand  = "UNREGISTERED_COMMAND"
	CodeWrongBoundedContext  = "WRONG_BOUNDED_CONTEXT"
	CodeWrongCategory        = "WRONG_CATEGORY"
	// CodeInvalidMode: Options.Mode is neither atomic nor partial.
	CodeInvalidMode = "INVALID_BATCH_MODE"
)

// Options shape a batch.
type Options struct {
	// Mode is Atomic or Partial (empty: Partial).
	Mode Mode
	// AggregateID and AggregateIDField pin an atomic batch to one aggregate.
	AggregateID      string
	AggregateIDField string
	// MaxBatchSize bounds the batch (0: DefaultMaxBatchSize).
	MaxBatchSize int
	// MaxConcurrency bounds a partial chunk (0: DefaultMaxConcurrency).
	MaxConcurrency int
	// StopOnError stops a partial batch after the first chunk with a
	// non-success (the original's continueOnError: false).
	StopOnError bool
	// CorrelationID is the batch's correlation id (empty: generated); a
	// command's own correlation id wins.
	CorrelationID string
	// BoundedContext restricts the batch to one context (empty: the
	// runner's default).
	BoundedContext string
}

// ValidationError is one problem found by Validate.
type ValidationError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// CommandIndex is the index of the offending command, when there is one.
	CommandIndex *int           `json:"commandIndex,omitempty"`
	Context      map[string]any `json:"context,omitempty"`
}

// ValidationResult is the outcome of Validate.
type ValidationResult struct {
	Valid  bool              `json:"valid"`
	Errors []ValidationError `json:"errors,omitempty"`
}

func at(i int) *int { return &i }

// payloadMap decodes a command's payload as an object (nil when it is not).
func payloadMap(cmd command.Command) map[string]any {
	var m map[string]any
	if json.Unmarshal(cmd.Payload, &m) != nil {
		return nil
	}
	return m
}

// ExtractAggregateID returns the string in cmd's payload field, if it is a
// non-empty string.
func ExtractAggregateID(cmd command.Command, field string) (string, bool) {
	s, ok := payloadMap(cmd)[field].(string)
	return s, ok && s != ""
}

// NoIDGroup is the group of commands without an aggregate id.
const NoIDGroup = "__no_id__"

// GroupByAggregateID groups commands by the id in field, keeping input
// order inside each group; commands without one go under NoIDGroup.
func GroupByAggregateID(cmds []command.Command, field string) map[string][]command.Command {
	out := map[string][]command.Command{}
	for _, c := range cmds {
		id, ok := ExtractAggregateID(c, field)
		if !ok {
			id = NoIDGroup
		}
		out[id] = append(out[id], c)
	}
	return out
}

func (o Options) maxBatch() int {
	if o.MaxBatchSize > 0 {
		return o.MaxBatchSize
	}
	return DefaultMaxBatchSize
}

func (o Options) mode() Mode {
	if o.Mode == "" {
		return Partial
	}
	return o.Mode
}

// Validate checks a batch before it runs. The empty and size checks come
// first and end the validation. Without lookup only atomic batches are
// constrained (one aggregate id in AggregateIDField, equal to
// AggregateID). With lookup every command must be registered, in
// BoundedContext when set, and of category aggregate in atomic mode; an
// atomic batch must then target one aggregate, given explicitly or
// inferred from the first command.
func Validate(cmds []command.Command, opts Options, lookup registry.Lookup) ValidationResult {
	fail := func(errs ...ValidationError) ValidationResult { return ValidationResult{Errors: errs} }
	if len(cmds) == 0 {
		return fail(ValidationError{Code: CodeEmptyBatch, Message: "Batch must contain at least one command"})
	}
	if max := opts.maxBatch(); len(cmds) > max {
		return fail(ValidationError{Code: CodeBatchTooLarge, Message: fmt.Sprintf("Batch size %d exceeds maximum of %d", len(cmds), max),
			Context: map[string]any{"maxBatchSize": max, "actualSize": len(cmds)}})
	}
	mode := opts.mode()
	if mode != Atomic && mode != Partial {
		return fail(ValidationError{Code: CodeInvalidMode, Message: fmt.Sprintf("Unknown batch mode %q (atomic or partial)", mode)})
	}
	if lookup == nil {
		if mode == Partial {
			return ValidationResult{Valid: true}
		}
		if opts.AggregateID == "" {
			return fail(ValidationError{Code: CodeMissingAggregateID, Message: "Atomic batch requires aggregateId"})
		}
		if opts.AggregateIDField == "" {
			return fail(ValidationError{Code: CodeMissingAggregateID, Message: "Atomic batch requires aggregateIdField"})
		}
		return done(crossCheck(cmds, func(int) string { return opts.AggregateIDField }, opts.AggregateID, nil))
	}

	var errs []ValidationError
	regs := make([]registry.Registration, len(cmds))
	for i, c := range cmds {
		reg, ok := lookup.Get(c.Type)
		if !ok {
			errs = append(errs, ValidationError{Code: CodeUnregisteredCommand, Message: fmt.Sprintf("Command %q is not registered", c.Type), CommandIndex: at(i)})
			continue
		}
		regs[i] = reg
		if opts.BoundedContext != "" && reg.Meta.BoundedContext != opts.BoundedContext {
			errs = append(errs, ValidationError{Code: CodeWrongBoundedContext, CommandIndex: at(i),
				Message: fmt.Sprintf("Command %q belongs to context %q, not %q", c.Type, reg.Meta.BoundedContext, opts.BoundedContext),
				Context: map[string]any{"expected": opts.BoundedContext, "actual": reg.Meta.BoundedContext}})
		}
		if mode == Atomic && reg.Meta.Category != command.CategoryAggregate {
			errs = append(errs, ValidationError{Code: CodeWrongCategory, CommandIndex: at(i),
				Message: fmt.Sprintf("Atomic batch requires aggregate commands; %q is %s", c.Type, reg.Meta.Category)})
		}
	}
	if len(errs) > 0 || mode == Partial {
		return done(errs)
	}

	if opts.AggregateID != "" {
		field := opts.AggregateIDField
		if field == "" && regs[0].Meta.TargetAggregate != nil {
			field = regs[0].Meta.TargetAggregate.IDField
		}
		if field == "" {
			return fail(ValidationError{Code: CodeMissingAggregateID, Message: "Atomic batch requires aggregateIdField or a registered aggregate target"})
		}
		return done(crossCheck(cmds, func(int) string { return field }, opts.AggregateID, nil))
	}
	first := regs[0].Meta.TargetAggregate
	if first == nil {
		return fail(ValidationError{Code: CodeMissingAggregateID, CommandIndex: at(0), Message: fmt.Sprintf("Command %q has no aggregate target to infer the aggregate from", cmds[0].Type)})
	}
	expected, ok := ExtractAggregateID(cmds[0], first.IDField)
	if !ok {
		return fail(ValidationError{Code: CodeMissingAggregateID, CommandIndex: at(0), Message: fmt.Sprintf("Command 0 has no string %s", first.IDField)})
	}
	return done(crossCheck(cmds, func(i int) string {
		if t := regs[i].Meta.TargetAggregate; t != nil {
			return t.IDField
		}
		return first.IDField
	}, expected, func(i int) *ValidationError {
		if t := regs[i].Meta.TargetAggregate; t == nil || t.Type != first.Type {
			typ := ""
			if t != nil {
				typ = t.Type
			}
			return &ValidationError{Code: CodeCrossAggregateAtomic, CommandIndex: at(i),
				Message: fmt.Sprintf("Command %d targets aggregate type %q, not %q", i, typ, first.Type),
				Context: map[string]any{"expected": first.Type, "actual": typ, "field": "aggregateType"}}
		}
		return nil
	}))
}

// crossCheck requires every command's id (in field(i)) to equal expected.
func crossCheck(cmds []command.Command, field func(int) string, expected string, extra func(int) *ValidationError) []ValidationError {
	var errs []ValidationError
	for i, c := range cmds {
		if extra != nil {
			if e := extra(i); e != nil {
				errs = append(errs, *e)
				continue
			}
		}
		f := field(i)
		actual, _ := payloadMap(c)[f].(string)
		if actual != expected {
			errs = append(errs, ValidationError{Code: CodeCrossAggregateAtomic, CommandIndex: at(i),
				Message: fmt.Sprintf("Command %d targets %s %q, not %q: an atomic batch targets one aggregate", i, f, actual, expected),
				Context: map[string]any{"expected": expected, "actual": actual, "field": f}})
		}
	}
	return errs
}

func done(errs []ValidationError) ValidationResult {
	return ValidationResult{Valid: len(errs) == 0, Errors: errs}
}
