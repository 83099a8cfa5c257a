package command_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
)

func TestValidateEnvelopeAllocatesNothing(t *testing.T) {
	c := command.MustNew("CreateOrder", map[string]any{"orderId": "o1"}).WithID("cmd_1").WithCorrelation("corr_1").WithUser("u1")
	c.Metadata.CausationID = "cmd_0"
	if n := testing.AllocsPerRun(100, func() {
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Validate of a valid command allocates %v times", n)
	}
}

func TestValidateEnvelope(t *testing.T) {
	long := strings.Repeat("x", command.MaxIDBytes+1)
	cases := []struct {
		name string
		cmd  command.Command
		code es.Code
		msg  string
	}{
		{"ok", command.MustNew("CreateOrder", map[string]any{"orderId": "o1"}), "", ""},
		{"empty payload ok", command.Command{Type: "Ping"}, "", ""},
		{"empty type", command.Command{Payload: json.RawMessage(`{}`)}, es.CodeInvalidArgument, "command type is empty"},
		{"bad json", command.Command{Type: "X", Payload: json.RawMessage(`{`)}, es.CodeInvalidArgument, "payload is not valid JSON"},
		{"long id", command.Command{Type: "X", ID: long}, es.CodeInvalidArgument, "commandId is 101 bytes long"},
		{"long corr", command.Command{Type: "X", Metadata: command.Metadata{CorrelationID: long}}, es.CodeInvalidArgument, "metadata.correlationId is 101 bytes"},
		{"control char", command.Command{Type: "X", ID: "a\x00b"}, es.CodeInvalidArgument, "control character"},
		{"DEL in causation id", command.Command{Type: "X", Metadata: command.Metadata{CausationID: "a\x7fb"}}, es.CodeInvalidArgument, "X metadata.causationId \"a\\x7fb\" has a control character at byte 1"},
		{"invalid UTF-8 user id", command.Command{Type: "X", Metadata: command.Metadata{UserID: "u\xff"}}, es.CodeInvalidArgument, "X metadata.userId \"u\\xff\" is not valid UTF-8"},
		{"non-ASCII ids ok", command.Command{Type: "X", ID: "café-1", Metadata: command.Metadata{UserID: "üser"}}, "", ""},
		{"long non-ASCII id", command.Command{Type: "X", ID: strings.Repeat("é", 51)}, es.CodeInvalidArgument, "commandId is 102 bytes long"},
		{"too large", command.Command{Type: "X", Payload: json.RawMessage(`"` + strings.Repeat("a", es.MaxPayloadBytes) + `"`)}, es.CodePayloadTooLarge, "payload is 65538 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cmd.Validate()
			if c.code == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if es.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Validate() = %v, want code %s containing %q", err, c.code, c.msg)
			}
		})
	}
}

func TestNewAndDecode(t *testing.T) {
	c := command.MustNew("AddItem", map[string]int{"qty": 2}).WithID("c1").WithCorrelation("corr-1").WithUser("u1")
	if c.ID != "c1" || c.Metadata.CorrelationID != "corr-1" || c.Metadata.UserID != "u1" || string(c.Payload) != `{"qty":2}` {
		t.Fatalf("unexpected command %+v", c)
	}
	var p struct{ Qty int }
	if err := c.Decode(&p); err != nil || p.Qty != 2 {
		t.Fatalf("Decode = %v, %+v", err, p)
	}
	if err := (command.Command{Type: "T", Payload: json.RawMessage(`"s"`)}).Decode(&p); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("Decode of a string into a struct = %v, want INVALID_ARGUMENT", err)
	}
	if _, err := command.New("T", func() {}); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("New with a func payload = %v", err)
	}
	ids := es.NewSequentialIDs()
	if got := command.NewCommandID(ids); got != "cmd_00000000-0000-7000-8000-000000000001" {
		t.Fatalf("NewCommandID = %s", got)
	}
	if got := command.NewCorrelationID(ids); got != "corr_00000000-0000-7000-8000-000000000002" {
		t.Fatalf("NewCorrelationID = %s", got)
	}
}

func TestCommandJSON(t *testing.T) {
	c := command.MustNew("CreateOrder", map[string]string{"orderId": "o1"}).WithID("c1")
	c.Metadata.Timestamp = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"commandId":"c1","commandType":"CreateOrder","payload":{"orderId":"o1"},"metadata":{"timestamp":"2026-01-01T00:00:00Z"}}`
	if string(raw) != want {
		t.Fatalf("json = %s\nwant   %s", raw, want)
	}
}

func TestStatus(t *testing.T) {
	if got := fmt.Sprint(command.Statuses()); got != "[pending executed rejected failed]" {
		t.Fatalf("Statuses = %s", got)
	}
	for _, s := range command.Statuses() {
		if !s.Valid() {
			t.Fatalf("%s not valid", s)
		}
		if s.Final() != (s != command.StatusPending) {
			t.Fatalf("%s.Final() = %v", s, s.Final())
		}
	}
	if command.Status("done").Valid() || command.Status("done").Final() {
		t.Fatal("unknown status accepted")
	}
	if !(command.Result{Status: command.StatusExecuted}).Succeeded() || (command.Result{Status: command.StatusFailed}).Succeeded() {
		t.Fatal("Succeeded wrong")
	}
}

func TestCategories(t *testing.T) {
	if got := fmt.Sprint(command.Categories()); got != "[aggregate process system batch]" {
		t.Fatalf("Categories = %s", got)
	}
	for _, bad := range []string{"AGGREGATE", "", "saga", " aggregate"} {
		if _, ok := command.ParseCategory(bad); ok {
			t.Fatalf("ParseCategory(%q) accepted", bad)
		}
		if command.NormalizeCategory(bad) != command.CategoryAggregate {
			t.Fatalf("NormalizeCategory(%q) != aggregate", bad)
		}
	}
	if command.NormalizeCategory("system") != command.CategorySystem || command.DefaultCategory != command.CategoryAggregate {
		t.Fatal("normalize system")
	}
	checks := []struct {
		c    command.Category
		want [4]bool
	}{
		{command.CategoryAggregate, [4]bool{true, false, false, false}},
		{command.CategoryProcess, [4]bool{false, true, false, false}},
		{command.CategorySystem, [4]bool{false, false, true, false}},
		{command.CategoryBatch, [4]bool{false, false, false, true}},
	}
	for _, k := range checks {
		got := [4]bool{k.c.IsAggregate(), k.c.IsProcess(), k.c.IsSystem(), k.c.IsBatch()}
		if got != k.want || !k.c.Valid() {
			t.Fatalf("%s guards = %v", k.c, got)
		}
	}
	if err := (command.AggregateTarget{Type: "Order", IDField: "orderId"}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (command.AggregateTarget{IDField: "orderId"}).Validate(); err == nil || !strings.Contains(err.Error(), "type is empty") {
		t.Fatalf("empty type: %v", err)
	}
	if err := (command.AggregateTarget{Type: "Order"}).Validate(); err == nil || !strings.Contains(err.Error(), "empty idField") {
		t.Fatalf("empty idField: %v", err)
	}
}

func TestHandlerResults(t *testing.T) {
	ev := es.MustEvent("OrderCreated", map[string]string{"orderId": "o1"})
	s := command.Success(map[string]string{"orderId": "o1"}, 0, ev)
	if !s.IsSuccess() || s.IsRejected() || s.IsFailed() || s.Version != 0 || len(s.Events) != 1 {
		t.Fatalf("success = %+v", s)
	}
	r := command.Rejected("ORDER_EXISTS", "already there", nil)
	raw, _ := json.Marshal(r)
	if string(raw) != `{"status":"rejected","version":0,"code":"ORDER_EXISTS","reason":"already there"}` {
		t.Fatalf("rejected json = %s", raw)
	}
	r2 := command.Rejected("X", "y", map[string]any{"k": 1})
	if raw, _ := json.Marshal(r2); !strings.Contains(string(raw), `"context":{"k":1}`) {
		t.Fatalf("rejected with context json = %s", raw)
	}
	f := command.Failed("out of stock", ev, nil, nil)
	raw, _ = json.Marshal(f)
	if strings.Contains(string(raw), "expectedVersion") || strings.Contains(string(raw), "context") || !f.IsFailed() {
		t.Fatalf("failed json = %s", raw)
	}
	v := int64(3)
	f2 := command.Failed("out of stock", ev, &v, map[string]any{"sku": "a"}).WithStream("inv-1")
	raw, _ = json.Marshal(f2)
	if !strings.Contains(string(raw), `"expectedVersion":3`) || !strings.Contains(string(raw), `"context":{"sku":"a"}`) || f2.Stream != "inv-1" {
		t.Fatalf("failed json = %s", raw)
	}
	if got := s.WithExpectedVersion(4).WithState(json.RawMessage(`{"a":1}`)); *got.ExpectedVersion != 4 || string(got.State) != `{"a":1}` {
		t.Fatalf("With* = %+v", got)
	}
}

func TestErrors(t *testing.T) {
	if got := fmt.Sprint(command.ErrorCategories()); got != "[domain validation concurrency infra]" {
		t.Fatalf("ErrorCategories = %s", got)
	}
	if command.ErrorCategory("DOMAIN").Valid() || !command.ErrorInfrastructure.Valid() {
		t.Fatal("ErrorCategory.Valid")
	}
	nf := command.NotFound("Order", "o1", nil)
	if nf.ErrCode != "ORDER_NOT_FOUND" || nf.Message != `Order with ID "o1" was not found` || nf.Recoverable || nf.Category != command.ErrorDomain ||
		nf.Context["entityType"] != "Order" || nf.Context["entityId"] != "o1" {
		t.Fatalf("NotFound = %+v", nf)
	}
	ae := command.AlreadyExists("Order", "o1", map[string]any{"by": "u"})
	if ae.ErrCode != "ORDER_ALREADY_EXISTS" || ae.Message != `Order with ID "o1" already exists` || ae.Context["by"] != "u" {
		t.Fatalf("AlreadyExists = %+v", ae)
	}
	is := command.InvalidState("Order", "draft", "submitted")
	if is.ErrCode != "INVALID_ORDER_STATE" || is.Message != `Order is in "draft" state but "submitted" is required` || is.Context["requiredState"] != "submitted" {
		t.Fatalf("InvalidState = %+v", is)
	}
	if u := command.Unauthorized("delete"); u.ErrCode != "UNAUTHORIZED" || u.Message != "Not authorized to perform action: delete" || u.Category != command.ErrorDomain {
		t.Fatalf("Unauthorized = %+v", u)
	}
	rl := command.RateLimited(1500 * time.Millisecond)
	if rl.ErrCode != "RATE_LIMITED" || !rl.Recoverable || rl.Category != command.ErrorInfrastructure || rl.Context["retryAfterMs"] != int64(1500) {
		t.Fatalf("RateLimited = %+v", rl)
	}
	raw, _ := json.Marshal(command.ValidationError("BAD", "bad input", nil))
	if string(raw) != `{"name":"CommandError","category":"validation","code":"BAD","message":"bad input","recoverable":false}` {
		t.Fatalf("json = %s", raw)
	}
	if es.CodeOf(nf) != "ORDER_NOT_FOUND" {
		t.Fatalf("CodeOf = %s", es.CodeOf(nf))
	}
	// From
	if command.From(nf, "") != nf || command.From(fmt.Errorf("wrap: %w", nf), "") != nf {
		t.Fatal("From must return the same *Error")
	}
	plain := errors.New("boom")
	fe := command.From(plain, "")
	if fe.ErrCode != "UNKNOWN_ERROR" || fe.Message != "boom" || !fe.Recoverable || fe.Category != command.ErrorInfrastructure || !errors.Is(fe, plain) ||
		fe.Context["originalError"] != "*errors.errorString" {
		t.Fatalf("From(plain) = %+v", fe)
	}
	if command.From(nil, "") != nil {
		t.Fatal("From(nil)")
	}
	fv := command.FromValue(42, "CUSTOM")
	if fv.ErrCode != "CUSTOM" || fv.Message != "42" || fv.Context["originalValue"] != 42 {
		t.Fatalf("FromValue = %+v", fv)
	}
	// categories and recoverability
	if !command.IsCategory(nf, command.ErrorDomain) || command.IsCategory(nf, command.ErrorValidation) || command.IsCategory(plain, command.ErrorDomain) {
		t.Fatal("IsCategory")
	}
	if command.IsRecoverable(nf) || !command.IsRecoverable(plain) || !command.IsRecoverable(command.ConcurrencyError("C", "c", nil)) {
		t.Fatal("IsRecoverable")
	}
}

func TestRetryDelay(t *testing.T) {
	conc := command.ConcurrencyError("C", "c", nil)
	infra := command.InfrastructureError("I", "i", nil)
	cases := []struct {
		err     error
		attempt int
		want    time.Duration
		ok      bool
	}{
		{conc, 1, 50 * time.Millisecond, true},
		{conc, 0, 50 * time.Millisecond, true},
		{conc, 3, 200 * time.Millisecond, true},
		{conc, 5, 500 * time.Millisecond, true},
		{conc, 40, 500 * time.Millisecond, true},
		{infra, 1, time.Second, true},
		{infra, 5, 16 * time.Second, true},
		{infra, 6, 30 * time.Second, true},
		{errors.New("x"), 2, 2 * time.Second, true},
		{command.DomainError("D", "d", nil), 1, 0, false},
		{command.ValidationError("V", "v", nil), 1, 0, false},
		{command.NewError(command.ErrorInfrastructure, "N", "n", false, nil), 1, 0, false},
	}
	for i, c := range cases {
		got, ok := command.RetryDelay(c.err, c.attempt)
		if got != c.want || ok != c.ok {
			t.Errorf("case %d: RetryDelay = %v, %v; want %v, %v", i, got, ok, c.want, c.ok)
		}
	}
}

func TestAbortError(t *testing.T) {
	cause := &es.ConcurrencyError{Stream: "s", Expected: es.Exact(1), Actual: 2}
	ae := &command.AbortError{ErrCode: command.CodeEventStoreConflict, Message: "append conflict", Cause: cause}
	wrapped := fmt.Errorf("ctx: %w", ae)
	if !command.IsAbort(wrapped) || command.IsAbort(errors.New("x")) {
		t.Fatal("IsAbort")
	}
	if es.CodeOf(ae) != "EVENT_STORE_CONFLICT" || !errors.Is(ae, es.ErrConcurrency) {
		t.Fatalf("abort code/cause: %v", ae)
	}
	if !strings.HasPrefix(ae.Error(), "EVENT_STORE_CONFLICT: append conflict: CONCURRENCY_CONFLICT") {
		t.Fatalf("Error() = %s", ae.Error())
	}
}

func ExampleSuccess() {
	ev := es.MustEvent("OrderCreated", map[string]string{"orderId": "o1"})
	r := command.Success(map[string]string{"orderId": "o1"}, 1, ev)
	fmt.Println(r.Status, r.Version, r.Events[0].Type)
	rej := command.Rejected("ORDER_EXISTS", "order o1 already exists", nil)
	fmt.Println(rej.Status, rej.Code)
	// Output:
	// success 1 OrderCreated
	// rejected ORDER_EXISTS
}

func ExampleNotFound() {
	err := command.NotFound("Order", "o1", nil)
	fmt.Println(err)
	d, retry := command.RetryDelay(err, 1)
	fmt.Println(d, retry)
	// Output:
	// ORDER_NOT_FOUND: Order with ID "o1" was not found
	// 0s false
}
