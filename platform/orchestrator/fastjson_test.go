package orchestrator

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/eventspec/eventspec/platform/command"
)

// slowField is aggregateRef's encoding/json reading of a string member.
func slowField(data []byte, field string) (string, bool, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return "", false, false
	}
	raw, ok := fields[field]
	if !ok {
		return "", false, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, false
	}
	return s, true, true
}

var fieldSeeds = []string{
	`{"orderId":"o1","sku":"a","qty":1}`, ` { "sku" : [1,{"orderId":"x"}], "orderId" : "o2" } `, `{"orderId":"a","orderId":"b"}`,
	`{"orderId":""}`, `{"orderId":1}`, `{"o\u0072derId":"esc"}`, `{"orderId":"a\"b"}`, `{}`, `null`, `[]`, `{"a":{"b":"}"},"orderId":"z"}`,
	`{"orderId":"\xff"}`, `{"n":-1.5e3,"t":true,"orderId":"k","z":null}`, `{"orderId":"x"`, `{"OrderID":"case"}`,
}

func TestTopLevelStringAgreesWithEncodingJSON(t *testing.T) {
	for _, p := range fieldSeeds {
		checkField(t, []byte(p))
	}
}

func FuzzTopLevelString(f *testing.F) {
	for _, p := range fieldSeeds {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkField(t, data) })
}

// checkField: whenever the fast path answers, encoding/json gives the same
// answer (a string value found, or no such member).
func checkField(t *testing.T, data []byte) {
	t.Helper()
	val, found, ok := topLevelString(data, "orderId")
	if !ok {
		return
	}
	sv, sfound, sok := slowField(data, "orderId")
	if !sok || sfound != found || sv != string(val) {
		t.Fatalf("topLevelString(%q) = %q, %v; encoding/json: %q, found %v, ok %v", data, val, found, sv, sfound, sok)
	}
}

func TestCMSEncodingRoundTrips(t *testing.T) {
	for _, d := range []CMSDocument{
		{StateVersion: 1, Version: 2, State: json.RawMessage(`{"exists":true,"items":{"a":1}}`)},
		{StateVersion: 3, Version: 0, State: json.RawMessage(` { "x" : "<y>" } `)},
		{StateVersion: 1, Version: 9, State: json.RawMessage(`null`)},
	} {
		got := encodeCMS(d)
		if want, _ := json.Marshal(d); bytes.Equal(bytes.TrimSpace(d.State), compactJSON(t, d.State)) && string(got) != string(want) {
			t.Errorf("encodeCMS = %s; json.Marshal = %s", got, want)
		}
		if !strings.HasSuffix(string(got), `"state":`+string(bytes.TrimSpace(d.State))+`}`) {
			t.Errorf("encodeCMS = %s: the state is not embedded as given (trimmed)", got)
		}
		back, err := decodeCMS(got)
		var std CMSDocument
		_ = json.Unmarshal(got, &std)
		if err != nil || back.StateVersion != std.StateVersion || back.Version != std.Version || string(back.State) != string(std.State) {
			t.Errorf("decodeCMS(%s) = %+v, %v; want %+v", got, back, err, std)
		}
	}
	// Other layouts go through encoding/json.
	for _, raw := range []string{`{"version":4,"stateVersion":2,"state":{}}`, `{"stateVersion":1,"version":2,"state":1,"extra":true}`, `{"stateVersion":01,"version":2,"state":1}`} {
		var std CMSDocument
		serr := json.Unmarshal([]byte(raw), &std)
		got, err := decodeCMS([]byte(raw))
		if (err == nil) != (serr == nil) || got.StateVersion != std.StateVersion || got.Version != std.Version || string(got.State) != string(std.State) {
			t.Errorf("decodeCMS(%s) = %+v, %v; encoding/json: %+v, %v", raw, got, err, std, serr)
		}
	}
}

// compactJSON returns json.Compact of raw.
func compactJSON(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// validTopLevelString trusts its input to be valid JSON but must not panic
// when it is not: it gives up (ok false) instead.
func TestValidTopLevelStringOnInvalidInput(t *testing.T) {
	for _, data := range []string{`{"orderId`, `{"orderId":"o1`, `{"a":[1,`, `{`, `{"a":"x\`, `{"orderId":`} {
		if _, _, ok := validTopLevelString([]byte(data), "orderId"); ok {
			t.Errorf("validTopLevelString(%q) answered", data)
		}
	}
	if v, found, ok := validTopLevelString([]byte(`{"a":1,"orderId":"o1"}`), "orderId"); string(v) != "o1" || !found || !ok {
		t.Fatalf("valid input: %q %v %v", v, found, ok)
	}
}

// TestAggregateRef checks the aggregate id and stream read from payloads
// the fast path answers and payloads it leaves to encoding/json, the
// errors, and that the usual case costs one allocation.
func TestAggregateRef(t *testing.T) {
	cases := []struct {
		payload, id, err string
	}{
		{`{"orderId":"o1","sku":"a"}`, "o1", ""},
		{`{"sku":"a", "orderId" : "o-é"}`, "o-é", ""},
		{`{"orderId":"o\u00e9"}`, "oé", ""}, // an escape: encoding/json decodes it
		{`{"orderId":"x","orderId":"o2"}`, "o2", ""},
		{`{"sku":"a"}`, "", "orderId is required"},
		{`{"orderId":""}`, "", "orderId must be a non-empty string"},
		{`{"orderId":7}`, "", "orderId must be a non-empty string"},
		{`[1]`, "", "orderId is required (the payload is not an object)"},
		{`{"orderId":"a\u0001b"}`, "", "orderId: INVALID_ARGUMENT: orderId \"a\\x01b\" has a control character at byte 1"},
	}
	for _, c := range cases {
		for _, valid := range []bool{false, true} {
			cmd := command.Command{Type: "AddItem", Payload: json.RawMessage(c.payload)}
			ref, err := aggregateRef(cmd, "Order", "orderId", valid)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Errorf("aggregateRef(%s): %v, want error %q", c.payload, err, c.err)
				}
				continue
			}
			if err != nil || ref.id != c.id || ref.stream != StreamFor("Order", c.id) {
				t.Errorf("aggregateRef(%s) = %+v, %v; want id %q, stream %q", c.payload, ref, err, c.id, StreamFor("Order", c.id))
			}
		}
	}
	cmd := command.Command{Type: "AddItem", Payload: json.RawMessage(`{"orderId":"o0001","sku":"a","qty":1}`)}
	var ref aggRef
	if n := testing.AllocsPerRun(100, func() { ref, _ = aggregateRef(cmd, "Order", "orderId", true) }); n != 1 {
		t.Errorf("aggregateRef allocated %v times, want 1", n)
	}
	if ref.id != "o0001" || ref.stream != "Order-o0001" {
		t.Errorf("aggregateRef = %+v", ref)
	}
}

// FuzzDecodeCMSMatchesUnmarshal: on any valid JSON document (what a store
// holds) decodeCMS answers exactly as encoding/json does; on anything else
// it must not panic.
func FuzzDecodeCMSMatchesUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"stateVersion":1,"version":2,"state":{"exists":true,"items":{"a":1}}}`,
		`{"stateVersion":1,"version":2,"state":"a}\"{"}`,
		`{"stateVersion":1,"version":2,"state":[1,{"b":"]"}]}`,
		`{"stateVersion":1,"version":2,"state":1,"extra":true}`,
		`{"stateVersion":1,"version":2,"state":{"a":1},"x":{"y":2}}`,
		`{"stateVersion":1,"version":2,"state":{"a":1} }`,
		`{"stateVersion":1,"version":2,"state": 7}`,
		`{"stateVersion":1,"version":2,"state":null}`,
		`{"stateVersion":1,"version":2,"state":"\\"}`,
		`{"stateVersion":1,"version":2,"state":{"a":"`,
		`{"stateVersion":1,"version":-9223372036854775808,"state":1}`,
		`{"stateVersion":1,"version":9223372036854775807,"state":1}`,
		`{"stateVersion":1,"version":9223372036854775808,"state":1}`,
		`{"stateVersion":1,"version":-9223372036854775809,"state":1}`,
		`{"stateVersion":1,"version":99999999999999999999,"state":1}`,
		`{"stateVersion":-0,"version":0,"state":1}`,
		`{"stateVersion":01,"version":2,"state":1}`,
		`{"stateVersion":1.5,"version":2,"state":1}`,
		`{"stateVersion":1e2,"version":2,"state":1}`,
		`{"stateVersion":-,"version":2,"state":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeCMS(data)
		if !json.Valid(data) {
			return
		}
		var std CMSDocument
		serr := json.Unmarshal(data, &std)
		if (err == nil) != (serr == nil) {
			t.Fatalf("decodeCMS(%q) error %v; encoding/json %v", data, err, serr)
		}
		if err == nil && (got.StateVersion != std.StateVersion || got.Version != std.Version || string(got.State) != string(std.State)) {
			t.Fatalf("decodeCMS(%q) = %+v; encoding/json %+v", data, got, std)
		}
	})
}
