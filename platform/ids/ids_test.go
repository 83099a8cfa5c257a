package ids_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/ids"
)

// v7 matches a lowercase 36-character UUID with version nibble 7.
var v7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// wantErr fails unless err is an *es.Error with code and exactly msg.
func wantErr(t *testing.T, err error, code es.Code, msg string) {
	t.Helper()
	var e *es.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *es.Error %s %q", err, err, code, msg)
	}
	if e.ErrCode != code || e.Message != msg {
		t.Fatalf("error %s %q, want %s %q", e.ErrCode, e.Message, code, msg)
	}
}

func TestParseBranded(t *testing.T) {
	cases := []struct {
		kind  string
		parse func(string) (string, error)
	}{
		{"CommandId", func(s string) (string, error) { id, err := ids.ParseCommandID(s); return string(id), err }},
		{"CorrelationId", func(s string) (string, error) { id, err := ids.ParseCorrelationID(s); return string(id), err }},
		{"CausationId", func(s string) (string, error) { id, err := ids.ParseCausationID(s); return string(id), err }},
		{"EventId", func(s string) (string, error) { id, err := ids.ParseEventID(s); return string(id), err }},
		{"StreamId", func(s string) (string, error) { id, err := ids.ParseStreamID(s); return string(id), err }},
		{"ApprovalId", func(s string) (string, error) { id, err := ids.ParseApprovalID(s); return string(id), err }},
		{"DecisionId", func(s string) (string, error) { id, err := ids.ParseDecisionID(s); return string(id), err }},
		{"AgentId", func(s string) (string, error) { id, err := ids.ParseAgentID(s); return string(id), err }},
	}
	for _, c := range cases {
		for _, in := range []string{"cmd_test123", "Order-123", " ", "a", "x_Y z!"} {
			got, err := c.parse(in)
			if err != nil || got != in {
				t.Errorf("Parse%s(%q) = %q, %v; want the input unchanged", c.kind, in, got, err)
			}
		}
		got, err := c.parse("")
		if got != "" {
			t.Errorf("Parse%s(\"\") = %q with an error, want \"\"", c.kind, got)
		}
		wantErr(t, err, es.CodeInvalidArgument, "Invalid "+c.kind+": must be a non-empty string")
		if !errors.Is(err, es.ErrInvalidArgument) {
			t.Errorf("Parse%s(\"\") error does not match es.ErrInvalidArgument", c.kind)
		}
	}
}

func TestIsValidIDString(t *testing.T) {
	for in, want := range map[string]bool{"cmd_123": true, "a": true, "any-string-value": true, " ": true, "": false} {
		if got := ids.IsValidIDString(in); got != want {
			t.Errorf("IsValidIDString(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsValidID(t *testing.T) {
	type myString string
	for _, c := range []struct {
		v    any
		want bool
	}{
		{"cmd_1", true}, {"", false}, {ids.CommandID("c"), true}, {ids.CommandID(""), false},
		{ids.CorrelationID("c"), true}, {ids.CausationID("c"), true}, {ids.EventID("e"), true},
		{ids.StreamID("s"), true}, {ids.ApprovalID("a"), true}, {ids.DecisionID("d"), true},
		{ids.AgentID("a"), true}, {ids.AgentID(""), false}, {myString("x"), false},
		{nil, false}, {123, false}, {12.5, false}, {true, false},
		{map[string]any{}, false}, {[]any{"x"}, false}, {[]byte("x"), false},
	} {
		if got := ids.IsValidID(c.v); got != c.want {
			t.Errorf("IsValidID(%#v) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	src := es.NewSequentialIDs()
	for _, c := range []struct{ context, typ, want string }{
		{"orders", "order", "orders_order_00000000-0000-7000-8000-000000000001"},
		{"inventory", "product", "inventory_product_00000000-0000-7000-8000-000000000002"},
		{"orders123", "order", "orders123_order_00000000-0000-7000-8000-000000000003"},
		{"orders", "order123", "orders_order123_00000000-0000-7000-8000-000000000004"},
		{"0", "9", "0_9_00000000-0000-7000-8000-000000000005"},
		{strings.Repeat("a", 64), strings.Repeat("z", 64), strings.Repeat("a", 64) + "_" + strings.Repeat("z", 64) + "_00000000-0000-7000-8000-000000000006"},
	} {
		got, err := ids.Generate(src, c.context, c.typ)
		if err != nil || got != c.want {
			t.Errorf("Generate(%q, %q) = %q, %v; want %q", c.context, c.typ, got, err, c.want)
		}
	}
}

func TestGenerateRejects(t *testing.T) {
	long := strings.Repeat("a", 65)
	for _, c := range []struct{ context, typ, msg string }{
		{"", "order", "context cannot be empty"},
		{"orders", "", "type cannot be empty"},
		{"", "", "context cannot be empty"},
		{"orders_context", "order", `Invalid context "orders_context": only lowercase letters and digits are allowed`},
		{"Orders", "order", `Invalid context "Orders": only lowercase letters and digits are allowed`},
		{"orders!", "order", `Invalid context "orders!": only lowercase letters and digits are allowed`},
		{"my orders", "order", `Invalid context "my orders": only lowercase letters and digits are allowed`},
		{"ordérs", "order", `Invalid context "ordérs": only lowercase letters and digits are allowed`},
		{"orders", "order_type", `Invalid type "order_type": only lowercase letters and digits are allowed`},
		{"orders", "Order", `Invalid type "Order": only lowercase letters and digits are allowed`},
		{"Orders", "order_type", `Invalid context "Orders": only lowercase letters and digits are allowed`},
		{long, "order", "context is too long: 65 characters; at most 64"},
		{"orders", long, "type is too long: 65 characters; at most 64"},
		// characters are checked before the length
		{long + "A", "order", `Invalid context "` + long + `A": only lowercase letters and digits are allowed`},
		// a huge part is cut in the message
		{strings.Repeat("A", 1000), "order", `Invalid context "` + strings.Repeat("A", 128) + `"…: only lowercase letters and digits are allowed`},
	} {
		src := es.NewSequentialIDs()
		got, err := ids.Generate(src, c.context, c.typ)
		if got != "" {
			t.Errorf("Generate(%q, %q) = %q with an error, want \"\"", c.context, c.typ, got)
		}
		wantErr(t, err, es.CodeInvalidArgument, c.msg)
		if next := src.NewID(); next != "00000000-0000-7000-8000-000000000001" {
			t.Errorf("Generate(%q, %q) failed but took an id from the source (next is %s)", c.context, c.typ, next)
		}
	}
}

func TestValidatePart(t *testing.T) {
	const code es.Code = "MY_CODE"
	if err := ids.ValidatePart(code, "boundedContext", "orders2"); err != nil {
		t.Fatalf("ValidatePart(orders2) = %v", err)
	}
	wantErr(t, ids.ValidatePart(code, "boundedContext", ""), code, "boundedContext cannot be empty")
	wantErr(t, ids.ValidatePart(code, "boundedContext", "my_bc"), code, `Invalid boundedContext "my_bc": only lowercase letters and digits are allowed`)
	wantErr(t, ids.ValidatePart(code, "boundedContext", strings.Repeat("b", 100)), code, "boundedContext is too long: 100 characters; at most 64")
	for in, want := range map[string]bool{"": false, "a": true, "a1": true, "A": false, "a_b": false, "a-b": false, " a": false, strings.Repeat("x", 64): true, strings.Repeat("x", 65): false} {
		if got := ids.IsValidPart(in); got != want {
			t.Errorf("IsValidPart(%q) = %v, want %v", in, got, want)
		}
		if ok := ids.ValidatePart(code, "p", in) == nil; ok != want {
			t.Errorf("ValidatePart(%q) ok = %v, IsValidPart says %v", in, ok, want)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]ids.Parts{
		"orders_order_0190a7c4-1234-7abc-8def-1234567890ab": {Context: "orders", Type: "order", UUID: "0190a7c4-1234-7abc-8def-1234567890ab"},
		"orders_order_uuid_with_extra_parts":                {Context: "orders", Type: "order", UUID: "uuid_with_extra_parts"},
		"orders_order_":                                     {Context: "orders", Type: "order", UUID: ""},
		"a_b_c":                                             {Context: "a", Type: "b", UUID: "c"},
		"Orders_Order_x":                                    {Context: "Orders", Type: "Order", UUID: "x"},
		"orders_order__":                                    {Context: "orders", Type: "order", UUID: "_"},
	} {
		got, ok := ids.Parse(in)
		if !ok || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, true", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "orders", "orders_order", "_order_uuid", "orders__uuid", "__", "___", "_"} {
		if got, ok := ids.Parse(in); ok || got != (ids.Parts{}) {
			t.Errorf("Parse(%q) = %+v, %v; want no parts", in, got, ok)
		}
	}
}

func TestParseGenerated(t *testing.T) {
	id, err := ids.Generate(es.NewUUIDv7(es.NewVirtualClock(time.Time{})), "inventory", "product")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := ids.Parse(id)
	if !ok || p.Context != "inventory" || p.Type != "product" || !v7.MatchString(p.UUID) {
		t.Fatalf("Parse(%q) = %+v, %v", id, p, ok)
	}
}

func TestGenerators(t *testing.T) {
	src := es.NewSequentialIDs()
	u := func(n string) string { return "00000000-0000-7000-8000-00000000000" + n }
	got := []string{
		string(ids.NewCommandID(src)),
		string(ids.NewCorrelationID(src)),
		string(must(ids.NewEventID(src, "orders"))),
		string(ids.NewIntegrationEventID(src)),
		string(ids.NewApprovalID(src)),
		string(ids.NewDecisionID(src)),
		must(ids.NewSubscriptionID(src, "churn-risk")),
		string(must(ids.NewLifecycleDecisionID(src, "churn-risk"))),
	}
	want := []string{
		"cmd_" + u("1"), "corr_" + u("2"), "orders_event_" + u("3"), "int_evt_" + u("4"),
		"apr_" + u("5"), "dec_" + u("6"), "sub_churn-risk_" + u("7"), "lifecycle_churn-risk_" + u("8"),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("generated\n%q\nwant\n%q", got, want)
	}
}

func TestGeneratorsReject(t *testing.T) {
	src := es.NewSequentialIDs()
	id, err := ids.NewEventID(src, "")
	if id != "" {
		t.Errorf("NewEventID(\"\") = %q", id)
	}
	wantErr(t, err, es.CodeInvalidArgument, "context cannot be empty")
	_, err = ids.NewEventID(src, "Orders")
	wantErr(t, err, es.CodeInvalidArgument, `Invalid context "Orders": only lowercase letters and digits are allowed`)
	sub, err := ids.NewSubscriptionID(src, "")
	if sub != "" {
		t.Errorf("NewSubscriptionID(\"\") = %q", sub)
	}
	wantErr(t, err, es.CodeInvalidArgument, "Invalid AgentId: must be a non-empty string")
	dec, err := ids.NewLifecycleDecisionID(src, "")
	if dec != "" {
		t.Errorf("NewLifecycleDecisionID(\"\") = %q", dec)
	}
	wantErr(t, err, es.CodeInvalidArgument, "Invalid AgentId: must be a non-empty string")
	if next := src.NewID(); next != "00000000-0000-7000-8000-000000000001" {
		t.Errorf("failed generators took ids from the source (next is %s)", next)
	}
}

// TestNilSource: without a source the generators mint real-clock UUIDv7s.
func TestNilSource(t *testing.T) {
	ids7 := []string{
		strings.TrimPrefix(string(ids.NewCommandID(nil)), "cmd_"),
		strings.TrimPrefix(string(ids.NewCorrelationID(nil)), "corr_"),
		strings.TrimPrefix(must(ids.Generate(nil, "orders", "order")), "orders_order_"),
		strings.TrimPrefix(string(ids.NewIntegrationEventID(nil)), "int_evt_"),
	}
	for i, u := range ids7 {
		if !v7.MatchString(u) {
			t.Errorf("id %d: unique part %q is not a UUIDv7", i, u)
		}
		if i > 0 && u <= ids7[i-1] {
			t.Errorf("id %d: %s not after %s", i, u, ids7[i-1])
		}
	}
}

// TestTimeOrdered: ids from es.NewUUIDv7 sort in generation order and are
// distinct — on a clock stuck at one instant, and on one that moves.
func TestTimeOrdered(t *testing.T) {
	clock := es.NewVirtualClock(time.Time{})
	src := es.NewUUIDv7(clock)
	var got []string
	for i := range 5000 {
		if i%1000 == 999 {
			clock.Advance(time.Millisecond)
		}
		id, err := ids.Generate(src, "test", "item")
		if err != nil {
			t.Fatal(err)
		}
		p, _ := ids.Parse(id)
		if !v7.MatchString(p.UUID) {
			t.Fatalf("id %d %q: unique part is not a UUIDv7", i, id)
		}
		if i > 0 && id <= got[i-1] {
			t.Fatalf("id %d %s not after %s", i, id, got[i-1])
		}
		got = append(got, id)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestNewCommandAndCorrelationID: the pair is NewCommandID then
// NewCorrelationID from the same source, in that order.
func TestNewCommandAndCorrelationID(t *testing.T) {
	a, b := es.NewSequentialIDs(), es.NewSequentialIDs()
	for i := range 3 {
		wantCmd, wantCorr := ids.NewCommandID(a), ids.NewCorrelationID(a)
		gotCmd, gotCorr := ids.NewCommandAndCorrelationID(b)
		if gotCmd != wantCmd || gotCorr != wantCorr {
			t.Fatalf("#%d: got %q, %q; want %q, %q", i, gotCmd, gotCorr, wantCmd, wantCorr)
		}
	}
}
