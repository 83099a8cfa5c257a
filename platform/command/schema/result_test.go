package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/platform/command"
)

func TestSpecificResultSchemas(t *testing.T) {
	type tc struct {
		parse func([]byte) (Result, error)
		raw   string
		want  *Result // nil: invalid
		msg   string
	}
	cases := []tc{
		{ParseSuccessResult, `{"status":"success","version":1,"data":{"id":"123"}}`, &Result{Status: "success", Version: 1, Data: []byte(`{"id":"123"}`)}, ""},
		{ParseSuccessResult, `{"status":"success","version":5}`, &Result{Status: "success", Version: 5}, ""},
		{ParseSuccessResult, `{"status":"success","version":0,"data":null}`, &Result{Status: "success"}, ""},
		{ParseSuccessResult, `{"status":"success","data":{"id":"123"}}`, nil, "version: Required"},
		{ParseSuccessResult, `{"status":"success","version":1.5}`, nil, "version: expected integer"},
		{ParseSuccessResult, `{"status":"rejected","version":1}`, nil, `status: expected "success", received "rejected"`},
		{ParseRejectedResult, `{"status":"rejected","code":"VALIDATION_ERROR","reason":"Invalid input data"}`, &Result{Status: "rejected", Code: "VALIDATION_ERROR", Reason: "Invalid input data"}, ""},
		{ParseRejectedResult, `{"status":"rejected","code":"BUSINESS_RULE_VIOLATION","reason":"Cannot cancel completed order","context":{"orderId":"o1"}}`,
			&Result{Status: "rejected", Code: "BUSINESS_RULE_VIOLATION", Reason: "Cannot cancel completed order", Context: map[string]any{"orderId": "o1"}}, ""},
		{ParseRejectedResult, `{"status":"rejected","code":"VALIDATION_ERROR"}`, nil, "reason: Required"},
		{ParseRejectedResult, `{"status":"rejected","reason":"r","context":[]}`, nil, "code: Required; context: expected object"},
		{ParseConflictResult, `{"status":"conflict","code":"CONCURRENT_MODIFICATION","currentVersion":5}`, &Result{Status: "conflict", Code: "CONCURRENT_MODIFICATION", CurrentVersion: 5}, ""},
		{ParseConflictResult, `{"status":"conflict","code":"OTHER_CODE","currentVersion":5}`, nil, `code: expected "CONCURRENT_MODIFICATION", received "OTHER_CODE"`},
		{ParseConflictResult, `{"status":"conflict","code":"CONCURRENT_MODIFICATION"}`, nil, "currentVersion: Required"},
		{ParseErrorResult, `{"status":"error","message":"Unexpected database error"}`, &Result{Status: "error", Message: "Unexpected database error"}, ""},
		{ParseErrorResult, `{"status":"error"}`, nil, "message: Required"},
		{ParseErrorResult, `{"message":"m"}`, nil, `status: Required (expected "error")`},
	}
	for _, c := range cases {
		got, err := c.parse([]byte(c.raw))
		if c.want == nil {
			if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "VALIDATION_ERROR: command ") {
				t.Errorf("%s: %v, want %q", c.raw, err, c.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.raw, err)
			continue
		}
		if diff := cmp.Diff(*c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.raw, diff)
		}
	}
}

func TestResultUnion(t *testing.T) {
	good := map[string]Result{
		`{"status":"success","version":1,"data":null}`:                               {Status: "success", Version: 1},
		`{"status":"rejected","code":"ERROR","reason":"Something went wrong"}`:       {Status: "rejected", Code: "ERROR", Reason: "Something went wrong"},
		`{"status":"conflict","code":"CONCURRENT_MODIFICATION","currentVersion":10}`: {Status: "conflict", Code: "CONCURRENT_MODIFICATION", CurrentVersion: 10},
		`{"status":"error","message":"Internal error"}`:                              {Status: "error", Message: "Internal error"},
	}
	for raw, want := range good {
		got, err := ParseResult([]byte(raw))
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("%s: %+v %v", raw, got, err)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", raw, err)
		}
	}
	for raw, msg := range map[string]string{
		`{"status":"unknown","data":{}}`: `status: expected one of "success" | "rejected" | "conflict" | "error", received "unknown"`,
		`{"data":{}}`:                    "status: Required",
		`[]`:                             "expected object, received array",
	} {
		if _, err := ParseResult([]byte(raw)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v", raw, err)
		}
	}
	if err := (Result{Status: "rejected", Code: "X"}).Validate(); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Fatalf("Validate: %v", err)
	}
	if err := (Result{Status: "bogus"}).Validate(); err == nil {
		t.Fatal("bogus status validated")
	}
}

func TestParseStatus(t *testing.T) {
	for _, s := range []string{"pending", "executed", "rejected", "failed"} {
		if st, ok := ParseStatus(s); !ok || string(st) != s {
			t.Errorf("%s", s)
		}
	}
	for _, s := range []string{"success", "", "PENDING"} {
		if _, ok := ParseStatus(s); ok {
			t.Errorf("%s accepted", s)
		}
	}
	if !command.Success(nil, 0).IsSuccess() || !command.Rejected("C", "r", nil).IsRejected() {
		t.Fatal("handler result guards")
	}
}
