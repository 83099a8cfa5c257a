package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// logCase is what an event-log case works with: the case's T, its store
// and environment, and assertion helpers that fail with the expected and
// actual values named. Every store call goes through its own unit of work
// unless a case opens one itself.
type logCase struct {
	T
	s   store.Store
	env Env
	ctx context.Context
	n   int // counter that makes the data of c.ev events distinct
}

// onLog adapts a case body written against *logCase to Case.Run.
func onLog(body func(c *logCase)) func(t T, s store.Store, env Env) {
	return func(t T, s store.Store, env Env) {
		body(&logCase{T: t, s: s, env: env, ctx: t.Context()})
	}
}

// gapless reports whether the store claims gapless positions.
func (c *logCase) gapless() bool { return c.s.Capabilities().Has(store.GaplessPositions) }

// ev builds an event of type typ carrying tags, with data {"n":k} where k
// is unique within the case.
func (c *logCase) ev(typ string, tags ...es.Tag) es.Event {
	c.n++
	return es.Event{Type: typ, Data: []byte(fmt.Sprintf(`{"n":%d}`, c.n)), Tags: tags}
}

// evs builds k events of type typ.
func (c *logCase) evs(k int, typ string, tags ...es.Tag) []es.Event {
	out := make([]es.Event, k)
	for i := range out {
		out[i] = c.ev(typ, tags...)
	}
	return out
}

// append runs one append in its own unit of work.
func (c *logCase) append(req es.AppendRequest) (es.AppendResult, error) {
	return store.Append(c.ctx, c.s, req)
}

// mustAppend appends req and fails the case on error.
func (c *logCase) mustAppend(what string, req es.AppendRequest) es.AppendResult {
	c.T.Helper()
	res, err := c.append(req)
	if err != nil {
		c.Fatalf("%s: append failed: %v", what, err)
	}
	if len(res.Positions) != len(req.Events) || len(res.EventIDs) != len(req.Events) {
		c.Fatalf("%s: result has %d positions and %d event ids for %d events", what, len(res.Positions), len(res.EventIDs), len(req.Events))
	}
	return res
}

// mustAppendTo appends events to stream with expectation exp.
func (c *logCase) mustAppendTo(stream es.StreamID, exp es.ExpectedVersion, events ...es.Event) es.AppendResult {
	c.T.Helper()
	return c.mustAppend(fmt.Sprintf("append %d event(s) to %q expecting %s", len(events), stream, exp),
		es.AppendRequest{Stream: stream, Expected: exp, Events: events})
}

// mustAppendIf appends events without a stream under cond (nil: none).
func (c *logCase) mustAppendIf(cond *es.AppendCondition, events ...es.Event) es.AppendResult {
	c.T.Helper()
	return c.mustAppend(fmt.Sprintf("DCB append of %d event(s) with condition %s", len(events), condString(cond)),
		es.AppendRequest{Condition: cond, Events: events})
}

// condString renders a possibly nil condition for messages.
func condString(cond *es.AppendCondition) string {
	if cond == nil {
		return "<none>"
	}
	if cond.After == nil {
		return fmt.Sprintf("{fail if %s, after <absent>}", cond.FailIfEventsMatch)
	}
	return fmt.Sprintf("{fail if %s, after %d}", cond.FailIfEventsMatch, *cond.After)
}

// cond is a pointer to es.FailIfMatch(q), bounded by after when given.
func cond(q es.Query, after ...es.Position) *es.AppendCondition {
	c := es.FailIfMatch(q)
	if len(after) > 0 {
		c = c.WithAfter(after[0])
	}
	return &c
}

// log reads the whole global log.
func (c *logCase) log() []es.Recorded {
	c.T.Helper()
	all, err := ReadLog(c.ctx, c.s)
	if err != nil {
		c.Fatalf("reading the whole log: %v", err)
	}
	return all
}

// wantCode fails unless err carries code, both by es.CodeOf and errors.Is.
func (c *logCase) wantCode(err error, code es.Code, what string) {
	c.T.Helper()
	if msg := codeMismatch(err, code); msg != "" {
		c.Fatalf("%s: %s", what, msg)
	}
}

// codeMismatch describes how err fails to carry code ("" when it does).
func codeMismatch(err error, code es.Code) string {
	if err == nil {
		return fmt.Sprintf("got no error, want %s", code)
	}
	if got := es.CodeOf(err); got != code {
		return fmt.Sprintf("got error code %q (%v), want %s", got, err, code)
	}
	if !errors.Is(err, &es.Error{ErrCode: code}) {
		return fmt.Sprintf("errors.Is(err, <%s>) is false for %v", code, err)
	}
	return ""
}

// wantRejected appends req, requires the error code, and requires the
// whole log to be unchanged. It returns the error for further checks.
func (c *logCase) wantRejected(what string, req es.AppendRequest, code es.Code) error {
	c.T.Helper()
	before := c.log()
	res, err := c.append(req)
	c.wantCode(err, code, what)
	if len(res.Positions) != 0 || len(res.EventIDs) != 0 {
		c.Fatalf("%s: rejected append returned positions %v and event ids %v; want none", what, res.Positions, res.EventIDs)
	}
	c.wantLogUnchanged(what, before)
	return err
}

// wantLogUnchanged fails when the log differs from before.
func (c *logCase) wantLogUnchanged(what string, before []es.Recorded) {
	c.T.Helper()
	after := c.log()
	if d := diffLogs(before, after); d != "" {
		c.Fatalf("%s: the log changed although nothing may be written: %s", what, d)
	}
}

// wantConcurrency requires err to be a *es.ConcurrencyError with exactly
// these fields.
func (c *logCase) wantConcurrency(err error, stream es.StreamID, expected es.ExpectedVersion, actual es.Version, what string) {
	c.T.Helper()
	if msg := concurrencyMismatch(err, stream, expected, actual); msg != "" {
		c.Fatalf("%s: %s", what, msg)
	}
}

// concurrencyMismatch describes how err differs from the concurrency error
// wanted ("" when it matches).
func concurrencyMismatch(err error, stream es.StreamID, expected es.ExpectedVersion, actual es.Version) string {
	if msg := codeMismatch(err, es.CodeConcurrency); msg != "" {
		return msg
	}
	var ce *es.ConcurrencyError
	if !errors.As(err, &ce) {
		return fmt.Sprintf("error %v is not a *es.ConcurrencyError", err)
	}
	if ce.Stream != stream || ce.Expected != expected || ce.Actual != actual {
		return fmt.Sprintf("got ConcurrencyError{Stream: %q, Expected: %s, Actual: %d}, want {Stream: %q, Expected: %s, Actual: %d}",
			ce.Stream, ce.Expected, ce.Actual, stream, expected, actual)
	}
	return ""
}

// wantConditionFailed requires err to be a *es.ConditionFailedError
// carrying cond.
func (c *logCase) wantConditionFailed(err error, cond *es.AppendCondition, what string) {
	c.T.Helper()
	c.wantCode(err, es.CodeAppendCondition, what)
	var cf *es.ConditionFailedError
	if !errors.As(err, &cf) {
		c.Fatalf("%s: error %v is not a *es.ConditionFailedError", what, err)
	}
	if got, want := condString(&cf.Condition), condString(cond); got != want {
		c.Fatalf("%s: ConditionFailedError carries condition %s, want %s", what, got, want)
	}
}

// readStream reads a stream and fails the case on error.
func (c *logCase) readStream(stream es.StreamID, opts store.StreamRead) []es.Recorded {
	c.T.Helper()
	out, err := store.ReadStream(c.ctx, c.s, stream, opts)
	if err != nil {
		c.Fatalf("ReadStream(%q, %+v): %v", stream, opts, err)
	}
	return out
}

// readAll reads one page of the global log and fails the case on error.
func (c *logCase) readAll(opts store.LogRead) store.LogPage {
	c.T.Helper()
	page, err := store.ReadAll(c.ctx, c.s, opts)
	if err != nil {
		c.Fatalf("ReadAll(%+v): %v", opts, err)
	}
	return page
}

// readQuery runs a DCB read and fails the case on error.
func (c *logCase) readQuery(q es.Query, opts store.QueryRead) store.QueryResult {
	c.T.Helper()
	res, err := store.ReadQuery(c.ctx, c.s, q, opts)
	if err != nil {
		c.Fatalf("ReadQuery(%s, %+v): %v", q, opts, err)
	}
	return res
}

// version returns a stream's version and fails the case on error.
func (c *logCase) version(stream es.StreamID) es.Version {
	c.T.Helper()
	var v es.Version
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		var err error
		v, err = tx.Events().StreamVersion(c.ctx, stream)
		return err
	})
	if err != nil {
		c.Fatalf("StreamVersion(%q): %v", stream, err)
	}
	return v
}

// wantVersion requires a stream's version.
func (c *logCase) wantVersion(stream es.StreamID, want es.Version) {
	c.T.Helper()
	if got := c.version(stream); got != want {
		c.Fatalf("StreamVersion(%q) = %d, want %d", stream, got, want)
	}
}

// wantPositions requires the events of got to sit at exactly want, in order.
func (c *logCase) wantPositions(what string, got []es.Recorded, want ...es.Position) {
	c.T.Helper()
	if g := positionsOf(got); !slices.Equal(g, want) {
		c.Fatalf("%s: got events at positions %v, want %v", what, g, want)
	}
}

// wantVersions requires the events of got to carry exactly these stream
// versions, in order.
func (c *logCase) wantVersions(what string, got []es.Recorded, want ...es.Version) {
	c.T.Helper()
	g := make([]es.Version, len(got))
	for i, r := range got {
		g[i] = r.StreamVersion
	}
	if !slices.Equal(g, want) {
		c.Fatalf("%s: got stream versions %v, want %v", what, g, want)
	}
}

// wantStrictlyIncreasing requires ps to be positive and strictly
// increasing, and consecutive when the store claims gapless positions.
func (c *logCase) wantStrictlyIncreasing(what string, ps []es.Position) {
	c.T.Helper()
	for i, p := range ps {
		if p <= 0 {
			c.Fatalf("%s: position %d at index %d is not positive (positions %v)", what, p, i, ps)
		}
		if i > 0 && p <= ps[i-1] {
			c.Fatalf("%s: positions are not strictly increasing: %v", what, ps)
		}
		if i > 0 && c.gapless() && p != ps[i-1]+1 {
			c.Fatalf("%s: store claims gapless positions but %d follows %d (positions %v)", what, p, ps[i-1], ps)
		}
	}
}

// positionsOf lists the positions of events.
func positionsOf(events []es.Recorded) []es.Position {
	out := make([]es.Position, len(events))
	for i, e := range events {
		out[i] = e.Position
	}
	return out
}

// idsOf lists the event ids of events.
func idsOf(events []es.Recorded) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Metadata.EventID
	}
	return out
}

// diffLogs describes how two reads of the log differ ("" when equal).
func diffLogs(want, got []es.Recorded) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%d events before, %d now (positions before %v, now %v)", len(want), len(got), positionsOf(want), positionsOf(got))
	}
	for i := range want {
		if d := diffRecorded(want[i], got[i]); d != "" {
			return fmt.Sprintf("event %d: %s", i, d)
		}
	}
	return ""
}

// diffEvents describes how two lists of recorded events differ ("" when
// equal), comparing every field.
func diffEvents(want, got []es.Recorded) string {
	if len(want) != len(got) {
		return fmt.Sprintf("got %d events at positions %v, want %d at %v", len(got), positionsOf(got), len(want), positionsOf(want))
	}
	for i := range want {
		if d := diffRecorded(want[i], got[i]); d != "" {
			return fmt.Sprintf("event %d (position %d): %s", i, want[i].Position, d)
		}
	}
	return ""
}

// diffRecorded compares every field of two recorded events and describes
// the differences ("" when equal). Data is compared byte for byte; tags as
// sets; metadata field by field; RecordedAt with time.Equal.
func diffRecorded(want, got es.Recorded) string {
	var d []string
	add := func(field string, w, g any) { d = append(d, fmt.Sprintf("%s: want %v, got %v", field, w, g)) }
	if want.Type != got.Type {
		add("Type", strconvQuote(want.Type), strconvQuote(got.Type))
	}
	if !bytes.Equal(want.Data, got.Data) {
		add("Data", strconvQuote(string(want.Data)), strconvQuote(string(got.Data)))
	}
	if !sameTags(want.Tags, got.Tags) {
		add("Tags", want.Tags, got.Tags)
	}
	wm, gm := want.Metadata, got.Metadata
	if wm.EventID != gm.EventID {
		add("Metadata.EventID", strconvQuote(wm.EventID), strconvQuote(gm.EventID))
	}
	if wm.CorrelationID != gm.CorrelationID {
		add("Metadata.CorrelationID", strconvQuote(wm.CorrelationID), strconvQuote(gm.CorrelationID))
	}
	if wm.CausationID != gm.CausationID {
		add("Metadata.CausationID", strconvQuote(wm.CausationID), strconvQuote(gm.CausationID))
	}
	if wm.SchemaVersion != gm.SchemaVersion {
		add("Metadata.SchemaVersion", wm.SchemaVersion, gm.SchemaVersion)
	}
	if wm.Category != gm.Category {
		add("Metadata.Category", strconvQuote(wm.Category), strconvQuote(gm.Category))
	}
	if !sameExtra(wm.Extra, gm.Extra) {
		add("Metadata.Extra", wm.Extra, gm.Extra)
	}
	if want.StreamID != got.StreamID {
		add("StreamID", strconvQuote(string(want.StreamID)), strconvQuote(string(got.StreamID)))
	}
	if want.StreamVersion != got.StreamVersion {
		add("StreamVersion", want.StreamVersion, got.StreamVersion)
	}
	if want.Position != got.Position {
		add("Position", want.Position, got.Position)
	}
	if !want.RecordedAt.Equal(got.RecordedAt) {
		add("RecordedAt", want.RecordedAt, got.RecordedAt)
	}
	return strings.Join(d, "; ")
}

func strconvQuote(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%q…(%d bytes)", s[:80], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// sameTags compares tag lists as sets of the same size (tags are a set).
func sameTags(a, b []es.Tag) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// sameExtra compares metadata extras; nil and empty are equal.
func sameExtra(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// expectRecorded is the event the store must record for e: e with the
// store defaults (event id from the append result, category and schema
// version) and where and when it landed.
func expectRecorded(e es.Event, id string, stream es.StreamID, v es.Version, p es.Position, at time.Time) es.Recorded {
	e.Metadata.EventID = id
	if e.Metadata.Category == "" {
		e.Metadata.Category = es.DefaultCategory
	}
	if e.Metadata.SchemaVersion == 0 {
		e.Metadata.SchemaVersion = es.DefaultSchemaVersion
	}
	return es.Recorded{Event: e, StreamID: stream, StreamVersion: v, Position: p, RecordedAt: at}
}
