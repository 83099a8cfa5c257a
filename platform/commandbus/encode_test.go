package commandbus

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/store"
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
	long := strings.Repeat("c", 200) // longer than the stack buffers
	if got, want := Cursor(ts, "cmd_1"), "0001767225600000:cmd_1"; got != want {
		t.Errorf("Cursor = %q, want %q", got, want)
	}
	if got, want := lenPrefix("orders"), "006:orders:"; got != want {
		t.Errorf("lenPrefix = %q, want %q", got, want)
	}
	if got, want := timeKey(time.UnixMilli(-5), "x"), "-000000000000005:x"; got != want {
		t.Errorf("timeKey(negative) = %q, want %q (fmt %%016d)", got, want)
	}
	exp := ts.Add(DefaultTTL)
	if k1, k2 := indexKeys("corr_1", ts, exp); k1 != "006:corr_1:0001767225600000" || k2 != "0001767830400000" {
		t.Errorf("indexKeys = %q, %q; want %q, %q", k1, k2, "006:corr_1:0001767225600000", "0001767830400000")
	}
	if k1, k2 := indexKeys(long, ts, exp); k1 != "200:"+long+":0001767225600000" || k2 != "0001767830400000" {
		t.Errorf("indexKeys(200 bytes) = %q, %q", k1, k2)
	}
	if got, want := prefixedMsKey("corr_1", ts), "006:corr_1:0001767225600000"; got != want {
		t.Errorf("prefixedMsKey = %q, want %q", got, want)
	}
	if got, want := prefixedMsKey(long, ts), "200:"+long+":0001767225600000"; got != want {
		t.Errorf("prefixedMsKey(200 bytes) = %q, want %q", got, want)
	}
}

// TestCorrelationAfterMatchesCursorOrder checks that listing the
// by-correlation index after correlationAfter(prefix, cursor) selects
// exactly the commands whose correlation cursor sorts after cursor, for
// well-formed cursors and for arbitrary strings.
func TestCorrelationAfterMatchesCursorOrder(t *testing.T) {
	prefix := lenPrefix("corr")
	var entries [][2]string // (16 digits, command id)
	for _, ms := range []string{"0000000000000009", "0001767225600000", "0001767225600001", "0001767225600010", "9999999999999999"} {
		for _, id := range []string{"a", "a0", "b", "cmd-1", "~"} {
			entries = append(entries, [2]string{ms, id})
		}
	}
	cursors := []string{"", "0", "00017672256", "0001767225600000", "0001767225600001",
		"0001767225600000:", "0001767225600000:a", "0001767225600000:a0", "0001767225600000:b", "0001767225600000:zzz",
		"0001767225600000 x", "0001767225600000;", "0001767225600000~", "0001767225600000:a\x00b", "x", "9999999999999999:~"}
	for _, c := range cursors {
		after := correlationAfter(prefix, c)
		for _, e := range entries {
			want := e[0]+":"+e[1] > c
			got := store.IndexCursor(prefix+e[0], e[1]) > after
			if got != want {
				t.Errorf("cursor %q, command %s:%s: listed %v, want %v (index after %q)", c, e[0], e[1], got, want, after)
			}
		}
	}
}
