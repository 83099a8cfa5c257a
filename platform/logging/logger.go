package logging

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
)

// Fields is the structured data of one entry. Keys are emitted in sorted
// order, so the same data always renders the same bytes.
type Fields = map[string]any

// Logger is the platform logging interface every component accepts. data
// may be nil. Implementations: *Scoped (over any slog.Handler), Nop(), and
// logtest.Recorder for tests.
type Logger interface {
	Debug(msg string, data Fields)
	Trace(msg string, data Fields)
	Info(msg string, data Fields)
	Report(msg string, data Fields)
	Warn(msg string, data Fields)
	Error(msg string, data Fields)
}

// Attribute keys the package writes.
const (
	// ScopeKey is the attribute holding a scoped logger's scope.
	ScopeKey = "scope"
	// TimingKey is the data key that turns a Trace call into a timer
	// operation: TimingStart starts a timer, TimingEnd stops it.
	TimingKey = "timing"
	// DurationKey is the data key of the elapsed milliseconds a stopped
	// timer reports.
	DurationKey = "durationMs"
)

// Timer operations for Trace (TRACE_TIMING in the original).
const (
	TimingStart = "start"
	TimingEnd   = "end"
)

// Scoped is a Logger bound to a scope and a minimum level that sends
// records to a slog.Handler. The zero value and a nil *Scoped log nothing.
// It is safe for concurrent use.
type Scoped struct {
	h      slog.Handler
	scope  string
	level  Level
	clock  es.Clock
	timers *timers
}

// Option configures a Scoped logger.
type Option func(*Scoped)

// WithClock makes the logger stamp entries, and measure timers, with c
// (default es.RealClock). Tests pass an es.VirtualClock.
func WithClock(c es.Clock) Option {
	return func(s *Scoped) {
		if c != nil {
			s.clock = c
		}
	}
}

// New returns a logger with the given scope that emits entries at level or
// above to h. A nil h logs nothing.
func New(h slog.Handler, scope string, level Level, opts ...Option) *Scoped {
	s := &Scoped{h: h, scope: scope, level: level, clock: es.RealClock{}, timers: &timers{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Scope returns the logger's scope.
func (s *Scoped) Scope() string {
	if s == nil {
		return ""
	}
	return s.scope
}

// MinLevel returns the level the logger filters at.
func (s *Scoped) MinLevel() Level {
	if s == nil {
		return DefaultLevel
	}
	return s.level
}

// Child returns a logger for a part of s: its scope is "<scope>:<name>"
// (just name when s has no scope), its level is level, and it shares s's
// handler and clock.
func (s *Scoped) Child(name string, level Level) *Scoped {
	if s == nil {
		return nil
	}
	scope := name
	if s.scope != "" {
		scope = s.scope + ":" + name
	}
	return &Scoped{h: s.h, scope: scope, level: level, clock: s.clock, timers: &timers{}}
}

// Enabled reports whether an entry at level would be emitted.
func (s *Scoped) Enabled(level Level) bool {
	return s != nil && s.h != nil && ShouldLog(level, s.level) &&
		s.h.Enabled(context.Background(), level.Slog())
}

// Debug logs at DEBUG.
func (s *Scoped) Debug(msg string, data Fields) { s.log(LevelDebug, msg, data) }

// Trace logs at TRACE. When data[TimingKey] is TimingStart it starts a
// timer named "[scope] msg" and emits nothing; when it is TimingEnd it
// stops that timer and emits msg with data[DurationKey] set to the elapsed
// milliseconds (TimingKey removed). An end without a start is logged as an
// ordinary entry.
func (s *Scoped) Trace(msg string, data Fields) {
	if !s.Enabled(LevelTrace) {
		return
	}
	label := "[" + s.scope + "] " + msg
	switch data[TimingKey] {
	case TimingStart:
		s.timers.start(label, s.clock.Now())
		return
	case TimingEnd:
		if started, ok := s.timers.stop(label); ok {
			out := maps.Clone(data)
			delete(out, TimingKey)
			out[DurationKey] = s.clock.Now().Sub(started).Milliseconds()
			s.log(LevelTrace, msg, out)
			return
		}
	}
	s.log(LevelTrace, msg, data)
}

// Info logs at INFO.
func (s *Scoped) Info(msg string, data Fields) { s.log(LevelInfo, msg, data) }

// Report logs a structured report at REPORT. TextHandler renders it as one
// JSON object {scope, message, …data, timestamp}.
func (s *Scoped) Report(msg string, data Fields) { s.log(LevelReport, msg, data) }

// Warn logs at WARN.
func (s *Scoped) Warn(msg string, data Fields) { s.log(LevelWarn, msg, data) }

// Error logs at ERROR.
func (s *Scoped) Error(msg string, data Fields) { s.log(LevelError, msg, data) }

func (s *Scoped) log(level Level, msg string, data Fields) {
	if !s.Enabled(level) {
		return
	}
	r := slog.NewRecord(s.clock.Now(), level.Slog(), msg, 0)
	if s.scope != "" {
		r.AddAttrs(slog.String(ScopeKey, s.scope))
	}
	r.AddAttrs(Attrs(data)...)
	_ = s.h.Handle(context.Background(), r) // a failing sink must not fail the caller
}

// Attrs converts data to slog attributes in sorted key order.
func Attrs(data Fields) []slog.Attr {
	if len(data) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(data))
	out := make([]slog.Attr, len(keys))
	for i, k := range keys {
		out[i] = slog.Any(k, data[k])
	}
	return out
}

type timers struct {
	mu      sync.Mutex
	started map[string]time.Time
}

func (t *timers) start(label string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started == nil {
		t.started = map[string]time.Time{}
	}
	t.started[label] = at
}

func (t *timers) stop(label string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.started[label]
	delete(t.started, label)
	return at, ok
}

// Nop returns a Logger that emits nothing (createPlatformNoOpLogger).
func Nop() Logger { return nop{} }

type nop struct{}

func (nop) Debug(string, Fields)  {}
func (nop) Trace(string, Fields)  {}
func (nop) Info(string, Fields)   {}
func (nop) Report(string, Fields) {}
func (nop) Warn(string, Fields)   {}
func (nop) Error(string, Fields)  {}

// OrNop returns l, or Nop() when l is nil (including a nil *Scoped), so
// components can accept an optional logger.
func OrNop(l Logger) Logger {
	if l == nil {
		return nop{}
	}
	if s, ok := l.(*Scoped); ok && s == nil {
		return nop{}
	}
	return l
}

// Log calls the method of l for level: it lets code pick the level at run
// time. Levels that are not one of the six use the nearest level below.
func Log(l Logger, level Level, msg string, data Fields) {
	switch levelOf(level.Slog()) {
	case LevelDebug:
		l.Debug(msg, data)
	case LevelTrace:
		l.Trace(msg, data)
	case LevelInfo:
		l.Info(msg, data)
	case LevelReport:
		l.Report(msg, data)
	case LevelWarn:
		l.Warn(msg, data)
	default:
		l.Error(msg, data)
	}
}
