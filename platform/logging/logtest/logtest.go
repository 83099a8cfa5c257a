// Package logtest captures log entries for assertions in tests.
//
// A Recorder is itself a logging.Logger (entries get an empty scope), and
// its Handler or Logger methods capture what scoped loggers and plain
// slog loggers emit. Filtered recorders keep only entries at or above a
// minimum level; every query sees only captured entries.
package logtest

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/logging"
)

// Entry is one captured log entry. Data is nil when the entry had none.
type Entry = logging.Entry

// Recorder captures log entries. It is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	min     logging.Level
	clock   es.Clock
	entries []Entry
}

// New returns a recorder that captures every level. Entries logged
// directly on the recorder carry the zero time unless a clock is set with
// WithClock.
func New() *Recorder { return NewFiltered(logging.LevelDebug) }

// NewFiltered returns a recorder that captures only entries at min or
// above (createFilteredMockLogger).
func NewFiltered(min logging.Level) *Recorder { return &Recorder{min: min} }

// WithClock makes the recorder stamp directly logged entries with c and
// hand c to the loggers it builds. It returns r.
func (r *Recorder) WithClock(c es.Clock) *Recorder {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clock = c
	return r
}

func (r *Recorder) add(e Entry) {
	if e.Level < r.min {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
}

func (r *Recorder) log(level logging.Level, msg string, data logging.Fields) {
	var data2 logging.Fields
	if len(data) > 0 {
		data2 = make(logging.Fields, len(data))
		for k, v := range data {
			data2[k] = v
		}
	}
	r.mu.Lock()
	clock := r.clock
	r.mu.Unlock()
	e := Entry{Level: level, Message: msg, Data: data2}
	if clock != nil {
		e.Time = clock.Now()
	}
	r.add(e)
}

// Debug records a DEBUG entry.
func (r *Recorder) Debug(msg string, data logging.Fields) { r.log(logging.LevelDebug, msg, data) }

// Trace records a TRACE entry (timing data is recorded as given).
func (r *Recorder) Trace(msg string, data logging.Fields) { r.log(logging.LevelTrace, msg, data) }

// Info records an INFO entry.
func (r *Recorder) Info(msg string, data logging.Fields) { r.log(logging.LevelInfo, msg, data) }

// Report records a REPORT entry.
func (r *Recorder) Report(msg string, data logging.Fields) { r.log(logging.LevelReport, msg, data) }

// Warn records a WARN entry.
func (r *Recorder) Warn(msg string, data logging.Fields) { r.log(logging.LevelWarn, msg, data) }

// Error records an ERROR entry.
func (r *Recorder) Error(msg string, data logging.Fields) { r.log(logging.LevelError, msg, data) }

// Handler returns a slog.Handler that records into r, so plain slog
// loggers and logging.New can be captured.
func (r *Recorder) Handler() slog.Handler {
	return logging.NewEntryHandler(logging.LevelDebug, func(e Entry) error {
		r.add(e)
		return nil
	})
}

// Logger returns a scoped logger at level that records into r. It reads
// r's clock when one is set; otherwise entries carry the zero time and
// timers measure zero.
func (r *Recorder) Logger(scope string, level logging.Level) *logging.Scoped {
	r.mu.Lock()
	clock := r.clock
	r.mu.Unlock()
	if clock == nil {
		clock = zeroClock{}
	}
	return logging.New(r.Handler(), scope, level, logging.WithClock(clock))
}

type zeroClock struct{}

func (zeroClock) Now() time.Time { return time.Time{} }

// Entries returns a copy of the captured entries, oldest first.
func (r *Recorder) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Entry(nil), r.entries...)
}

// Len returns the number of captured entries.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// Clear forgets every captured entry.
func (r *Recorder) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = nil
}

// AtLevel returns the captured entries at level, oldest first.
func (r *Recorder) AtLevel(level logging.Level) []Entry {
	var out []Entry
	for _, e := range r.Entries() {
		if e.Level == level {
			out = append(out, e)
		}
	}
	return out
}

// HasMessage reports whether some captured entry's message contains substr.
func (r *Recorder) HasMessage(substr string) bool {
	for _, e := range r.Entries() {
		if strings.Contains(e.Message, substr) {
			return true
		}
	}
	return false
}

// HasLoggedAt reports whether some captured entry at level has a message
// containing substr.
func (r *Recorder) HasLoggedAt(level logging.Level, substr string) bool {
	for _, e := range r.AtLevel(level) {
		if strings.Contains(e.Message, substr) {
			return true
		}
	}
	return false
}

// LastAt returns the newest captured entry at level, and false when there
// is none.
func (r *Recorder) LastAt(level logging.Level) (Entry, bool) {
	at := r.AtLevel(level)
	if len(at) == 0 {
		return Entry{}, false
	}
	return at[len(at)-1], true
}

// TB is the part of testing.TB the assertions use.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// ExpectLogged fails t unless some captured entry at level has a message
// containing substr; the failure lists what was captured.
func (r *Recorder) ExpectLogged(t TB, level logging.Level, substr string) {
	t.Helper()
	if !r.HasLoggedAt(level, substr) {
		t.Errorf("no %s entry containing %q; captured:\n%s", level, substr, r)
	}
}

// ExpectNotLogged fails t if some captured entry at level has a message
// containing substr.
func (r *Recorder) ExpectNotLogged(t TB, level logging.Level, substr string) {
	t.Helper()
	if r.HasLoggedAt(level, substr) {
		t.Errorf("unexpected %s entry containing %q; captured:\n%s", level, substr, r)
	}
}

// String lists the captured entries, one per line, for failure messages.
func (r *Recorder) String() string {
	var b strings.Builder
	entries := r.Entries()
	if len(entries) == 0 {
		return "  (nothing)"
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "  %s", e.Level)
		if e.Scope != "" {
			fmt.Fprintf(&b, " [%s]", e.Scope)
		}
		fmt.Fprintf(&b, " %s", e.Message)
		if e.Data != nil {
			fmt.Fprintf(&b, " %v", e.Data)
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}
