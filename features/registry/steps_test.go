package registry_test

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/naming"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

type world struct {
	reg     *registry.Registry
	err     error
	valid   registry.ValidationResult
	def     registry.Registration
	naming  naming.Validation
	created bool
}

func state(ctx context.Context) *world {
	w := steps.WorldFrom(ctx)
	s, ok := w.Scenario["registry"].(*world)
	if !ok {
		s = &world{reg: registry.New(registry.WithClock(w.Clock))}
		w.Scenario["registry"] = s
	}
	return s
}

func nop(context.Context, *command.HandlerContext) (command.HandlerResult, error) {
	return command.Success(nil, 0), nil
}

type createOrder struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Quantity   int    `json:"quantity"`
}

func (c createOrder) Validate() []registry.FieldError {
	var out []registry.FieldError
	if c.OrderID == "" {
		out = append(out, registry.FieldError{Path: "orderId", Code: "required", Message: "orderId is required"})
	}
	if c.CustomerID == "" {
		out = append(out, registry.FieldError{Path: "customerId", Code: "required", Message: "customerId is required"})
	}
	return out
}

func names(in []registry.Info) string {
	var out []string
	for _, i := range in {
		out = append(out, i.CommandType)
	}
	return strings.Join(out, ", ")
}

func register(s *steps.Suite) {
	s.Step(`^the command "([^"]*)" is registered in context "([^"]*)"(?: with category "([^"]*)")?(?: tagged "([^"]*)")?$`, func(ctx context.Context, typ, bc, cat, tag string) error {
		w := state(ctx)
		reg := registry.Registration{Meta: registry.Metadata{CommandType: typ, BoundedContext: bc, Category: command.Category(cat)},
			Handler: nop, Args: registry.Schema[createOrder]()}
		if tag != "" {
			reg.Meta.Tags = []string{tag}
		}
		w.err = w.reg.Register(reg)
		return nil
	})
	s.Given(`^the registry enforces the naming policy$`, func(ctx context.Context) error {
		w := steps.WorldFrom(ctx)
		state(ctx).reg = registry.New(registry.WithClock(w.Clock), registry.WithNamingPolicy())
		return nil
	})
	s.When(`^the command "([^"]*)" is unregistered$`, func(ctx context.Context, typ string) error {
		w := state(ctx)
		w.created = w.reg.Unregister(typ)
		return nil
	})
	s.When(`^the payload (.*) is validated for "([^"]*)"$`, func(ctx context.Context, payload, typ string) error {
		state(ctx).valid = state(ctx).reg.Validate(typ, json.RawMessage(payload))
		return nil
	})
	s.When(`^an aggregate command "([^"]*)" on "([^"]*)" with id field "([^"]*)" is defined in context "([^"]*)"$`, func(ctx context.Context, typ, agg, field, bc string) error {
		w := state(ctx)
		w.def, w.err = registry.DefineAggregate(w.reg, registry.AggregateDef{CommandType: typ, BoundedContext: bc, TargetAggregate: agg,
			AggregateIDField: field, Handler: nop, Projection: &registry.Route{Name: "summary"}})
		return nil
	})
	s.When(`^a system command "([^"]*)" of subsystem "([^"]*)" is defined in context "([^"]*)"( with a projection)?$`, func(ctx context.Context, typ, sub, bc, proj string) error {
		w := state(ctx)
		d := registry.SystemDef{CommandType: typ, BoundedContext: bc, Subsystem: sub, Handler: nop}
		if proj != "" {
			d.Projection = &registry.Route{Name: "ops"}
		}
		w.def, w.err = registry.DefineSystem(w.reg, d)
		return nil
	})
	s.When(`^the name "([^"]*)" is checked$`, func(ctx context.Context, name string) error {
		state(ctx).naming = naming.Validate(name)
		return nil
	})

	s.Then(`^the registration should succeed$`, func(ctx context.Context) error {
		if err := state(ctx).err; err != nil {
			return fmt.Errorf("registration failed: %v", err)
		}
		return nil
	})
	s.Then(`^the registration should fail with "(.*)"$`, func(ctx context.Context, msg string) error {
		err := state(ctx).err
		if err == nil || !strings.Contains(err.Error(), msg) {
			return fmt.Errorf("expected an error containing %q, got %v", msg, err)
		}
		return nil
	})
	s.Then(`^the registry should (not )?have "([^"]*)"$`, func(ctx context.Context, not, typ string) error {
		if state(ctx).reg.Has(typ) == (not != "") {
			return fmt.Errorf("Has(%s) = %v", typ, !(not != ""))
		}
		return nil
	})
	s.Then(`^unregistering should have (succeeded|found nothing)$`, func(ctx context.Context, how string) error {
		if state(ctx).created != (how == "succeeded") {
			return fmt.Errorf("Unregister returned %v", state(ctx).created)
		}
		return nil
	})
	s.Then(`^the registry should list "([^"]*)"$`, func(ctx context.Context, want string) error {
		if got := names(state(ctx).reg.List()); got != want {
			return fmt.Errorf("List() = %q, want %q", got, want)
		}
		return nil
	})
	s.Then(`^the commands of context "([^"]*)" should be "([^"]*)"$`, func(ctx context.Context, bc, want string) error {
		if got := names(state(ctx).reg.ListByContext(bc)); got != want {
			return fmt.Errorf("ListByContext(%s) = %q, want %q", bc, got, want)
		}
		return nil
	})
	s.Then(`^the commands of category "([^"]*)" should be "([^"]*)"$`, func(ctx context.Context, cat, want string) error {
		if got := names(state(ctx).reg.ListByCategory(command.Category(cat))); got != want {
			return fmt.Errorf("ListByCategory(%s) = %q, want %q", cat, got, want)
		}
		return nil
	})
	s.Then(`^the commands tagged "([^"]*)" should be "([^"]*)"$`, func(ctx context.Context, tag, want string) error {
		if got := names(state(ctx).reg.ListByTag(tag)); got != want {
			return fmt.Errorf("ListByTag(%s) = %q, want %q", tag, got, want)
		}
		return nil
	})
	s.Then(`^the registry should hold (\d+) commands?$`, func(ctx context.Context, n int) error {
		if got := state(ctx).reg.Size(); got != n {
			return fmt.Errorf("Size() = %d, want %d", got, n)
		}
		return nil
	})
	s.Then(`^the validation should succeed$`, func(ctx context.Context) error {
		if v := state(ctx).valid; !v.Valid {
			return fmt.Errorf("expected valid, got %+v", v.Errors)
		}
		return nil
	})
	s.Then(`^the validation errors should be:$`, func(ctx context.Context, t *godog.Table) error {
		v := state(ctx).valid
		rows := steps.Rows(t)[1:]
		if v.Valid || len(v.Errors) != len(rows) {
			return fmt.Errorf("expected %d errors, got %+v (valid %v)", len(rows), v.Errors, v.Valid)
		}
		for i, r := range rows {
			e := v.Errors[i]
			if e.Path != r[0] || e.Code != r[1] || e.Message != r[2] {
				return fmt.Errorf("error %d: expected %v, got %+v", i+1, r, e)
			}
		}
		return nil
	})
	s.Then(`^the definition should have category "([^"]*)"$`, func(ctx context.Context, cat string) error {
		w := state(ctx)
		if w.err != nil || string(w.def.Meta.Category) != cat {
			return fmt.Errorf("definition %+v (error %v)", w.def.Meta, w.err)
		}
		return nil
	})
	s.Then(`^the partition of (\{.*\}) should be "([^"]*)"$`, func(ctx context.Context, payload, want string) error {
		w := state(ctx)
		var m map[string]any
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			return err
		}
		route := registry.Route{Name: "x"}
		if w.def.Projection != nil {
			route = *w.def.Projection
		}
		p := w.def.PartitionFor(route, m)
		if got := p.Name + "=" + p.Value; got != want {
			return fmt.Errorf("partition %s, want %s", got, want)
		}
		return nil
	})
	s.Then(`^the name should be (valid|invalid)$`, func(ctx context.Context, how string) error {
		if v := state(ctx).naming; v.Valid != (how == "valid") {
			return fmt.Errorf("validation %+v", v)
		}
		return nil
	})
	s.Then(`^the matched prefix should be "([^"]*)"$`, func(ctx context.Context, p string) error {
		if got := state(ctx).naming.MatchedPrefix; got != p {
			return fmt.Errorf("matched prefix %q, want %q", got, p)
		}
		return nil
	})
	s.Then(`^the first suggestion should be "([^"]*)"$`, func(ctx context.Context, want string) error {
		v := state(ctx).naming
		if len(v.Suggestions) == 0 || v.Suggestions[0] != want || len(v.Suggestions) > 3 {
			return fmt.Errorf("suggestions %v", v.Suggestions)
		}
		if !strings.Contains(v.Message, "does not follow naming conventions") {
			return fmt.Errorf("message %q", v.Message)
		}
		return nil
	})
	s.Then(`^"([^"]*)" should format as "([^"]*)"$`, func(ctx context.Context, in, want string) error {
		if got := naming.Format(in, ""); got != want {
			return fmt.Errorf("Format(%q) = %q, want %q", in, got, want)
		}
		return nil
	})
}
