package batch_test

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/engine/enginetest"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/batch"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

type run struct {
	res batch.Result
	val batch.ValidationResult
}

func state(ctx context.Context) *run {
	w := steps.WorldFrom(ctx)
	r, ok := w.Scenario["batch"].(*run)
	if !ok {
		r = &run{}
		w.Scenario["batch"] = r
	}
	return r
}

// commands reads | command | payload | rows (payload is JSON).
func commands(t *godog.Table) ([]command.Command, error) {
	rows := steps.Rows(t)
	var out []command.Command
	for i, r := range rows {
		if i == 0 && r[0] == "command" {
			continue
		}
		if len(r) != 2 {
			return nil, fmt.Errorf("row %d: want | command | payload |", i+1)
		}
		if !json.Valid([]byte(r[1])) {
			return nil, fmt.Errorf("row %d: payload %s is not JSON", i+1, r[1])
		}
		out = append(out, command.Command{Type: r[0], Payload: json.RawMessage(r[1])})
	}
	return out, nil
}

// options parses "atomic mode", "partial mode with max concurrency 2 and
// stop on error", "atomic mode for aggregate o1 on field orderId", …
func options(mode, extra string) batch.Options {
	o := batch.Options{Mode: batch.Mode(mode)}
	f := strings.Fields(extra)
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == "concurrency" && i+1 < len(f):
			o.MaxConcurrency, _ = strconv.Atoi(f[i+1])
		case f[i] == "stop":
			o.StopOnError = true
		case f[i] == "aggregate" && i+1 < len(f):
			o.AggregateID = f[i+1]
		case f[i] == "field" && i+1 < len(f):
			o.AggregateIDField = f[i+1]
		case f[i] == "size" && i+1 < len(f):
			o.MaxBatchSize, _ = strconv.Atoi(f[i+1])
		case f[i] == "context" && i+1 < len(f):
			o.BoundedContext = f[i+1]
		}
	}
	return o
}

func register(s *steps.Suite) {
	enginetest.RegisterSteps(s)
	s.When(`^the batch is run in (atomic|partial) mode( [^:]*)?:$`, func(ctx context.Context, mode, extra string, t *godog.Table) error {
		w := steps.WorldFrom(ctx)
		e, err := w.Engine()
		if err != nil {
			return err
		}
		cmds, err := commands(t)
		if err != nil {
			return err
		}
		r, err := batch.New(batch.Config{Executor: e.Dispatch, Lookup: e.Registry(), Clock: e.Clock(), IDs: e.IDs(), Sequential: true})
		if err != nil {
			return err
		}
		state(ctx).res = r.Execute(ctx, cmds, options(mode, extra))
		return nil
	})
	s.When(`^the batch is validated in (atomic|partial) mode( [^:]*)?:$`, func(ctx context.Context, mode, extra string, t *godog.Table) error {
		w := steps.WorldFrom(ctx)
		e, err := w.Engine()
		if err != nil {
			return err
		}
		cmds, err := commands(t)
		if err != nil {
			return err
		}
		if strings.HasSuffix(extra, " without the registry") {
			state(ctx).val = batch.Validate(cmds, options(mode, extra), nil)
		} else {
			state(ctx).val = batch.Validate(cmds, options(mode, extra), e.Registry())
		}
		return nil
	})
	s.When(`^an empty batch is validated$`, func(ctx context.Context) error {
		state(ctx).val = batch.Validate(nil, batch.Options{}, nil)
		return nil
	})
	s.When(`^a batch of (\d+) commands is validated$`, func(ctx context.Context, n int) error {
		cmds := make([]command.Command, n)
		for i := range cmds {
			cmds[i] = command.MustNew("AddItem", map[string]any{"orderId": "o1", "sku": "a", "qty": 1})
		}
		state(ctx).val = batch.Validate(cmds, batch.Options{}, nil)
		return nil
	})
	s.Then(`^the batch status should be "(success|partial|failed)"$`, func(ctx context.Context, want string) error {
		if got := state(ctx).res.Status; string(got) != want {
			return fmt.Errorf("expected batch status %s, got %s (items %+v)", want, got, state(ctx).res.Items)
		}
		return nil
	})
	s.Then(`^the items should be:$`, func(ctx context.Context, t *godog.Table) error {
		res := state(ctx).res
		rows := steps.Rows(t)
		if len(rows) > 0 && rows[0][0] == "command" {
			rows = rows[1:]
		}
		if len(rows) != len(res.Items) {
			return fmt.Errorf("expected %d items, got %d", len(rows), len(res.Items))
		}
		for i, r := range rows {
			it := res.Items[i]
			if it.CommandType != r[0] || string(it.Status) != r[1] || (len(r) > 2 && it.Error != r[2]) {
				return fmt.Errorf("item %d: expected %v, got %s %s %q", i+1, r, it.CommandType, it.Status, it.Error)
			}
		}
		return nil
	})
	s.Then(`^the summary should be (\d+) total, (\d+) succeeded, (\d+) rejected, (\d+) failed, (\d+) skipped$`, func(ctx context.Context, total, ok, rej, failed, skipped int) error {
		s := state(ctx).res.Summary
		if s.Total != total || s.Succeeded != ok || s.Rejected != rej || s.Failed != failed || s.Skipped != skipped {
			return fmt.Errorf("summary %+v", s)
		}
		return nil
	})
	s.Then(`^the batch should be valid$`, func(ctx context.Context) error {
		if v := state(ctx).val; !v.Valid {
			return fmt.Errorf("expected a valid batch, got %+v", v.Errors)
		}
		return nil
	})
	s.Then(`^the validation errors should be:$`, func(ctx context.Context, t *godog.Table) error {
		v := state(ctx).val
		rows := steps.Rows(t)
		if len(rows) > 0 && rows[0][0] == "code" {
			rows = rows[1:]
		}
		var got []string
		for _, e := range v.Errors {
			idx := ""
			if e.CommandIndex != nil {
				idx = strconv.Itoa(*e.CommandIndex)
			}
			got = append(got, e.Code+"@"+idx)
		}
		var want []string
		for _, r := range rows {
			want = append(want, r[0]+"@"+r[1])
		}
		if v.Valid || strings.Join(got, " ") != strings.Join(want, " ") {
			return fmt.Errorf("expected errors %v, got %v (valid %v)", want, got, v.Valid)
		}
		return nil
	})
	s.Then(`^the validation error context should have (\w+) = (\S+)$`, func(ctx context.Context, key, val string) error {
		v := state(ctx).val
		if len(v.Errors) == 0 {
			return fmt.Errorf("no validation errors")
		}
		if got := fmt.Sprint(v.Errors[0].Context[key]); got != val {
			return fmt.Errorf("context %s = %s, want %s (context %v)", key, got, val, v.Errors[0].Context)
		}
		return nil
	})
}
