package logtest_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/logging"
	"github.com/eventspec/eventspec/platform/logging/logtest"
)

func TestRecorderCapturesEntries(t *testing.T) {
	clk := es.NewVirtualClock(time.Time{})
	rec := logtest.New().WithClock(clk)
	rec.Info("first", nil)
	clk.Advance(time.Second)
	rec.Warn("second", logging.Fields{"k": "v"})
	want := []logtest.Entry{
		{Time: es.DefaultVirtualStart, Level: logging.LevelInfo, Message: "first"},
		{Time: es.DefaultVirtualStart.Add(time.Second), Level: logging.LevelWarn, Message: "second", Data: logging.Fields{"k": "v"}},
	}
	if diff := cmp.Diff(want, rec.Entries()); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if rec.Entries()[0].Data != nil {
		t.Error("data of an entry without data is not nil")
	}
}

func TestRecorderQueries(t *testing.T) {
	rec := logtest.New()
	rec.Debug("loading order", nil)
	rec.Info("order loaded", nil)
	rec.Info("order saved", logging.Fields{"v": 2})
	rec.Error("save failed", nil)

	if !rec.HasMessage("saved") || rec.HasMessage("deleted") {
		t.Error("HasMessage")
	}
	if !rec.HasLoggedAt(logging.LevelInfo, "loaded") || rec.HasLoggedAt(logging.LevelWarn, "loaded") || rec.HasLoggedAt(logging.LevelInfo, "failed") {
		t.Error("HasLoggedAt")
	}
	if got := len(rec.AtLevel(logging.LevelInfo)); got != 2 {
		t.Errorf("AtLevel(INFO) = %d entries, want 2", got)
	}
	last, ok := rec.LastAt(logging.LevelInfo)
	if !ok || last.Message != "order saved" || last.Data["v"] != 2 {
		t.Errorf("LastAt(INFO) = %+v, %v", last, ok)
	}
	if _, ok := rec.LastAt(logging.LevelReport); ok {
		t.Error("LastAt(REPORT) found an entry")
	}
	if rec.Len() != 4 {
		t.Errorf("Len = %d", rec.Len())
	}
	rec.Clear()
	if rec.Len() != 0 || rec.HasMessage("order") {
		t.Error("Clear kept entries")
	}
}

func TestFilteredRecorder(t *testing.T) {
	rec := logtest.NewFiltered(logging.LevelWarn)
	rec.Debug("d", nil)
	rec.Info("i", nil)
	rec.Report("r", nil)
	rec.Warn("w", nil)
	rec.Error("e", nil)
	var got []string
	for _, e := range rec.Entries() {
		got = append(got, e.Message)
	}
	if strings.Join(got, ",") != "w,e" {
		t.Errorf("captured %v, want [w e]", got)
	}
	if rec.HasMessage("i") || rec.HasLoggedAt(logging.LevelInfo, "i") {
		t.Error("helpers see filtered entries")
	}
	// Scoped loggers through the handler are filtered too.
	rec.Logger("s", logging.LevelDebug).Info("via scoped", nil)
	if rec.HasMessage("via scoped") {
		t.Error("handler bypasses the filter")
	}
}

func TestRecorderAsHandler(t *testing.T) {
	clk := es.NewVirtualClock(time.Time{})
	rec := logtest.New().WithClock(clk)
	lg := rec.Logger("orders", logging.LevelInfo)
	lg.Debug("hidden", nil)
	lg.Info("visible", logging.Fields{"id": "o1"})
	lg.Child("PM", logging.LevelInfo).Error("bad", nil)
	slog.New(rec.Handler()).With("a", 1).Warn("plain slog", "b", 2)
	got := rec.Entries()
	if len(got) != 3 {
		t.Fatalf("entries = %v", got)
	}
	want := []logtest.Entry{
		{Time: es.DefaultVirtualStart, Level: logging.LevelInfo, Scope: "orders", Message: "visible", Data: logging.Fields{"id": "o1"}},
		{Time: es.DefaultVirtualStart, Level: logging.LevelError, Scope: "orders:PM", Message: "bad"},
	}
	if diff := cmp.Diff(want, got[:2]); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if got[2].Message != "plain slog" || got[2].Level != logging.LevelWarn || !cmp.Equal(got[2].Data, logging.Fields{"a": int64(1), "b": int64(2)}) {
		t.Errorf("slog entry = %+v", got[2])
	}
}

func TestRecorderLoggerWithoutClockIsDeterministic(t *testing.T) {
	rec := logtest.New()
	lg := rec.Logger("t", logging.LevelTrace)
	lg.Trace("work", logging.Fields{logging.TimingKey: logging.TimingStart})
	lg.Trace("work", logging.Fields{logging.TimingKey: logging.TimingEnd})
	e, ok := rec.LastAt(logging.LevelTrace)
	if !ok || !e.Time.IsZero() || e.Data[logging.DurationKey] != int64(0) {
		t.Errorf("entry = %+v", e)
	}
}

type fakeT struct {
	failed []string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = append(f.failed, fmt.Sprintf(format, args...))
}

func TestExpectations(t *testing.T) {
	rec := logtest.New()
	rec.Warn("Command rejected", logging.Fields{"rejectionCode": "X"})
	ft := &fakeT{}
	rec.ExpectLogged(ft, logging.LevelWarn, "rejected")
	rec.ExpectNotLogged(ft, logging.LevelError, "rejected")
	if len(ft.failed) != 0 {
		t.Fatalf("unexpected failures %v", ft.failed)
	}
	rec.ExpectLogged(ft, logging.LevelError, "rejected")
	rec.ExpectNotLogged(ft, logging.LevelWarn, "Command")
	if len(ft.failed) != 2 {
		t.Fatalf("failures = %v", ft.failed)
	}
	if !strings.Contains(ft.failed[0], `no ERROR entry containing "rejected"`) || !strings.Contains(ft.failed[0], "WARN Command rejected map[rejectionCode:X]") {
		t.Errorf("failure message = %q", ft.failed[0])
	}
	if !strings.Contains(ft.failed[1], `unexpected WARN entry containing "Command"`) {
		t.Errorf("failure message = %q", ft.failed[1])
	}
	if got := logtest.New().String(); got != "  (nothing)" {
		t.Errorf("empty String = %q", got)
	}
}

func ExampleRecorder() {
	rec := logtest.New()
	log := rec.Logger("orders", logging.LevelInfo)
	logging.LogCommandRejected(log, logging.CommandFields("CancelOrder", "cmd_9", ""), "ORDER_SHIPPED", "already shipped")
	last, _ := rec.LastAt(logging.LevelWarn)
	fmt.Println(last.Scope, last.Message, last.Data["rejectionCode"])
	fmt.Println(rec.HasLoggedAt(logging.LevelWarn, "rejected"))
	// Output:
	// orders Command rejected ORDER_SHIPPED
	// true
}
