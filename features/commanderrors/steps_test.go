package commanderrors_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

type world struct {
	err    *command.Error
	orig   error
	result command.HandlerResult
}

func state(ctx context.Context) *world {
	w := steps.WorldFrom(ctx)
	s, ok := w.Scenario["errors"].(*world)
	if !ok {
		s = &world{}
		w.Scenario["errors"] = s
	}
	return s
}

func register(s *steps.Suite) {
	s.When(`^a not-found error is made for "([^"]*)" "([^"]*)"$`, func(ctx context.Context, typ, id string) error {
		state(ctx).err = command.NotFound(typ, id, nil)
		return nil
	})
	s.When(`^an already-exists error is made for "([^"]*)" "([^"]*)"$`, func(ctx context.Context, typ, id string) error {
		state(ctx).err = command.AlreadyExists(typ, id, nil)
		return nil
	})
	s.When(`^an invalid-state error is made for "([^"]*)" in "([^"]*)" requiring "([^"]*)"$`, func(ctx context.Context, typ, cur, req string) error {
		state(ctx).err = command.InvalidState(typ, cur, req)
		return nil
	})
	s.When(`^an unauthorized error is made for action "([^"]*)"$`, func(ctx context.Context, action string) error {
		state(ctx).err = command.Unauthorized(action)
		return nil
	})
	s.When(`^a rate-limited error is made with retry after (\d+) ms$`, func(ctx context.Context, ms int) error {
		state(ctx).err = command.RateLimited(time.Duration(ms) * time.Millisecond)
		return nil
	})
	s.When(`^an? (domain|validation|concurrency|infra) error "([^"]*)" is made$`, func(ctx context.Context, cat, code string) error {
		w := state(ctx)
		switch cat {
		case "domain":
			w.err = command.DomainError(code, "d", nil)
		case "validation":
			w.err = command.ValidationError(code, "v", nil)
		case "concurrency":
			w.err = command.ConcurrencyError(code, "c", nil)
		default:
			w.err = command.InfrastructureError(code, "i", nil)
		}
		return nil
	})
	s.When(`^a plain error "([^"]*)" is converted$`, func(ctx context.Context, msg string) error {
		w := state(ctx)
		w.orig = errors.New(msg)
		w.err = command.From(w.orig, "")
		return nil
	})
	s.When(`^a command error is converted again$`, func(ctx context.Context) error {
		w := state(ctx)
		before := w.err
		w.err = command.From(fmt.Errorf("wrapped: %w", before), "OTHER")
		if w.err != before {
			return fmt.Errorf("From returned a new error for a command error")
		}
		return nil
	})

	s.Then(`^the error should have code "([^"]*)" and message "(.*)"$`, func(ctx context.Context, code, msg string) error {
		e := state(ctx).err
		if e.ErrCode != code || e.Message != msg {
			return fmt.Errorf("got %s %q", e.ErrCode, e.Message)
		}
		return nil
	})
	s.Then(`^the error should be in category "([^"]*)" and (recoverable|not recoverable)$`, func(ctx context.Context, cat, rec string) error {
		e := state(ctx).err
		if string(e.Category) != cat || e.Recoverable != (rec == "recoverable") || !command.IsCategory(e, command.ErrorCategory(cat)) {
			return fmt.Errorf("got category %s recoverable %v", e.Category, e.Recoverable)
		}
		return nil
	})
	s.Then(`^the error context should have (\w+) = (.*)$`, func(ctx context.Context, key, val string) error {
		e := state(ctx).err
		if got := fmt.Sprint(e.Context[key]); got != val {
			return fmt.Errorf("context %s = %q, want %q (%v)", key, got, val, e.Context)
		}
		return nil
	})
	s.Then(`^the error should serialise as (.*)$`, func(ctx context.Context, want string) error {
		raw, err := json.Marshal(state(ctx).err)
		if err != nil {
			return err
		}
		if string(raw) != want {
			return fmt.Errorf("json %s, want %s", raw, want)
		}
		return nil
	})
	s.Then(`^the error should wrap the original$`, func(ctx context.Context) error {
		w := state(ctx)
		if !errors.Is(w.err, w.orig) {
			return fmt.Errorf("%v does not wrap %v", w.err, w.orig)
		}
		return nil
	})
	s.Then(`^retry (\d+) should wait (\S+)$`, func(ctx context.Context, attempt int, want string) error {
		d, ok := command.RetryDelay(state(ctx).err, attempt)
		if want == "never" {
			if ok {
				return fmt.Errorf("expected no retry, got %s", d)
			}
			return nil
		}
		w, err := time.ParseDuration(want)
		if err != nil {
			return err
		}
		if !ok || d != w {
			return fmt.Errorf("retry %d: got %s (retry %v), want %s", attempt, d, ok, w)
		}
		return nil
	})

	s.When(`^a handler returns success with data (.*) at version (\d+)$`, func(ctx context.Context, data string, v int64) error {
		var d any
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return err
		}
		state(ctx).result = command.Success(d, v, es.MustEvent("OrderCreated", map[string]string{"orderId": "o1"}))
		return nil
	})
	s.When(`^a handler rejects with code "([^"]*)" and reason "([^"]*)"( and context)?$`, func(ctx context.Context, code, reason, withCtx string) error {
		var c map[string]any
		if withCtx != "" {
			c = map[string]any{"k": "v"}
		}
		state(ctx).result = command.Rejected(code, reason, c)
		return nil
	})
	s.When(`^a handler fails with reason "([^"]*)"( expecting version (\d+))?$`, func(ctx context.Context, reason, with, v string) error {
		var ev *int64
		if with != "" {
			n, _ := strconv.ParseInt(v, 10, 64)
			ev = &n
		}
		state(ctx).result = command.Failed(reason, es.MustEvent("OrderFailed", map[string]string{"orderId": "o1"}), ev, nil)
		return nil
	})
	s.Then(`^the handler result should serialise with keys "([^"]*)"$`, func(ctx context.Context, keys string) error {
		raw, err := json.Marshal(state(ctx).result)
		if err != nil {
			return err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		want := strings.Split(keys, ",")
		for i := range want {
			want[i] = strings.TrimSpace(want[i])
		}
		if len(m) != len(want) {
			return fmt.Errorf("json %s has %d keys, want %v", raw, len(m), want)
		}
		for _, k := range want {
			if _, ok := m[k]; !ok {
				return fmt.Errorf("json %s lacks %q", raw, k)
			}
		}
		return nil
	})
	s.Then(`^the handler result should be a (success|rejection|failure)$`, func(ctx context.Context, kind string) error {
		r := state(ctx).result
		got := map[string]bool{"success": r.IsSuccess(), "rejection": r.IsRejected(), "failure": r.IsFailed()}
		for k, v := range got {
			if v != (k == kind) {
				return fmt.Errorf("guards: %v", got)
			}
		}
		return nil
	})
	s.Then(`^"([^"]*)" should (be|not be) a command category$`, func(ctx context.Context, c, how string) error {
		_, ok := command.ParseCategory(c)
		if ok != (how == "be") {
			return fmt.Errorf("ParseCategory(%q) ok = %v", c, ok)
		}
		return nil
	})
	s.Then(`^"([^"]*)" should normalise to category "([^"]*)"$`, func(ctx context.Context, c, want string) error {
		if got := command.NormalizeCategory(c); string(got) != want {
			return fmt.Errorf("NormalizeCategory(%q) = %s", c, got)
		}
		return nil
	})
}
