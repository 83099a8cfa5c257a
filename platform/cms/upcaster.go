package cms

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"

	"github.com/eventspec/eventspec/es"
)

// Doc is a CMS document as a JSON object (numbers decode as float64).
// Migrations work on Docs, which keeps them independent of the Go types
// the state decodes into.
type Doc = map[string]any

// Field names every CMS document shares.
const (
	// FieldStateVersion holds the document's schema version (upcasting).
	FieldStateVersion = "stateVersion"
	// FieldVersion holds the aggregate version; it mirrors the stream.
	FieldVersion = "version"
	// FieldCreatedAt and FieldUpdatedAt hold Unix milliseconds in
	// timestamped documents.
	FieldCreatedAt = "createdAt"
	FieldUpdatedAt = "updatedAt"
)

// Upcaster error codes (CMSUpcasterError).
const (
	CodeNullState        es.Code = "NULL_STATE"
	CodeMissingMigration es.Code = "MISSING_MIGRATION"
	CodeInvalidState     es.Code = "INVALID_STATE"
	CodeFutureVersion    es.Code = "FUTURE_VERSION"
)

// UpcastError is a CMS upcasting failure (CMSUpcasterError). Context is nil
// when there are no details.
type UpcastError struct {
	ErrCode es.Code
	Message string
	Context map[string]any
	Cause   error
}

// Name is the error's class name in the original platform.
func (e *UpcastError) Name() string { return "CMSUpcasterError" }

// Error renders "<CODE>: <message>".
func (e *UpcastError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.ErrCode, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.ErrCode, e.Message)
}

// Code returns the stable error code.
func (e *UpcastError) Code() es.Code { return e.ErrCode }

// Unwrap returns the cause (the validation error, for INVALID_STATE).
func (e *UpcastError) Unwrap() error { return e.Cause }

// Is matches any eventspec error with the same code.
func (e *UpcastError) Is(target error) bool {
	t, ok := target.(es.Coder)
	return ok && t.Code() == e.ErrCode
}

func upcastErr(code es.Code, ctx map[string]any, cause error, format string, args ...any) *UpcastError {
	return &UpcastError{ErrCode: code, Message: fmt.Sprintf(format, args...), Context: ctx, Cause: cause}
}

// Migration turns a document at stateVersion v into stateVersion v+1. It
// gets a copy of the document's top level, so it may set and delete keys
// freely (nested maps are shared: copy before changing them). An error it
// returns reaches the caller unchanged.
type Migration func(Doc) (Doc, error)

// Upcaster migrates CMS documents lazily, on read, from older stateVersions
// to Current through a chain of one-step migrations (migration[v] turns v
// into v+1). It is immutable and safe for concurrent use.
//
// Decision on spec §30 question 13 (legacy v0 documents): an Upcaster has a
// minimum supported version, 1 by default. NewUpcaster requires a
// migration for every version from the minimum to Current−1, so with
// MinSupportedVersion(0) a migration[0] for documents without a
// stateVersion is required up front. With the default minimum, migration[0]
// is optional: when present, v0 documents are upgraded; when absent, a v0
// document fails at read time with MISSING_MIGRATION, as in the original.
type Upcaster struct {
	current  int
	min      int
	steps    map[int]Migration
	validate func(Doc) error
}

// UpcasterOption configures an Upcaster.
type UpcasterOption func(*Upcaster)

// MinSupportedVersion sets the oldest stateVersion the chain must cover at
// construction (default 1; 0 covers legacy documents without a
// stateVersion).
func MinSupportedVersion(v int) UpcasterOption { return func(u *Upcaster) { u.min = v } }

// WithValidation checks upcast documents, and documents that claim the
// current version, with fn; a failure is INVALID_STATE.
func WithValidation(fn func(Doc) error) UpcasterOption { return func(u *Upcaster) { u.validate = fn } }

// NewUpcaster builds an upcaster to stateVersion current (≥ 1). Every
// version from the minimum supported one to current−1 needs a migration: a
// gap is MISSING_MIGRATION "Missing migration for version N". A minimum
// outside 0…current, a nil migration, or a migration outside 0…current−1
// is INVALID_ARGUMENT.
func NewUpcaster(current int, migrations map[int]Migration, opts ...UpcasterOption) (*Upcaster, error) {
	u := &Upcaster{current: current, min: 1, steps: maps.Clone(migrations)}
	for _, o := range opts {
		o(u)
	}
	if current < 1 {
		return nil, es.Errorf(es.CodeInvalidArgument, "cms upcaster: current version %d must be at least 1", current)
	}
	if u.min < 0 || u.min > current {
		return nil, es.Errorf(es.CodeInvalidArgument, "cms upcaster: minimum supported version %d is outside 0…%d", u.min, current)
	}
	for v, m := range u.steps {
		if v < 0 || v >= current {
			return nil, es.Errorf(es.CodeInvalidArgument, "cms upcaster: migration for version %d is outside 0…%d", v, current-1)
		}
		if m == nil {
			return nil, es.Errorf(es.CodeInvalidArgument, "cms upcaster: migration for version %d is nil", v)
		}
	}
	for v := u.min; v < current; v++ {
		if u.steps[v] == nil {
			return nil, upcastErr(CodeMissingMigration, map[string]any{"fromVersion": v, "toVersion": v + 1}, nil,
				"Missing migration for version %d", v)
		}
	}
	return u, nil
}

// Current returns the stateVersion documents are upgraded to.
func (u *Upcaster) Current() int { return u.current }

// MinSupported returns the oldest stateVersion the chain covers.
func (u *Upcaster) MinSupported() int { return u.min }

// UpcastResult is the outcome of upcasting one document.
type UpcastResult struct {
	// Doc is the document at the current version (the input itself when
	// nothing changed).
	Doc                  Doc
	WasUpcasted          bool
	OriginalStateVersion int
}

// StateVersion returns a document's stateVersion: its integer value when
// it holds one, else 0 (a legacy document).
func StateVersion(d Doc) int {
	if n, ok := intValue(d[FieldStateVersion]); ok && n >= 0 && n <= math.MaxInt32 {
		return int(n)
	}
	return 0
}

// intValue reads an integral JSON-ish number.
func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		if n == math.Trunc(n) && !math.IsInf(n, 0) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// Upcast returns doc at the current stateVersion (spec §4 rules 2–7): nil
// is NULL_STATE; a document at the current version is returned unchanged
// (after validation: INVALID_STATE "fails validation"); a newer one is
// FUTURE_VERSION; an older one runs through the migrations, the chain
// setting stateVersion to v+1 after each step (a missing step is
// MISSING_MIGRATION), and the result is validated (INVALID_STATE "Upcasted
// CMS failed validation"). The input is never modified.
func (u *Upcaster) Upcast(doc Doc) (UpcastResult, error) {
	if doc == nil {
		return UpcastResult{}, upcastErr(CodeNullState, nil, nil, "Cannot upcast null or undefined CMS state")
	}
	orig := StateVersion(doc)
	switch {
	case orig == u.current:
		if u.validate != nil {
			if err := u.validate(doc); err != nil {
				return UpcastResult{}, upcastErr(CodeInvalidState, map[string]any{"stateVersion": orig}, err,
					"CMS at stateVersion %d fails validation", orig)
			}
		}
		return UpcastResult{Doc: doc, OriginalStateVersion: orig}, nil
	case orig > u.current:
		return UpcastResult{}, upcastErr(CodeFutureVersion, map[string]any{"stateVersion": orig, "currentVersion": u.current}, nil,
			"CMS stateVersion %d is newer than current schema version %d", orig, u.current)
	}
	cur := maps.Clone(doc)
	for v := orig; v < u.current; v++ {
		step := u.steps[v]
		if step == nil {
			return UpcastResult{}, upcastErr(CodeMissingMigration, map[string]any{"fromVersion": v, "toVersion": v + 1}, nil,
				"no migration from CMS stateVersion %d to %d", v, v+1)
		}
		next, err := step(maps.Clone(cur))
		if err != nil {
			return UpcastResult{}, err
		}
		if next == nil {
			return UpcastResult{}, upcastErr(CodeInvalidState, map[string]any{"fromVersion": v}, nil,
				"migration from CMS stateVersion %d returned no document", v)
		}
		next[FieldStateVersion] = v + 1
		cur = next
	}
	if u.validate != nil {
		if err := u.validate(cur); err != nil {
			return UpcastResult{}, upcastErr(CodeInvalidState, map[string]any{"originalStateVersion": orig}, err,
				"Upcasted CMS failed validation")
		}
	}
	return UpcastResult{Doc: cur, WasUpcasted: true, OriginalStateVersion: orig}, nil
}

// UpcastIfNeeded is the single-hop form (upcastIfNeeded): nil is
// NULL_STATE; a document at target is validated ("claims version N but
// fails validation") and returned; a newer one is FUTURE_VERSION ("is newer
// than expected version N"); an older one is passed to migrateOld once,
// which must produce the target shape (stateVersion is set to target), and
// validated. validate may be nil.
func UpcastIfNeeded(doc Doc, target int, migrateOld Migration, validate func(Doc) error) (UpcastResult, error) {
	if doc == nil {
		return UpcastResult{}, upcastErr(CodeNullState, nil, nil, "Cannot upcast null or undefined CMS state")
	}
	orig := StateVersion(doc)
	switch {
	case orig == target:
		if validate != nil {
			if err := validate(doc); err != nil {
				return UpcastResult{}, upcastErr(CodeInvalidState, map[string]any{"stateVersion": orig}, err,
					"CMS claims version %d but fails validation", target)
			}
		}
		return UpcastResult{Doc: doc, OriginalStateVersion: orig}, nil
	case orig > target:
		return UpcastResult{}, upcastErr(CodeFutureVersion, map[string]any{"stateVersion": orig, "expectedVersion": target}, nil,
			"CMS stateVersion %d is newer than expected version %d", orig, target)
	}
	if migrateOld == nil {
		return UpcastResult{}, upcastErr(CodeMissingMigration, map[string]any{"fromVersion": orig, "toVersion": target}, nil,
			"no migration from CMS stateVersion %d to %d", orig, target)
	}
	next, err := migrateOld(maps.Clone(doc))
	if err != nil {
		return UpcastResult{}, err
	}
	if next == nil {
		return UpcastResult{}, upcastErr(CodeInvalidState, map[string]any{"fromVersion": orig}, nil, "migration returned no document")
	}
	next[FieldStateVersion] = target
	if validate != nil {
		if err := validate(next); err != nil {
			return UpcastResult{}, upcastErr(CodeInvalidState, map[string]any{"originalStateVersion": orig}, err, "Upcasted CMS failed validation")
		}
	}
	return UpcastResult{Doc: next, WasUpcasted: true, OriginalStateVersion: orig}, nil
}

// AddField is a migration that sets field to value (keeping every other
// field, version included) and stateVersion to next.
func AddField(field string, value any, next int) Migration {
	return AddFieldFunc(field, func(Doc) any { return value }, next)
}

// AddFieldFunc is AddField with the value computed from the old document.
func AddFieldFunc(field string, value func(old Doc) any, next int) Migration {
	return func(d Doc) (Doc, error) {
		out := maps.Clone(d)
		out[field] = value(d)
		out[FieldStateVersion] = next
		return out, nil
	}
}

// RenameField is a migration that moves old to new (an absent old field
// gives new the value nil) and sets stateVersion to next.
func RenameField(old, new string, next int) Migration {
	return func(d Doc) (Doc, error) {
		out := maps.Clone(d)
		v := out[old]
		delete(out, old)
		out[new] = v
		out[FieldStateVersion] = next
		return out, nil
	}
}

// RemoveField is a migration that deletes field and sets stateVersion to
// next.
func RemoveField(field string, next int) Migration {
	return func(d Doc) (Doc, error) {
		out := maps.Clone(d)
		delete(out, field)
		out[FieldStateVersion] = next
		return out, nil
	}
}

// LoadResult is an upcast document decoded into T.
type LoadResult[T any] struct {
	CMS                  T
	Doc                  Doc
	WasUpcasted          bool
	OriginalStateVersion int
}

// UpcastAs upcasts doc with u (nil: no upcasting) and decodes it into T.
func UpcastAs[T any](u *Upcaster, doc Doc) (LoadResult[T], error) {
	res := UpcastResult{Doc: doc, OriginalStateVersion: StateVersion(doc)}
	if u != nil {
		var err error
		if res, err = u.Upcast(doc); err != nil {
			return LoadResult[T]{}, err
		}
	}
	v, err := Decode[T](res.Doc)
	if err != nil {
		return LoadResult[T]{}, err
	}
	return LoadResult[T]{CMS: v, Doc: res.Doc, WasUpcasted: res.WasUpcasted, OriginalStateVersion: res.OriginalStateVersion}, nil
}

// Decode converts a document into T through JSON. A document that does not
// fit T is INVALID_STATE.
func Decode[T any](d Doc) (T, error) {
	var v T
	raw, err := json.Marshal(d)
	if err == nil {
		err = json.Unmarshal(raw, &v)
	}
	if err != nil {
		return v, upcastErr(CodeInvalidState, nil, err, "CMS document does not decode into %T", v)
	}
	return v, nil
}

// Encode converts a value into a document through JSON. A value that is not
// a JSON object is INVALID_ARGUMENT.
func Encode(v any) (Doc, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, es.Wrap(es.CodeInvalidArgument, err, "CMS state %T does not encode as JSON", v)
	}
	return ParseDoc(raw)
}

// ParseDoc decodes JSON into a document; anything but an object is
// INVALID_ARGUMENT.
func ParseDoc(raw []byte) (Doc, error) {
	var d Doc
	if err := json.Unmarshal(raw, &d); err != nil || d == nil {
		return nil, es.Errorf(es.CodeInvalidArgument, "CMS state is not a JSON object: %.60s", raw)
	}
	return d, nil
}

// StateFunc adapts u to engines that keep the state version beside the
// state, such as orchestrator.WithStateUpcaster: the returned function
// upcasts state (a JSON object) stored at stateVersion and returns the
// current state, without a stateVersion key, and its version. Errors are
// Upcast's; a state that is not a JSON object is INVALID_ARGUMENT.
func (u *Upcaster) StateFunc() func(state json.RawMessage, stateVersion int) (json.RawMessage, int, error) {
	return func(state json.RawMessage, stateVersion int) (json.RawMessage, int, error) {
		d, err := ParseDoc(state)
		if err != nil {
			return nil, 0, err
		}
		d[FieldStateVersion] = stateVersion
		res, err := u.Upcast(d)
		if err != nil {
			return nil, 0, err
		}
		v := StateVersion(res.Doc)
		out := maps.Clone(res.Doc)
		delete(out, FieldStateVersion)
		raw, err := json.Marshal(out)
		if err != nil {
			return nil, 0, es.Wrap(es.CodeInvalidArgument, err, "upcast CMS state does not encode")
		}
		return raw, v, nil
	}
}
