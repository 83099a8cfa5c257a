package conformance

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// stepClock moves forward by step on every Now, so durations measured
// with it are exact.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func newStepClock() *stepClock {
	return &stepClock{now: es.DefaultVirtualStart, step: time.Millisecond}
}

// nopStore is the store the fake cases get; they do not use it.
type nopStore struct{}

func (nopStore) Atomic(context.Context, func(store.Tx) error) error { return nil }
func (nopStore) Capabilities() store.Capabilities                   { return nil }
func (nopStore) Close() error                                       { return nil }

// here returns the line it is called from.
func here() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}

// at renders a message as the runner records it.
func at(line int, msg string) string { return fmt.Sprintf("certify_test.go:%d: %s", line, msg) }

// fakeSuite is a set of fake cases that exercise every outcome, and what
// they observed.
type fakeSuite struct {
	lines        map[string]int
	afterFatal   bool
	afterSkip    bool
	cleanupOrder []string
	ctxInCase    error
	ctxInCleanup error
	factoryNames []string
}

func (f *fakeSuite) cases() []Case {
	f.lines = map[string]int{}
	helper := func(t T) {
		t.Helper()
		t.Errorf("reported by a helper")
	}
	return []Case{
		{Group: "g1", Name: "pass", Run: func(t T, _ store.Store, _ Env) {
			f.lines["pass"] = here() + 1
			t.Logf("hello %s", "world")
		}},
		{Group: "g1", Name: "fail", Run: func(t T, _ store.Store, _ Env) {
			f.lines["fail1"] = here() + 1
			t.Errorf("first: %d", 1)
			f.lines["fail2"] = here() + 1
			t.Errorf("second")
			f.lines["fail3"] = here() + 1
			t.Logf("failed so far: %v", t.Failed())
		}},
		{Group: "g1", Name: "fatal", Run: func(t T, _ store.Store, _ Env) {
			f.ctxInCase = t.Context().Err()
			t.Cleanup(func() { f.cleanupOrder = append(f.cleanupOrder, "registered first") })
			t.Cleanup(func() {
				f.ctxInCleanup = t.Context().Err()
				f.cleanupOrder = append(f.cleanupOrder, "registered second")
			})
			f.lines["fatal"] = here() + 1
			t.Fatalf("stop here")
			f.afterFatal = true
		}},
		{Group: "g2", Name: "skip", Run: func(t T, _ store.Store, _ Env) {
			f.lines["skip"] = here() + 1
			t.Skipf("not today")
			f.afterSkip = true
		}},
		{Group: "g2", Name: "panic", Run: func(t T, _ store.Store, _ Env) {
			panic("boom")
		}},
		{Group: "g2", Name: "gated", Requires: []store.Capability{store.Persistent, store.GaplessPositions}, Run: func(t T, _ store.Store, _ Env) {
			t.Errorf("a gated case must not run")
		}},
		{Group: "g2", Name: "helper", Run: func(t T, _ store.Store, _ Env) {
			f.lines["helper"] = here() + 1
			helper(t)
		}},
		{Group: "g3", Name: "cleanup-panics", Run: func(t T, _ store.Store, _ Env) {
			t.Cleanup(func() { f.cleanupOrder = append(f.cleanupOrder, "after the panicking cleanup") })
			t.Cleanup(func() { panic("in cleanup") })
			f.lines["cleanup-fatal"] = here() + 1
			t.Cleanup(func() { t.Fatalf("fatal in cleanup") })
		}},
		{Group: "g3", Name: "error-then-skip", Run: func(t T, _ store.Store, _ Env) {
			f.lines["ets1"] = here() + 1
			t.Errorf("broken")
			f.lines["ets2"] = here() + 1
			t.Skipf("then skipped")
		}},
		{Group: "g3", Name: "factory-fails", Run: func(t T, _ store.Store, _ Env) {
			t.Errorf("the case must not run when its factory fails")
		}},
	}
}

func (f *fakeSuite) factory(t T, env Env) store.Store {
	f.factoryNames = append(f.factoryNames, t.Name())
	if env.Clock == nil || env.IDs == nil || !env.Clock.Now().Equal(es.DefaultVirtualStart) {
		t.Fatalf("factory got env %+v, want a virtual clock at the default start and ids", env)
	}
	if t.Name() == "g3/factory-fails" {
		f.lines["factory"] = here() + 1
		t.Fatalf("cannot open the store")
	}
	return nopStore{}
}

// withoutStack replaces the stack after a panic message's first line so
// the report can be compared exactly; it checks the stack is there.
func withoutStack(t *testing.T, rep *Report) {
	t.Helper()
	for i := range rep.Cases {
		for j, m := range rep.Cases[i].Messages {
			if !strings.HasPrefix(m, "panic: ") {
				continue
			}
			first, stack, _ := strings.Cut(m, "\n")
			if !strings.Contains(stack, "goroutine ") || !strings.Contains(stack, "certify_test.go:") {
				t.Errorf("panic message of %s has no stack through the case: %q", rep.Cases[i].Path(), m)
			}
			rep.Cases[i].Messages[j] = first + "\n<stack>"
		}
	}
}

func TestCertifyReportsEveryOutcome(t *testing.T) {
	f := &fakeSuite{}
	var events []ProgressEvent
	rep := certify(t.Context(), f.cases(), f.factory, store.Capabilities{store.GaplessPositions}, CertifyOptions{
		Adapter:  "fake",
		Clock:    newStepClock(),
		Progress: func(ev ProgressEvent) { events = append(events, ev) },
	})
	withoutStack(t, &rep)
	ms := time.Millisecond
	l := f.lines
	want := Report{
		Adapter:      "fake",
		Capabilities: store.Capabilities{store.GaplessPositions},
		StartedAt:    es.DefaultVirtualStart.Add(ms),
		Totals:       Totals{Passed: 1, Failed: 7, Skipped: 2, Duration: 10 * ms},
		Groups: []GroupResult{
			{Group: "g1", Totals: Totals{Passed: 1, Failed: 2, Duration: 3 * ms}},
			{Group: "g2", Totals: Totals{Failed: 2, Skipped: 2, Duration: 4 * ms}},
			{Group: "g3", Totals: Totals{Failed: 3, Duration: 3 * ms}},
		},
		Cases: []CaseResult{
			{Group: "g1", Name: "pass", Status: StatusPassed, Duration: ms, Messages: []string{at(l["pass"], "hello world")}},
			{Group: "g1", Name: "fail", Status: StatusFailed, Duration: ms, Messages: []string{
				at(l["fail1"], "first: 1"), at(l["fail2"], "second"), at(l["fail3"], "failed so far: true")}},
			{Group: "g1", Name: "fatal", Status: StatusFailed, Duration: ms, Messages: []string{at(l["fatal"], "stop here")}},
			{Group: "g2", Name: "skip", Status: StatusSkipped, Duration: ms, Messages: []string{at(l["skip"], "not today")}},
			{Group: "g2", Name: "panic", Status: StatusFailed, Duration: ms, Messages: []string{"panic: boom\n<stack>"}},
			{Group: "g2", Name: "gated", Status: StatusSkipped, Duration: ms,
				Requires: []store.Capability{store.Persistent, store.GaplessPositions},
				Messages: []string{"adapter does not claim [persistent]"}},
			{Group: "g2", Name: "helper", Status: StatusFailed, Duration: ms, Messages: []string{at(l["helper"], "reported by a helper")}},
			{Group: "g3", Name: "cleanup-panics", Status: StatusFailed, Duration: ms, Messages: []string{
				at(l["cleanup-fatal"], "fatal in cleanup"), "panic: in cleanup\n<stack>"}},
			{Group: "g3", Name: "error-then-skip", Status: StatusFailed, Duration: ms, Messages: []string{
				at(l["ets1"], "broken"), at(l["ets2"], "then skipped")}},
			{Group: "g3", Name: "factory-fails", Status: StatusFailed, Duration: ms, Messages: []string{at(l["factory"], "cannot open the store")}},
		},
	}
	if d := cmp.Diff(want, rep); d != "" {
		t.Errorf("report mismatch (-want +got):\n%s", d)
	}
	if rep.OK() {
		t.Errorf("OK() is true for a report with failures")
	}
	if got := len(rep.Failures()); got != 7 {
		t.Errorf("Failures() lists %d cases, want 7", got)
	}

	if f.afterFatal || f.afterSkip {
		t.Errorf("code after Fatalf ran: %v; after Skipf: %v", f.afterFatal, f.afterSkip)
	}
	if d := cmp.Diff([]string{"registered second", "registered first", "after the panicking cleanup"}, f.cleanupOrder); d != "" {
		t.Errorf("cleanup order (-want +got):\n%s", d)
	}
	if f.ctxInCase != nil || f.ctxInCleanup != context.Canceled {
		t.Errorf("context error during the case %v, in its cleanup %v; want nil, then context.Canceled", f.ctxInCase, f.ctxInCleanup)
	}
	wantNames := []string{"g1/pass", "g1/fail", "g1/fatal", "g2/skip", "g2/panic", "g2/helper", "g3/cleanup-panics", "g3/error-then-skip", "g3/factory-fails"}
	if d := cmp.Diff(wantNames, f.factoryNames); d != "" {
		t.Errorf("stores created for (-want +got):\n%s", d)
	}

	var wantEvents []ProgressEvent
	for i, c := range rep.Cases {
		start := CaseResult{Group: c.Group, Name: c.Name, Requires: c.Requires}
		wantEvents = append(wantEvents,
			ProgressEvent{Index: i + 1, Total: 10, Case: start},
			ProgressEvent{Finished: true, Index: i + 1, Total: 10, Case: c})
	}
	for i := range events { // the report's copies have their stacks removed
		if events[i].Finished {
			events[i].Case.Messages = rep.Cases[events[i].Index-1].Messages
		}
	}
	if d := cmp.Diff(wantEvents, events); d != "" {
		t.Errorf("progress events (-want +got):\n%s", d)
	}
}

func TestCertifyFilterSelectsCases(t *testing.T) {
	f := &fakeSuite{}
	rep := certify(t.Context(), f.cases(), f.factory, nil, CertifyOptions{
		Match: regexp.MustCompile(`^g2/(skip|gated)$|pass`),
		Clock: newStepClock(),
	})
	var got []string
	for _, c := range rep.Cases {
		got = append(got, c.Path()+" "+string(c.Status))
	}
	want := []string{"g1/pass passed", "g2/skip skipped", "g2/gated skipped"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("cases run (-want +got):\n%s", d)
	}
	if rep.Adapter != "unnamed" || rep.Filter != `^g2/(skip|gated)$|pass` || !rep.OK() {
		t.Errorf("adapter %q, filter %q, OK %v; want unnamed, the regexp, true", rep.Adapter, rep.Filter, rep.OK())
	}
	if d := cmp.Diff([]GroupResult{
		{Group: "g1", Totals: Totals{Passed: 1, Duration: time.Millisecond}},
		{Group: "g2", Totals: Totals{Skipped: 2, Duration: 2 * time.Millisecond}},
	}, rep.Groups); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	if rep.Capabilities == nil || len(rep.Capabilities) != 0 {
		t.Errorf("capabilities %#v, want an empty, non-nil list", rep.Capabilities)
	}
}

func TestCertifyCancelledBeforeStart(t *testing.T) {
	f := &fakeSuite{}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := 0
	rep := certify(ctx, f.cases()[:2], f.factory, nil, CertifyOptions{Clock: newStepClock(), Progress: func(ProgressEvent) { calls++ }})
	want := []CaseResult{
		{Group: "g1", Name: "pass", Status: StatusSkipped, Messages: []string{"not run: the certification was interrupted (context canceled)"}},
		{Group: "g1", Name: "fail", Status: StatusSkipped, Messages: []string{"not run: the certification was interrupted (context canceled)"}},
	}
	if d := cmp.Diff(want, rep.Cases); d != "" {
		t.Errorf("cases (-want +got):\n%s", d)
	}
	if rep.Interrupted != "context canceled" || rep.OK() || calls != 0 || len(f.factoryNames) != 0 {
		t.Errorf("interrupted %q, OK %v, %d progress calls, stores %v; want context canceled, false, 0, none", rep.Interrupted, rep.OK(), calls, f.factoryNames)
	}
}

func TestCertifyCancelledWhileRunning(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	release := make(chan struct{})
	defer close(release)
	cases := []Case{
		{Group: "g", Name: "first", Run: func(T, store.Store, Env) {}},
		{Group: "g", Name: "hangs", Run: func(t T, _ store.Store, _ Env) {
			t.Logf("about to hang")
			cancel()
			<-release // ignores its context, like a stuck adapter
		}},
		{Group: "g", Name: "third", Run: func(T, store.Store, Env) {}},
	}
	rep := certify(ctx, cases, func(T, Env) store.Store { return nopStore{} }, nil, CertifyOptions{Clock: newStepClock()})
	var got []string
	for _, c := range rep.Cases {
		got = append(got, fmt.Sprintf("%s %s %d", c.Name, c.Status, len(c.Messages)))
	}
	if d := cmp.Diff([]string{"first passed 0", "hangs failed 2", "third skipped 1"}, got); d != "" {
		t.Errorf("cases (-want +got):\n%s", d)
	}
	if msgs := rep.Cases[1].Messages; len(msgs) == 2 && msgs[1] != "interrupted while running: context canceled" {
		t.Errorf("the hanging case's last message is %q", msgs[1])
	}
	if rep.Interrupted != "context canceled" || rep.OK() {
		t.Errorf("interrupted %q, OK %v; want context canceled, false", rep.Interrupted, rep.OK())
	}
}

func TestRunnerRecordsConcurrentReports(t *testing.T) {
	cases := []Case{{Group: "g", Name: "goroutines", Run: func(t T, _ store.Store, _ Env) {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Errorf("from goroutine")
			}()
		}
		wg.Wait()
	}}}
	rep := certify(t.Context(), cases, func(T, Env) store.Store { return nopStore{} }, nil, CertifyOptions{Clock: newStepClock()})
	if c := rep.Cases[0]; c.Status != StatusFailed || len(c.Messages) != 8 {
		t.Errorf("got status %s with %d messages, want failed with 8", c.Status, len(c.Messages))
	}
}

// sampleReport is a hand-built report with every kind of case.
func sampleReport() Report {
	ms := time.Millisecond
	r := Report{
		Adapter:      "fake",
		Capabilities: store.Capabilities{store.GaplessPositions, store.FaultInjection},
		Filter:       "^docs/",
		StartedAt:    es.DefaultVirtualStart,
		Cases: []CaseResult{
			{Group: "docs", Name: "get", Status: StatusPassed, Duration: 1500 * time.Microsecond},
			{Group: "docs", Name: "list", Status: StatusFailed, Duration: 2 * ms, Messages: []string{
				"documents.go:10: keys: mismatch (-want +got):\n- a|b\n+ b|a", "documents.go:12: second"}},
			{Group: "jobs", Name: "lease", Status: StatusSkipped, Duration: 1234567 * time.Nanosecond,
				Requires: []store.Capability{store.Persistent}, Messages: []string{"adapter does not claim [persistent]"}},
			{Group: "jobs", Name: "claim", Status: StatusPassed, Duration: 2 * time.Second},
		},
	}
	r.summarize()
	return r
}

func TestReportSummarize(t *testing.T) {
	r := sampleReport()
	want := []GroupResult{
		{Group: "docs", Totals: Totals{Passed: 1, Failed: 1, Duration: 3500 * time.Microsecond}},
		{Group: "jobs", Totals: Totals{Passed: 1, Skipped: 1, Duration: 2*time.Second + 1234567*time.Nanosecond}},
	}
	if d := cmp.Diff(want, r.Groups); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	if d := cmp.Diff(Totals{Passed: 2, Failed: 1, Skipped: 1, Duration: 2*time.Second + 4734567*time.Nanosecond}, r.Totals); d != "" {
		t.Errorf("totals (-want +got):\n%s", d)
	}
}

func TestReportWriteTable(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `Conformance of fake (claims: gapless-positions, fault-injection)
Cases matching ^docs/

docs: 1 passed, 1 failed, 0 skipped (3.5ms)
  STATUS  CASE  TIME   NOTE
  PASS    get   1.5ms
  FAIL    list  2ms    documents.go:10: keys: mismatch (-want +got):

jobs: 1 passed, 0 failed, 1 skipped (2.001s)
  STATUS  CASE   TIME     NOTE
  SKIP    lease  1.235ms  adapter does not claim [persistent]
  PASS    claim  2s

GROUP  PASSED  FAILED  SKIPPED  TIME
docs   1       1       0        3.5ms
jobs   1       0       1        2.001s
TOTAL  2       1       1        2.005s

FAIL: 2 passed, 1 failed, 1 skipped in 2.005s
`
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("table (-want +got):\n%s", d)
	}
}

func TestReportWriteMarkdown(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "# Conformance report: fake\n\n" +
		"**FAIL: 2 passed, 1 failed, 1 skipped in 2.005s**\n\n" +
		"- Adapter: `fake`\n" +
		"- Claimed capabilities: `gapless-positions`, `fault-injection`\n" +
		"- Case filter: `^docs/`\n" +
		"- Started: 2026-01-01T00:00:00Z\n\n" +
		"## Summary\n\n" +
		"| Group | Passed | Failed | Skipped | Time |\n|---|---:|---:|---:|---:|\n" +
		"| docs | 1 | 1 | 0 | 3.5ms |\n" +
		"| jobs | 1 | 0 | 1 | 2.001s |\n" +
		"| **Total** | **2** | **1** | **1** | **2.005s** |\n\n" +
		"## Failures\n\n" +
		"### docs/list\n\n" +
		"```text\ndocuments.go:10: keys: mismatch (-want +got):\n- a|b\n+ b|a\ndocuments.go:12: second\n```\n\n" +
		"## Cases\n\n" +
		"### docs\n\n| Case | Status | Time | Note |\n|---|---|---:|---|\n" +
		"| get | passed | 1.5ms |  |\n" +
		"| list | **failed** | 2ms | documents.go:10: keys: mismatch (-want +got): |\n\n" +
		"### jobs\n\n| Case | Status | Time | Note |\n|---|---|---:|---|\n" +
		"| lease | skipped | 1.235ms | adapter does not claim [persistent] |\n" +
		"| claim | passed | 2s |  |\n"
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("markdown (-want +got):\n%s", d)
	}
}

func TestReportWriteJSON(t *testing.T) {
	var b strings.Builder
	r := sampleReport()
	r.Cases = r.Cases[2:3]
	r.Filter = ""
	r.summarize()
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	want := `{
  "adapter": "fake",
  "capabilities": [
    "gapless-positions",
    "fault-injection"
  ],
  "startedAt": "2026-01-01T00:00:00Z",
  "totals": {
    "passed": 0,
    "failed": 0,
    "skipped": 1,
    "durationNs": 1234567
  },
  "groups": [
    {
      "group": "jobs",
      "passed": 0,
      "failed": 0,
      "skipped": 1,
      "durationNs": 1234567
    }
  ],
  "cases": [
    {
      "group": "jobs",
      "name": "lease",
      "status": "skipped",
      "requires": [
        "persistent"
      ],
      "durationNs": 1234567,
      "messages": [
        "adapter does not claim [persistent]"
      ]
    }
  ]
}
`
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("JSON (-want +got):\n%s", d)
	}
}

func TestReportMarkdownFenceAndEscapes(t *testing.T) {
	r := Report{Adapter: "a|b", Cases: []CaseResult{{Group: "g", Name: "x_y", Status: StatusFailed, Messages: []string{"has ``` inside"}}}}
	r.summarize()
	var b strings.Builder
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"# Conformance report: a\\|b\n", "### g/x\\_y\n\n````text\nhas ``` inside\n````\n", "| x\\_y | **failed** |"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestReportWritersReturnWriteErrors(t *testing.T) {
	r := sampleReport()
	for name, write := range map[string]func() error{
		"table":    func() error { return r.WriteTable(failingWriter{}) },
		"markdown": func() error { return r.WriteMarkdown(failingWriter{}) },
		"json":     func() error { return r.WriteJSON(failingWriter{}) },
	} {
		if err := write(); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: got %v, want the writer's error", name, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                           "0s",
		400 * time.Nanosecond:       "0s",
		1500 * time.Nanosecond:      "2µs",
		1234567:                     "1.235ms",
		999 * time.Millisecond:      "999ms",
		1500 * time.Millisecond:     "1.5s",
		61234567 * time.Microsecond: "1m1.235s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%d) = %q, want %q", d, got, want)
		}
	}
}
