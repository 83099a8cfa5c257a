package orchestrator

import (
	"encoding/json"
	"testing"

	"github.com/eventspec/eventspec/platform/command"
)

func TestResultEncodingMatchesMarshal(t *testing.T) {
	for _, r := range []command.Result{
		{},
		{CommandID: "cmd_1", CommandType: "AddItem", Status: command.StatusExecuted, CorrelationID: "corr_1",
			Stream: "Order-o1", EventIDs: []string{"orders_event_1", "e<2>"}, Version: 3, Position: 17},
		{CommandID: "c\"2", CommandType: "T", Status: command.StatusFailed, Data: json.RawMessage(` { "a" : [1, 2], "b": "x&y" } `),
			Code: "HANDLER_ERROR", Reason: "bad <input>", Version: -1, Position: -2, Duplicate: true},
		{CommandID: "c3", Status: command.StatusRejected, Data: json.RawMessage(`null`), EventIDs: []string{}},
		{CommandID: "c4", Status: command.StatusRejected, Code: "X", Context: map[string]any{"n": 1.5, "s": "a"}},
		{CommandID: "c5", Status: "ex\u2028cuted", Reason: "\x01 ü"},
	} {
		want, werr := json.Marshal(r)
		got, err := encodeResult(r)
		if (err != nil) != (werr != nil) || string(got) != string(want) {
			t.Errorf("result %+v:\n got %s (%v)\nwant %s (%v)", r, got, err, want, werr)
		}
	}
	bad := command.Result{CommandID: "c", Data: json.RawMessage(`{"a":`)}
	if _, err := encodeResult(bad); err == nil {
		t.Error("a result with invalid data encoded without error")
	}
}

// TestResultEncodingFitsItsBuffer checks that a usual result (a command
// with minted ids and one event) is written into the buffer resultSize
// sizes, in one allocation.
func TestResultEncodingFitsItsBuffer(t *testing.T) {
	r := command.Result{CommandID: "cmd_0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", CommandType: "AddItem", Status: command.StatusExecuted,
		CorrelationID: "corr_0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", Stream: "Order-o0001",
		EventIDs: []string{"orders_event_0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d"}, Version: 1234, Position: 987654}
	var got []byte
	if n := testing.AllocsPerRun(100, func() { got, _ = encodeResult(r) }); n != 1 {
		t.Errorf("encodeResult allocated %v times, want 1", n)
	}
	if len(got) > resultSize(r) || cap(got) > resultSize(r)+64 {
		t.Errorf("encoded %d bytes into a buffer of %d, sized %d", len(got), cap(got), resultSize(r))
	}
	// Every field set (numbers at their widest, data without spaces): the
	// output still fits.
	full := command.Result{CommandID: "c1", CommandType: "T", Status: command.StatusFailed, CorrelationID: "k",
		Data: json.RawMessage(`{"a":[1,2]}`), Code: "X", Reason: "why", Stream: "S-1", EventIDs: []string{"e1", "e2"},
		Version: -1 << 63, Position: -1 << 63, Duplicate: true}
	if got, err := encodeResult(full); err != nil || len(got) > resultSize(full) {
		t.Errorf("a result with every field: %d bytes, sized %d (%v)", len(got), resultSize(full), err)
	}
}
