package commandbus

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eventspec/eventspec/platform/command"
)

func TestRecordEncodingMatchesMarshal(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 891000000, time.UTC)
	for _, c := range []StoredCommand{
		{CommandID: "cmd_1", CommandType: "AddItem", TargetContext: "orders", Payload: json.RawMessage(`{"orderId":"o1","qty":1}`),
			Metadata: Metadata{CorrelationID: "corr_1", Timestamp: ts}, CorrelationCursor: Cursor(ts, "cmd_1"), Status: command.StatusPending,
			TTL: DefaultTTL, ExpiresAt: ts.Add(DefaultTTL)},
		{CommandID: "c<2>", CommandType: "T", Payload: json.RawMessage(` { "note" : "a & b" } `),
			Metadata: Metadata{UserID: "u\"1", CorrelationID: "corr", CausationID: "cause", Timestamp: ts}, Status: command.StatusExecuted,
			Result: json.RawMessage(`{"status":"executed","data":[1, 2]}`), ExecutedAt: ts.Add(time.Second), TTL: time.Hour, ExpiresAt: ts.Add(time.Hour)},
		{CommandID: "c3", CommandType: "T", Payload: nil, Metadata: Metadata{CorrelationID: "x"}, Status: command.StatusRejected},
	} {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.appendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Errorf("StoredCommand encoding:\n got %s (%v)\nwant %s", got, err, want)
		}
	}
	for _, c := range []Correlation{
		{CommandID: "cmd_1", EventIDs: []string{"e1", "e<2>"}, CommandType: "AddItem", BoundedContext: "orders", CreatedAt: ts, TTL: DefaultTTL, ExpiresAt: ts.Add(DefaultTTL)},
		{CommandID: "cmd_2", EventIDs: []string{}},
		{CommandID: "cmd_3"},
	} {
		want, _ := json.Marshal(c)
		got, err := c.appendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Errorf("Correlation encoding:\n got %s (%v)\nwant %s", got, err, want)
		}
	}
	bad := StoredCommand{CommandID: "c", Payload: json.RawMessage(`{"a":`)}
	if _, err := bad.appendJSON(nil); err == nil {
		t.Error("a record with an invalid payload encoded without error")
	}
}

func TestKeysMatchFormat(t *testing.T) {
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, want := Cursor(ts, "cmd_1"), "0001767225600000:cmd_1"; got != want {
		t.Errorf("Cursor = %q, want %q", got, want)
	}
	if got, want := lenPrefix("orders"), "006:orders:"; got != want {
		t.Errorf("lenPrefix = %q, want %q", got, want)
	}
	if got, want := timeKey(time.UnixMilli(-5), "x"), "-000000000000005:x"; got != want {
		t.Errorf("timeKey(negative) = %q, want %q (fmt %%016d)", got, want)
	}
	if got, want := prefixedKey("corr_1", Cursor(ts, "cmd_1")), "006:corr_1:0001767225600000:cmd_1"; got != want {
		t.Errorf("prefixedKey = %q, want %q", got, want)
	}
	if got, want := prefixedTimeKey("orders", ts, "cmd_1"), lenPrefix("orders")+timeKey(ts, "cmd_1"); got != want || want != "006:orders:0001767225600000:cmd_1" {
		t.Errorf("prefixedTimeKey = %q, want %q", got, want)
	}
	if got, want := string(idJSON(`a"b`)), `"a\"b"`; got != want {
		t.Errorf("idJSON = %s, want %s", got, want)
	}
}
