package commandschemas_test

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/features/internal/jsondoc"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/command/schema"
	"github.com/eventspec/eventspec/platform/event/field"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

type payload = map[string]any

// world holds the scenario's schema configuration (built when a document
// is parsed) or a fixed parser, and the last parse.
type world struct {
	kind        string // plain, aggregate, process, system, batch
	typ         string
	fields      string
	target      *command.AggregateTarget
	processType string
	idempotent  bool
	batch       *schema.BatchConfig
	parse       func([]byte) (any, error)
	parsed      any
	err         error
}

func state(ctx context.Context) *world {
	w := steps.WorldFrom(ctx)
	s, ok := w.Scenario["cmdschemas"].(*world)
	if !ok {
		s = &world{}
		w.Scenario["cmdschemas"] = s
	}
	return s
}

// validator checks a payload against "name:type, …" (string = non-empty
// string, number, positive, boolean); every named field is required and
// other fields are tolerated.
func validator(spec string) registry.ArgsValidator {
	return func(raw json.RawMessage) (json.RawMessage, []registry.FieldError) {
		var p map[string]any
		if err := json.Unmarshal(raw, &p); err != nil || p == nil {
			return nil, []registry.FieldError{{Code: "invalid_type", Message: "expected object"}}
		}
		var errs []registry.FieldError
		for _, f := range strings.Split(spec, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			name, typ, ok := strings.Cut(f, ":")
			if !ok {
				typ = "string"
			}
			v, present := p[name]
			if !present || v == nil {
				errs = append(errs, registry.FieldError{Path: name, Code: "required", Message: "Required"})
				continue
			}
			good := false
			switch typ {
			case "string":
				s, isStr := v.(string)
				good = isStr && s != ""
			case "number":
				_, good = v.(float64)
			case "positive":
				n, isNum := v.(float64)
				good = isNum && n > 0
			case "boolean":
				_, good = v.(bool)
			}
			if !good {
				errs = append(errs, registry.FieldError{Path: name, Code: "invalid_type", Message: fmt.Sprintf("expected %s, received %v", typ, v)})
			}
		}
		return raw, errs
	}
}

// schemaValue builds the configured schema.
func (s *world) schemaValue() any {
	v := validator(s.fields)
	switch s.kind {
	case "aggregate":
		return schema.Aggregate[payload](s.typ, schema.AggregateConfig{Target: s.target, Payload: v})
	case "process":
		return schema.Process[payload](s.typ, schema.ProcessConfig{ProcessType: s.processType, Payload: v})
	case "system":
		return schema.System[payload](s.typ, schema.SystemConfig{RequiresIdempotency: s.idempotent, Payload: v})
	case "batch":
		return schema.Batch[payload](s.typ, schema.BatchSchemaConfig{Config: s.batch, Item: v})
	}
	return schema.NewWith[payload](s.typ, v)
}

func (s *world) parser() func([]byte) (any, error) {
	if s.parse != nil {
		return s.parse
	}
	switch sc := s.schemaValue().(type) {
	case schema.Schema[payload]:
		return func(raw []byte) (any, error) { return sc.Parse(raw) }
	case schema.Schema[schema.BatchPayload[payload]]:
		return func(raw []byte) (any, error) { return sc.Parse(raw) }
	}
	return nil
}

func (s *world) run(raw []byte) error {
	p := s.parser()
	if p == nil {
		return fmt.Errorf("no schema: add a Given step naming one")
	}
	s.parsed, s.err = p(raw)
	return nil
}

func (s *world) base() map[string]any {
	return map[string]any{"commandId": "cmd_123", "commandType": s.typ, "correlationId": "corr_456",
		"timestamp": 1767225600000, "targetContext": "orders", "payload": map[string]any{}}
}

func register(s *steps.Suite) {
	registerCategorySteps(s)
	registerSchemaSteps(s)
	registerParseSteps(s)
	for _, r := range extraSteps {
		r(s)
	}
}

func registerCategorySteps(s *steps.Suite) {
	s.Then(`^the command categories in order are "([^"]*)"$`, func(ctx context.Context, want string) error {
		var got []string
		for _, c := range command.Categories() {
			got = append(got, string(c))
		}
		if strings.Join(got, ", ") != want {
			return fmt.Errorf("categories %v", got)
		}
		return nil
	})
	s.Then(`^the default command category is "([^"]*)"$`, func(ctx context.Context, want string) error {
		if string(command.DefaultCategory) != want {
			return fmt.Errorf("default %s", command.DefaultCategory)
		}
		return nil
	})
	s.Then(`^the value (.+) (is|is not) a command category$`, func(ctx context.Context, v, how string) error {
		in := jsondoc.Value(v)
		if schema.IsCategory(in) != (how == "is") {
			return fmt.Errorf("IsCategory(%s) = %v", v, how != "is")
		}
		if str, ok := in.(string); ok {
			if c, ok := command.ParseCategory(str); ok != (how == "is") || (ok && string(c) != str) {
				return fmt.Errorf("ParseCategory(%q) = %q, %v", str, c, ok)
			}
		}
		return nil
	})
	s.Then(`^the value (.+) normalises to command category "([^"]*)"$`, func(ctx context.Context, v, want string) error {
		in := jsondoc.Value(v)
		if got := schema.NormalizeCategory(in); string(got) != want {
			return fmt.Errorf("NormalizeCategory(%s) = %s", v, got)
		}
		if str, ok := in.(string); ok && string(command.NormalizeCategory(str)) != want {
			return fmt.Errorf("command.NormalizeCategory(%q) = %s", str, command.NormalizeCategory(str))
		}
		return nil
	})
	s.Then(`^command category "([^"]*)" is classified as (aggregate|process|system|batch) only$`, func(ctx context.Context, c, kind string) error {
		cat := command.Category(c)
		got := map[string]bool{"aggregate": cat.IsAggregate(), "process": cat.IsProcess(), "system": cat.IsSystem(), "batch": cat.IsBatch()}
		for k, v := range got {
			if v != (k == kind) {
				return fmt.Errorf("classification of %s: %v", c, got)
			}
		}
		return nil
	})
	s.When(`^an aggregate target with type "([^"]*)" and idField "([^"]*)" is checked$`, func(ctx context.Context, typ, idField string) error {
		w := steps.WorldFrom(ctx)
		t := command.AggregateTarget{Type: typ, IDField: idField}
		w.LastResult, w.LastErr = t, t.Validate()
		return nil
	})
}

func registerSchemaSteps(s *steps.Suite) {
	s.Given(`^the (plain|aggregate|process|system) command schema "([^"]*)" with payload fields "([^"]*)"$`, func(ctx context.Context, kind, typ, fields string) error {
		st := state(ctx)
		st.kind, st.typ, st.fields = kind, typ, fields
		return nil
	})
	s.Given(`^the batch command schema "([^"]*)" with item fields "([^"]*)"$`, func(ctx context.Context, typ, fields string) error {
		st := state(ctx)
		st.kind, st.typ, st.fields = "batch", typ, fields
		return nil
	})
	s.Given(`^the schema targets aggregate "([^"]*)" by "([^"]*)"$`, func(ctx context.Context, typ, idField string) error {
		state(ctx).target = &command.AggregateTarget{Type: typ, IDField: idField}
		return nil
	})
	s.Given(`^the schema's process type is "([^"]*)"$`, func(ctx context.Context, pt string) error {
		state(ctx).processType = pt
		return nil
	})
	s.Given(`^the schema requires idempotency$`, func(ctx context.Context) error {
		state(ctx).idempotent = true
		return nil
	})
	s.Given(`^the schema's batch config allows (\d+) items(?: and continues on error)?$`, func(ctx context.Context, n int) error {
		state(ctx).batch = &schema.BatchConfig{MaxItems: n}
		return nil
	})
	s.Given(`^the schema's batch config continues on error with up to (\d+) items$`, func(ctx context.Context, n int) error {
		state(ctx).batch = &schema.BatchConfig{MaxItems: n, ContinueOnError: true}
		return nil
	})
	s.Given(`^the command (metadata|enhanced metadata) schema$`, func(ctx context.Context, which string) error {
		st := state(ctx)
		st.typ = "TestCommand"
		if which == "metadata" {
			st.parse = func(raw []byte) (any, error) { return schema.ParseMetadata(raw) }
		} else {
			st.parse = func(raw []byte) (any, error) { return schema.ParseEnhancedMetadata(raw) }
		}
		return nil
	})
	s.Given(`^the (success|rejected|conflict|error|command) result schema$`, func(ctx context.Context, which string) error {
		st := state(ctx)
		p := map[string]func([]byte) (schema.Result, error){
			"success": schema.ParseSuccessResult, "rejected": schema.ParseRejectedResult, "conflict": schema.ParseConflictResult,
			"error": schema.ParseErrorResult, "command": schema.ParseResult,
		}[which]
		st.parse = func(raw []byte) (any, error) { return p(raw) }
		return nil
	})
	s.Then(`^the configured schema's category should be "([^"]*)"$`, func(ctx context.Context, want string) error {
		c, ok := schema.CategoryOf(state(ctx).schemaValue())
		if !ok || string(c) != want {
			return fmt.Errorf("CategoryOf = %q, %v", c, ok)
		}
		return nil
	})
	s.Then(`^a (string|number|plain map|plain command schema) has no command category$`, func(ctx context.Context, what string) error {
		v := map[string]any{"string": "z.string()", "number": 42, "plain map": map[string]any{"category": "aggregate"},
			"plain command schema": schema.New[payload]("TestCommand")}[what]
		if c, ok := schema.CategoryOf(v); ok {
			return fmt.Errorf("CategoryOf(%v) = %s", v, c)
		}
		return nil
	})
}

func registerParseSteps(s *steps.Suite) {
	s.When(`^a valid command is parsed$`, func(ctx context.Context) error {
		st := state(ctx)
		raw, _ := json.Marshal(st.base())
		return st.run(raw)
	})
	s.When(`^a command is parsed with:$`, func(ctx context.Context, t *godog.Table) error {
		st := state(ctx)
		doc := st.base()
		if err := jsondoc.Apply(doc, steps.Rows(t)); err != nil {
			return err
		}
		raw, _ := json.Marshal(doc)
		return st.run(raw)
	})
	s.When(`^a command is parsed with (\d+) items?$`, func(ctx context.Context, n int) error {
		st := state(ctx)
		doc := st.base()
		items := make([]any, n)
		for i := range items {
			items[i] = map[string]any{"id": fmt.Sprintf("i%d", i+1), "value": i + 1}
		}
		doc["payload"] = map[string]any{"items": items}
		raw, _ := json.Marshal(doc)
		return st.run(raw)
	})
	s.When(`^this document is parsed:$`, func(ctx context.Context, doc *godog.DocString) error {
		return state(ctx).run([]byte(doc.Content))
	})
	s.Then(`^the parse should succeed$`, func(ctx context.Context) error {
		if err := state(ctx).err; err != nil {
			return fmt.Errorf("parse failed: %v", err)
		}
		return nil
	})
	s.Then(`^the parse should fail at "([^"]*)"(?: with code "([^"]*)")?$`, func(ctx context.Context, path, code string) error {
		err := state(ctx).err
		fe, ok := err.(*field.Error)
		if !ok {
			return fmt.Errorf("expected a schema error, got %v", err)
		}
		if es.CodeOf(err) != es.Code(command.CodeValidation) {
			return fmt.Errorf("code %s", es.CodeOf(err))
		}
		for _, is := range fe.Issues {
			if is.Path == path && (code == "" || is.Code == code) {
				return nil
			}
		}
		return fmt.Errorf("no issue at %q (code %q) in %v", path, code, fe.Issues)
	})
	s.Then(`^the parsed (\S+) should be (.+)$`, func(ctx context.Context, path, want string) error {
		st := state(ctx)
		if st.err != nil {
			return fmt.Errorf("parse failed: %v", st.err)
		}
		raw, _ := json.Marshal(st.parsed)
		var doc map[string]any
		_ = json.Unmarshal(raw, &doc)
		got := jsondoc.Lookup(doc, path)
		if want == "<absent>" {
			if got != nil {
				return fmt.Errorf("%s = %v, want absent (in %s)", path, got, raw)
			}
			return nil
		}
		if w := jsondoc.Value(want); !reflect.DeepEqual(got, w) {
			gj, _ := json.Marshal(got)
			return fmt.Errorf("%s = %s, want %s (in %s)", path, gj, want, raw)
		}
		return nil
	})
	s.Then(`^the parsed command has (\d+) items$`, func(ctx context.Context, n int) error {
		st := state(ctx)
		c, ok := st.parsed.(schema.Command[schema.BatchPayload[payload]])
		if st.err != nil || !ok || len(c.Payload.Items) != n {
			return fmt.Errorf("parsed %+v, err %v", st.parsed, st.err)
		}
		return nil
	})
}

func init() { extraSteps = append(extraSteps, registerIdempotencyStep) }

var extraSteps []func(*steps.Suite)

func registerIdempotencyStep(s *steps.Suite) {
	s.Then(`^the parsed command (requires|does not require) idempotency$`, func(ctx context.Context, how string) error {
		st := state(ctx)
		c, ok := st.parsed.(schema.Command[payload])
		if st.err != nil || !ok {
			return fmt.Errorf("parsed %+v, err %v", st.parsed, st.err)
		}
		if c.RequiresIdempotency != (how == "requires") {
			return fmt.Errorf("requiresIdempotency = %v", c.RequiresIdempotency)
		}
		return nil
	})
}
