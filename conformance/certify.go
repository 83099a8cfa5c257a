package conformance

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// CertifyOptions shape a Certify run.
type CertifyOptions struct {
	// Adapter names the adapter in the report ("unnamed" when empty).
	Adapter string
	// Match, when set, selects the cases whose "group/name" it matches
	// (unanchored, like go test -run on the whole path); the others are
	// left out of the report.
	Match *regexp.Regexp
	// Progress, when set, is called from Certify's goroutine as each
	// selected case starts and finishes.
	Progress func(ProgressEvent)
	// Clock measures durations and stamps the report (es.RealClock when
	// nil). Timing is reported, never used to decide an outcome.
	Clock es.Clock
}

// ProgressEvent tells a progress callback where a Certify run is.
type ProgressEvent struct {
	// Finished is false when the case is starting and true when it ended.
	Finished bool
	// Index is the case's 1-based place among the Total selected cases.
	Index, Total int
	// Case holds the group and name; once Finished, also the outcome.
	Case CaseResult
}

// Certify runs every registered case (those opts.Match selects) on a fresh
// store from factory, one after another, outside `go test`, and reports
// the outcome of each. caps are the capabilities the adapter claims; cases
// that need others are skipped with the reason.
//
// Each case runs in its own goroutine with a T whose Fatalf and Skipf end
// the case (runtime.Goexit, so — as with testing.T — call them only from
// the case's goroutine), whose Cleanup functions run last-in first-out
// after the case, and whose Context is cancelled when the case ends, just
// before the cleanups. A panic in a case or a cleanup fails the case with
// the panic value and stack.
//
// When ctx is done the run stops: a case still running is reported failed
// (and left to finish on its own), the remaining ones skipped, and
// Report.Interrupted says why.
func Certify(ctx context.Context, factory Factory, caps store.Capabilities, opts CertifyOptions) Report {
	return certify(ctx, Cases(), factory, caps, opts)
}

func certify(ctx context.Context, cases []Case, factory Factory, caps store.Capabilities, opts CertifyOptions) Report {
	clock := opts.Clock
	if clock == nil {
		clock = es.RealClock{}
	}
	var selected []Case
	for _, c := range cases {
		if opts.Match == nil || opts.Match.MatchString(c.Group+"/"+c.Name) {
			selected = append(selected, c)
		}
	}
	rep := Report{
		Adapter:      opts.Adapter,
		Capabilities: append(store.Capabilities{}, caps...),
		StartedAt:    clock.Now(),
		Cases:        []CaseResult{},
	}
	if rep.Adapter == "" {
		rep.Adapter = "unnamed"
	}
	if opts.Match != nil {
		rep.Filter = opts.Match.String()
	}
	progress := func(ev ProgressEvent) {
		if opts.Progress != nil {
			opts.Progress(ev)
		}
	}
	for i, c := range selected {
		if err := ctx.Err(); err != nil && rep.Interrupted == "" {
			rep.Interrupted = err.Error()
		}
		if rep.Interrupted != "" {
			res := newCaseResult(c)
			res.Status = StatusSkipped
			res.Messages = []string{"not run: the certification was interrupted (" + rep.Interrupted + ")"}
			rep.Cases = append(rep.Cases, res)
			continue
		}
		progress(ProgressEvent{Index: i + 1, Total: len(selected), Case: newCaseResult(c)})
		res, completed := runCase(ctx, c, factory, caps, clock)
		if !completed {
			rep.Interrupted = ctx.Err().Error()
		}
		rep.Cases = append(rep.Cases, res)
		progress(ProgressEvent{Finished: true, Index: i + 1, Total: len(selected), Case: res})
	}
	rep.summarize()
	return rep
}

func newCaseResult(c Case) CaseResult {
	return CaseResult{Group: c.Group, Name: c.Name, Requires: append([]store.Capability(nil), c.Requires...)}
}

// runCase runs one case on a fresh store. completed is false when ctx
// ended the wait for it.
func runCase(ctx context.Context, c Case, factory Factory, caps store.Capabilities, clock es.Clock) (res CaseResult, completed bool) {
	res = newCaseResult(c)
	start := clock.Now()
	defer func() { res.Duration = clock.Now().Sub(start) }()
	if m := missing(c, caps); len(m) > 0 {
		res.Status = StatusSkipped
		res.Messages = []string{fmt.Sprintf("adapter does not claim %v", m)}
		return res, true
	}
	r := newRunner(ctx, c.Group+"/"+c.Name)
	completed = r.run(func(t T) {
		env := newEnv()
		s := factory(t, env)
		c.Run(t, s, env)
	})
	res.Status, res.Messages = r.outcome()
	if !completed {
		res.Status = StatusFailed
		res.Messages = append(res.Messages, "interrupted while running: "+ctx.Err().Error())
	}
	return res, completed
}

// runner is the T behind Certify: it records what a case reports, the way
// testing.T does, without the testing package.
type runner struct {
	name   string
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	failed   bool
	skipped  bool
	ended    bool // the case and its cleanups are over; later reports are dropped
	messages []string
	cleanups []func()
	helpers  map[string]bool // functions marked by Helper, by name
}

var _ T = (*runner)(nil)

func newRunner(parent context.Context, name string) *runner {
	ctx, cancel := context.WithCancel(parent)
	return &runner{name: name, parent: parent, ctx: ctx, cancel: cancel, helpers: map[string]bool{}}
}

// run calls body in a new goroutine, then the cleanups, and waits for
// both, or for the parent context to be done (then it returns false).
func (r *runner) run(body func(T)) (completed bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.finish()
		defer r.recoverPanic()
		body(r)
	}()
	select {
	case <-done:
		return true
	case <-r.parent.Done():
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}

// recoverPanic turns a panic of the calling goroutine into a failure.
// (runtime.Goexit from Fatalf or Skipf is not a panic: recover returns nil.)
func (r *runner) recoverPanic() {
	if v := recover(); v != nil {
		r.record(true, false, fmt.Sprintf("panic: %v\n%s", v, debug.Stack()))
	}
}

// finish cancels the case's context, then runs the cleanups last-in
// first-out, each in its own goroutine so that a Fatalf or panic in one
// does not stop the others.
func (r *runner) finish() {
	r.cancel()
	for {
		r.mu.Lock()
		n := len(r.cleanups)
		if n == 0 {
			r.ended = true
			r.mu.Unlock()
			return
		}
		fn := r.cleanups[n-1]
		r.cleanups = r.cleanups[:n-1]
		r.mu.Unlock()
		ran := make(chan struct{})
		go func() {
			defer close(ran)
			defer r.recoverPanic()
			fn()
		}()
		<-ran
	}
}

// outcome is the case's status and messages.
func (r *runner) outcome() (Status, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := StatusPassed
	switch {
	case r.failed:
		st = StatusFailed
	case r.skipped:
		st = StatusSkipped
	}
	return st, append([]string(nil), r.messages...)
}

// record adds a message and marks the case failed or skipped.
func (r *runner) record(fail, skip bool, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.failed = r.failed || fail
	r.skipped = r.skipped || skip
	r.messages = append(r.messages, msg)
}

// report formats a message prefixed with the file:line of the code that
// reported it, skipping the runner and functions marked by Helper.
func (r *runner) report(fail, skip bool, format string, args []any) {
	r.record(fail, skip, r.location()+fmt.Sprintf(format, args...))
}

func (r *runner) location() string {
	var pcs [64]uintptr
	n := runtime.Callers(1, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	self, _ := frames.Next() // this method: its name gives the runner's prefix
	prefix := self.Function[:strings.LastIndex(self.Function, ".")+1]
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, prefix) && !r.helpers[f.Function] {
			if f.File == "" {
				return ""
			}
			return fmt.Sprintf("%s:%d: ", filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

// Helper marks the calling function as a helper: messages name the line
// that called it instead.
func (r *runner) Helper() {
	pc, _, _, ok := runtime.Caller(1)
	if !ok {
		return
	}
	name := runtime.FuncForPC(pc).Name()
	r.mu.Lock()
	r.helpers[name] = true
	r.mu.Unlock()
}

// Name returns "group/name".
func (r *runner) Name() string { return r.name }

// Logf records a message.
func (r *runner) Logf(format string, args ...any) { r.report(false, false, format, args) }

// Errorf records a message and marks the case failed; the case goes on.
func (r *runner) Errorf(format string, args ...any) { r.report(true, false, format, args) }

// Fatalf records a message, marks the case failed and ends it.
func (r *runner) Fatalf(format string, args ...any) {
	r.report(true, false, format, args)
	runtime.Goexit()
}

// Skipf records a message, marks the case skipped (unless it already
// failed) and ends it.
func (r *runner) Skipf(format string, args ...any) {
	r.report(false, true, format, args)
	runtime.Goexit()
}

// Failed reports whether the case has failed so far.
func (r *runner) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// Cleanup registers fn to run after the case, last registered first.
func (r *runner) Cleanup(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, fn)
}

// Context is cancelled when the case ends, before its cleanups run.
func (r *runner) Context() context.Context { return r.ctx }
