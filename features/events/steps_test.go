package events_test

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/features/internal/jsondoc"
	"github.com/eventspec/eventspec/platform/event"
	"github.com/eventspec/eventspec/platform/event/field"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

// parser parses one whole event (or metadata) document.
type parser func(raw []byte) (any, error)

type world struct {
	input  event.Input
	data   event.Data
	parse  parser
	typ    string // the schema's event type, the default eventType of parsed events
	parsed any
	err    error
}

func state(ctx context.Context) *world {
	w := steps.WorldFrom(ctx)
	s, ok := w.Scenario["events"].(*world)
	if !ok {
		s = &world{input: event.Input{EventType: "OrderSubmitted", StreamType: "Order", StreamID: "ord_1", BoundedContext: "orders",
			Payload: map[string]any{"orderId": "ord_1"}, CorrelationID: "corr_1", CausationID: "cmd_1"}}
		w.Scenario["events"] = s
	}
	return s
}

// payloadDecoder checks a payload against "name:type, …" where type is
// string (non-empty), number, positive, integer, array, object or boolean,
// and a dotted name walks nested objects. Every field is required.
func payloadDecoder(spec string) event.Decoder[map[string]any] {
	return func(raw json.RawMessage) (map[string]any, error) {
		var p map[string]any
		if err := json.Unmarshal(raw, &p); err != nil || p == nil {
			return nil, &field.Error{ErrCode: es.CodeInvalidEvent, What: "payload", Issues: []field.Issue{{Code: field.CodeInvalidType, Message: "expected object"}}}
		}
		var issues []field.Issue
		for _, f := range strings.Split(spec, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			name, typ, ok := strings.Cut(f, ":")
			if !ok {
				typ = "string"
			}
			if msg := checkValue(jsondoc.Lookup(p, name), typ); msg != "" {
				issues = append(issues, field.Issue{Path: name, Code: field.CodeCustom, Message: msg})
			}
		}
		if len(issues) > 0 {
			return nil, &field.Error{ErrCode: es.CodeInvalidEvent, What: "payload", Issues: issues}
		}
		return p, nil
	}
}

func checkValue(v any, typ string) string {
	if v == nil {
		return "Required"
	}
	ok := false
	switch typ {
	case "string":
		s, isStr := v.(string)
		ok = isStr && s != ""
	case "number":
		_, ok = v.(float64)
	case "positive":
		n, isNum := v.(float64)
		ok = isNum && n > 0
	case "integer":
		n, isNum := v.(float64)
		ok = isNum && n == float64(int64(n))
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	case "boolean":
		_, ok = v.(bool)
	}
	if !ok {
		return fmt.Sprintf("expected %s, received %v", typ, v)
	}
	return ""
}

// baseEvent is a valid stored event of type typ, as a JSON object.
func baseEvent(typ string) map[string]any {
	return map[string]any{
		"eventId": "orders_event_1", "eventType": typ, "streamType": "Order", "streamId": "ord_1", "version": 1,
		"globalPosition": 5, "timestamp": 1767225600000, "correlationId": "corr_1", "boundedContext": "orders",
	}
}

func (s *world) run(doc map[string]any) {
	raw, _ := json.Marshal(doc)
	s.parsed, s.err = s.parse(raw)
}

func register(s *steps.Suite) {
	registerCategorySteps(s)
	registerBuilderSteps(s)
	registerSchemaSteps(s)
}

func registerCategorySteps(s *steps.Suite) {
	s.Then(`^the event categories in order are "([^"]*)"$`, func(ctx context.Context, want string) error {
		var got []string
		for _, c := range event.Categories() {
			got = append(got, string(c))
		}
		if strings.Join(got, ", ") != want {
			return fmt.Errorf("categories %v", got)
		}
		return nil
	})
	s.Then(`^the default event category is "([^"]*)" and the default schema version is (\d+)$`, func(ctx context.Context, c string, v int) error {
		if string(event.DefaultCategory) != c || event.DefaultSchemaVersion != v {
			return fmt.Errorf("defaults %s %d", event.DefaultCategory, event.DefaultSchemaVersion)
		}
		return nil
	})
	s.Then(`^the value (.+) (is|is not) an event category$`, func(ctx context.Context, v, how string) error {
		if event.IsCategory(jsondoc.Value(v)) != (how == "is") {
			return fmt.Errorf("IsCategory(%s) = %v", v, !(how == "is"))
		}
		if str, ok := jsondoc.Value(v).(string); ok {
			if _, ok := event.ParseCategory(str); ok != (how == "is") {
				return fmt.Errorf("ParseCategory(%q) ok = %v", str, ok)
			}
		}
		return nil
	})
	s.Then(`^the value (.+) normalises to event category "([^"]*)"$`, func(ctx context.Context, v, want string) error {
		if got := event.NormalizeCategory(jsondoc.Value(v)); string(got) != want {
			return fmt.Errorf("NormalizeCategory(%s) = %s", v, got)
		}
		return nil
	})
	s.Then(`^the value (.+) normalises to schema version (\d+)$`, func(ctx context.Context, v string, want int) error {
		in := jsondoc.Value(v)
		if got := event.NormalizeSchemaVersion(in); got != want {
			return fmt.Errorf("NormalizeSchemaVersion(%#v) = %d", in, got)
		}
		return nil
	})
	s.Then(`^category "([^"]*)" (is|is not) (external|cross-context)$`, func(ctx context.Context, c, how, kind string) error {
		cat := event.Category(c)
		got := cat.IsExternal()
		if kind == "cross-context" {
			got = cat.IsCrossContext()
		}
		if got != (how == "is") {
			return fmt.Errorf("%s %s = %v", c, kind, got)
		}
		return nil
	})
}

func registerBuilderSteps(s *steps.Suite) {
	s.Given(`^the event input:$`, func(ctx context.Context, t *godog.Table) error {
		in := &state(ctx).input
		for i, row := range steps.Rows(t) {
			if i == 0 && row[0] == "field" {
				continue
			}
			v := row[1]
			switch row[0] {
			case "eventType":
				in.EventType = v
			case "streamType":
				in.StreamType = v
			case "streamId":
				in.StreamID = v
			case "boundedContext":
				in.BoundedContext = v
			case "payload":
				in.Payload = json.RawMessage(v)
			case "correlationId":
				in.CorrelationID = v
			case "causationId":
				in.CausationID = v
			case "userId":
				in.UserID = v
			case "category":
				in.Category = event.Category(v)
			case "schemaVersion":
				n, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("row %d: schemaVersion %q is not an integer", i+1, v)
				}
				in.SchemaVersion = n
			default:
				return fmt.Errorf("row %d: unknown event input field %q", i+1, row[0])
			}
		}
		return nil
	})
	build := func(ctx context.Context, id string) {
		w := steps.WorldFrom(ctx)
		st := state(ctx)
		b := event.NewBuilder(w.IDs, w.Clock)
		if id == "" {
			st.data, w.LastErr = b.New(st.input)
		} else {
			st.data, w.LastErr = b.NewWithID(id, st.input)
		}
		w.LastResult = st.data
	}
	s.When(`^the event data is built$`, func(ctx context.Context) error { build(ctx, ""); return nil })
	s.When(`^the event data is built with id "([^"]*)"$`, func(ctx context.Context, id string) error { build(ctx, id); return nil })
	s.When(`^event data is built for bounded contexts "([^"]*)"$`, func(ctx context.Context, list string) error {
		w := steps.WorldFrom(ctx)
		st := state(ctx)
		b := event.NewBuilder(w.IDs, w.Clock)
		var ids []string
		for _, bc := range strings.Split(list, ",") {
			in := st.input
			in.BoundedContext = strings.TrimSpace(bc)
			d, err := b.New(in)
			if err != nil {
				return err
			}
			ids = append(ids, d.EventID)
		}
		w.LastResult = strings.Join(ids, ", ")
		return nil
	})
	s.Then(`^the built event ids should be "([^"]*)"$`, func(ctx context.Context, want string) error {
		if got := steps.WorldFrom(ctx).LastResult; got != want {
			return fmt.Errorf("ids %v", got)
		}
		return nil
	})
	s.Then(`^the event data should have:$`, func(ctx context.Context, t *godog.Table) error {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return fmt.Errorf("build failed: %v", w.LastErr)
		}
		d := state(ctx).data
		raw, _ := json.Marshal(d)
		var doc map[string]any
		_ = json.Unmarshal(raw, &doc)
		doc["stream"] = string(d.Stream())
		return expectTable(doc, t)
	})
	s.Then(`^the appended event should have:$`, func(ctx context.Context, t *godog.Table) error {
		w := steps.WorldFrom(ctx)
		if w.LastErr != nil {
			return fmt.Errorf("build failed: %v", w.LastErr)
		}
		raw, _ := json.Marshal(state(ctx).data.Event())
		var doc map[string]any
		_ = json.Unmarshal(raw, &doc)
		return expectTable(doc, t)
	})
	s.Then(`^the event data should have exactly the keys "([^"]*)"$`, func(ctx context.Context, keys string) error {
		raw, _ := json.Marshal(state(ctx).data)
		var doc map[string]json.RawMessage
		_ = json.Unmarshal(raw, &doc)
		var want []string
		for _, k := range strings.Split(keys, ",") {
			k = strings.TrimSpace(k)
			want = append(want, k)
			if _, ok := doc[k]; !ok {
				return fmt.Errorf("%s lacks %q", raw, k)
			}
		}
		if len(doc) != len(want) {
			return fmt.Errorf("%s has %d keys, want %d", raw, len(doc), len(want))
		}
		return nil
	})
	s.When(`^the recorded event is read back at version (\d+) and position (\d+)$`, func(ctx context.Context, v, p int64) error {
		w := steps.WorldFrom(ctx)
		st := state(ctx)
		rec := es.Recorded{Event: st.data.Event(), StreamID: st.data.Stream(), StreamVersion: es.Version(v), Position: es.Position(p), RecordedAt: w.Clock.Now()}
		st.parsed, st.err = event.Stored(rec), nil
		return nil
	})
}

// expectTable compares the | field | value | rows with doc (dotted paths,
// JSON values).
func expectTable(doc map[string]any, t *godog.Table) error {
	for i, row := range steps.Rows(t) {
		if i == 0 && row[0] == "field" {
			continue
		}
		if err := expectPath(doc, row[0], row[1]); err != nil {
			return fmt.Errorf("row %d: %w", i+1, err)
		}
	}
	return nil
}

func expectPath(doc map[string]any, path, want string) error {
	got := jsondoc.Lookup(doc, path)
	if want == "<absent>" {
		if got != nil {
			return fmt.Errorf("%s = %v, want absent", path, got)
		}
		return nil
	}
	if w := jsondoc.Value(want); !reflect.DeepEqual(got, w) {
		gj, _ := json.Marshal(got)
		return fmt.Errorf("%s = %s, want %s", path, gj, want)
	}
	return nil
}

func registerSchemaSteps(s *steps.Suite) {
	s.Given(`^the (metadata|enhanced metadata|domain event|enhanced domain event|new event input|append result) schema$`, func(ctx context.Context, which string) error {
		st := state(ctx)
		st.typ = "OrderCreated"
		switch which {
		case "metadata":
			st.parse = func(raw []byte) (any, error) { return event.ParseMetadata(raw) }
		case "enhanced metadata":
			st.parse = func(raw []byte) (any, error) { return event.ParseEnhancedMetadata(raw) }
		case "domain event":
			st.parse = func(raw []byte) (any, error) { return event.ParseDomainEvent(raw) }
		case "enhanced domain event":
			st.parse = func(raw []byte) (any, error) { return event.ParseEnhancedDomainEvent(raw) }
		case "new event input":
			st.parse = func(raw []byte) (any, error) { return event.ParseNewEventInput(raw) }
		default:
			st.parse = func(raw []byte) (any, error) { return event.ParseAppendResult(raw) }
		}
		return nil
	})
	s.Given(`^the (plain|domain|integration|fat) event schema "([^"]*)"(?: version (\d+))? with payload fields "([^"]*)"$`, func(ctx context.Context, kind, typ, version, fields string) error {
		st := state(ctx)
		v, _ := strconv.Atoi(version)
		dec := payloadDecoder(fields)
		var sc event.Schema[map[string]any]
		switch kind {
		case "plain":
			sc = event.New(typ, dec)
		case "domain":
			sc = event.DomainSchema(typ, v, dec)
		case "integration":
			sc = event.IntegrationSchema(typ, v, dec)
		default:
			sc = event.FatSchema(typ, v, dec)
		}
		st.typ, st.parse = typ, func(raw []byte) (any, error) { return sc.Parse(raw) }
		return nil
	})
	s.Given(`^the trigger event schema "([^"]*)"(?: version (\d+))? for entity id field "([^"]*)"$`, func(ctx context.Context, typ, version, idField string) error {
		st := state(ctx)
		v, _ := strconv.Atoi(version)
		sc := event.TriggerSchema(typ, idField, v)
		st.typ, st.parse = typ, func(raw []byte) (any, error) { return sc.Parse(raw) }
		return nil
	})
	s.When(`^a valid event is parsed$`, func(ctx context.Context) error {
		st := state(ctx)
		st.run(baseEvent(st.typ))
		return nil
	})
	s.When(`^an event is parsed with:$`, func(ctx context.Context, t *godog.Table) error {
		st := state(ctx)
		doc := baseEvent(st.typ)
		if err := jsondoc.Apply(doc, steps.Rows(t)); err != nil {
			return err
		}
		st.run(doc)
		return nil
	})
	s.When(`^a document is parsed with:$`, func(ctx context.Context, t *godog.Table) error {
		st := state(ctx)
		doc := map[string]any{}
		if err := jsondoc.Apply(doc, steps.Rows(t)); err != nil {
			return err
		}
		st.run(doc)
		return nil
	})
	s.When(`^this document is parsed:$`, func(ctx context.Context, doc *godog.DocString) error {
		st := state(ctx)
		st.parsed, st.err = st.parse([]byte(doc.Content))
		return nil
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
		if es.CodeOf(err) != es.CodeInvalidEvent {
			return fmt.Errorf("code %s", es.CodeOf(err))
		}
		for _, is := range fe.Issues {
			if is.Path == path && (code == "" || is.Code == code) {
				return nil
			}
		}
		return fmt.Errorf("no issue at %q (code %q) in %v", path, code, fe.Issues)
	})
	s.Then(`^the parse should fail with (\d+) issues?$`, func(ctx context.Context, n int) error {
		fe, ok := state(ctx).err.(*field.Error)
		if !ok || len(fe.Issues) != n {
			return fmt.Errorf("expected %d issues, got %v", n, state(ctx).err)
		}
		return nil
	})
	s.Then(`^the parsed (\S+) should be (.+)$`, func(ctx context.Context, path, want string) error {
		st := state(ctx)
		if st.err != nil {
			return fmt.Errorf("parse failed: %v", st.err)
		}
		raw, _ := json.Marshal(st.parsed)
		var doc map[string]any
		_ = json.Unmarshal(raw, &doc)
		return expectPath(doc, path, want)
	})
}
