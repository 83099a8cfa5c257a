package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/logging"
	"github.com/eventspec/eventspec/platform/logging/logtest"
	"github.com/eventspec/eventspec/platform/middleware"
	"github.com/eventspec/eventspec/platform/middleware/ratelimit"
)

func run(t *testing.T, p *middleware.Pipeline, in command.Info) (command.Result, bool) {
	t.Helper()
	ran := false
	res, err := p.Run(context.Background(), in, nil, nil, func(context.Context, middleware.Context) (command.Result, error) {
		ran = true
		return executed, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, ran
}

func TestBuiltinNamesAndOrders(t *testing.T) {
	p := middleware.New().
		Use(middleware.RateLimit(middleware.RateLimitConfig{})).
		Use(middleware.Logging(middleware.LoggingConfig{})).
		Use(middleware.Authorization(middleware.AuthorizationConfig{})).
		Use(middleware.DomainValidation(nil)).
		Use(middleware.StructureValidation(middleware.StructureValidationConfig{}))
	want := []string{"structureValidation", "domainValidation", "authorization", "logging", "rateLimit"}
	if got := p.Names(); !cmp.Equal(got, want) {
		t.Errorf("Names = %v", got)
	}
	if m := middleware.RegistryValidation(registry.New()); m.Name != "registryValidation" || m.Order != 10 {
		t.Errorf("registry validation = %s/%d", m.Name, m.Order)
	}
}

type createOrder struct {
	OrderID string `json:"orderId"`
	Qty     int    `json:"qty"`
}

func (c createOrder) Validate() []registry.FieldError {
	var errs []registry.FieldError
	if c.OrderID == "" {
		errs = append(errs, registry.FieldError{Path: "orderId", Message: "orderId is required", Code: "required"})
	}
	if c.Qty < 1 {
		errs = append(errs, registry.FieldError{Path: "qty", Message: "qty must be at least 1", Code: "too_small"})
	}
	return errs
}

func TestStructureValidation(t *testing.T) {
	strip := func(payload json.RawMessage) (json.RawMessage, []registry.FieldError) {
		var c createOrder
		_ = json.Unmarshal(payload, &c)
		raw, _ := json.Marshal(c)
		return raw, nil
	}
	p := middleware.New().Use(middleware.StructureValidation(middleware.StructureValidationConfig{
		Schemas: map[string]registry.ArgsValidator{"CreateOrder": registry.Schema[createOrder]()}}))
	res, ran := run(t, p, info("CreateOrder", `{"qty":0}`))
	want := command.Result{Status: command.StatusRejected, Code: "VALIDATION_ERROR",
		Reason: "Invalid command arguments: orderId is required, qty must be at least 1",
		Context: map[string]any{"errors": []any{
			map[string]any{"path": "orderId", "message": "orderId is required", "code": "required"},
			map[string]any{"path": "qty", "message": "qty must be at least 1", "code": "too_small"},
		}}}
	if ran || !cmp.Equal(res, want) {
		t.Errorf("invalid = %+v ran=%v", res, ran)
	}
	if res, ran := run(t, p, info("CreateOrder", `{"orderId":"o1","qty":2}`)); !ran || res.Status != command.StatusExecuted {
		t.Errorf("valid = %+v", res)
	}
	if _, ran := run(t, p, info("Unschemed", `{"anything":1}`)); !ran {
		t.Error("type without schema did not pass")
	}
	// StripUnknown hands the parsed payload on.
	ps := middleware.New().Use(middleware.StructureValidation(middleware.StructureValidationConfig{
		Schemas: map[string]registry.ArgsValidator{"CreateOrder": strip}, StripUnknown: true}))
	var seen string
	_, err := ps.Run(context.Background(), info("CreateOrder", `{"orderId":"o1","qty":1,"junk":true}`), nil, nil,
		func(_ context.Context, mc middleware.Context) (command.Result, error) {
			seen = string(mc.Command().Payload)
			return executed, nil
		})
	if err != nil || seen != `{"orderId":"o1","qty":1}` {
		t.Errorf("stripped payload = %s %v", seen, err)
	}
}

func TestRegistryValidation(t *testing.T) {
	reg := registry.New()
	err := reg.Register(registry.Registration{Meta: registry.Metadata{CommandType: "CreateOrder", BoundedContext: "orders"},
		Args: registry.Schema[createOrder](),
		Handler: func(context.Context, *command.HandlerContext) (command.HandlerResult, error) {
			return command.HandlerResult{}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	p := middleware.New().Use(middleware.RegistryValidation(reg))
	if res, ran := run(t, p, info("CreateOrder", `{"orderId":"o1"}`)); ran || res.Code != "VALIDATION_ERROR" || res.Reason != "Invalid command arguments: qty must be at least 1" {
		t.Errorf("invalid = %+v", res)
	}
	if _, ran := run(t, p, info("Unregistered", `{}`)); !ran {
		t.Error("unregistered type blocked")
	}
}

func TestCommonValidators(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		v    middleware.DomainValidator
		args map[string]any
		want string
	}{
		{"required ok", middleware.RequiredString("name"), map[string]any{"name": "x"}, ""},
		{"required blank", middleware.RequiredString("name"), map[string]any{"name": "  "}, "name is required"},
		{"required missing", middleware.RequiredString("name"), nil, "name is required"},
		{"required non-string", middleware.RequiredString("name"), map[string]any{"name": 3.0}, "name is required"},
		{"required custom", middleware.RequiredString("name", "give a name"), map[string]any{}, "give a name"},
		{"positive ok", middleware.PositiveNumber("qty"), map[string]any{"qty": 0.5}, ""},
		{"positive zero", middleware.PositiveNumber("qty"), map[string]any{"qty": 0.0}, "qty must be a positive number"},
		{"positive negative", middleware.PositiveNumber("qty"), map[string]any{"qty": -2.0}, "qty must be a positive number"},
		{"positive string", middleware.PositiveNumber("qty"), map[string]any{"qty": "5"}, "qty must be a positive number"},
		{"non-negative zero", middleware.NonNegativeNumber("qty"), map[string]any{"qty": 0.0}, ""},
		{"non-negative negative", middleware.NonNegativeNumber("qty"), map[string]any{"qty": -0.1}, "qty cannot be negative"},
		{"range low bound", middleware.NumberRange("pct", 0, 100), map[string]any{"pct": 0.0}, ""},
		{"range high bound", middleware.NumberRange("pct", 0, 100), map[string]any{"pct": 100.0}, ""},
		{"range above", middleware.NumberRange("pct", 0, 100), map[string]any{"pct": 100.5}, "pct must be between 0 and 100"},
		{"range below", middleware.NumberRange("pct", 1.5, 2), map[string]any{"pct": 1.0}, "pct must be between 1.5 and 2"},
		{"pattern ok", middleware.MatchesPattern("sku", regexp.MustCompile(`^[A-Z]{3}-\d+$`)), map[string]any{"sku": "ABC-1"}, ""},
		{"pattern bad", middleware.MatchesPattern("sku", regexp.MustCompile(`^[A-Z]{3}-\d+$`)), map[string]any{"sku": "abc"}, "sku has invalid format"},
		{"prefix ok", middleware.StartsWithPrefix("orderId", "ord_"), map[string]any{"orderId": "ord_1"}, ""},
		{"prefix bad", middleware.StartsWithPrefix("orderId", "ord_"), map[string]any{"orderId": "o1"}, "orderId must start with 'ord_'"},
		{"prefix custom", middleware.StartsWithPrefix("orderId", "ord_", "bad id"), map[string]any{"orderId": "o1"}, "bad id"},
	} {
		got, err := tc.v(ctx, tc.args)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
	combined := middleware.CombineDomainValidators(middleware.RequiredString("name"), middleware.PositiveNumber("qty"), middleware.PositiveNumber("price"))
	if got, _ := combined(ctx, map[string]any{"name": "x", "qty": -1.0, "price": -1.0}); got != "qty must be a positive number" {
		t.Errorf("combined = %q (first problem wins)", got)
	}
	if got, _ := combined(ctx, map[string]any{"name": "x", "qty": 1.0, "price": 2.0}); got != "" {
		t.Errorf("combined ok = %q", got)
	}
}

func TestDomainValidation(t *testing.T) {
	boom := errors.New("catalogue down")
	p := middleware.New().Use(middleware.DomainValidation(map[string]middleware.DomainValidator{
		"AddItem": middleware.PositiveNumber("qty"),
		"Lookup":  func(context.Context, map[string]any) (string, error) { return "", boom },
	}))
	if res, ran := run(t, p, info("AddItem", `{"qty":0}`)); ran || !cmp.Equal(res, command.Result{Status: command.StatusRejected, Code: "DOMAIN_VALIDATION_ERROR", Reason: "qty must be a positive number"}) {
		t.Errorf("invalid = %+v", res)
	}
	if _, ran := run(t, p, info("AddItem", `{"qty":3}`)); !ran {
		t.Error("valid blocked")
	}
	if _, ran := run(t, p, info("Other", `[1]`)); !ran {
		t.Error("type without validator blocked")
	}
	if res, _ := run(t, p, info("Lookup", `{}`)); res.Code != "MIDDLEWARE_ERROR" || res.Reason != "catalogue down" {
		t.Errorf("validator error = %+v", res)
	}
}

func withRole(role string) func(middleware.Context) string {
	return func(middleware.Context) string { return role }
}

func TestAuthorization(t *testing.T) {
	calls := 0
	deny := func(context.Context, middleware.Context) (middleware.AuthDecision, error) {
		calls++
		return middleware.AuthDecision{}, nil
	}
	p := middleware.New().Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: deny, SkipFor: []string{"Ping"}}))
	if res, ran := run(t, p, info("CreateOrder", `{}`)); ran || !cmp.Equal(res, command.Result{Status: command.StatusRejected, Code: "UNAUTHORIZED", Reason: "Not authorized to perform this action"}) {
		t.Errorf("denied = %+v", res)
	}
	if _, ran := run(t, p, info("Ping", `{}`)); !ran || calls != 1 {
		t.Errorf("skipFor: ran=%v checker calls=%d", ran, calls)
	}
	// No checker configured: deny everything.
	if res, _ := run(t, middleware.New().Use(middleware.Authorization(middleware.AuthorizationConfig{})), info("X", `{}`)); res.Code != "UNAUTHORIZED" {
		t.Errorf("nil checker = %+v", res)
	}

	roles := map[string][]string{"CancelOrder": {"admin", "support"}, "CreateOrder": {"customer"}}
	ctx := context.Background()
	for _, tc := range []struct {
		cfg  middleware.RoleConfig
		typ  string
		want middleware.AuthDecision
	}{
		{middleware.RoleConfig{Roles: roles, Role: withRole("admin")}, "CancelOrder", middleware.Allow()},
		{middleware.RoleConfig{Roles: roles, Role: withRole("customer")}, "CancelOrder",
			middleware.Deny("Role 'customer' is not authorized to execute CancelOrder. Required: admin or support")},
		{middleware.RoleConfig{Roles: roles, Role: withRole("")}, "CancelOrder", middleware.Deny("Authentication required")},
		{middleware.RoleConfig{Roles: roles}, "CreateOrder", middleware.Deny("Authentication required")},
		{middleware.RoleConfig{Roles: roles, Role: withRole("")}, "Unlisted", middleware.Allow()},
		{middleware.RoleConfig{Roles: roles, Role: withRole("admin"), DenyUnlisted: true}, "Unlisted", middleware.Deny("No authorization rule for Unlisted")},
	} {
		got, err := middleware.RoleBasedChecker(tc.cfg)(ctx, middleware.Context{Info: info(tc.typ, `{}`)})
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.typ, got, err, tc.want)
		}
	}

	owners := map[string]string{"o1": "alice", "o2": "bob"}
	owner := middleware.OwnerBasedChecker(middleware.OwnerConfig{
		Owner: func(_ context.Context, mc middleware.Context) (string, error) {
			id, _ := middleware.Args(mc.Command())["orderId"].(string)
			return owners[id], nil
		},
		AdminRoles: []string{"admin"},
	})
	mcFor := func(user, orderID, role string) middleware.Context {
		in := info("CancelOrder", `{"orderId":"`+orderID+`"}`)
		in.Command.Metadata.UserID = user
		mc := middleware.Context{Info: in, Custom: map[string]any{}}
		if role != "" {
			mc.Custom["userRole"] = role
		}
		return mc
	}
	for _, tc := range []struct {
		user, order, role string
		want              middleware.AuthDecision
	}{
		{"alice", "o1", "", middleware.Allow()},
		{"alice", "o2", "", middleware.Deny("Cannot access resources owned by other users")},
		{"alice", "o2", "admin", middleware.Allow()},
		{"alice", "o2", "customer", middleware.Deny("Cannot access resources owned by other users")},
		{"", "o1", "admin", middleware.Deny("Authentication required")},
		{"carol", "new", "", middleware.Allow()},
	} {
		got, err := owner(ctx, mcFor(tc.user, tc.order, tc.role))
		if err != nil || got != tc.want {
			t.Errorf("owner %s/%s/%s = %+v %v", tc.user, tc.order, tc.role, got, err)
		}
	}

	allow := func(context.Context, middleware.Context) (middleware.AuthDecision, error) {
		return middleware.Allow(), nil
	}
	denyA := func(context.Context, middleware.Context) (middleware.AuthDecision, error) {
		return middleware.Deny("A says no"), nil
	}
	denyB := func(context.Context, middleware.Context) (middleware.AuthDecision, error) {
		return middleware.Deny(""), nil
	}
	mc := middleware.Context{Info: info("X", `{}`)}
	if d, _ := middleware.CombineCheckers(allow, denyA, denyB)(ctx, mc); d != middleware.Deny("A says no") {
		t.Errorf("combine = %+v", d)
	}
	if d, _ := middleware.CombineCheckers(allow, allow)(ctx, mc); !d.Allowed {
		t.Errorf("combine all allow = %+v", d)
	}
	if d, _ := middleware.AnyChecker(denyA, allow)(ctx, mc); !d.Allowed {
		t.Errorf("any = %+v", d)
	}
	if d, _ := middleware.AnyChecker(denyA, denyB)(ctx, mc); d != middleware.Deny("A says no; Not authorized to perform this action") {
		t.Errorf("any all deny = %+v", d)
	}
	p2 := middleware.New().Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: denyA}))
	if res, _ := run(t, p2, info("X", `{}`)); res.Reason != "A says no" {
		t.Errorf("checker reason = %+v", res)
	}
}

func TestLoggingMiddleware(t *testing.T) {
	clk := es.NewVirtualClock(time.Time{})
	rec := logtest.New()
	p := middleware.New(middleware.WithClock(clk)).Use(middleware.Logging(middleware.LoggingConfig{Logger: rec, Clock: clk, IncludePayload: true}))
	results := []command.Result{
		{Status: command.StatusExecuted, EventIDs: []string{"e1", "e2"}},
		{Status: command.StatusRejected, Code: "ORDER_EXISTS", Reason: "exists"},
		{Status: command.StatusFailed, Reason: "out of stock", EventIDs: []string{"e3"}},
	}
	for _, r := range results {
		_, err := p.Run(context.Background(), info("CreateOrder", `{"orderId":"o1"}`), nil, nil, func(context.Context, middleware.Context) (command.Result, error) {
			clk.Advance(25 * time.Millisecond)
			return r, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	base := func(kv ...any) logging.Fields {
		f := logging.Fields{"commandType": "CreateOrder", "commandId": "cmd_1", "correlationId": "corr_1", "boundedContext": "orders",
			"category": "aggregate", "targetAggregate": "Order", "aggregateIdField": "orderId"}
		for i := 0; i < len(kv); i += 2 {
			f[kv[i].(string)] = kv[i+1]
		}
		return f
	}
	started := base("args", map[string]any{"orderId": "o1"})
	want := []logtest.Entry{
		{Level: logging.LevelInfo, Message: "Command started: CreateOrder", Data: started},
		{Level: logging.LevelInfo, Message: "Command succeeded: CreateOrder", Data: base("durationMs", int64(25), "eventId", "e1", "eventIds", []string{"e1", "e2"})},
		{Level: logging.LevelInfo, Message: "Command started: CreateOrder", Data: started},
		{Level: logging.LevelInfo, Message: "Command rejected: CreateOrder", Data: base("durationMs", int64(25), "errorCode", "ORDER_EXISTS", "errorReason", "exists")},
		{Level: logging.LevelInfo, Message: "Command started: CreateOrder", Data: started},
		{Level: logging.LevelError, Message: "Command failed: CreateOrder", Data: base("durationMs", int64(25), "errorReason", "out of stock", "eventId", "e3")},
	}
	if diff := cmp.Diff(want, rec.Entries()); diff != "" {
		t.Errorf("entries (-want +got)\n%s", diff)
	}
	// Without payload and timing.
	rec.Clear()
	in := info("Ping", `{}`)
	in.TargetAggregate = nil
	p2 := middleware.New().Use(middleware.Logging(middleware.LoggingConfig{Logger: rec, OmitTiming: true}))
	if _, err := p2.Run(context.Background(), in, nil, nil, func(context.Context, middleware.Context) (command.Result, error) { return executed, nil }); err != nil {
		t.Fatal(err)
	}
	last, _ := rec.LastAt(logging.LevelInfo)
	if _, ok := last.Data["durationMs"]; ok || last.Data["eventId"] != "e1" {
		t.Errorf("last = %+v", last)
	}
	first := rec.Entries()[0]
	if _, ok := first.Data["args"]; ok {
		t.Errorf("args logged without IncludePayload: %v", first.Data)
	}
	if _, ok := first.Data["targetAggregate"]; ok {
		t.Errorf("targetAggregate for a command without one: %v", first.Data)
	}
}

func TestRateLimitMiddleware(t *testing.T) {
	var keys []string
	allowNext := true
	checker := func(_ context.Context, key string) (ratelimit.Decision, error) {
		keys = append(keys, key)
		if allowNext {
			return ratelimit.Decision{Allowed: true}, nil
		}
		return ratelimit.Decision{RetryAfter: 1500 * time.Millisecond}, nil
	}
	factoryCalls := 0
	p := middleware.New().Use(middleware.RateLimit(middleware.RateLimitConfig{
		Checker: func(middleware.Context) ratelimit.Checker { factoryCalls++; return checker },
		Key:     middleware.KeyByUserAndCommand,
		SkipFor: []string{"Health"},
	}))
	if _, ran := run(t, p, info("CreateOrder", `{}`)); !ran {
		t.Error("allowed request blocked")
	}
	allowNext = false
	res, ran := run(t, p, info("CreateOrder", `{}`))
	want := command.Result{Status: command.StatusRejected, Code: "RATE_LIMITED", Reason: "Too many requests, please try again later",
		Context: map[string]any{"retryAfterMs": int64(1500)}}
	if ran || !cmp.Equal(res, want) {
		t.Errorf("denied = %+v", res)
	}
	if _, ran := run(t, p, info("Health", `{}`)); !ran || factoryCalls != 2 {
		t.Errorf("skipFor: ran=%v factory calls=%d", ran, factoryCalls)
	}
	if !cmp.Equal(keys, []string{"user:alice:CreateOrder", "user:alice:CreateOrder"}) {
		t.Errorf("keys = %v", keys)
	}
	failing := middleware.New().Use(middleware.RateLimit(middleware.RateLimitConfig{
		Checker: func(middleware.Context) ratelimit.Checker {
			return func(context.Context, string) (ratelimit.Decision, error) {
				return ratelimit.Decision{}, errors.New("limiter offline")
			}
		},
		Key: middleware.KeyByUserID,
	}))
	if res, _ := run(t, failing, info("X", `{}`)); res.Code != "MIDDLEWARE_ERROR" || res.Reason != "limiter offline" {
		t.Errorf("limiter error = %+v", res)
	}
	if res, _ := run(t, middleware.New().Use(middleware.RateLimit(middleware.RateLimitConfig{})), info("X", `{}`)); res.Code != "MIDDLEWARE_ERROR" {
		t.Errorf("unconfigured = %+v", res)
	}
}

func TestRateLimitKeys(t *testing.T) {
	mc := middleware.Context{Info: info("CreateOrder", `{"orderId":"o7"}`), Custom: map[string]any{"ipAddress": "10.0.0.1"}}
	anon := middleware.Context{Info: info("Ping", `{}`)}
	anon.Info.Command.Metadata.UserID = ""
	anon.Info.TargetAggregate = nil
	noID := middleware.Context{Info: info("CreateOrder", `{}`)}
	fromMeta := middleware.Context{Info: info("X", `{}`)}
	fromMeta.Info.Command.Metadata.Extra = map[string]string{"ipAddress": "192.168.1.9"}
	for _, tc := range []struct{ got, want string }{
		{middleware.KeyByUserID(mc), "user:alice"},
		{middleware.KeyByUserID(anon), "user:anonymous"},
		{middleware.KeyByCommandType(mc), "command:CreateOrder"},
		{middleware.KeyByUserAndCommand(mc), "user:alice:CreateOrder"},
		{middleware.KeyByUserAndCommand(anon), "user:anonymous:Ping"},
		{middleware.KeyByAggregateID(mc), "aggregate:Order:o7"},
		{middleware.KeyByAggregateID(noID), "aggregate:Order:unknown"},
		{middleware.KeyByAggregateID(anon), "aggregate:Ping:unknown"},
		{middleware.KeyByIPAddress(mc), "ip:10.0.0.1"},
		{middleware.KeyByIPAddress(fromMeta), "ip:192.168.1.9"},
		{middleware.KeyByIPAddress(anon), "ip:unknown"},
	} {
		if tc.got != tc.want {
			t.Errorf("key %q, want %q", tc.got, tc.want)
		}
	}
}
