package middleware

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
)

// Names of the built-in middlewares.
const (
	NameStructureValidation = "structureValidation"
	NameRegistryValidation  = "registryValidation"
	NameDomainValidation    = "domainValidation"
	NameAuthorization       = "authorization"
	NameLogging             = "logging"
	NameRateLimit           = "rateLimit"
)

// StructureValidationConfig configures StructureValidation.
type StructureValidationConfig struct {
	// Schemas validate the payload of each command type; types without a
	// schema pass.
	Schemas map[string]registry.ArgsValidator
	// StripUnknown replaces the payload with the payload the schema
	// returns (its parsed, normalised form) for the rest of the pipeline.
	StripUnknown bool
}

// StructureValidation checks command arguments against a schema per
// command type (order 10). Invalid arguments short-circuit with
// VALIDATION_ERROR, reason "Invalid command arguments: <messages joined
// ", ">", context {errors: [{path, message, code}]}.
func StructureValidation(cfg StructureValidationConfig) Middleware {
	return Middleware{Name: NameStructureValidation, Order: OrderStructureValidation,
		Before: validateWith(func(t string) registry.ArgsValidator { return cfg.Schemas[t] }, cfg.StripUnknown)}
}

// RegistryValidation is StructureValidation with the schemas of a command
// registry: each registration's Args validator (order 10). The payload
// becomes the validator's normalised form.
func RegistryValidation(lookup registry.Lookup) Middleware {
	return Middleware{Name: NameRegistryValidation, Order: OrderStructureValidation,
		Before: validateWith(func(t string) registry.ArgsValidator {
			if reg, ok := lookup.Get(t); ok {
				return reg.Args
			}
			return nil
		}, true)}
}

func validateWith(schemaFor func(string) registry.ArgsValidator, replace bool) Before {
	return func(_ context.Context, mc Context) (Context, *command.Result, error) {
		schema := schemaFor(mc.Info.Command.Type)
		if schema == nil {
			return mc, nil, nil
		}
		data, errs := schema(mc.Info.Command.Payload)
		if len(errs) > 0 {
			r := ValidationRejection(errs)
			return mc, &r, nil
		}
		if replace && len(data) > 0 {
			mc.Info.Command.Payload = data
		}
		return mc, nil, nil
	}
}

// ValidationRejection is the VALIDATION_ERROR rejection for errs.
func ValidationRejection(errs []registry.FieldError) command.Result {
	msgs := make([]string, len(errs))
	list := make([]any, len(errs))
	for i, e := range errs {
		msgs[i] = e.Message
		list[i] = map[string]any{"path": e.Path, "message": e.Message, "code": e.Code}
	}
	return rejected(command.CodeValidation, "Invalid command arguments: "+strings.Join(msgs, ", "), map[string]any{"errors": list})
}

// DomainValidator checks a command's arguments against a business rule
// and returns the problem, or "" when there is none. An error means the
// check itself failed (it becomes a MIDDLEWARE_ERROR rejection).
type DomainValidator func(ctx context.Context, args map[string]any) (problem string, err error)

// Args decodes a command payload into a map (nil when it is not a JSON
// object); numbers are float64.
func Args(c command.Command) map[string]any {
	var m map[string]any
	if len(c.Payload) == 0 || json.Unmarshal(c.Payload, &m) != nil {
		return nil
	}
	return m
}

// DomainValidation runs a validator per command type (order 20); a problem
// short-circuits with DOMAIN_VALIDATION_ERROR and the problem as reason.
func DomainValidation(validators map[string]DomainValidator) Middleware {
	return Middleware{Name: NameDomainValidation, Order: OrderDomainValidation,
		Before: func(ctx context.Context, mc Context) (Context, *command.Result, error) {
			v := validators[mc.Info.Command.Type]
			if v == nil {
				return mc, nil, nil
			}
			problem, err := v(ctx, Args(mc.Info.Command))
			if err != nil {
				return mc, nil, err
			}
			if problem != "" {
				r := rejected(command.CodeDomainValidation, problem, nil)
				return mc, &r, nil
			}
			return mc, nil, nil
		}}
}

// CombineDomainValidators runs vs in order and returns the first problem
// (or error).
func CombineDomainValidators(vs ...DomainValidator) DomainValidator {
	return func(ctx context.Context, args map[string]any) (string, error) {
		for _, v := range vs {
			if p, err := v(ctx, args); p != "" || err != nil {
				return p, err
			}
		}
		return "", nil
	}
}

// simple builds a validator from a check on one field: ok reports whether
// the value passes; msg is the default message unless custom is given.
func simple(field string, ok func(v any, present bool) bool, msg string, custom []string) DomainValidator {
	if len(custom) > 0 && custom[0] != "" {
		msg = custom[0]
	}
	return func(_ context.Context, args map[string]any) (string, error) {
		v, present := args[field]
		if ok(v, present) {
			return "", nil
		}
		return msg, nil
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n)
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// RequiredString: the field must be a string with a non-blank value
// ("<field> is required"). An optional message replaces the default.
func RequiredString(field string, message ...string) DomainValidator {
	return simple(field, func(v any, _ bool) bool {
		s, ok := v.(string)
		return ok && strings.TrimSpace(s) != ""
	}, field+" is required", message)
}

// PositiveNumber: the field must be a number > 0 ("<field> must be a
// positive number"); missing or non-numeric values fail.
func PositiveNumber(field string, message ...string) DomainValidator {
	return simple(field, func(v any, _ bool) bool {
		n, ok := number(v)
		return ok && n > 0
	}, field+" must be a positive number", message)
}

// NonNegativeNumber: the field must be a number ≥ 0 ("<field> cannot be
// negative"); missing or non-numeric values fail.
func NonNegativeNumber(field string, message ...string) DomainValidator {
	return simple(field, func(v any, _ bool) bool {
		n, ok := number(v)
		return ok && n >= 0
	}, field+" cannot be negative", message)
}

// NumberRange: the field must be a number within [min, max], bounds
// included ("<field> must be between <min> and <max>").
func NumberRange(field string, min, max float64, message ...string) DomainValidator {
	return simple(field, func(v any, _ bool) bool {
		n, ok := number(v)
		return ok && n >= min && n <= max
	}, fmt.Sprintf("%s must be between %v and %v", field, min, max), message)
}

// MatchesPattern: the field must be a string matching re ("<field> has
// invalid format").
func MatchesPattern(field string, re *regexp.Regexp, message ...string) DomainValidator {
	return simple(field, func(v any, _ bool) bool {
		s, ok := v.(string)
		return ok && re.MatchString(s)
	}, field+" has invalid format", message)
}

// StartsWithPrefix: the field must be a string starting with prefix
// ("<field> must start with '<prefix>'").
func StartsWithPrefix(field, prefix string, message ...string) DomainValidator {
	return simple(field, func(v any, _ bool) bool {
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, prefix)
	}, fmt.Sprintf("%s must start with '%s'", field, prefix), message)
}
