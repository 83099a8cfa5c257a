package logging_test

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/features/internal/backends"
	"github.com/eventspec/eventspec/platform/logging"
	"github.com/eventspec/eventspec/platform/logging/logtest"
	"github.com/eventspec/eventspec/steps"
)

//go:embed *.feature
var specs embed.FS

func TestFeatures(t *testing.T) {
	backends.Run(t, steps.Options{Features: specs, Register: register})
}

type world struct {
	out    bytes.Buffer
	parent *logging.Scoped
	log    *logging.Scoped
	rec    *logtest.Recorder
}

func state(ctx context.Context) (*steps.World, *world) {
	w := steps.WorldFrom(ctx)
	s, ok := w.Scenario["logging"].(*world)
	if !ok {
		s = &world{}
		w.Scenario["logging"] = s
	}
	return w, s
}

func level(name string) (logging.Level, error) { return logging.ParseLevel(name) }

var power = regexp.MustCompile(`^(\d+)\^(\d+)$`)

// value parses a table cell: "a^b" is a big integer, JSON stays JSON (with
// exact numbers), anything else is a string.
func value(s string) any {
	if m := power.FindStringSubmatch(s); m != nil {
		b, _ := strconv.ParseInt(m[1], 10, 64)
		e, _ := strconv.ParseInt(m[2], 10, 64)
		return new(big.Int).Exp(big.NewInt(b), big.NewInt(e), nil)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		return v
	}
	return s
}

func fields(t *godog.Table) logging.Fields {
	f := logging.Fields{}
	for i, row := range steps.Rows(t) {
		if i == 0 {
			continue // header: field | value
		}
		f[row[0]] = value(row[1])
	}
	return f
}

// render is a value as the feature files write it: strings bare, the rest
// as JSON.
func render(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	if v := value(s); v != nil {
		if _, isStr := v.(string); !isStr {
			return render(v)
		}
	}
	return s
}

func register(s *steps.Suite) {
	s.Then(`^the priority of "([A-Z]+)" should be (\d+)$`, func(name string, want int) error {
		l, err := level(name)
		if err != nil {
			return err
		}
		if got := l.Priority(); got != want {
			return fmt.Errorf("priority of %s is %d, want %d", name, got, want)
		}
		return nil
	})
	s.Then(`^an? "([A-Z]+)" entry (should|should not) pass a logger at "([A-Z]+)"$`, func(entry, verdict, configured string) error {
		e, err := level(entry)
		if err != nil {
			return err
		}
		c, err := level(configured)
		if err != nil {
			return err
		}
		if got, want := logging.ShouldLog(e, c), verdict == "should"; got != want {
			return fmt.Errorf("ShouldLog(%s, %s) = %v, want %v", entry, configured, got, want)
		}
		return nil
	})

	newScoped := func(ctx context.Context, scope string, l logging.Level) {
		w, st := state(ctx)
		st.log = logging.New(logging.NewTextHandler(&st.out, nil), scope, l, logging.WithClock(w.Clock))
		st.parent = st.log
	}
	s.Given(`^a scoped logger "([^"]*)" at the default level$`, func(ctx context.Context, scope string) {
		newScoped(ctx, scope, logging.DefaultLevel)
	})
	s.Given(`^a scoped logger "([^"]*)" at level "([A-Z]+)"$`, func(ctx context.Context, scope, name string) error {
		l, err := level(name)
		if err != nil {
			return err
		}
		newScoped(ctx, scope, l)
		return nil
	})
	s.Given(`^a child logger "([^"]*)" at level "([A-Z]+)"$`, func(ctx context.Context, name, lv string) error {
		_, st := state(ctx)
		l, err := level(lv)
		if err != nil || st.log == nil {
			return errors.Join(err, errors.New("no scoped logger yet"))
		}
		st.log = st.parent.Child(name, l)
		return nil
	})
	emit := func(lg logging.Logger, lv, msg string, data logging.Fields) error {
		if lg == nil {
			return errors.New("no logger: start with a scoped or capture logger")
		}
		l, err := level(lv)
		if err != nil {
			return err
		}
		logging.Log(lg, l, msg, data)
		return nil
	}
	scoped := func(st *world) logging.Logger {
		if st.log == nil {
			return nil
		}
		return st.log
	}
	s.When(`^the logger logs "([A-Z]+)" "([^"]*)"$`, func(ctx context.Context, lv, msg string) error {
		_, st := state(ctx)
		return emit(scoped(st), lv, msg, nil)
	})
	s.When(`^the logger logs "([A-Z]+)" "([^"]*)" with:$`, func(ctx context.Context, lv, msg string, t *godog.Table) error {
		_, st := state(ctx)
		return emit(scoped(st), lv, msg, fields(t))
	})
	s.When(`^the parent logger logs "([A-Z]+)" "([^"]*)"$`, func(ctx context.Context, lv, msg string) error {
		_, st := state(ctx)
		if st.parent == nil {
			return errors.New("no parent logger")
		}
		return emit(st.parent, lv, msg, nil)
	})
	s.Then(`^the log output should be:$`, func(ctx context.Context, doc *godog.DocString) error {
		_, st := state(ctx)
		if got, want := st.out.String(), doc.Content+"\n"; got != want {
			return fmt.Errorf("log output:\n%s\nwant:\n%s", got, want)
		}
		return nil
	})

	// Capture logger.
	s.Given(`^a capture logger$`, func(ctx context.Context) {
		w, st := state(ctx)
		st.rec = logtest.New().WithClock(w.Clock)
	})
	s.Given(`^a capture logger keeping "([A-Z]+)" and above$`, func(ctx context.Context, lv string) error {
		w, st := state(ctx)
		l, err := level(lv)
		st.rec = logtest.NewFiltered(l).WithClock(w.Clock)
		return err
	})
	recorder := func(ctx context.Context) (*logtest.Recorder, error) {
		_, st := state(ctx)
		if st.rec == nil {
			return nil, errors.New("no capture logger: add \"Given a capture logger\"")
		}
		return st.rec, nil
	}
	s.When(`^the capture logger logs "([A-Z]+)" "([^"]*)"$`, func(ctx context.Context, lv, msg string) error {
		rec, err := recorder(ctx)
		if err != nil {
			return err
		}
		return emit(rec, lv, msg, nil)
	})
	s.When(`^the captured entries are cleared$`, func(ctx context.Context) error {
		rec, err := recorder(ctx)
		if err == nil {
			rec.Clear()
		}
		return err
	})
	cmdCtx := logging.CommandFields("CreateOrder", "cmd_1", "corr_1")
	helper := func(ctx context.Context, f func(logging.Logger)) error {
		rec, err := recorder(ctx)
		if err == nil {
			f(rec)
		}
		return err
	}
	s.When(`^the command is logged as "started"$`, func(ctx context.Context) error {
		return helper(ctx, func(l logging.Logger) { logging.LogCommandStarted(l, cmdCtx) })
	})
	s.When(`^the command is logged as "succeeded" with version (\d+) and event "([^"]*)"$`, func(ctx context.Context, v int64, ev string) error {
		return helper(ctx, func(l logging.Logger) { logging.LogCommandSucceeded(l, cmdCtx, v, ev) })
	})
	s.When(`^the command is logged as "rejected" with code "([^"]*)" and message "([^"]*)"$`, func(ctx context.Context, code, msg string) error {
		return helper(ctx, func(l logging.Logger) { logging.LogCommandRejected(l, cmdCtx, code, msg) })
	})
	s.When(`^the command is logged as "failed" with event "([^"]*)" and reason "([^"]*)"$`, func(ctx context.Context, ev, reason string) error {
		return helper(ctx, func(l logging.Logger) { logging.LogCommandFailed(l, cmdCtx, ev, reason) })
	})
	s.When(`^the command is logged as "error" "([^"]*)"$`, func(ctx context.Context, msg string) error {
		return helper(ctx, func(l logging.Logger) { logging.LogCommandError(l, cmdCtx, errors.New(msg)) })
	})
	s.When(`^the command is logged as "skipped" with version (\d+)$`, func(ctx context.Context, v int64) error {
		return helper(ctx, func(l logging.Logger) { logging.LogCommandSkipped(l, cmdCtx, v) })
	})
	s.Then(`^the captured entries should be:$`, func(ctx context.Context, t *godog.Table) error {
		rec, err := recorder(ctx)
		if err != nil {
			return err
		}
		var want, got []string
		for i, row := range steps.Rows(t) {
			if i > 0 {
				want = append(want, row[0]+" "+row[1])
			}
		}
		for _, e := range rec.Entries() {
			got = append(got, e.Level.String()+" "+e.Message)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("captured:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return nil
	})
	last := func(ctx context.Context, lv string) (logtest.Entry, error) {
		rec, err := recorder(ctx)
		if err != nil {
			return logtest.Entry{}, err
		}
		l, err := level(lv)
		if err != nil {
			return logtest.Entry{}, err
		}
		e, ok := rec.LastAt(l)
		if !ok {
			return e, fmt.Errorf("no %s entry captured; captured:\n%s", lv, rec)
		}
		return e, nil
	}
	s.Then(`^the last "([A-Z]+)" entry should have (\w+) (.+)$`, func(ctx context.Context, lv, key, want string) error {
		e, err := last(ctx, lv)
		if err != nil {
			return err
		}
		got, ok := e.Data[key]
		if !ok {
			return fmt.Errorf("the last %s entry has no %s: %v", lv, key, e.Data)
		}
		if render(got) != unquote(want) {
			return fmt.Errorf("the last %s entry has %s = %s, want %s", lv, key, render(got), want)
		}
		return nil
	})
	s.Then(`^the last "([A-Z]+)" entry should not have (\w+)$`, func(ctx context.Context, lv, key string) error {
		e, err := last(ctx, lv)
		if err != nil {
			return err
		}
		if v, ok := e.Data[key]; ok {
			return fmt.Errorf("the last %s entry has %s = %s", lv, key, render(v))
		}
		return nil
	})
	s.Then(`^the last "([A-Z]+)" entry should carry no data$`, func(ctx context.Context, lv string) error {
		e, err := last(ctx, lv)
		if err == nil && e.Data != nil {
			err = fmt.Errorf("the last %s entry has data %v", lv, e.Data)
		}
		return err
	})
	s.Then(`^the capture logger (should|should not) have logged "([A-Z]+)" containing "([^"]*)"$`, func(ctx context.Context, verdict, lv, substr string) error {
		rec, err := recorder(ctx)
		if err != nil {
			return err
		}
		l, err := level(lv)
		if err != nil {
			return err
		}
		if got, want := rec.HasLoggedAt(l, substr), verdict == "should"; got != want {
			return fmt.Errorf("HasLoggedAt(%s, %q) = %v; captured:\n%s", lv, substr, got, rec)
		}
		return nil
	})
}
