// Package logging is the platform's scoped, level-filtered structured
// logging, built on log/slog.
//
// A Logger has six methods — Debug, Trace, Info, Report, Warn, Error — each
// taking a message and optional structured data. Scoped loggers prefix every
// entry with a scope ("[orders] Command started"), filter by a configured
// level, and hand records to any slog.Handler: TextHandler renders the
// platform's line format, JSONHandler renders one JSON object per entry, and
// logtest.Recorder captures entries for assertions in tests. Time comes
// from an injected es.Clock, never from time.Now.
//
// Levels and their priorities (higher is more severe): DEBUG 0, TRACE 1,
// INFO 2, REPORT 3, WARN 4, ERROR 5. An entry is emitted when its priority
// is at least the configured level's (ShouldLog). The default level is INFO.
package logging

import (
	"log/slog"
	"strconv"
	"strings"

	"github.com/eventspec/eventspec/es"
)

// Level is a log level. Its value is the slog.Level it maps to, so a Level
// converts to slog.Level directly and slog handlers order levels correctly.
type Level slog.Level

// The six platform levels, spread over slog's range −8…+8. TRACE sits above
// DEBUG (as in the original platform), REPORT between INFO and WARN.
const (
	LevelDebug  Level = -8
	LevelTrace  Level = -4
	LevelInfo   Level = 0
	LevelReport Level = 2
	LevelWarn   Level = 4
	LevelError  Level = 8
)

// DefaultLevel is the level a logger filters at when none is given: INFO.
const DefaultLevel = LevelInfo

// Levels lists the six levels in ascending priority.
var Levels = []Level{LevelDebug, LevelTrace, LevelInfo, LevelReport, LevelWarn, LevelError}

// Slog returns the slog.Level of l.
func (l Level) Slog() slog.Level { return slog.Level(l) }

// Level implements slog.Leveler, so a Level can be a handler's minimum.
func (l Level) Level() slog.Level { return slog.Level(l) }

// Priority returns l's priority: DEBUG 0, TRACE 1, INFO 2, REPORT 3, WARN 4,
// ERROR 5. A value that is not one of the six levels gets the priority of
// the highest level not above it (below DEBUG counts as DEBUG).
func (l Level) Priority() int {
	p := 0
	for i, x := range Levels {
		if l >= x {
			p = i
		}
	}
	return p
}

// String returns the level's name: DEBUG, TRACE, INFO, REPORT, WARN or
// ERROR; other values render as slog does relative to the nearest level
// below (e.g. "INFO+1").
func (l Level) String() string {
	for _, x := range Levels {
		if l == x {
			return levelNames[x]
		}
	}
	base := Levels[l.Priority()]
	if l < LevelDebug {
		base = LevelDebug
	}
	return levelNames[base] + signed(int(l)-int(base))
}

func signed(n int) string {
	if n >= 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

var levelNames = map[Level]string{
	LevelDebug:  "DEBUG",
	LevelTrace:  "TRACE",
	LevelInfo:   "INFO",
	LevelReport: "REPORT",
	LevelWarn:   "WARN",
	LevelError:  "ERROR",
}

// ParseLevel parses a level name, case-insensitively ("info", "WARN"). An
// unknown name is an INVALID_ARGUMENT error.
func ParseLevel(s string) (Level, error) {
	up := strings.ToUpper(strings.TrimSpace(s))
	for l, n := range levelNames {
		if n == up {
			return l, nil
		}
	}
	return 0, es.Errorf(es.CodeInvalidArgument, "unknown log level %q (want one of DEBUG, TRACE, INFO, REPORT, WARN, ERROR)", s)
}

// ShouldLog reports whether an entry at msg passes a logger configured at
// configured: priority(msg) >= priority(configured).
func ShouldLog(msg, configured Level) bool { return msg.Priority() >= configured.Priority() }

// levelOf returns the platform Level of a slog level (its nearest platform
// level not above it).
func levelOf(l slog.Level) Level { return Levels[Level(l).Priority()] }
