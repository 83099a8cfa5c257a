package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"
)

// TextOptions configures NewTextHandler.
type TextOptions struct {
	// Level is the minimum level the handler accepts (default DEBUG: the
	// logger's own level decides).
	Level slog.Leveler
	// Time prefixes each line with the record's time (RFC 3339, UTC,
	// milliseconds). Off by default.
	Time bool
}

// Entry is one log entry as a handler sees it: the record's time, level,
// scope attribute, message and remaining data (nil when there is none).
type Entry struct {
	Time    time.Time
	Level   Level
	Scope   string
	Message string
	Data    Fields
}

// NewEntryHandler returns a slog.Handler that turns every record at min or
// above into an Entry (see RecordFields) and passes it to fn. WithAttrs and
// WithGroup are honoured. Calls to fn are serialised across the handler and
// every handler derived from it. Capturing loggers and custom sinks build
// on it.
func NewEntryHandler(min slog.Leveler, fn func(Entry) error) slog.Handler {
	if min == nil {
		min = LevelDebug
	}
	return &entryHandler{mu: &sync.Mutex{}, min: min, fn: fn}
}

type entryHandler struct {
	mu     *sync.Mutex
	min    slog.Leveler
	fn     func(Entry) error
	groups []string    // open groups for attributes added later
	attrs  []boundAttr // attributes from WithAttrs
}

type boundAttr struct {
	groups []string
	attr   slog.Attr
}

func (h *entryHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min.Level() }

func (h *entryHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]boundAttr(nil), h.attrs...)
	for _, a := range as {
		c.attrs = append(c.attrs, boundAttr{groups: h.groups, attr: a})
	}
	return &c
}

func (h *entryHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups = append(append([]string(nil), h.groups...), name)
	return &c
}

func (h *entryHandler) Handle(_ context.Context, r slog.Record) error {
	scope, data := splitAttrs(h.attrs, h.groups, r)
	if len(data) == 0 {
		data = nil
	}
	e := Entry{Time: r.Time, Level: Level(r.Level), Scope: scope, Message: r.Message, Data: data}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fn(e)
}

// RecordFields splits a slog record's attributes into the scope (the
// top-level ScopeKey attribute) and the rest of the data, nested by group,
// with values converted as the handlers render them (big integers as
// strings, errors as messages, durations as milliseconds).
func RecordFields(r slog.Record) (scope string, data Fields) {
	return splitAttrs(nil, nil, r)
}

func splitAttrs(bound []boundAttr, groups []string, r slog.Record) (scope string, data Fields) {
	data = Fields{}
	put := func(groups []string, a slog.Attr) {
		if len(groups) == 0 && a.Key == ScopeKey && scope == "" {
			scope = a.Value.Resolve().String()
			return
		}
		addAttr(data, groups, a)
	}
	for _, b := range bound {
		put(b.groups, b.attr)
	}
	r.Attrs(func(a slog.Attr) bool {
		put(groups, a)
		return true
	})
	return scope, data
}

// NewTextHandler returns a slog.Handler that writes the platform's line
// format to w, one entry per line:
//
//	INFO [orders] Command started {"commandId":"c1"}
//
// The JSON data part appears only when the entry has data, with keys
// sorted. REPORT entries are written as a single JSON object
// {"message":…,"scope":…,"timestamp":<unix ms>,…data}. Writes are
// serialised, so one handler may serve many goroutines.
func NewTextHandler(w io.Writer, opts *TextOptions) slog.Handler {
	var o TextOptions
	if opts != nil {
		o = *opts
	}
	return NewEntryHandler(o.Level, func(e Entry) error {
		var buf bytes.Buffer
		if levelOf(e.Level.Slog()) == LevelReport {
			obj := map[string]any{}
			for k, v := range e.Data {
				obj[k] = v
			}
			obj["message"] = e.Message
			if e.Scope != "" {
				obj[ScopeKey] = e.Scope
			}
			obj["timestamp"] = e.Time.UnixMilli()
			if err := encodeJSON(&buf, obj); err != nil {
				return err
			}
		} else {
			if o.Time && !e.Time.IsZero() {
				buf.WriteString(e.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
				buf.WriteByte(' ')
			}
			buf.WriteString(e.Level.String())
			buf.WriteByte(' ')
			if e.Scope != "" {
				buf.WriteString("[" + e.Scope + "] ")
			}
			buf.WriteString(e.Message)
			if len(e.Data) > 0 {
				buf.WriteByte(' ')
				if err := encodeJSON(&buf, e.Data); err != nil {
					return err
				}
			}
		}
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// addAttr stores a under the nested groups of data.
func addAttr(data map[string]any, groups []string, a slog.Attr) {
	v := a.Value.Resolve()
	if a.Key == "" && v.Kind() != slog.KindGroup {
		return
	}
	m := data
	for _, g := range groups {
		sub, ok := m[g].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[g] = sub
		}
		m = sub
	}
	if v.Kind() == slog.KindGroup {
		target := m
		if a.Key != "" {
			sub, ok := m[a.Key].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[a.Key] = sub
			}
			target = sub
		}
		for _, ga := range v.Group() {
			addAttr(target, nil, ga)
		}
		return
	}
	m[a.Key] = jsonValue(v)
}

// jsonValue converts a resolved slog.Value to something encoding/json
// renders faithfully: big integers become decimal strings, errors their
// message, times RFC 3339, durations milliseconds.
func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration().Milliseconds()
	case slog.KindTime:
		return v.Time().UTC().Format(time.RFC3339Nano)
	}
	return anyValue(v.Any())
}

func anyValue(x any) any {
	switch t := x.(type) {
	case nil:
		return nil
	case *big.Int:
		if t == nil {
			return nil
		}
		return t.String()
	case error:
		return t.Error()
	case json.Number:
		return t // encoding/json writes it as the number it holds
	case fmt.Stringer:
		if _, isJSON := x.(json.Marshaler); !isJSON {
			return t.String()
		}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[k] = anyValue(v)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = anyValue(v)
		}
		return out
	}
	return x
}

func encodeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
	return nil
}

// JSONOptions configures NewJSONHandler.
type JSONOptions struct {
	// Level is the minimum level the handler accepts (default DEBUG).
	Level slog.Leveler
	// OmitTimestamp drops the "timestamp" key (included by default, as an
	// RFC 3339 string in UTC with milliseconds).
	OmitTimestamp bool
	// Service, when set, adds a "service" key to every entry.
	Service string
}

// NewJSONHandler returns a slog.Handler writing one JSON object per entry
// (createJsonLogger): {"level":"info","message":…,…data,"timestamp":…,
// "service":…}. Level names are lower case ("debug", "trace", "info",
// "report", "warn", "error").
func NewJSONHandler(w io.Writer, opts *JSONOptions) slog.Handler {
	var o JSONOptions
	if opts != nil {
		o = *opts
	}
	if o.Level == nil {
		o.Level = LevelDebug
	}
	h := slog.Handler(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: o.Level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				if a.Value.Kind() == slog.KindAny {
					a.Value = slog.AnyValue(anyValue(a.Value.Any()))
				}
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				if o.OmitTimestamp {
					return slog.Attr{}
				}
				return slog.String("timestamp", a.Value.Time().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
			case slog.LevelKey:
				l, _ := a.Value.Any().(slog.Level)
				return slog.String("level", strings.ToLower(Level(l).String()))
			case slog.MessageKey:
				return slog.String("message", a.Value.String())
			}
			if a.Value.Kind() == slog.KindAny {
				a.Value = slog.AnyValue(anyValue(a.Value.Any()))
			}
			return a
		},
	}))
	if o.Service != "" {
		h = h.WithAttrs([]slog.Attr{slog.String("service", o.Service)})
	}
	return h
}
