package middleware_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/logging/logtest"
	"github.com/eventspec/eventspec/platform/middleware"
	"github.com/eventspec/eventspec/platform/middleware/ratelimit"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

type world struct {
	p        *middleware.Pipeline
	clone    *middleware.Pipeline
	procs    []*middleware.Pipeline
	calls    []string
	seen     middleware.Context
	results  []command.Result
	err      error
	reported []string
	rec      *logtest.Recorder
	bucket   *ratelimit.Limiter
	take     ratelimit.Decision
}

func state(ctx context.Context) (*steps.World, *world) {
	w := steps.WorldFrom(ctx)
	st, ok := w.Scenario["middleware"].(*world)
	if !ok {
		st = &world{}
		w.Scenario["middleware"] = st
	}
	if st.p == nil {
		st.p = middleware.New(middleware.WithClock(w.Clock), middleware.OnAfterHookError(func(e middleware.AfterHookError) {
			st.reported = append(st.reported, e.MiddlewareName)
		}))
	}
	return w, st
}

var abort = &command.AbortError{ErrCode: command.CodeEventStoreConflict, Message: "stream moved"}

var setRe = regexp.MustCompile(`^set (\w+)=(\w+)$`)
var copyRe = regexp.MustCompile(`^copy (\w+) to (\w+)$`)

// hooks builds a middleware from the pipeline table's before/after cells.
func hooks(st *world, name string, order int, before, after string) (middleware.Middleware, error) {
	m := middleware.Middleware{Name: name, Order: order}
	trace := func(s string) { st.calls = append(st.calls, s) }
	switch {
	case before == "none":
	case before == "continue":
		m.Before = func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			trace("before:" + name)
			return mc, nil, nil
		}
	case before == "abort":
		m.Before = func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			return mc, nil, abort
		}
	case strings.HasPrefix(before, "short-circuit "):
		code := strings.TrimPrefix(before, "short-circuit ")
		m.Before = func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			trace("before:" + name)
			return mc, &command.Result{Status: command.StatusRejected, Code: code, Reason: "short-circuited by " + name}, nil
		}
	case strings.HasPrefix(before, "error "):
		msg := strings.TrimPrefix(before, "error ")
		m.Before = func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			return mc, nil, errors.New(msg)
		}
	case setRe.MatchString(before):
		kv := setRe.FindStringSubmatch(before)
		m.Before = func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			return mc.WithCustom(kv[1], kv[2]), nil, nil
		}
	case copyRe.MatchString(before):
		kv := copyRe.FindStringSubmatch(before)
		m.Before = func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			return mc.WithCustom(kv[2], mc.Custom[kv[1]]), nil, nil
		}
	default:
		return m, fmt.Errorf("unknown before %q", before)
	}
	switch {
	case after == "no":
	case after == "yes":
		m.After = func(_ context.Context, _ middleware.Context, r command.Result) (command.Result, error) {
			trace("after:" + name)
			return r, nil
		}
	case after == "abort":
		m.After = func(context.Context, middleware.Context, command.Result) (command.Result, error) {
			return command.Result{}, abort
		}
	case strings.HasPrefix(after, "error "):
		msg := strings.TrimPrefix(after, "error ")
		m.After = func(context.Context, middleware.Context, command.Result) (command.Result, error) {
			return command.Result{Status: command.StatusFailed}, errors.New(msg)
		}
	default:
		return m, fmt.Errorf("unknown after %q", after)
	}
	return m, nil
}

func info(user, role, typ, payload string) command.Info {
	cmd := command.Command{ID: "cmd_1", Type: typ, Payload: json.RawMessage(payload),
		Metadata: command.Metadata{CorrelationID: "corr_1", UserID: user}}
	if role != "" {
		cmd.Metadata.Extra = map[string]string{"role": role}
	}
	return command.Info{Command: cmd, BoundedContext: "orders", Category: command.CategoryAggregate}
}

func run(ctx context.Context, p *middleware.Pipeline, in command.Info, handlerErr error) error {
	w, st := state(ctx)
	res, err := p.Run(ctx, in, nil, nil, func(_ context.Context, mc middleware.Context) (command.Result, error) {
		st.calls = append(st.calls, "handler")
		st.seen = mc
		if handlerErr != nil {
			return command.Result{}, handlerErr
		}
		return command.Result{Status: command.StatusExecuted, EventIDs: []string{"e1"}}, nil
	})
	st.err = err
	if err == nil {
		st.results = append(st.results, res)
	}
	return w.Capture(res, err)
}

func lastResult(ctx context.Context) (command.Result, error) {
	_, st := state(ctx)
	if st.err != nil {
		return command.Result{}, st.err
	}
	if len(st.results) == 0 {
		return command.Result{}, errors.New("no command ran")
	}
	return st.results[len(st.results)-1], nil
}

func names(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
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

func validator(spec string) (middleware.DomainValidator, error) {
	f := strings.Fields(spec)
	switch {
	case len(f) == 2 && f[0] == "requiredString":
		return middleware.RequiredString(f[1]), nil
	case len(f) == 2 && f[0] == "positiveNumber":
		return middleware.PositiveNumber(f[1]), nil
	case len(f) == 2 && f[0] == "nonNegativeNumber":
		return middleware.NonNegativeNumber(f[1]), nil
	case len(f) == 4 && f[0] == "numberRange":
		lo, err1 := strconv.ParseFloat(f[2], 64)
		hi, err2 := strconv.ParseFloat(f[3], 64)
		return middleware.NumberRange(f[1], lo, hi), errors.Join(err1, err2)
	case len(f) == 3 && f[0] == "matchesPattern":
		re, err := regexp.Compile(f[2])
		return middleware.MatchesPattern(f[1], re), err
	case len(f) == 3 && f[0] == "startsWithPrefix":
		return middleware.StartsWithPrefix(f[1], f[2]), nil
	}
	return nil, fmt.Errorf("unknown validator %q", spec)
}

func roles(t *godog.Table) map[string][]string {
	out := map[string][]string{}
	for i, row := range steps.Rows(t) {
		if i > 0 {
			out[row[0]] = names(row[1])
		}
	}
	return out
}

func roleOf(mc middleware.Context) string { return mc.Command().Metadata.Extra["role"] }

func register(s *steps.Suite) {
	registerPipeline(s)
	registerBuiltins(s)
}

func registerPipeline(s *steps.Suite) {
	s.Given(`^a pipeline with middlewares:$`, func(ctx context.Context, t *godog.Table) error {
		_, st := state(ctx)
		for i, row := range steps.Rows(t) {
			if i == 0 {
				continue
			}
			order, err := strconv.Atoi(row[1])
			if err != nil {
				return err
			}
			m, err := hooks(st, row[0], order, row[2], row[3])
			if err != nil {
				return err
			}
			st.p.Use(m)
		}
		return nil
	})
	s.When(`^the command runs through the pipeline$`, func(ctx context.Context) error {
		_, st := state(ctx)
		return run(ctx, st.p, info("alice", "", "CreateOrder", `{}`), nil)
	})
	s.When(`^the command runs through the pipeline and the handler fails with "([^"]*)"$`, func(ctx context.Context, msg string) error {
		_, st := state(ctx)
		return run(ctx, st.p, info("alice", "", "CreateOrder", `{}`), errors.New(msg))
	})
	s.When(`^the command runs through the pipeline with (a succeeding|an aborting) handler$`, func(ctx context.Context, h string) error {
		_, st := state(ctx)
		var err error
		if h == "an aborting" {
			err = abort
		}
		return run(ctx, st.p, info("alice", "", "CreateOrder", `{}`), err)
	})
	s.Then(`^the middleware names should be "([^"]*)"$`, func(ctx context.Context, want string) error {
		_, st := state(ctx)
		if got := strings.Join(st.p.Names(), ", "); got != want {
			return fmt.Errorf("names %q, want %q", got, want)
		}
		return nil
	})
	s.Then(`^the calls should be "([^"]*)"$`, func(ctx context.Context, want string) error {
		_, st := state(ctx)
		if got := strings.Join(st.calls, ", "); got != want {
			return fmt.Errorf("calls %q, want %q", got, want)
		}
		return nil
	})
	s.Then(`^the pipeline result should be executed$`, func(ctx context.Context) error {
		r, err := lastResult(ctx)
		if err == nil && r.Status != command.StatusExecuted {
			err = fmt.Errorf("result %+v, want executed", r)
		}
		return err
	})
	s.Then(`^the pipeline result should be rejected with code "([^"]*)"$`, func(ctx context.Context, code string) error {
		r, err := lastResult(ctx)
		if err == nil && (r.Status != command.StatusRejected || r.Code != code) {
			err = fmt.Errorf("result %+v, want rejected %s", r, code)
		}
		return err
	})
	s.Then(`^the pipeline result should be rejected with code "([^"]*)" and reason "(.*)"$`, func(ctx context.Context, code, reason string) error {
		r, err := lastResult(ctx)
		if err == nil && (r.Status != command.StatusRejected || r.Code != code || r.Reason != reason) {
			err = fmt.Errorf("result %s %s %q, want rejected %s %q", r.Status, r.Code, r.Reason, code, reason)
		}
		return err
	})
	s.Then(`^the rejection context should name middleware "([^"]*)"$`, func(ctx context.Context, name string) error {
		r, err := lastResult(ctx)
		if err == nil && r.Context["middleware"] != name {
			err = fmt.Errorf("context %v", r.Context)
		}
		return err
	})
	s.Then(`^the handler should have seen userRole "([^"]*)" and seenRole "([^"]*)"$`, func(ctx context.Context, role, seen string) error {
		_, st := state(ctx)
		if st.seen.Custom["userRole"] != role || st.seen.Custom["seenRole"] != seen {
			return fmt.Errorf("handler saw custom %v", st.seen.Custom)
		}
		return nil
	})
	s.Then(`^an after hook error should have been reported for "([^"]*)"$`, func(ctx context.Context, name string) error {
		_, st := state(ctx)
		if strings.Join(st.reported, ",") != name {
			return fmt.Errorf("reported %v", st.reported)
		}
		return nil
	})
	s.Then(`^the pipeline should return the abort$`, func(ctx context.Context) error {
		_, st := state(ctx)
		var ae *command.AbortError
		if !errors.As(st.err, &ae) || ae != abort {
			return fmt.Errorf("error %v, want the abort", st.err)
		}
		return nil
	})
	s.When(`^I clone the pipeline and add "([^"]*)" at order (\d+) to the clone$`, func(ctx context.Context, name string, order int) {
		_, st := state(ctx)
		st.clone = st.p.Clone()
		st.clone.Use(middleware.Middleware{Name: name, Order: order})
	})
	s.When(`^I remove "([^"]*)" from the pipeline$`, func(ctx context.Context, name string) error {
		_, st := state(ctx)
		if !st.p.Remove(name) {
			return fmt.Errorf("%s was not in the pipeline", name)
		}
		return nil
	})
	s.Then(`^the clone's middleware names should be "([^"]*)"$`, func(ctx context.Context, want string) error {
		_, st := state(ctx)
		if st.clone == nil || strings.Join(st.clone.Names(), ", ") != want {
			return fmt.Errorf("clone names %v, want %q", st.clone.Names(), want)
		}
		return nil
	})
	s.Then(`^removing "([^"]*)" again should report false$`, func(ctx context.Context, name string) error {
		_, st := state(ctx)
		if st.p.Remove(name) {
			return fmt.Errorf("%s removed twice", name)
		}
		return nil
	})
}

func registerBuiltins(s *steps.Suite) {
	s.Given(`^a pipeline with every built-in added in reverse order$`, func(ctx context.Context) {
		_, st := state(ctx)
		st.p.Use(middleware.RateLimit(middleware.RateLimitConfig{})).
			Use(middleware.Logging(middleware.LoggingConfig{})).
			Use(middleware.Authorization(middleware.AuthorizationConfig{})).
			Use(middleware.DomainValidation(nil)).
			Use(middleware.StructureValidation(middleware.StructureValidationConfig{}))
	})
	s.Given(`^structure validation of "([^"]*)" requiring an orderId and a qty of at least 1$`, func(ctx context.Context, typ string) {
		_, st := state(ctx)
		st.p.Use(middleware.StructureValidation(middleware.StructureValidationConfig{
			Schemas: map[string]registry.ArgsValidator{typ: registry.Schema[createOrder]()}}))
	})
	s.Given(`^domain validation of "([^"]*)" requiring a positive "([^"]*)"$`, func(ctx context.Context, typ, field string) {
		_, st := state(ctx)
		st.p.Use(middleware.DomainValidation(map[string]middleware.DomainValidator{typ: middleware.PositiveNumber(field)}))
	})
	s.When(`^"([^"]*)" sends "([^"]*)" with (\{.*\})$`, func(ctx context.Context, user, typ, payload string) error {
		_, st := state(ctx)
		return run(ctx, st.p, info(user, "", typ, payload), nil)
	})
	s.When(`^"([^"]*)" with role "([^"]*)" sends "([^"]*)" with (\{.*\})$`, func(ctx context.Context, user, role, typ, payload string) error {
		_, st := state(ctx)
		return run(ctx, st.p, info(user, role, typ, payload), nil)
	})
	s.Then(`^the rejection context should list errors at "([^"]*)"$`, func(ctx context.Context, want string) error {
		r, err := lastResult(ctx)
		if err != nil {
			return err
		}
		list, _ := r.Context["errors"].([]any)
		var got []string
		for _, e := range list {
			m, _ := e.(map[string]any)
			got = append(got, fmt.Sprint(m["path"]))
		}
		if strings.Join(got, ", ") != want {
			return fmt.Errorf("errors at %v, want %s", got, want)
		}
		return nil
	})
	s.Then(`^the validator (.+) on (\{.*\}) should give "([^"]*)"$`, func(ctx context.Context, spec, args, want string) error {
		v, err := validator(spec)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(args), &m); err != nil {
			return err
		}
		got, err := v(ctx, m)
		if err != nil || got != want {
			return fmt.Errorf("%s on %s gave %q (%v), want %q", spec, args, got, err, want)
		}
		return nil
	})
	s.Given(`^role-based authorization:$`, func(ctx context.Context, t *godog.Table) {
		_, st := state(ctx)
		st.p.Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: middleware.RoleBasedChecker(middleware.RoleConfig{Roles: roles(t), Role: roleOf})}))
	})
	s.Given(`^role-based authorization that denies by default:$`, func(ctx context.Context, t *godog.Table) {
		_, st := state(ctx)
		st.p.Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: middleware.RoleBasedChecker(middleware.RoleConfig{Roles: roles(t), Role: roleOf, DenyUnlisted: true})}))
	})
	s.Given(`^owner-based authorization where order "([^"]*)" belongs to "([^"]*)" and admins are "([^"]*)"$`, func(ctx context.Context, order, owner, admins string) {
		_, st := state(ctx)
		check := middleware.OwnerBasedChecker(middleware.OwnerConfig{
			Owner: func(_ context.Context, mc middleware.Context) (string, error) {
				if middleware.Args(mc.Command())["orderId"] == order {
					return owner, nil
				}
				return "", nil
			},
			AdminRoles: names(admins),
		})
		// The caller's role travels in metadata; the owner check reads Custom["userRole"].
		st.p.Use(middleware.Middleware{Name: "role", Order: 1, Before: func(_ context.Context, mc middleware.Context) (middleware.Context, *command.Result, error) {
			return mc.WithCustom("userRole", roleOf(mc)), nil, nil
		}})
		st.p.Use(middleware.Authorization(middleware.AuthorizationConfig{Checker: check}))
	})
	s.Given(`^logging into a capture logger$`, func(ctx context.Context) {
		w, st := state(ctx)
		st.rec = logtest.New().WithClock(w.Clock)
		st.p.Use(middleware.Logging(middleware.LoggingConfig{Logger: st.rec, Clock: w.Clock}))
	})
	s.Then(`^the captured log should be:$`, func(ctx context.Context, t *godog.Table) error {
		_, st := state(ctx)
		if st.rec == nil {
			return errors.New("no capture logger")
		}
		var got, want []string
		for i, row := range steps.Rows(t) {
			if i > 0 {
				want = append(want, row[0]+" "+row[1])
			}
		}
		for _, e := range st.rec.Entries() {
			got = append(got, e.Level.String()+" "+e.Message)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return nil
	})

	s.Given(`^a store-backed limit of (\d+) commands per user per minute in (\d+) processes$`, func(ctx context.Context, n, procs int) error {
		w, st := state(ctx)
		store, err := w.Store()
		if err != nil {
			return err
		}
		for range procs {
			// Each process has its own limiter and pipeline; they share the store.
			l, err := ratelimit.New(store, w.Clock, "commandDispatch", ratelimit.FixedWindow{Rate: n, Period: time.Minute})
			if err != nil {
				return err
			}
			p := middleware.New(middleware.WithClock(w.Clock)).Use(middleware.RateLimit(middleware.RateLimitConfig{
				Checker: func(middleware.Context) ratelimit.Checker { return l.Check },
				Key:     middleware.KeyByUserID,
				SkipFor: []string{"Health"},
			}))
			st.procs = append(st.procs, p)
		}
		return nil
	})
	through := func(ctx context.Context, user, typ string, proc, times int) error {
		_, st := state(ctx)
		if proc < 1 || proc > len(st.procs) {
			return fmt.Errorf("no process %d", proc)
		}
		for range times {
			if err := run(ctx, st.procs[proc-1], info(user, "", typ, `{}`), nil); err != nil {
				return err
			}
			if st.err != nil {
				return st.err
			}
		}
		return nil
	}
	s.When(`^"([^"]*)" sends "([^"]*)" through process (\d+)$`, func(ctx context.Context, user, typ string, proc int) error {
		return through(ctx, user, typ, proc, 1)
	})
	s.When(`^"([^"]*)" sends "([^"]*)" through process (\d+) (\d+) times$`, func(ctx context.Context, user, typ string, proc, times int) error {
		return through(ctx, user, typ, proc, times)
	})
	s.Then(`^the outcomes should be "([^"]*)"$`, func(ctx context.Context, want string) error {
		_, st := state(ctx)
		var got []string
		for _, r := range st.results {
			if r.Status == command.StatusExecuted {
				got = append(got, "executed")
			} else {
				got = append(got, r.Code)
			}
		}
		if strings.Join(got, ", ") != want {
			return fmt.Errorf("outcomes %q, want %q", strings.Join(got, ", "), want)
		}
		return nil
	})
	s.Then(`^the last rejection should ask to retry after (\d+) ms$`, func(ctx context.Context, ms int64) error {
		r, err := lastResult(ctx)
		if err == nil && (r.Reason != middleware.MsgRateLimited || r.Context["retryAfterMs"] != ms) {
			err = fmt.Errorf("rejection %+v, want retry after %d ms", r, ms)
		}
		return err
	})
	s.Given(`^a token bucket of (\d+) per minute with capacity (\d+)$`, func(ctx context.Context, rate, capacity int) error {
		w, st := state(ctx)
		store, err := w.Store()
		if err != nil {
			return err
		}
		st.bucket, err = ratelimit.New(store, w.Clock, "commandDispatch", ratelimit.TokenBucket{Rate: rate, Period: time.Minute, Capacity: capacity})
		return err
	})
	s.When(`^"([^"]*)" takes (\d+) tokens?$`, func(ctx context.Context, key string, n int) error {
		_, st := state(ctx)
		if st.bucket == nil {
			return errors.New("no token bucket")
		}
		var err error
		st.take, err = st.bucket.Limit(ctx, key, n)
		return err
	})
	s.Then(`^the last take should be allowed with (\d+) tokens left$`, func(ctx context.Context, left int) error {
		_, st := state(ctx)
		if !st.take.Allowed || st.take.Remaining != left {
			return fmt.Errorf("take %+v, want allowed with %d left", st.take, left)
		}
		return nil
	})
	s.Then(`^the last take should be refused with a retry after (\d+) ms$`, func(ctx context.Context, ms int64) error {
		_, st := state(ctx)
		if st.take.Allowed || st.take.RetryAfter != time.Duration(ms)*time.Millisecond {
			return fmt.Errorf("take %+v, want refused with retry after %d ms", st.take, ms)
		}
		return nil
	})
}
