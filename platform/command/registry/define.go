package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"unsafe"

	"github.com/eventspec/eventspec/platform/command"
)

// AggregateDef defines a command that targets one aggregate (spec §8 rule 7).
type AggregateDef struct {
	CommandType      string
	BoundedContext   string
	TargetAggregate  string // aggregate type, e.g. "Order"
	AggregateIDField string // payload field holding the aggregate id
	Args             ArgsValidator
	// Decode, when set, validates like Args and hands the decoded
	// arguments to the handler (command.HandlerContext.Args); Args defaults
	// to it.
	Decode        ArgsDecoder
	Handler       command.Handler
	Projection    *Route
	Secondary     []Route
	Saga          *Route
	Failed        *Route
	Description   string
	SchemaVersion int
	Tags          []string
	// NoRegister skips registration (the original's autoRegister: false).
	NoRegister bool
}

// ProcessDef defines a command addressed to a process (spec §8 rule 12).
type ProcessDef struct {
	CommandType    string
	BoundedContext string
	TargetProcess  string
	ProcessIDField string
	Args           ArgsValidator
	// Decode, when set, validates like Args and hands the decoded
	// arguments to the handler (command.HandlerContext.Args); Args defaults
	// to it.
	Decode        ArgsDecoder
	Handler       command.Handler
	Projection    *Route
	Secondary     []Route
	Saga          *Route
	Failed        *Route
	Description   string
	SchemaVersion int
	Tags          []string
	NoRegister    bool
}

// SystemDef defines a system command (spec §8 rule 13).
type SystemDef struct {
	CommandType    string
	BoundedContext string
	Subsystem      string
	Args           ArgsValidator
	// Decode, when set, validates like Args and hands the decoded
	// arguments to the handler (command.HandlerContext.Args); Args defaults
	// to it.
	Decode        ArgsDecoder
	Handler       command.Handler
	Projection    *Route
	Description   string
	SchemaVersion int
	Tags          []string
	NoRegister    bool
}

// FieldString renders payload[field] as a partition value: strings as
// they are, numbers and booleans in their JSON form, "" when absent.
func FieldString(payload map[string]any, field string) string {
	switch v := payload[field].(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

func fieldPartition(field string) func(map[string]any) Partition {
	return func(p map[string]any) Partition { return Partition{Name: field, Value: FieldString(p, field)} }
}

func registerInto(r *Registry, reg Registration, skip bool) (Registration, error) {
	reg = withDecoder(reg)
	if skip {
		return reg, nil
	}
	if r == nil {
		r = Default()
	}
	if err := r.Register(reg); err != nil {
		return reg, err
	}
	got, _ := r.Get(reg.Meta.CommandType)
	return got, nil
}

// DefineAggregate builds an aggregate command's registration — category
// aggregate, target {TargetAggregate, AggregateIDField}, every route
// partitioned by {AggregateIDField, payload[AggregateIDField]} unless it has
// its own — and registers it in r (Default() when r is nil) unless
// NoRegister is set.
func DefineAggregate(r *Registry, d AggregateDef) (Registration, error) {
	target := &command.AggregateTarget{Type: d.TargetAggregate, IDField: d.AggregateIDField}
	if err := target.Validate(); err != nil {
		return Registration{}, err
	}
	reg := Registration{
		Meta: Metadata{CommandType: d.CommandType, BoundedContext: d.BoundedContext, Category: command.CategoryAggregate,
			TargetAggregate: target, Description: d.Description, SchemaVersion: d.SchemaVersion, Tags: d.Tags},
		Args: d.Args, Decode: d.Decode, Handler: d.Handler, Projection: d.Projection, Secondary: d.Secondary, Saga: d.Saga, Failed: d.Failed,
		DefaultPartition: fieldPartition(d.AggregateIDField),
	}
	return registerInto(r, reg, d.NoRegister)
}

// DefineProcess builds a process command's registration — category process,
// TargetProcess set, no aggregate target, routes partitioned by
// {ProcessIDField, payload[ProcessIDField]} — and registers it unless
// NoRegister is set.
func DefineProcess(r *Registry, d ProcessDef) (Registration, error) {
	if d.TargetProcess == "" || d.ProcessIDField == "" {
		return Registration{}, command.ValidationError(command.CodeValidation,
			fmt.Sprintf("command %q: target process and process id field are required", d.CommandType), nil)
	}
	reg := Registration{
		Meta: Metadata{CommandType: d.CommandType, BoundedContext: d.BoundedContext, Category: command.CategoryProcess,
			TargetProcess: d.TargetProcess, ProcessIDField: d.ProcessIDField, Description: d.Description,
			SchemaVersion: d.SchemaVersion, Tags: d.Tags},
		Args: d.Args, Decode: d.Decode, Handler: d.Handler, Projection: d.Projection, Secondary: d.Secondary, Saga: d.Saga, Failed: d.Failed,
		DefaultPartition: fieldPartition(d.ProcessIDField),
	}
	return registerInto(r, reg, d.NoRegister)
}

// DefineSystem builds a system command's registration — category system,
// Subsystem set, routes partitioned by {"system", CommandType} — and
// registers it only when a projection is given and NoRegister is not set
// (spec §8 rule 13).
func DefineSystem(r *Registry, d SystemDef) (Registration, error) {
	typ := d.CommandType
	reg := Registration{
		Meta: Metadata{CommandType: d.CommandType, BoundedContext: d.BoundedContext, Category: command.CategorySystem,
			Subsystem: d.Subsystem, Description: d.Description, SchemaVersion: d.SchemaVersion, Tags: d.Tags},
		Args: d.Args, Decode: d.Decode, Handler: d.Handler, Projection: d.Projection,
		DefaultPartition: func(map[string]any) Partition { return Partition{Name: "system", Value: typ} },
	}
	if reg.Meta.SchemaVersion == 0 {
		reg.Meta.SchemaVersion = 1
	}
	return registerInto(r, reg, d.NoRegister || d.Projection == nil)
}

// Validatable is implemented by payload types that check themselves.
type Validatable interface {
	Validate() []FieldError
}

// Schema returns an ArgsValidator that decodes the payload into a P
// (unknown fields are tolerated) and, when P implements Validatable, runs
// its Validate. A payload that does not decode yields one error naming the
// field and the expected type (code "invalid_type"), or {path "", code
// "invalid_json"}.
func Schema[P any]() ArgsValidator { return SchemaDecoder[P]().Validator() }

// SchemaDecoder is Schema that also returns the decoded P (after its
// Validate) as the arguments: set it as a definition's Decode so the
// payload is decoded once, by the validator, and the handler receives the
// value in command.HandlerContext.Args.
//
// Flat objects into structs of scalar fields take a fast path (see
// fastdecode.go) that gives the same value as encoding/json; every other
// payload, and every payload that does not decode, goes through
// json.Unmarshal.
func SchemaDecoder[P any]() ArgsDecoder {
	plan := newFastPlan(reflect.TypeFor[P]())
	// Whether a P can validate itself is known from its type, except for
	// an interface type, whose dynamic value decides (checked per call).
	t := reflect.TypeFor[P]()
	validates := t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(reflect.TypeFor[Validatable]())
	// A value-receiver Validate runs on the boxed arguments themselves, so
	// validating costs no allocation beyond the box the caller gets.
	valueValidates := t.Kind() != reflect.Interface && t.Implements(reflect.TypeFor[Validatable]())
	return func(payload json.RawMessage) (json.RawMessage, any, []FieldError) {
		// p stays off the heap (reflect.NewAt does not make it escape, and
		// the fallback decodes into a P of its own), so the arguments cost
		// one allocation: boxing them on return.
		var p P
		if plan == nil || !plan.decode(payload, reflect.NewAt(t, unsafe.Pointer(&p)).Elem()) {
			if onFallback != nil {
				onFallback()
			}
			q := new(P)
			if errs := unmarshalArgs(payload, q); errs != nil {
				return nil, nil, errs
			}
			p = *q
		}
		if !validates {
			return payload, p, nil
		}
		if valueValidates {
			boxed := any(p)
			if errs := boxed.(Validatable).Validate(); len(errs) > 0 {
				return nil, nil, errs
			}
			return payload, boxed, nil
		}
		pv := new(P) // Validate may have a pointer receiver
		*pv = p
		if v, ok := any(pv).(Validatable); ok {
			if errs := v.Validate(); len(errs) > 0 {
				return nil, nil, errs
			}
		} else if v, ok := any(*pv).(Validatable); ok {
			if errs := v.Validate(); len(errs) > 0 {
				return nil, nil, errs
			}
		}
		return payload, *pv, nil
	}
}

// unmarshalArgs decodes payload into p with json.Unmarshal (an empty or
// blank payload as null), mapping a failure to SchemaDecoder's field errors.
func unmarshalArgs[P any](payload json.RawMessage, p *P) []FieldError {
	raw := payload
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("null")
	}
	if err := json.Unmarshal(raw, p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return []FieldError{{Path: te.Field, Code: "invalid_type",
				Message: fmt.Sprintf("expected %s, received %s", te.Type, te.Value)}}
		}
		return []FieldError{{Path: "", Code: "invalid_json", Message: err.Error()}}
	}
	return nil
}

// ArgsDecoder is an ArgsValidator that also returns the arguments it
// decoded (nil when it has no decoded form).
type ArgsDecoder func(payload json.RawMessage) (data json.RawMessage, args any, errs []FieldError)

// Validator returns d as an ArgsValidator (the decoded arguments dropped).
func (d ArgsDecoder) Validator() ArgsValidator {
	return func(payload json.RawMessage) (json.RawMessage, []FieldError) {
		data, _, errs := d(payload)
		return data, errs
	}
}

// withDecoder fills reg.Args from reg.Decode when only Decode is set.
func withDecoder(reg Registration) Registration {
	if reg.Args == nil && reg.Decode != nil {
		reg.Args = reg.Decode.Validator()
	}
	return reg
}
