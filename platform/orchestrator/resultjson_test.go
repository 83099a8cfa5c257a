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
