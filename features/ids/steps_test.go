package ids_test

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/ids"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

// uuidV7 matches a lowercase 36-character UUID with version nibble 7.
var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// rawID is one row of a | kind | input | table, with what the constructor
// of its kind made of it.
type rawID struct {
	kind, input string
	branded     any
	asString    string
}

type world struct {
	src    es.IDs
	raws   []rawID
	id     any      // the branded id under test
	value  any      // an untyped value
	got    []string // generated ids, in order
	want   []string // expected prefixes of got
	parts  ids.Parts
	parsed bool
}

func state(ctx context.Context) *world {
	w := steps.WorldFrom(ctx)
	s, ok := w.Scenario["ids"].(*world)
	if !ok {
		// a UUIDv7 generator on the scenario's virtual clock, which stands
		// still: every id of a scenario is minted in one millisecond
		s = &world{src: es.NewUUIDv7(w.Clock)}
		w.Scenario["ids"] = s
	}
	return s
}

// construct passes s to the constructor of kind and returns the branded id.
func construct(kind, s string) (any, error) {
	switch kind {
	case "CommandId":
		return ids.ParseCommandID(s)
	case "CorrelationId":
		return ids.ParseCorrelationID(s)
	case "CausationId":
		return ids.ParseCausationID(s)
	case "EventId":
		return ids.ParseEventID(s)
	case "StreamId":
		return ids.ParseStreamID(s)
	case "ApprovalId":
		return ids.ParseApprovalID(s)
	case "DecisionId":
		return ids.ParseDecisionID(s)
	case "AgentId":
		return ids.ParseAgentID(s)
	}
	return nil, fmt.Errorf("unknown id kind %q", kind)
}

// goTypes is the Go type each kind's constructor returns.
var goTypes = map[string]reflect.Type{
	"CommandId":     reflect.TypeFor[ids.CommandID](),
	"CorrelationId": reflect.TypeFor[ids.CorrelationID](),
	"CausationId":   reflect.TypeFor[ids.CausationID](),
	"EventId":       reflect.TypeFor[ids.EventID](),
	"StreamId":      reflect.TypeFor[ids.StreamID](),
	"ApprovalId":    reflect.TypeFor[ids.ApprovalID](),
	"DecisionId":    reflect.TypeFor[ids.DecisionID](),
	"AgentId":       reflect.TypeFor[ids.AgentID](),
}

// generate calls the generator a table names: "command", "correlation",
// "event:<context>", "integration event", "approval", "decision",
// "subscription:<agent>" or "lifecycle:<agent>".
func generate(src es.IDs, name string) (string, error) {
	name, arg, _ := strings.Cut(name, ":")
	switch name {
	case "command":
		return string(ids.NewCommandID(src)), nil
	case "correlation":
		return string(ids.NewCorrelationID(src)), nil
	case "event":
		id, err := ids.NewEventID(src, arg)
		return string(id), err
	case "integration event":
		return string(ids.NewIntegrationEventID(src)), nil
	case "approval":
		return string(ids.NewApprovalID(src)), nil
	case "decision":
		return string(ids.NewDecisionID(src)), nil
	case "subscription":
		return ids.NewSubscriptionID(src, ids.AgentID(arg))
	case "lifecycle":
		id, err := ids.NewLifecycleDecisionID(src, ids.AgentID(arg))
		return string(id), err
	}
	return "", fmt.Errorf("unknown generator %q", name)
}

// table returns the rows of t after its header, checking the header.
func table(t *godog.Table, header ...string) ([][]string, error) {
	rows := steps.Rows(t)
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		return nil, fmt.Errorf("want a table with header | %s |", strings.Join(header, " | "))
	}
	return rows[1:], nil
}

func register(s *steps.Suite) {
	registerBrandedSteps(s)
	registerGeneratorSteps(s)
	registerCheckSteps(s)
}

func registerBrandedSteps(s *steps.Suite) {
	s.Given(`^the raw ids:$`, func(ctx context.Context, t *godog.Table) error {
		rows, err := table(t, "kind", "input")
		if err != nil {
			return err
		}
		st := state(ctx)
		for _, r := range rows {
			st.raws = append(st.raws, rawID{kind: r[0], input: r[1]})
		}
		return nil
	})
	s.When(`^each raw id is passed to the constructor of its kind$`, func(ctx context.Context) error {
		st := state(ctx)
		for i, r := range st.raws {
			id, err := construct(r.kind, r.input)
			if err != nil {
				return fmt.Errorf("%s %q: %v", r.kind, r.input, err)
			}
			st.raws[i].branded = id
		}
		return nil
	})
	s.Then(`^each branded id equals its input$`, func(ctx context.Context) error {
		for _, r := range state(ctx).raws {
			if got := reflect.ValueOf(r.branded).String(); got != r.input {
				return fmt.Errorf("%s: branded %q, input %q", r.kind, got, r.input)
			}
		}
		return nil
	})
	s.Then(`^each branded id has the Go type of its kind$`, func(ctx context.Context) error {
		for _, r := range state(ctx).raws {
			if got, want := reflect.TypeOf(r.branded), goTypes[r.kind]; got != want {
				return fmt.Errorf("%s: type %v, want %v", r.kind, got, want)
			}
		}
		return nil
	})
	s.When(`^each branded id is converted to a string$`, func(ctx context.Context) error {
		st := state(ctx)
		for i, r := range st.raws {
			v := reflect.ValueOf(r.branded)
			if v.Kind() != reflect.String {
				return fmt.Errorf("%s: %T is not a string type", r.kind, r.branded)
			}
			st.raws[i].asString = v.Convert(reflect.TypeFor[string]()).Interface().(string)
		}
		return nil
	})
	s.Then(`^each string equals its input$`, func(ctx context.Context) error {
		for _, r := range state(ctx).raws {
			if r.asString != r.input {
				return fmt.Errorf("%s: string %q, input %q", r.kind, r.asString, r.input)
			}
		}
		return nil
	})
	s.When(`^the empty string is passed to the constructor of (\w+)$`, func(ctx context.Context, kind string) error {
		if _, ok := goTypes[kind]; !ok {
			return fmt.Errorf("unknown id kind %q", kind)
		}
		return steps.WorldFrom(ctx).Capture(construct(kind, ""))
	})
	s.Given(`^the CommandId "([^"]*)"$`, func(ctx context.Context, in string) error {
		id, err := ids.ParseCommandID(in)
		state(ctx).id = id
		return err
	})
	s.Then(`^the id lower-cased is "([^"]*)"$`, func(ctx context.Context, want string) error {
		id := state(ctx).id.(ids.CommandID)
		if got := strings.ToLower(string(id)); got != want {
			return fmt.Errorf("lower-cased %q", got)
		}
		return nil
	})
	s.Then(`^the id has the prefix "([^"]*)"$`, func(ctx context.Context, p string) error {
		if id := state(ctx).id.(ids.CommandID); !strings.HasPrefix(string(id), p) {
			return fmt.Errorf("%q does not start with %q", id, p)
		}
		return nil
	})
	s.Then(`^the id is (\d+) bytes long$`, func(ctx context.Context, n int) error {
		if id := state(ctx).id.(ids.CommandID); len(id) != n {
			return fmt.Errorf("%q is %d bytes long", id, len(id))
		}
		return nil
	})
	s.Then(`^these are id strings:$`, func(ctx context.Context, t *godog.Table) error {
		rows, err := table(t, "value")
		if err != nil {
			return err
		}
		for _, r := range rows {
			if !ids.IsValidIDString(r[0]) || !ids.IsValidID(r[0]) {
				return fmt.Errorf("%q is not an id string", r[0])
			}
		}
		return nil
	})
	s.Then(`^"([^"]*)" is not an id string$`, func(ctx context.Context, v string) error {
		if ids.IsValidIDString(v) || ids.IsValidID(v) {
			return fmt.Errorf("%q is an id string", v)
		}
		return nil
	})
	s.Then(`^these JSON values are not ids:$`, func(ctx context.Context, t *godog.Table) error {
		rows, err := table(t, "value")
		if err != nil {
			return err
		}
		for _, r := range rows {
			var v any
			if err := json.Unmarshal([]byte(r[0]), &v); err != nil {
				return fmt.Errorf("%s: %v", r[0], err)
			}
			if ids.IsValidID(v) {
				return fmt.Errorf("IsValidID(%s) = true", r[0])
			}
		}
		return nil
	})
	s.Given(`^the untyped value "([^"]*)"$`, func(ctx context.Context, v string) error {
		state(ctx).value = v
		return nil
	})
	s.When(`^IsValidID accepts the value$`, func(ctx context.Context) error {
		if v := state(ctx).value; !ids.IsValidID(v) {
			return fmt.Errorf("IsValidID(%#v) = false", v)
		}
		return nil
	})
	s.Then(`^the value is a string of at least 1 byte$`, func(ctx context.Context) error {
		v := state(ctx).value
		if str, ok := v.(string); !ok || len(str) < 1 {
			return fmt.Errorf("%#v", v)
		}
		return nil
	})
}

func registerGeneratorSteps(s *steps.Suite) {
	s.Given(`^the ids are sequential$`, func(ctx context.Context) error {
		state(ctx).src = steps.WorldFrom(ctx).IDs
		return nil
	})
	s.When(`^these generators are called:$`, func(ctx context.Context, t *godog.Table) error {
		rows, err := table(t, "generator", "prefix")
		if err != nil {
			return err
		}
		st := state(ctx)
		for _, r := range rows {
			id, err := generate(st.src, r[0])
			if err != nil {
				return fmt.Errorf("generator %s: %v", r[0], err)
			}
			st.got, st.want = append(st.got, id), append(st.want, r[1])
		}
		return nil
	})
	s.When(`^ids are generated for:$`, func(ctx context.Context, t *godog.Table) error {
		rows, err := table(t, "context", "type", "prefix")
		if err != nil {
			return err
		}
		st := state(ctx)
		for _, r := range rows {
			id, err := ids.Generate(st.src, r[0], r[1])
			if err != nil {
				return fmt.Errorf("Generate(%q, %q): %v", r[0], r[1], err)
			}
			st.got, st.want = append(st.got, id), append(st.want, r[2])
		}
		return nil
	})
	s.When(`^an id is generated with context "([^"]*)" and type "([^"]*)"$`, func(ctx context.Context, c, typ string) error {
		st := state(ctx)
		id, err := ids.Generate(st.src, c, typ)
		st.got = append(st.got, id)
		return err
	})
	s.Given(`^an id generated with context "([^"]*)" and type "([^"]*)"$`, func(ctx context.Context, c, typ string) error {
		st := state(ctx)
		id, err := ids.Generate(st.src, c, typ)
		st.got = append(st.got, id)
		return err
	})
	s.When(`^(\d+) ids are generated with context "([^"]*)" and type "([^"]*)"$`, func(ctx context.Context, n int, c, typ string) error {
		st := state(ctx)
		for range n {
			id, err := ids.Generate(st.src, c, typ)
			if err != nil {
				return err
			}
			st.got = append(st.got, id)
		}
		return nil
	})
	s.When(`^(an?|\d+) (command|correlation|integration event) ids? (?:is|are) generated$`, func(ctx context.Context, count, gen string) error {
		n := 1
		if count != "a" && count != "an" {
			n, _ = strconv.Atoi(count)
		}
		st := state(ctx)
		for range n {
			id, err := generate(st.src, gen)
			if err != nil {
				return err
			}
			st.got = append(st.got, id)
		}
		return nil
	})
	s.When(`^(an|\d+) event ids? (?:is|are) generated for context "([^"]*)"$`, func(ctx context.Context, count, c string) error {
		n := 1
		if count != "an" {
			n, _ = strconv.Atoi(count)
		}
		w, st := steps.WorldFrom(ctx), state(ctx)
		for range n {
			id, err := ids.NewEventID(st.src, c)
			if err != nil {
				return w.Capture(id, err)
			}
			st.got = append(st.got, string(id))
		}
		return nil
	})
	s.Given(`^the id "([^"]*)"$`, func(ctx context.Context, id string) error {
		state(ctx).got = append(state(ctx).got, id)
		return nil
	})
	s.When(`^the id is parsed$`, func(ctx context.Context) error {
		st := state(ctx)
		if len(st.got) == 0 {
			return fmt.Errorf("no id to parse")
		}
		st.parts, st.parsed = ids.Parse(st.got[len(st.got)-1])
		return nil
	})
}

// last returns the last generated id.
func (st *world) last() (string, error) {
	if len(st.got) == 0 {
		return "", fmt.Errorf("no id was generated")
	}
	return st.got[len(st.got)-1], nil
}

func registerCheckSteps(s *steps.Suite) {
	s.Then(`^each generated id starts with its prefix$`, func(ctx context.Context) error {
		st := state(ctx)
		if len(st.got) == 0 || len(st.got) != len(st.want) {
			return fmt.Errorf("%d ids for %d prefixes", len(st.got), len(st.want))
		}
		for i, id := range st.got {
			if !strings.HasPrefix(id, st.want[i]) {
				return fmt.Errorf("%q does not start with %q", id, st.want[i])
			}
		}
		return nil
	})
	s.Then(`^each generated id ends with a UUIDv7$`, func(ctx context.Context) error {
		st := state(ctx)
		for i, id := range st.got {
			if rest := strings.TrimPrefix(id, st.want[i]); !uuidV7.MatchString(rest) {
				return fmt.Errorf("%q: %q after the prefix is not a UUIDv7", id, rest)
			}
		}
		return nil
	})
	s.Then(`^without the prefix "([^"]*)" the id is a UUIDv7$`, func(ctx context.Context, p string) error {
		id, err := state(ctx).last()
		if err != nil {
			return err
		}
		rest, ok := strings.CutPrefix(id, p)
		if !ok || !uuidV7.MatchString(rest) {
			return fmt.Errorf("%q is not %q and a UUIDv7", id, p)
		}
		return nil
	})
	s.Then(`^the generated id (matches|starts with|is) "([^"]*)"$`, func(ctx context.Context, how, want string) error {
		id, err := state(ctx).last()
		if err != nil {
			return err
		}
		return check(id, how, want)
	})
	s.Then(`^each of the ids matches "([^"]*)"$`, func(ctx context.Context, pattern string) error {
		st := state(ctx)
		if len(st.got) == 0 {
			return fmt.Errorf("no id was generated")
		}
		for _, id := range st.got {
			if err := check(id, "matches", pattern); err != nil {
				return err
			}
		}
		return nil
	})
	s.Then(`^the uuid part of the generated id matches "([^"]*)"$`, func(ctx context.Context, pattern string) error {
		id, err := state(ctx).last()
		if err != nil {
			return err
		}
		p, ok := ids.Parse(id)
		if !ok {
			return fmt.Errorf("%q does not parse", id)
		}
		return check(p.UUID, "matches", pattern)
	})
	s.Then(`^the (\d+) ids are distinct$`, func(ctx context.Context, n int) error {
		st := state(ctx)
		if len(st.got) != n {
			return fmt.Errorf("%d ids were generated, not %d", len(st.got), n)
		}
		seen := map[string]bool{}
		for _, id := range st.got {
			if seen[id] {
				return fmt.Errorf("%q was generated twice", id)
			}
			seen[id] = true
		}
		return nil
	})
	s.Then(`^the (\d+) ids are in lexicographic order$`, func(ctx context.Context, n int) error {
		st := state(ctx)
		if len(st.got) != n {
			return fmt.Errorf("%d ids were generated, not %d", len(st.got), n)
		}
		for i := 1; i < n; i++ {
			if st.got[i] <= st.got[i-1] {
				return fmt.Errorf("id %d %q does not sort after id %d %q", i+1, st.got[i], i, st.got[i-1])
			}
		}
		return nil
	})
	s.Then(`^generating an id fails for:$`, func(ctx context.Context, t *godog.Table) error {
		rows, err := table(t, "context", "type", "error")
		if err != nil {
			return err
		}
		for _, r := range rows {
			id, err := ids.Generate(state(ctx).src, r[0], r[1])
			if err := failure(id, err)(r[2]); err != nil {
				return fmt.Errorf("Generate(%q, %q): %v", r[0], r[1], err)
			}
		}
		return nil
	})
	s.Then(`^generating an id with a (\d+)-character (context|type) fails with "([^"]*)"$`, func(ctx context.Context, n int, part, msg string) error {
		c, typ := "orders", "order"
		if part == "context" {
			c = strings.Repeat("c", n)
		} else {
			typ = strings.Repeat("t", n)
		}
		return failure(ids.Generate(state(ctx).src, c, typ))(msg)
	})
	s.Then(`^generating an id with a (\d+)-character context and type succeeds$`, func(ctx context.Context, n int) error {
		c, typ := strings.Repeat("c", n), strings.Repeat("t", n)
		id, err := ids.Generate(state(ctx).src, c, typ)
		if err != nil {
			return err
		}
		return check(id, "starts with", c+"_"+typ+"_")
	})
	s.Then(`^the parts are:$`, func(ctx context.Context, t *godog.Table) error {
		rows, err := table(t, "field", "value")
		if err != nil {
			return err
		}
		st := state(ctx)
		if !st.parsed {
			return fmt.Errorf("the id has no parts")
		}
		got := map[string]string{"context": st.parts.Context, "type": st.parts.Type, "uuid": st.parts.UUID}
		if len(rows) != len(got) {
			return fmt.Errorf("want rows for all of context, type and uuid")
		}
		for _, r := range rows {
			v, ok := got[r[0]]
			if !ok {
				return fmt.Errorf("unknown field %q", r[0])
			}
			if v != r[1] {
				return fmt.Errorf("%s is %q, want %q", r[0], v, r[1])
			}
		}
		return nil
	})
	s.Then(`^the parsed (context|type|uuid) (is|matches) "([^"]*)"$`, func(ctx context.Context, field, how, want string) error {
		st := state(ctx)
		if !st.parsed {
			return fmt.Errorf("the id has no parts")
		}
		v := map[string]string{"context": st.parts.Context, "type": st.parts.Type, "uuid": st.parts.UUID}[field]
		return check(v, how, want)
	})
	s.Then(`^these ids have no parts:$`, func(ctx context.Context, t *godog.Table) error {
		rows, err := table(t, "input")
		if err != nil {
			return err
		}
		for _, r := range rows {
			if p, ok := ids.Parse(r[0]); ok {
				return fmt.Errorf("Parse(%q) = %+v", r[0], p)
			}
		}
		return nil
	})
}

// check compares s with want: equal ("is"), prefix ("starts with") or
// regular expression ("matches").
func check(s, how, want string) error {
	switch how {
	case "is":
		if s != want {
			return fmt.Errorf("%q, want %q", s, want)
		}
	case "starts with":
		if !strings.HasPrefix(s, want) {
			return fmt.Errorf("%q does not start with %q", s, want)
		}
	case "matches":
		re, err := regexp.Compile(want)
		if err != nil {
			return err
		}
		if !re.MatchString(s) {
			return fmt.Errorf("%q does not match %s", s, want)
		}
	default:
		return fmt.Errorf("unknown comparison %q", how)
	}
	return nil
}

// failure returns a check that Generate's result (id, err) is a failure
// with code INVALID_ARGUMENT whose message contains msg and no id.
func failure(id string, err error) func(msg string) error {
	return func(msg string) error {
		switch {
		case err == nil:
			return fmt.Errorf("minted %q, want an error containing %q", id, msg)
		case id != "":
			return fmt.Errorf("returned %q along with error %v", id, err)
		case es.CodeOf(err) != es.CodeInvalidArgument:
			return fmt.Errorf("error code %q, want INVALID_ARGUMENT: %v", es.CodeOf(err), err)
		case !strings.Contains(err.Error(), msg):
			return fmt.Errorf("error %q does not contain %q", err, msg)
		}
		return nil
	}
}
