package commandbus_test

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/commandbus"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

// bus is the per-scenario state of these steps.
type bus struct {
	b       *commandbus.Bus
	last    commandbus.RecordResult
	lastErr error
	done    bool
	records []commandbus.RecordResult
	pages   [][]string
	cleanup commandbus.CleanupResult
}

func state(ctx context.Context) (*bus, error) {
	w := steps.WorldFrom(ctx)
	if b, ok := w.Scenario["commandbus"].(*bus); ok {
		return b, nil
	}
	st, err := w.Store()
	if err != nil {
		return nil, err
	}
	b := &bus{b: commandbus.New(st, w.Clock)}
	w.Scenario["commandbus"] = b
	return b, nil
}

func req(id, typ, corr string, ttl time.Duration) commandbus.RecordRequest {
	return commandbus.RecordRequest{CommandID: id, CommandType: typ, TargetContext: "orders", CorrelationID: corr,
		Payload: json.RawMessage(`{"id":"` + id + `"}`), TTL: ttl}
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func fail(format string, args ...any) error { return fmt.Errorf(format, args...) }

func register(s *steps.Suite) {
	record := func(ctx context.Context, id, corr string, ttl time.Duration) error {
		b, err := state(ctx)
		if err != nil {
			return err
		}
		b.last, b.lastErr = b.b.Record(ctx, req(id, "CreateOrder", corr, ttl))
		return nil
	}
	s.Given(`^the command "([^"]*)" was recorded with correlation "([^"]*)"$`, func(ctx context.Context, id, corr string) error {
		if err := record(ctx, id, corr, 0); err != nil {
			return err
		}
		b, _ := state(ctx)
		return b.lastErr
	})
	s.Given(`^the command "([^"]*)" was recorded with a TTL of (\d+) hours?$`, func(ctx context.Context, id string, h int) error {
		if err := record(ctx, id, "corr-ttl", time.Duration(h)*time.Hour); err != nil {
			return err
		}
		b, _ := state(ctx)
		return b.lastErr
	})
	s.Given(`^the commands "([^"]*)" were recorded with correlation "([^"]*)" one millisecond apart$`, func(ctx context.Context, ids, corr string) error {
		w := steps.WorldFrom(ctx)
		for _, id := range list(ids) {
			if err := record(ctx, id, corr, 0); err != nil {
				return err
			}
			b, _ := state(ctx)
			if b.lastErr != nil {
				return b.lastErr
			}
			w.Clock.Advance(time.Millisecond)
		}
		return nil
	})
	s.When(`^the command "([^"]*)" is recorded(?: again)?$`, func(ctx context.Context, id string) error {
		return record(ctx, id, "corr-1", 0)
	})
	s.When(`^the command "([^"]*)" is recorded with a payload of (\d+) KiB$`, func(ctx context.Context, id string, kib int) error {
		b, err := state(ctx)
		if err != nil {
			return err
		}
		r := req(id, "CreateOrder", "corr-1", 0)
		r.Payload = json.RawMessage(`"` + strings.Repeat("x", kib*1024) + `"`)
		b.last, b.lastErr = b.b.Record(ctx, r)
		return nil
	})
	s.When(`^the command "([^"]*)" is recorded by (\d+) callers at once$`, func(ctx context.Context, id string, n int) error {
		b, err := state(ctx)
		if err != nil {
			return err
		}
		b.records = make([]commandbus.RecordResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				b.records[i], errs[i] = b.b.Record(ctx, req(id, "CreateOrder", "corr-race", 0))
			}()
		}
		close(gate)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	})
	s.Step(`^the command "([^"]*)" is completed as "(executed|rejected|failed|pending)"(?: with result (.*))?$`, func(ctx context.Context, id, status, result string) error {
		b, err := state(ctx)
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if result != "" {
			raw = json.RawMessage(result)
		}
		b.done, b.lastErr = b.b.Complete(ctx, id, command.Status(status), raw)
		return nil
	})
	s.When(`^the commands of correlation "([^"]*)" are read in pages of (\d+)$`, func(ctx context.Context, corr string, size int) error {
		b, err := state(ctx)
		if err != nil {
			return err
		}
		b.pages = nil
		cursor := ""
		for i := 0; i < 100; i++ {
			p, err := b.b.ByCorrelation(ctx, corr, size, cursor)
			if err != nil {
				return err
			}
			var ids []string
			for _, c := range p.Commands {
				ids = append(ids, c.CommandID)
			}
			b.pages = append(b.pages, ids)
			if !p.HasMore {
				if p.NextCursor != "" {
					return fail("the last page has a next cursor %q", p.NextCursor)
				}
				return nil
			}
			cursor = p.NextCursor
		}
		return fail("paging did not end")
	})
	s.When(`^expired commands are cleaned up(?: in batches of (\d+))?$`, func(ctx context.Context, batch string) error {
		b, err := state(ctx)
		if err != nil {
			return err
		}
		n := 0
		if batch != "" {
			fmt.Sscan(batch, &n)
		}
		b.cleanup, err = b.b.CleanupExpired(ctx, n)
		return err
	})
	s.When(`^the events "([^"]*)" are correlated to command "([^"]*)" in context "([^"]*)"$`, func(ctx context.Context, evs, id, bc string) error {
		b, err := state(ctx)
		if err != nil {
			return err
		}
		return b.b.RecordEventCorrelation(ctx, commandbus.CorrelationRequest{CommandID: id, EventIDs: list(evs), CommandType: "CreateOrder", BoundedContext: bc})
	})

	s.Then(`^the record should be new$`, func(ctx context.Context) error {
		b, _ := state(ctx)
		if b.lastErr != nil || !b.last.New {
			return fail("expected a new record, got %+v (error %v)", b.last, b.lastErr)
		}
		return nil
	})
	s.Then(`^the record should be a duplicate with status "([^"]*)"(?: and result (.*))?$`, func(ctx context.Context, status, result string) error {
		b, _ := state(ctx)
		if b.lastErr != nil || b.last.New || string(b.last.ExistingStatus) != status || string(b.last.ExistingResult) != result {
			return fail("expected a duplicate with status %s and result %q, got %+v (result %s, error %v)", status, result, b.last, b.last.ExistingResult, b.lastErr)
		}
		return nil
	})
	s.Then(`^the record should fail with code "([^"]*)"$`, func(ctx context.Context, code string) error {
		b, _ := state(ctx)
		if string(es.CodeOf(b.lastErr)) != code {
			return fail("expected error code %s, got %v", code, b.lastErr)
		}
		return nil
	})
	s.Then(`^exactly one caller should have seen a new record$`, func(ctx context.Context) error {
		b, _ := state(ctx)
		n := 0
		for _, r := range b.records {
			if r.New {
				n++
			}
		}
		if n != 1 {
			return fail("%d of %d callers saw a new record", n, len(b.records))
		}
		return nil
	})
	s.Then(`^the completion should be (accepted|refused)$`, func(ctx context.Context, want string) error {
		b, _ := state(ctx)
		if b.lastErr != nil {
			return fail("completion failed: %v", b.lastErr)
		}
		if b.done != (want == "accepted") {
			return fail("expected the completion to be %s, got accepted=%v", want, b.done)
		}
		return nil
	})
	s.Then(`^the completion should fail with code "([^"]*)"$`, func(ctx context.Context, code string) error {
		b, _ := state(ctx)
		if string(es.CodeOf(b.lastErr)) != code {
			return fail("expected error code %s, got %v", code, b.lastErr)
		}
		return nil
	})
	s.Then(`^the command "([^"]*)" should have status "([^"]*)"(?: and result (.*))?$`, func(ctx context.Context, id, status, result string) error {
		b, _ := state(ctx)
		c, err := b.b.Get(ctx, id)
		if err != nil {
			return err
		}
		if c == nil || string(c.Status) != status || (result != "" && string(c.Result) != result) {
			return fail("expected %s to have status %s (result %s), got %+v", id, status, result, c)
		}
		if status != "pending" && c.ExecutedAt.IsZero() {
			return fail("completed command %s has no executedAt", id)
		}
		return nil
	})
	s.Then(`^the command "([^"]*)" should (still exist|no longer exist|not exist)$`, func(ctx context.Context, id, how string) error {
		b, _ := state(ctx)
		c, err := b.b.Get(ctx, id)
		if err != nil {
			return err
		}
		if (c != nil) != (how == "still exist") {
			return fail("command %s: expected to %s, found %v", id, how, c != nil)
		}
		return nil
	})
	s.Then(`^the command "([^"]*)" should expire (\d+) days? after it was recorded$`, func(ctx context.Context, id string, days int) error {
		b, _ := state(ctx)
		c, err := b.b.Get(ctx, id)
		if err != nil || c == nil {
			return fail("command %s: %v", id, err)
		}
		if c.ExpiresAt.Sub(c.Metadata.Timestamp) != time.Duration(days)*24*time.Hour {
			return fail("command %s expires at %s, recorded at %s", id, c.ExpiresAt, c.Metadata.Timestamp)
		}
		return nil
	})
	s.Then(`^the pages should be:$`, func(ctx context.Context, t *godog.Table) error {
		b, _ := state(ctx)
		rows := steps.Rows(t)
		if len(rows) > 0 && rows[0][0] == "page" {
			rows = rows[1:]
		}
		if len(rows) != len(b.pages) {
			return fail("expected %d pages, got %d: %v", len(rows), len(b.pages), b.pages)
		}
		for i, r := range rows {
			if got := strings.Join(b.pages[i], ","); got != strings.ReplaceAll(r[1], " ", "") {
				return fail("page %d: expected %s, got %s", i+1, r[1], got)
			}
		}
		return nil
	})
	s.Then(`^(\d+) commands? and (\d+) correlations? should have been deleted(, with more to delete)?$`, func(ctx context.Context, cmds, corrs int, more string) error {
		b, _ := state(ctx)
		want := commandbus.CleanupResult{Commands: cmds, Correlations: corrs, HasMore: more != ""}
		if b.cleanup != want {
			return fail("expected cleanup %+v, got %+v", want, b.cleanup)
		}
		return nil
	})
	s.Then(`^the events of command "([^"]*)" should be "([^"]*)"$`, func(ctx context.Context, id, evs string) error {
		b, _ := state(ctx)
		c, err := b.b.EventsByCommand(ctx, id)
		if err != nil {
			return err
		}
		if c == nil || strings.Join(c.EventIDs, ",") != strings.Join(list(evs), ",") {
			return fail("expected events %s for %s, got %+v", evs, id, c)
		}
		return nil
	})
	s.Then(`^the correlations of context "([^"]*)" should be "([^"]*)"$`, func(ctx context.Context, bc, ids string) error {
		b, _ := state(ctx)
		cs, err := b.b.CorrelationsByContext(ctx, bc, 0, nil)
		if err != nil {
			return err
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.CommandID)
		}
		if strings.Join(got, ",") != strings.Join(list(ids), ",") {
			return fail("expected correlations %s in %s, got %v", ids, bc, got)
		}
		return nil
	})
}
