package logging_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/logging"
	"github.com/eventspec/eventspec/platform/logging/logtest"
)

func TestLevelPriorities(t *testing.T) {
	want := map[logging.Level]int{
		logging.LevelDebug: 0, logging.LevelTrace: 1, logging.LevelInfo: 2,
		logging.LevelReport: 3, logging.LevelWarn: 4, logging.LevelError: 5,
	}
	for l, p := range want {
		if got := l.Priority(); got != p {
			t.Errorf("%s.Priority() = %d, want %d", l, got, p)
		}
	}
	if logging.DefaultLevel != logging.LevelInfo {
		t.Errorf("DefaultLevel = %s, want INFO", logging.DefaultLevel)
	}
	names := []string{}
	for _, l := range logging.Levels {
		names = append(names, l.String())
	}
	if got := strings.Join(names, ","); got != "DEBUG,TRACE,INFO,REPORT,WARN,ERROR" {
		t.Errorf("level names = %s", got)
	}
	if got := logging.Level(1).String(); got != "INFO+1" {
		t.Errorf("Level(1) = %q, want INFO+1", got)
	}
	if got := logging.Level(-9).String(); got != "DEBUG-1" {
		t.Errorf("Level(-9) = %q, want DEBUG-1", got)
	}
}

func TestShouldLog(t *testing.T) {
	for _, msg := range logging.Levels {
		for _, conf := range logging.Levels {
			want := msg.Priority() >= conf.Priority()
			if got := logging.ShouldLog(msg, conf); got != want {
				t.Errorf("ShouldLog(%s, %s) = %v, want %v", msg, conf, got, want)
			}
		}
	}
	if logging.ShouldLog(logging.LevelDebug, logging.LevelTrace) {
		t.Error("DEBUG passes a TRACE logger")
	}
	if !logging.ShouldLog(logging.LevelTrace, logging.LevelDebug) {
		t.Error("TRACE blocked by a DEBUG logger")
	}
}

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want logging.Level
	}{{"debug", logging.LevelDebug}, {"TRACE", logging.LevelTrace}, {" Info ", logging.LevelInfo}, {"report", logging.LevelReport}, {"warn", logging.LevelWarn}, {"ERROR", logging.LevelError}} {
		got, err := logging.ParseLevel(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLevel(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	_, err := logging.ParseLevel("verbose")
	if es.CodeOf(err) != es.CodeInvalidArgument || !strings.Contains(err.Error(), `unknown log level "verbose"`) {
		t.Errorf("ParseLevel(verbose) error = %v", err)
	}
}

func newText(level logging.Level) (*logging.Scoped, *bytes.Buffer, *es.VirtualClock) {
	var buf bytes.Buffer
	clk := es.NewVirtualClock(time.Time{})
	return logging.New(logging.NewTextHandler(&buf, nil), "orders", level, logging.WithClock(clk)), &buf, clk
}

func TestScopedTextOutput(t *testing.T) {
	l, buf, _ := newText(logging.LevelDebug)
	l.Debug("debugging", nil)
	l.Trace("tracing", logging.Fields{})
	l.Info("Command started", logging.Fields{"commandId": "c1", "amount": 3})
	l.Warn("careful", logging.Fields{"big": new(big.Int).Lsh(big.NewInt(1), 70)})
	l.Error("boom", logging.Fields{"err": errors.New("disk full"), "nested": map[string]any{"b": 2, "a": 1}, "num": json.Number("12.50")})
	want := `DEBUG [orders] debugging
TRACE [orders] tracing
INFO [orders] Command started {"amount":3,"commandId":"c1"}
WARN [orders] careful {"big":"1180591620717411303424"}
ERROR [orders] boom {"err":"disk full","nested":{"a":1,"b":2},"num":12.50}
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestScopedDefaultLevelFilters(t *testing.T) {
	l, buf, _ := newText(logging.DefaultLevel)
	l.Debug("d", nil)
	l.Trace("t", nil)
	l.Info("i", nil)
	l.Report("r", nil)
	l.Warn("w", nil)
	if got := buf.String(); got != "INFO [orders] i\n{\"message\":\"r\",\"scope\":\"orders\",\"timestamp\":1767225600000}\nWARN [orders] w\n" {
		t.Errorf("output = %q", got)
	}
	w, buf, _ := newText(logging.LevelWarn)
	w.Info("i", nil)
	w.Report("r", nil)
	w.Error("e", nil)
	if got := buf.String(); got != "ERROR [orders] e\n" {
		t.Errorf("WARN logger output = %q", got)
	}
}

func TestReportIsOneJSONObject(t *testing.T) {
	l, buf, clk := newText(logging.LevelInfo)
	clk.Advance(1500 * time.Millisecond)
	l.Report("projection rebuilt", logging.Fields{"events": 42, "projection": "orderSummary"})
	want := `{"events":42,"message":"projection rebuilt","projection":"orderSummary","scope":"orders","timestamp":1767225601500}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("report = %q\nwant     %q", got, want)
	}
}

func TestTraceTimers(t *testing.T) {
	l, buf, clk := newText(logging.LevelTrace)
	l.Trace("load", logging.Fields{logging.TimingKey: logging.TimingStart})
	if buf.Len() != 0 {
		t.Fatalf("timer start printed %q", buf.String())
	}
	clk.Advance(250 * time.Millisecond)
	l.Trace("load", logging.Fields{logging.TimingKey: logging.TimingEnd, "rows": 3})
	l.Trace("load", logging.Fields{logging.TimingKey: logging.TimingEnd}) // stopped already: ordinary entry
	want := "TRACE [orders] load {\"durationMs\":250,\"rows\":3}\nTRACE [orders] load {\"timing\":\"end\"}\n"
	if got := buf.String(); got != want {
		t.Errorf("timer output = %q, want %q", got, want)
	}
	// A logger above TRACE neither prints nor times.
	info, buf2, _ := newText(logging.LevelInfo)
	info.Trace("load", logging.Fields{logging.TimingKey: logging.TimingStart})
	info.Trace("load", logging.Fields{logging.TimingKey: logging.TimingEnd})
	if buf2.Len() != 0 {
		t.Errorf("INFO logger printed trace timing: %q", buf2.String())
	}
}

func TestChildLogger(t *testing.T) {
	parent, buf, _ := newText(logging.LevelWarn)
	child := parent.Child("Projection", logging.LevelDebug)
	if child.Scope() != "orders:Projection" || child.MinLevel() != logging.LevelDebug {
		t.Fatalf("child scope/level = %q/%s", child.Scope(), child.MinLevel())
	}
	child.Debug("from child", nil)
	parent.Info("from parent", nil)
	if got := buf.String(); got != "DEBUG [orders:Projection] from child\n" {
		t.Errorf("output = %q", got)
	}
	grandchild := child.Child("Checkpoint", logging.LevelInfo)
	if grandchild.Scope() != "orders:Projection:Checkpoint" {
		t.Errorf("grandchild scope = %q", grandchild.Scope())
	}
	noScope := logging.New(logging.NewTextHandler(&bytes.Buffer{}, nil), "", logging.LevelInfo).Child("x", logging.LevelInfo)
	if noScope.Scope() != "x" {
		t.Errorf("child of unscoped = %q", noScope.Scope())
	}
}

func TestNilAndNop(t *testing.T) {
	var s *logging.Scoped
	s.Info("nothing", nil) // must not panic
	if s.Child("x", logging.LevelInfo) != nil || s.Enabled(logging.LevelError) {
		t.Error("nil Scoped is not inert")
	}
	if _, ok := logging.OrNop(s).(*logging.Scoped); ok {
		t.Error("OrNop(nil *Scoped) returned the nil pointer")
	}
	if _, ok := logging.OrNop(nil).(*logging.Scoped); ok {
		t.Error("OrNop(nil) is not Nop")
	}
	rec := logtest.New()
	if logging.OrNop(rec) != logging.Logger(rec) {
		t.Error("OrNop replaced a real logger")
	}
	n := logging.Nop()
	for _, l := range logging.Levels {
		logging.Log(n, l, "dropped", nil)
	}
}

func TestLogDispatchesByLevel(t *testing.T) {
	rec := logtest.New()
	for _, l := range logging.Levels {
		logging.Log(rec, l, l.String(), nil)
	}
	logging.Log(rec, logging.LevelWarn+1, "between", nil)
	var got []string
	for _, e := range rec.Entries() {
		got = append(got, e.Level.String()+":"+e.Message)
	}
	want := []string{"DEBUG:DEBUG", "TRACE:TRACE", "INFO:INFO", "REPORT:REPORT", "WARN:WARN", "ERROR:ERROR", "WARN:between"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestTextHandlerWithSlog(t *testing.T) {
	var buf bytes.Buffer
	h := logging.NewTextHandler(&buf, &logging.TextOptions{Time: true, Level: logging.LevelInfo})
	lg := slog.New(h).With("svc", "api").WithGroup("req")
	lg.Debug("hidden")
	lg.LogAttrs(t.Context(), slog.LevelInfo, "handled", slog.Int("status", 200), slog.Duration("took", 1500*time.Millisecond))
	// slog.Logger stamps time.Now; only check the shape after the timestamp.
	line := buf.String()
	_, rest, ok := strings.Cut(line, " ")
	if !ok || rest != "INFO handled {\"req\":{\"status\":200,\"took\":1500},\"svc\":\"api\"}\n" {
		t.Errorf("line = %q", line)
	}
}

func TestJSONHandler(t *testing.T) {
	var buf bytes.Buffer
	clk := es.NewVirtualClock(time.Time{})
	l := logging.New(logging.NewJSONHandler(&buf, &logging.JSONOptions{Service: "billing"}), "pay", logging.LevelDebug, logging.WithClock(clk))
	l.Trace("charged", logging.Fields{"amount": big.NewInt(12), "user": "u1"})
	want := `{"timestamp":"2026-01-01T00:00:00.000Z","level":"trace","message":"charged","service":"billing","scope":"pay","amount":"12","user":"u1"}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("json = %s\nwant   %s", got, want)
	}
	buf.Reset()
	l2 := logging.New(logging.NewJSONHandler(&buf, &logging.JSONOptions{OmitTimestamp: true}), "", logging.LevelInfo, logging.WithClock(clk))
	l2.Report("done", nil)
	l2.Warn("w", logging.Fields{"n": 1})
	want = `{"level":"report","message":"done"}` + "\n" + `{"level":"warn","message":"w","n":1}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("json = %s\nwant   %s", got, want)
	}
}

func TestCommandHelpers(t *testing.T) {
	rec := logtest.New()
	ctx := logging.CommandFields("CreateOrder", "cmd_1", "corr_1")
	logging.LogCommandStarted(rec, ctx)
	logging.LogCommandSucceeded(rec, ctx, 3, "OrderCreated")
	logging.LogCommandRejected(rec, ctx, "ORDER_EXISTS", "order already exists")
	logging.LogCommandFailed(rec, ctx, "ReservationFailed", "out of stock")
	logging.LogCommandError(rec, ctx, es.Errorf(es.CodeInternal, "db down"))
	logging.LogCommandError(rec, ctx, struct{ A int }{1})
	logging.LogCommandError(rec, ctx, nil)
	logging.LogCommandSkipped(rec, ctx, 7)
	base := map[string]any{"commandType": "CreateOrder", "commandId": "cmd_1", "correlationId": "corr_1"}
	plus := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	want := []logtest.Entry{
		{Level: logging.LevelInfo, Message: "Command started", Data: plus()},
		{Level: logging.LevelInfo, Message: "Command succeeded", Data: plus("version", int64(3), "eventType", "OrderCreated")},
		{Level: logging.LevelWarn, Message: "Command rejected", Data: plus("rejectionCode", "ORDER_EXISTS", "rejectionMessage", "order already exists")},
		{Level: logging.LevelWarn, Message: "Command failed (business)", Data: plus("eventType", "ReservationFailed", "failureReason", "out of stock")},
		{Level: logging.LevelError, Message: "Command failed", Data: plus("error", map[string]any{"message": "INTERNAL: db down", "code": "INTERNAL"})},
		{Level: logging.LevelError, Message: "Command failed", Data: plus("error", "{1}")},
		{Level: logging.LevelError, Message: "Command failed", Data: plus("error", "null")},
		{Level: logging.LevelDebug, Message: "Command skipped (idempotent)", Data: plus("existingVersion", int64(7))},
	}
	if diff := cmp.Diff(want, rec.Entries()); diff != "" {
		t.Errorf("entries (-want +got)\n%s", diff)
	}
	for _, e := range rec.AtLevel(logging.LevelWarn) {
		for _, k := range []string{"code", "message", "reason"} {
			if _, ok := e.Data[k]; ok {
				t.Errorf("%s carries key %q", e.Message, k)
			}
		}
	}
	if got := logging.CommandFields("", "c", ""); !cmp.Equal(got, logging.Fields{"commandId": "c"}) {
		t.Errorf("CommandFields drops empties: %v", got)
	}
}

func TestConcurrentLogging(t *testing.T) {
	var buf bytes.Buffer
	l := logging.New(logging.NewTextHandler(&buf, nil), "c", logging.LevelInfo, logging.WithClock(es.NewVirtualClock(time.Time{})))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			child := l.Child(fmt.Sprint("g", g), logging.LevelInfo)
			for i := range 50 {
				child.Info("tick", logging.Fields{"i": i})
				child.Trace("t", logging.Fields{logging.TimingKey: logging.TimingStart})
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("got %d lines, want 400", len(lines))
	}
	for _, ln := range lines {
		if !strings.HasPrefix(ln, "INFO [c:g") || !strings.Contains(ln, "] tick {\"i\":") {
			t.Fatalf("torn or malformed line %q", ln)
		}
	}
}

func Example() {
	clock := es.NewVirtualClock(time.Time{})
	var out strings.Builder
	log := logging.New(logging.NewTextHandler(&out, nil), "orders", logging.LevelInfo, logging.WithClock(clock))
	log.Debug("filtered out", nil)
	log.Info("Command started", logging.Fields{"commandType": "CreateOrder", "commandId": "cmd_1"})
	log.Child("Projection", logging.LevelInfo).Warn("lagging", logging.Fields{"behind": 12})
	log.Report("summary", logging.Fields{"commands": 1})
	fmt.Print(out.String())
	// Output:
	// INFO [orders] Command started {"commandId":"cmd_1","commandType":"CreateOrder"}
	// WARN [orders:Projection] lagging {"behind":12}
	// {"commands":1,"message":"summary","scope":"orders","timestamp":1767225600000}
}
