// Package field checks the fields of a JSON object against a hand-written
// schema: required and optional strings, integers with a lower bound,
// booleans, literals and enums. The event schemas (package event) and the
// command schemas (package command/schema) describe their wire shapes with
// it instead of a reflection-based validator, so every rule is visible in
// plain Go and every problem is reported as an Issue naming the field.
//
// An Object collects issues instead of stopping at the first one, so a
// caller reports every problem of a document at once.
package field

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/eventspec/eventspec/es"
)

// Issue codes. They mirror the kinds of problem a schema reports.
const (
	// CodeRequired: a required field is absent (or null).
	CodeRequired = "required"
	// CodeInvalidType: the field holds the wrong JSON type.
	CodeInvalidType = "invalid_type"
	// CodeTooSmall: a number below its minimum, or an empty string that must
	// not be empty.
	CodeTooSmall = "too_small"
	// CodeTooBig: a number or list above its maximum.
	CodeTooBig = "too_big"
	// CodeInvalidLiteral: the field must hold one exact value.
	CodeInvalidLiteral = "invalid_literal"
	// CodeInvalidEnum: the field must hold one of a fixed set of values.
	CodeInvalidEnum = "invalid_enum_value"
	// CodeInvalidUnion: a discriminated union met an unknown discriminator.
	CodeInvalidUnion = "invalid_union_discriminator"
	// CodeCustom: a rule specific to one schema failed.
	CodeCustom = "custom"
)

// Issue is one problem with a document.
type Issue struct {
	// Path is the dot-joined path of the field ("" for the whole document).
	Path    string `json:"path"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (i Issue) String() string {
	if i.Path == "" {
		return i.Message
	}
	return i.Path + ": " + i.Message
}

// Error reports a document that failed its schema: a stable code chosen by
// the schema's package, what was being parsed, and every issue found. It
// implements es.Coder.
type Error struct {
	ErrCode es.Code
	// What names the schema, e.g. `event "OrderCreated"`.
	What   string
	Issues []Issue
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = is.String()
	}
	return fmt.Sprintf("%s: %s is invalid: %s", e.ErrCode, e.What, strings.Join(parts, "; "))
}

// Code returns the error's code.
func (e *Error) Code() es.Code { return e.ErrCode }

// Is matches any eventspec error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(es.Coder)
	return ok && t.Code() == e.ErrCode
}

// Object is a JSON object being checked. Build it with Decode; read fields
// with its methods, which record an Issue for every problem; finish with
// Err.
type Object struct {
	prefix string
	fields map[string]json.RawMessage
	issues *[]Issue
	// broken is set when the document is not an object: its fields are
	// then not reported one by one.
	broken bool
}

// Decode parses raw as a JSON object whose fields are reported under path
// prefix (use "" for a top-level document). A document that is not a JSON
// object yields an Object with no fields and one issue at prefix.
func Decode(raw []byte, prefix string) *Object {
	o := &Object{prefix: prefix, issues: &[]Issue{}}
	o.load(raw)
	return o
}

func (o *Object) load(raw []byte) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		o.add("", CodeInvalidType, "expected object, received "+kind(trimmed))
		o.broken = true
		return
	}
	if err := json.Unmarshal(trimmed, &o.fields); err != nil {
		o.add("", CodeInvalidType, "not a valid JSON object: "+err.Error())
		o.broken = true
	}
}

// Sub returns the object held by field key, reporting its issues into o's
// list. ok is false when the field is absent or null (a required field is
// reported as missing).
func (o *Object) Sub(key string, required bool) (sub *Object, ok bool) {
	sub = &Object{prefix: o.path(key), issues: o.issues}
	raw, present := o.Raw(key, required)
	if !present {
		return sub, false
	}
	sub.load(raw)
	return sub, !sub.broken
}

// Issues returns the issues recorded so far (shared with sub-objects).
func (o *Object) Issues() []Issue { return *o.issues }

// Add records an issue at field key of o ("" for o itself).
func (o *Object) Add(key, code, message string) { o.add(key, code, message) }

// Err returns nil when no issue was recorded, else an *Error with code and
// what.
func (o *Object) Err(code es.Code, what string) error {
	if len(*o.issues) == 0 {
		return nil
	}
	return &Error{ErrCode: code, What: what, Issues: append([]Issue(nil), *o.issues...)}
}

// Has reports whether field key is present and not null.
func (o *Object) Has(key string) bool {
	raw, ok := o.fields[key]
	return ok && !isNull(raw)
}

// Keys returns the field names present in the object.
func (o *Object) Keys() []string {
	out := make([]string, 0, len(o.fields))
	for k := range o.fields {
		out = append(out, k)
	}
	return out
}

func (o *Object) path(key string) string {
	switch {
	case key == "":
		return o.prefix
	case o.prefix == "":
		return key
	}
	return o.prefix + "." + key
}

func (o *Object) add(key, code, message string) {
	if o.broken && key != "" {
		return
	}
	*o.issues = append(*o.issues, Issue{Path: o.path(key), Code: code, Message: message})
}

// Raw returns field key's raw JSON. An absent or null field is reported as
// missing when required; present is false then.
func (o *Object) Raw(key string, required bool) (raw json.RawMessage, present bool) {
	raw, ok := o.fields[key]
	if !ok || isNull(raw) {
		if required {
			o.add(key, CodeRequired, "Required")
		}
		return nil, false
	}
	return raw, true
}

// String reads a string field. A required string must also be non-empty.
func (o *Object) String(key string, required bool) string {
	raw, ok := o.Raw(key, required)
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.add(key, CodeInvalidType, "expected string, received "+kind(raw))
		return ""
	}
	if required && s == "" {
		o.add(key, CodeTooSmall, "must not be empty")
	}
	return s
}

// Literal reads a string field that must equal want. An absent field is
// reported when required; otherwise it yields want (the default).
func (o *Object) Literal(key, want string, required bool) string {
	if !o.Has(key) {
		if required {
			o.add(key, CodeRequired, fmt.Sprintf("Required (expected %q)", want))
		}
		return want
	}
	got := o.String(key, false)
	if got != want {
		if raw, _ := o.Raw(key, false); isString(raw) {
			o.add(key, CodeInvalidLiteral, fmt.Sprintf("expected %q, received %q", want, got))
		}
	}
	return want
}

// Enum reads a string field that must be one of allowed; an absent field
// yields def (and is reported when required).
func (o *Object) Enum(key string, allowed []string, def string, required bool) string {
	if !o.Has(key) {
		if required {
			o.add(key, CodeRequired, "Required")
		}
		return def
	}
	raw, _ := o.Raw(key, false)
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		for _, a := range allowed {
			if s == a {
				return s
			}
		}
	}
	o.add(key, CodeInvalidEnum, fmt.Sprintf("expected one of %s, received %s", quoteAll(allowed), string(bytes.TrimSpace(raw))))
	return def
}

// Int reads an integer field of at least min. An absent field yields def
// (and is reported when required). Numbers with a fractional part, and
// anything that is not a JSON number, are reported.
func (o *Object) Int(key string, min, def int64, required bool) int64 {
	raw, ok := o.Raw(key, required)
	if !ok {
		return def
	}
	n, err := Integer(raw)
	if err != nil {
		code := CodeInvalidType
		o.add(key, code, err.Error())
		return def
	}
	if n < min {
		o.add(key, CodeTooSmall, fmt.Sprintf("must be an integer >= %d, received %d", min, n))
		return def
	}
	return n
}

// Bool reads a boolean field; an absent field yields def (and is reported
// when required).
func (o *Object) Bool(key string, def, required bool) bool {
	raw, ok := o.Raw(key, required)
	if !ok {
		return def
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		o.add(key, CodeInvalidType, "expected boolean, received "+kind(raw))
		return def
	}
	return b
}

// Map reads a free-form object field as a map; nil when absent (reported
// when required).
func (o *Object) Map(key string, required bool) map[string]any {
	raw, ok := o.Raw(key, required)
	if !ok {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		o.add(key, CodeInvalidType, "expected object, received "+kind(raw))
		return nil
	}
	return m
}

// Integer parses raw as a JSON number holding an integer (1, 2.0 and 1e3
// are integers; 1.5 is not) that fits in an int64.
func Integer(raw []byte) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if kind(raw) != "number" {
		return 0, fmt.Errorf("expected integer, received %s", kind(raw))
	}
	s := string(raw)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || f != math.Trunc(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, fmt.Errorf("expected integer, received %s", s)
	}
	return int64(f), nil
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

func isString(raw []byte) bool { return kind(raw) == "string" }

// kind names the JSON type of raw for messages.
func kind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch c := raw[0]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	}
	return "invalid JSON"
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, " | ")
}

// Strings reads an array of strings; nil when absent (reported when
// required).
func (o *Object) Strings(key string, required bool) []string {
	raw, ok := o.Raw(key, required)
	if !ok {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		o.add(key, CodeInvalidType, "expected array, received "+kind(raw))
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err != nil {
			o.add(fmt.Sprintf("%s.%d", key, i), CodeInvalidType, "expected string, received "+kind(it))
			continue
		}
		out = append(out, s)
	}
	return out
}

// Ints reads an array of integers of at least min; nil when absent
// (reported when required).
func (o *Object) Ints(key string, min int64, required bool) []int64 {
	raw, ok := o.Raw(key, required)
	if !ok {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		o.add(key, CodeInvalidType, "expected array, received "+kind(raw))
		return nil
	}
	out := make([]int64, 0, len(items))
	for i, it := range items {
		n, err := Integer(it)
		switch {
		case err != nil:
			o.add(fmt.Sprintf("%s.%d", key, i), CodeInvalidType, err.Error())
		case n < min:
			o.add(fmt.Sprintf("%s.%d", key, i), CodeTooSmall, fmt.Sprintf("must be an integer >= %d, received %d", min, n))
		default:
			out = append(out, n)
		}
	}
	return out
}

// Array reads an array field as its raw items; nil when absent (reported
// when required).
func (o *Object) Array(key string, required bool) ([]json.RawMessage, bool) {
	raw, ok := o.Raw(key, required)
	if !ok {
		return nil, false
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		o.add(key, CodeInvalidType, "expected array, received "+kind(raw))
		return nil, false
	}
	return items, true
}

// Path returns the full path of field key of o.
func (o *Object) Path(key string) string { return o.path(key) }

// AddIssues records issues found by another checker, with their paths
// placed under field key of o.
func (o *Object) AddIssues(key string, issues []Issue) {
	base := o.path(key)
	for _, is := range issues {
		p := base
		switch {
		case is.Path == "":
		case p == "":
			p = is.Path
		default:
			p = base + "." + is.Path
		}
		*o.issues = append(*o.issues, Issue{Path: p, Code: is.Code, Message: is.Message})
	}
}
