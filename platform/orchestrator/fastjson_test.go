package orchestrator

import (
	"encoding/json"
	"testing"
)

// slowField is aggregateID's encoding/json reading of a string member.
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
	if !sok || sfound != found || sv != val {
		t.Fatalf("topLevelString(%q) = %q, %v; encoding/json: %q, found %v, ok %v", data, val, found, sv, sfound, sok)
	}
}

func TestCMSEncodingRoundTrips(t *testing.T) {
	for _, d := range []CMSDocument{
		{StateVersion: 1, Version: 2, State: json.RawMessage(`{"exists":true,"items":{"a":1}}`)},
		{StateVersion: 3, Version: 0, State: json.RawMessage(` { "x" : "<y>" } `)},
		{StateVersion: 1, Version: 9, State: json.RawMessage(`null`)},
	} {
		want, _ := json.Marshal(d)
		got, err := encodeCMS(d)
		if err != nil || string(got) != string(want) {
			t.Errorf("encodeCMS = %s, %v; json.Marshal = %s", got, err, want)
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
	if _, err := encodeCMS(CMSDocument{State: json.RawMessage(`{`)}); err == nil {
		t.Error("encodeCMS accepted invalid state JSON")
	}
}

// validTopLevelString trusts its input to be valid JSON but must not panic
// when it is not: it gives up (ok false) instead.
func TestValidTopLevelStringOnInvalidInput(t *testing.T) {
	for _, data := range []string{`{"orderId`, `{"orderId":"o1`, `{"a":[1,`, `{`, `{"a":"x\`, `{"orderId":`} {
		if _, _, ok := validTopLevelString([]byte(data), "orderId"); ok {
			t.Errorf("validTopLevelString(%q) answered", data)
		}
	}
	if v, found, ok := validTopLevelString([]byte(`{"a":1,"orderId":"o1"}`), "orderId"); v != "o1" || !found || !ok {
		t.Fatalf("valid input: %q %v %v", v, found, ok)
	}
}
