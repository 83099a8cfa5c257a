package event

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
)

func TestParseNewEventInput(t *testing.T) {
	in, err := ParseNewEventInput([]byte(`{"eventType":"OrderCreated","payload":{"a":1},"metadata":{"correlationId":"corr_1","causationId":"cmd_1","userId":"u1","tenant":"t1","n":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := NewEventInput{EventType: "OrderCreated", Payload: []byte(`{"a":1}`), Metadata: &InputMetadata{
		CorrelationID: "corr_1", CausationID: "cmd_1", UserID: "u1", Extra: map[string]any{"tenant": "t1", "n": float64(2)}}}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	e := in.Event()
	wantEvent := es.Event{Type: "OrderCreated", Data: []byte(`{"a":1}`), Metadata: es.Metadata{CorrelationID: "corr_1", CausationID: "cmd_1",
		Extra: map[string]string{"tenant": "t1", "n": "2", "userId": "u1"}}}
	if diff := cmp.Diff(wantEvent, e); diff != "" {
		t.Fatalf("event (-want +got):\n%s", diff)
	}
	in, err = ParseNewEventInput([]byte(`{"eventType":"X"}`))
	if err != nil || string(in.Payload) != "null" || in.Metadata != nil || in.Event().Metadata.Extra != nil {
		t.Fatalf("%+v %v", in, err)
	}
	for raw, want := range map[string]string{
		`{"payload":1}`: "eventType: Required",
		`{"eventType":"X","metadata":{"causationId":"c"}}`: "metadata.correlationId: Required",
		`{"eventType":"X","metadata":5}`:                   "metadata: expected object, received number",
	} {
		if _, err := ParseNewEventInput([]byte(raw)); es.CodeOf(err) != es.CodeInvalidEvent || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

func TestParseAppendResult(t *testing.T) {
	good := map[string]AppendOutcome{
		`{"status":"success","eventIds":["e1","e2"],"globalPositions":[0,7],"newVersion":2}`:            {Status: "success", EventIDs: []string{"e1", "e2"}, GlobalPositions: []int64{0, 7}, NewVersion: 2},
		`{"status":"duplicate","eventIds":["e1"],"globalPositions":[3],"newVersion":1}`:                 {Status: "duplicate", EventIDs: []string{"e1"}, GlobalPositions: []int64{3}, NewVersion: 1},
		`{"status":"conflict","currentVersion":5}`:                                                      {Status: "conflict", CurrentVersion: 5},
		`{"status":"idempotency_conflict","existingEventId":"e1","auditId":"ida_1","currentVersion":0}`: {Status: "idempotency_conflict", ExistingEventID: "e1", AuditID: "ida_1"},
	}
	for raw, want := range good {
		got, err := ParseAppendResult([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", raw, diff)
		}
	}
	bad := map[string]string{
		`{"status":"weird"}`: "status: expected one of",
		`{}`:                 "status: Required",
		`{"status":"success","eventIds":["e1"],"globalPositions":[1]}`:                  "newVersion: Required",
		`{"status":"success","eventIds":["e1"],"globalPositions":[1,2],"newVersion":1}`: "has 2 entries for 1 eventIds",
		`{"status":"success","eventIds":[1],"globalPositions":[1],"newVersion":1}`:      "eventIds.0: expected string",
		`{"status":"success","eventIds":["a"],"globalPositions":[-1],"newVersion":1}`:   "globalPositions.0: must be an integer >= 0",
		`{"status":"conflict"}`: "currentVersion: Required",
		`{"status":"conflict","currentVersion":1,"eventIds":["e"]}`:                  "carries no eventIds",
		`{"status":"idempotency_conflict","currentVersion":1}`:                       "existingEventId: Required; auditId: Required",
		`{"status":"duplicate","eventIds":"x","globalPositions":[1],"newVersion":1}`: "eventIds: expected array",
	}
	for raw, want := range bad {
		if _, err := ParseAppendResult([]byte(raw)); es.CodeOf(err) != es.CodeInvalidEvent || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
	}
}
