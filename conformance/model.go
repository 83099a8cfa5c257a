package conformance

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// The model case runs random sequences of event-log operations — stream
// appends with random expected versions, DCB appends under conditions built
// from generated types, tags and multi-item queries, idempotent appends,
// units of work that commit or roll back, reads of every kind, clock moves
// — against the adapter and against refModel, a plain reference model, and
// compares every result: positions, versions, event ids, error codes and
// error details, read results field by field, heads, audits.
//
// Fresh state per sequence: a case gets one store, so each sequence works
// in its own namespace (stream ids, event types, tags and idempotency keys
// prefixed with the sequence number) and the model starts from the whole
// log as the adapter holds it (read once per sequence). Queries on
// namespaced types and tags see only the sequence's events; All and global
// reads see earlier sequences' events too, and the model knows them. This
// needs nothing beyond the Factory contract, and it also exercises the
// adapter on a store that is not empty. Positions are taken from the
// adapter (checked to be strictly increasing, above every head a read
// returned, and consecutive when gapless positions are claimed), so the
// same model certifies adapters whose positions have gaps.
//
// Under `go test` (when the case's T is a *testing.T) the sequences are
// driven by rapid.Check, so failures shrink and -rapid.checks (default
// 100) and -rapid.seed apply. Elsewhere (eventspec certify) ModelChecks
// sequences are drawn from the fixed seeds 1..ModelChecks without
// shrinking, and a failure names its seed.
func init() {
	register(Case{Group: "model", Name: "state-machine", Run: onLog(modelStateMachine)})
}

// ModelChecks is the number of random sequences the model case runs when
// its T is not a *testing.T.
const ModelChecks = 100

func modelStateMachine(c *logCase) {
	seq := 0
	stats := modelStats{}
	run := func(rt *rapid.T) error {
		seq++
		m, err := newMachine(c, fmt.Sprintf("m%d", seq), stats)
		if err != nil {
			return err
		}
		return m.run(rt)
	}
	defer func() { c.Logf("model: %d sequences; outcomes %s", seq, stats) }()
	if tt, ok := c.T.(*testing.T); ok {
		rapid.Check(tt, func(rt *rapid.T) {
			if err := run(rt); err != nil {
				rt.Fatalf("%v", err)
			}
		})
		return
	}
	for seed := 1; seed <= ModelChecks; seed++ {
		if err := rapid.Custom(run).Example(seed); err != nil {
			c.Fatalf("model sequence with seed %d: %v", seed, err)
		}
	}
}

// modelStats counts operation outcomes across the model's sequences, so
// the log shows that the generators reach every kind of result.
type modelStats map[string]int

func (s modelStats) String() string {
	keys := slices.Sorted(maps.Keys(s))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, s[k])
	}
	return strings.Join(parts, " ")
}

// count records the outcome of an append.
func (s modelStats) count(res es.AppendResult, err error) {
	switch {
	case err != nil:
		s["append:"+string(es.CodeOf(err))]++
	case res.Duplicate:
		s["append:duplicate"]++
	default:
		s["append:written"]++
	}
}

// refModel is the reference event log: a slice of recorded events, stream
// versions and idempotency keys. Its decisions follow DESIGN.md and
// spec/dcb.md literally; positions come from the adapter.
type refModel struct {
	log      []es.Recorded
	ids      map[string]bool
	versions map[es.StreamID]es.Version
	keys     map[string]refKey
	audits   map[string][]store.IdempotencyAudit // never rolled back
	// maxHead is the highest head any read returned: later events must
	// land above it.
	maxHead es.Position
	gapless bool
}

// refKey is what the model remembers about an idempotency key.
type refKey struct {
	fingerprint string
	result      es.AppendResult
}

// refSnapshot is the part of the model a rolled-back unit of work restores.
type refSnapshot struct {
	n        int
	versions map[es.StreamID]es.Version
	keys     map[string]refKey
}

func newRefModel(log []es.Recorded, gapless bool) *refModel {
	m := &refModel{ids: map[string]bool{}, versions: map[es.StreamID]es.Version{}, keys: map[string]refKey{}, audits: map[string][]store.IdempotencyAudit{}, gapless: gapless}
	for _, e := range log {
		m.log = append(m.log, e)
		m.ids[e.Metadata.EventID] = true
		if e.StreamID != "" {
			m.versions[e.StreamID] = e.StreamVersion
		}
	}
	m.maxHead = m.head()
	return m
}

func (m *refModel) head() es.Position {
	if len(m.log) == 0 {
		return 0
	}
	return m.log[len(m.log)-1].Position
}

func (m *refModel) snapshot() refSnapshot {
	return refSnapshot{n: len(m.log), versions: maps.Clone(m.versions), keys: maps.Clone(m.keys)}
}

func (m *refModel) restore(s refSnapshot) {
	for _, e := range m.log[s.n:] {
		delete(m.ids, e.Metadata.EventID)
	}
	m.log = m.log[:s.n]
	m.versions = s.versions
	m.keys = s.keys
}

// expectation is what the model predicts for an append.
type expectation struct {
	codes   []es.Code            // allowed error codes; none means success
	conc    *es.ConcurrencyError // details when CONCURRENCY_CONFLICT is allowed
	idem    *es.IdempotencyConflictError
	dup     *es.AppendResult // success as a repeat of this result
	version es.Version       // the stream version after a success
}

// validationCodes lists every validation problem of r by code (an adapter
// may report any one of them).
func validationCodes(r es.AppendRequest) []es.Code {
	var codes []es.Code
	add := func(err error) {
		if err != nil && !slices.Contains(codes, es.CodeOf(err)) {
			codes = append(codes, es.CodeOf(err))
		}
	}
	if r.Stream != "" || !r.Expected.IsAny() {
		add(es.ValidateStreamID(r.Stream))
	}
	add(r.Expected.Validate())
	if r.Condition != nil {
		add(r.Condition.FailIfEventsMatch.Validate())
		if r.Condition.After != nil && *r.Condition.After < 0 {
			add(es.Errorf(es.CodeInvalidArgument, "negative after"))
		}
	}
	if r.Idempotency != nil {
		add(es.ValidateName(es.CodeInvalidArgument, "idempotency key", r.Idempotency.Key))
	}
	switch n := len(r.Events); {
	case n == 0:
		add(es.ErrEmptyAppend)
	case n > es.MaxEventsPerAppend:
		add(es.ErrTooManyEvents)
	}
	for i, e := range r.Events {
		add(es.ValidateEvent(e, i))
	}
	return codes
}

// fingerprintOf is the idempotency fingerprint of r.
func fingerprintOf(r es.AppendRequest) string {
	if r.Idempotency.Fingerprint != "" {
		return r.Idempotency.Fingerprint
	}
	fp, err := es.Fingerprint(r)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return fp
}

// expect decides an append: validation, then the idempotency key, then the
// expected version and the condition (either error when both fail).
func (m *refModel) expect(r es.AppendRequest) expectation {
	if codes := validationCodes(r); len(codes) > 0 {
		return expectation{codes: codes}
	}
	if r.Idempotency != nil {
		if k, ok := m.keys[r.Idempotency.Key]; ok {
			fp := fingerprintOf(r)
			if fp == k.fingerprint {
				dup := k.result
				dup.Duplicate = true
				return expectation{dup: &dup}
			}
			return expectation{codes: []es.Code{es.CodeIdempotencyConflict},
				idem: &es.IdempotencyConflictError{Key: r.Idempotency.Key, ExistingFingerprint: k.fingerprint, IncomingFingerprint: fp}}
		}
	}
	var exp expectation
	cur := m.versions[r.Stream]
	if r.Stream != "" && !r.Expected.Allows(cur) {
		exp.codes = append(exp.codes, es.CodeConcurrency)
		exp.conc = &es.ConcurrencyError{Stream: r.Stream, Expected: r.Expected, Actual: cur}
	}
	if r.Condition != nil {
		for _, e := range m.log {
			if r.Condition.ConflictsWith(e.Event, e.Position) {
				exp.codes = append(exp.codes, es.CodeAppendCondition)
				break
			}
		}
	}
	if r.Stream != "" {
		exp.version = cur + es.Version(len(r.Events))
	}
	return exp
}

// apply records a successful, non-duplicate append.
func (m *refModel) apply(r es.AppendRequest, res es.AppendResult, at time.Time) {
	for i, e := range r.Events {
		v := es.Version(0)
		if r.Stream != "" {
			v = res.Version - es.Version(len(r.Events)-1-i)
		}
		m.log = append(m.log, expectRecorded(e, res.EventIDs[i], r.Stream, v, res.Positions[i], at))
		m.ids[res.EventIDs[i]] = true
	}
	if r.Stream != "" {
		m.versions[r.Stream] = res.Version
	}
	if r.Idempotency != nil {
		m.keys[r.Idempotency.Key] = refKey{fingerprint: fingerprintOf(r), result: res}
	}
}

// checkAppend compares an adapter's answer with the expectation and, on a
// success, applies it. It returns a description of any mismatch.
func (m *refModel) checkAppend(r es.AppendRequest, exp expectation, res es.AppendResult, err error, at time.Time) error {
	if len(exp.codes) > 0 {
		if err == nil {
			return fmt.Errorf("append succeeded with %+v, want an error with code in %v", res, exp.codes)
		}
		code := es.CodeOf(err)
		if !slices.Contains(exp.codes, code) {
			return fmt.Errorf("append failed with %v, want code in %v", err, exp.codes)
		}
		if len(res.Positions) > 0 || len(res.EventIDs) > 0 {
			return fmt.Errorf("rejected append returned positions %v and ids %v", res.Positions, res.EventIDs)
		}
		switch code {
		case es.CodeConcurrency:
			if msg := concurrencyMismatch(err, exp.conc.Stream, exp.conc.Expected, exp.conc.Actual); msg != "" {
				return errors.New(msg)
			}
		case es.CodeAppendCondition:
			var cf *es.ConditionFailedError
			if !errors.As(err, &cf) || condString(&cf.Condition) != condString(r.Condition) {
				return fmt.Errorf("condition failure %v does not carry the condition %s", err, condString(r.Condition))
			}
		case es.CodeIdempotencyConflict:
			var ic *es.IdempotencyConflictError
			if !errors.As(err, &ic) || *ic != *exp.idem {
				return fmt.Errorf("idempotency conflict %v, want %+v", err, *exp.idem)
			}
			key := r.Idempotency.Key
			m.audits[key] = append(m.audits[key], store.IdempotencyAudit{Key: key, Stream: r.Stream, ExistingFingerprint: exp.idem.ExistingFingerprint, IncomingFingerprint: exp.idem.IncomingFingerprint, At: at})
		}
		return nil
	}
	if err != nil {
		if exp.dup != nil {
			return fmt.Errorf("append failed with %v, want the duplicate result %+v", err, *exp.dup)
		}
		return fmt.Errorf("append failed with %v, want success at stream version %d", err, exp.version)
	}
	if exp.dup != nil {
		if !sameResult(res, *exp.dup) {
			return fmt.Errorf("got %+v, want the duplicate result %+v", res, *exp.dup)
		}
		return nil
	}
	n := len(r.Events)
	if res.Duplicate || res.Stream != r.Stream || res.Version != exp.version || len(res.Positions) != n || len(res.EventIDs) != n {
		return fmt.Errorf("got %+v, want a fresh write of %d event(s) to stream %q at version %d", res, n, r.Stream, exp.version)
	}
	floor := max(m.head(), m.maxHead)
	for i, p := range res.Positions {
		if p <= floor {
			return fmt.Errorf("position %d (event %d) is not above %d (the last position %d / the highest head a read returned %d)", p, i, floor, m.head(), m.maxHead)
		}
		if m.gapless && p != m.head()+es.Position(i+1) {
			return fmt.Errorf("positions %v, want %d.. (gapless positions claimed; last position %d)", res.Positions, m.head()+1, m.head())
		}
		floor = p
	}
	seen := map[string]bool{}
	for i, id := range res.EventIDs {
		if id == "" || m.ids[id] || seen[id] {
			return fmt.Errorf("event id %q (event %d) is empty or not unique (ids %v)", id, i, res.EventIDs)
		}
		seen[id] = true
	}
	m.apply(r, res, at)
	return nil
}

// readStream is the model's ReadStream.
func (m *refModel) readStream(stream es.StreamID, opts store.StreamRead) ([]es.Recorded, []es.Code) {
	var codes []es.Code
	if err := es.ValidateStreamID(stream); err != nil {
		codes = append(codes, es.CodeInvalidStreamID)
	}
	if opts.From < 0 || opts.Limit < 0 {
		codes = append(codes, es.CodeInvalidArgument)
	}
	if len(codes) > 0 {
		return nil, codes
	}
	limit, _ := es.ValidateLimit(opts.Limit, store.DefaultStreamLimit, store.MaxStreamLimit)
	var out []es.Recorded
	for _, e := range m.log {
		if e.StreamID == stream {
			out = append(out, e)
		}
	}
	if opts.Backwards {
		slices.Reverse(out)
		out = slices.DeleteFunc(out, func(e es.Recorded) bool { return opts.From > 0 && e.StreamVersion >= opts.From })
	} else {
		out = slices.DeleteFunc(out, func(e es.Recorded) bool { return e.StreamVersion <= opts.From })
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// readAll is the model's ReadAll (without the head, checked separately).
func (m *refModel) readAll(opts store.LogRead) (store.LogPage, []es.Code) {
	if opts.After < 0 || opts.Limit < 0 {
		return store.LogPage{}, []es.Code{es.CodeInvalidArgument}
	}
	limit, _ := es.ValidateLimit(opts.Limit, store.DefaultLogLimit, store.MaxLogLimit)
	page := store.LogPage{Next: opts.After}
	for _, e := range m.log {
		if e.Position <= opts.After {
			continue
		}
		if len(page.Events) == limit {
			page.HasMore = true
			break
		}
		page.Events = append(page.Events, e)
		page.Next = e.Position
	}
	return page, nil
}

// readQuery is the model's ReadQuery (without the head).
func (m *refModel) readQuery(q es.Query, opts store.QueryRead) (store.QueryResult, []es.Code) {
	var codes []es.Code
	if err := q.Validate(); err != nil {
		codes = append(codes, es.CodeInvalidQuery)
	}
	if opts.After < 0 || opts.Limit < 0 {
		codes = append(codes, es.CodeInvalidArgument)
	}
	if len(codes) > 0 {
		return store.QueryResult{}, codes
	}
	res := store.QueryResult{Complete: true}
	for _, e := range m.log {
		if e.Position > opts.After && q.Matches(e.Event) {
			res.Events = append(res.Events, e)
		}
	}
	if opts.Backwards {
		slices.Reverse(res.Events)
	}
	if opts.Limit > 0 && len(res.Events) > opts.Limit {
		res.Events = res.Events[:opts.Limit]
		res.Complete = false
	}
	return res, nil
}

// checkHead checks a head a read returned and remembers it.
func (m *refModel) checkHead(head es.Position, what string) error {
	if head < m.head() || (m.gapless && head != m.head()) {
		return fmt.Errorf("%s: Head %d, want %d (the last committed position)", what, head, m.head())
	}
	m.maxHead = max(m.maxHead, head)
	return nil
}

// wantCodes checks that err carries one of codes.
func wantCodes(err error, codes []es.Code) error {
	if err == nil {
		return fmt.Errorf("succeeded, want an error with code in %v", codes)
	}
	if !slices.Contains(codes, es.CodeOf(err)) {
		return fmt.Errorf("failed with %v, want code in %v", err, codes)
	}
	return nil
}

// machine drives one random sequence against the adapter and the model.
type machine struct {
	c        *logCase
	model    *refModel
	types    []string
	tags     []es.Tag
	streams  []es.StreamID
	keys     []string
	history  []string
	rollback error
	stats    modelStats
	keyed    []es.AppendRequest // keyed requests sent so far, for retries
}

func newMachine(c *logCase, ns string, stats modelStats) (*machine, error) {
	log, err := ReadLog(c.ctx, c.s)
	if err != nil {
		return nil, fmt.Errorf("reading the log before sequence %s: %w", ns, err)
	}
	m := &machine{c: c, model: newRefModel(log, c.gapless()), rollback: errors.New("model: roll back"), stats: stats}
	for _, t := range []string{"A", "B", "C"} {
		m.types = append(m.types, ns+"."+t)
	}
	for i := range 4 {
		m.tags = append(m.tags, es.Tag(fmt.Sprintf("%s:t%d", ns, i)))
	}
	for i := range 3 {
		m.streams = append(m.streams, es.StreamID(fmt.Sprintf("%s-s%d", ns, i)))
	}
	for i := range 3 {
		m.keys = append(m.keys, fmt.Sprintf("%s-k%d", ns, i))
	}
	return m, nil
}

// ops, weighted by repetition.
var modelOps = []string{
	"append-stream", "append-stream", "append-stream",
	"append-dcb", "append-dcb", "append-dcb",
	"append-stream-if",
	"retry-keyed", "retry-keyed",
	"unit-of-work",
	"read-stream", "read-stream",
	"read-all",
	"read-query", "read-query",
	"stream-version",
	"audits",
	"advance-clock",
}

func (m *machine) run(rt *rapid.T) error {
	steps := rapid.IntRange(1, 40).Draw(rt, "steps")
	for i := 0; i < steps; i++ {
		op := rapid.SampledFrom(modelOps).Draw(rt, "op")
		if err := m.step(rt, op); err != nil {
			return m.fail(err)
		}
	}
	for _, s := range m.streams {
		if err := m.checkVersion(s); err != nil {
			return m.fail(err)
		}
	}
	all, err := ReadLog(m.c.ctx, m.c.s)
	if err != nil {
		return m.fail(fmt.Errorf("reading the whole log at the end: %w", err))
	}
	if d := diffEvents(m.model.log, all); d != "" {
		return m.fail(fmt.Errorf("the whole log differs from the model at the end: %s", d))
	}
	return nil
}

// fail wraps err with the operations that led to it.
func (m *machine) fail(err error) error {
	h := m.history
	if len(h) > 15 {
		h = h[len(h)-15:]
	}
	return fmt.Errorf("%w\nlast operations (of %d):\n  %s", err, len(m.history), strings.Join(h, "\n  "))
}

func (m *machine) note(format string, args ...any) {
	m.history = append(m.history, fmt.Sprintf(format, args...))
}

func (m *machine) step(rt *rapid.T, op string) error {
	c := m.c
	switch op {
	case "append-stream", "append-stream-if", "append-dcb", "retry-keyed":
		var req es.AppendRequest
		if op == "retry-keyed" && len(m.keyed) > 0 {
			// Resend an earlier keyed request, sometimes with a stale
			// expected version: the key decides before the version.
			req = m.keyed[rapid.IntRange(0, len(m.keyed)-1).Draw(rt, "retry of")]
			if req.Stream != "" && rapid.Bool().Draw(rt, "stale expectation") {
				req.Expected = es.NoStream
			}
			m.note("retry: %s", describeRequest(req))
		} else {
			req = m.drawAppend(rt, rapid.SampledFrom([]string{"append-stream", "append-dcb", "append-stream-if"}).Draw(rt, "kind"))
			m.note("%s", describeRequest(req))
		}
		at := c.env.Clock.Now()
		exp := m.model.expect(req)
		res, err := store.Append(c.ctx, c.s, req)
		m.stats.count(res, err)
		if e := m.model.checkAppend(req, exp, res, err, at); e != nil {
			return fmt.Errorf("%s: %w", describeRequest(req), e)
		}
	case "unit-of-work":
		return m.unitOfWork(rt)
	case "read-stream":
		stream := rapid.SampledFrom(m.streams).Draw(rt, "stream")
		opts := store.StreamRead{
			Backwards: rapid.Bool().Draw(rt, "backwards"),
			From:      es.Version(rapid.SampledFrom([]int{0, 0, 1, 2, 3, 5, -1}).Draw(rt, "from")),
			Limit:     rapid.SampledFrom([]int{0, 0, 1, 2, 3, -1}).Draw(rt, "limit"),
		}
		m.note("ReadStream(%q, %+v)", stream, opts)
		want, codes := m.model.readStream(stream, opts)
		got, err := store.ReadStream(c.ctx, c.s, stream, opts)
		if len(codes) > 0 {
			if e := wantCodes(err, codes); e != nil {
				return fmt.Errorf("ReadStream(%q, %+v) %w", stream, opts, e)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("ReadStream(%q, %+v): %w", stream, opts, err)
		}
		if d := diffEvents(want, got); d != "" {
			return fmt.Errorf("ReadStream(%q, %+v): %s", stream, opts, d)
		}
	case "read-all":
		opts := store.LogRead{After: m.drawPosition(rt), Limit: rapid.SampledFrom([]int{0, 1, 2, 5, -1}).Draw(rt, "limit")}
		m.note("ReadAll(%+v)", opts)
		want, codes := m.model.readAll(opts)
		got, err := store.ReadAll(c.ctx, c.s, opts)
		if len(codes) > 0 {
			if e := wantCodes(err, codes); e != nil {
				return fmt.Errorf("ReadAll(%+v) %w", opts, e)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("ReadAll(%+v): %w", opts, err)
		}
		if d := diffEvents(want.Events, got.Events); d != "" {
			return fmt.Errorf("ReadAll(%+v): %s", opts, d)
		}
		if got.Next != want.Next || got.HasMore != want.HasMore {
			return fmt.Errorf("ReadAll(%+v): Next %d, HasMore %v; want %d, %v", opts, got.Next, got.HasMore, want.Next, want.HasMore)
		}
		return m.model.checkHead(got.Head, fmt.Sprintf("ReadAll(%+v)", opts))
	case "read-query":
		q := m.drawQuery(rt)
		opts := store.QueryRead{
			After:     m.drawPosition(rt),
			Limit:     rapid.SampledFrom([]int{0, 0, 1, 2, 3, -1}).Draw(rt, "limit"),
			Backwards: rapid.Bool().Draw(rt, "backwards"),
		}
		m.note("ReadQuery(%s, %+v)", q, opts)
		want, codes := m.model.readQuery(q, opts)
		got, err := store.ReadQuery(c.ctx, c.s, q, opts)
		if len(codes) > 0 {
			if e := wantCodes(err, codes); e != nil {
				return fmt.Errorf("ReadQuery(%s, %+v) %w", q, opts, e)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("ReadQuery(%s, %+v): %w", q, opts, err)
		}
		if d := diffEvents(want.Events, got.Events); d != "" {
			return fmt.Errorf("ReadQuery(%s, %+v): %s", q, opts, d)
		}
		if got.Complete != want.Complete {
			return fmt.Errorf("ReadQuery(%s, %+v): Complete %v, want %v", q, opts, got.Complete, want.Complete)
		}
		return m.model.checkHead(got.Head, fmt.Sprintf("ReadQuery(%s, %+v)", q, opts))
	case "stream-version":
		stream := rapid.SampledFrom(m.streams).Draw(rt, "stream")
		m.note("StreamVersion(%q)", stream)
		return m.checkVersion(stream)
	case "audits":
		key := rapid.SampledFrom(m.keys).Draw(rt, "key")
		m.note("IdempotencyAudits(%q)", key)
		var got []store.IdempotencyAudit
		err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
			var err error
			got, err = tx.Events().IdempotencyAudits(c.ctx, key)
			return err
		})
		if err != nil {
			return fmt.Errorf("IdempotencyAudits(%q): %w", key, err)
		}
		want := m.model.audits[key]
		if len(got) != len(want) {
			return fmt.Errorf("IdempotencyAudits(%q): %d audits, want %d", key, len(got), len(want))
		}
		for i, a := range got {
			w := want[i]
			if a.ID == "" || a.Key != w.Key || a.Stream != w.Stream || a.ExistingFingerprint != w.ExistingFingerprint || a.IncomingFingerprint != w.IncomingFingerprint || !a.At.Equal(w.At) {
				return fmt.Errorf("IdempotencyAudits(%q)[%d] = %+v, want %+v with a non-empty ID", key, i, a, w)
			}
		}
	case "advance-clock":
		d := time.Duration(rapid.IntRange(1, 3600).Draw(rt, "seconds")) * time.Second
		m.note("advance the clock %v", d)
		c.env.Clock.Advance(d)
	}
	return nil
}

func (m *machine) checkVersion(stream es.StreamID) error {
	var got es.Version
	err := m.c.s.Atomic(m.c.ctx, func(tx store.Tx) error {
		var err error
		got, err = tx.Events().StreamVersion(m.c.ctx, stream)
		return err
	})
	if err != nil {
		return fmt.Errorf("StreamVersion(%q): %w", stream, err)
	}
	if want := m.model.versions[stream]; got != want {
		return fmt.Errorf("StreamVersion(%q) = %d, want %d", stream, got, want)
	}
	return nil
}

// unitOfWork runs two appends in one unit of work that commits or rolls
// back (also when an append fails).
func (m *machine) unitOfWork(rt *rapid.T) error {
	c := m.c
	reqs := []es.AppendRequest{
		m.drawAppend(rt, rapid.SampledFrom([]string{"append-stream", "append-dcb", "append-stream-if"}).Draw(rt, "first")),
		m.drawAppend(rt, rapid.SampledFrom([]string{"append-stream", "append-dcb", "append-stream-if"}).Draw(rt, "second")),
	}
	commit := rapid.IntRange(0, 3).Draw(rt, "roll back") < 3
	m.note("unit of work (commit %v): [%s] then [%s]", commit, describeRequest(reqs[0]), describeRequest(reqs[1]))
	snap := m.model.snapshot()
	var mismatch, appendErr error
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		for i, req := range reqs {
			at := c.env.Clock.Now()
			exp := m.model.expect(req)
			res, err := tx.Events().Append(c.ctx, req)
			m.stats.count(res, err)
			if e := m.model.checkAppend(req, exp, res, err, at); e != nil {
				mismatch = fmt.Errorf("unit of work, append %d (%s): %w", i+1, describeRequest(req), e)
				return m.rollback
			}
			if err != nil {
				appendErr = err
				return err
			}
		}
		if !commit {
			return m.rollback
		}
		return nil
	})
	if mismatch != nil {
		return mismatch
	}
	switch {
	case err == nil && commit && appendErr == nil:
		m.stats["unit:committed"]++
		return nil
	case appendErr != nil && errors.Is(err, appendErr):
	case appendErr == nil && !commit && errors.Is(err, m.rollback):
	default:
		return fmt.Errorf("unit of work (commit %v, append error %v) ended with %v", commit, appendErr, err)
	}
	m.stats["unit:rolled-back"]++
	m.model.restore(snap)
	return nil
}

// drawAppend draws an append request of the given kind.
func (m *machine) drawAppend(rt *rapid.T, kind string) es.AppendRequest {
	var req es.AppendRequest
	if kind != "append-dcb" {
		req.Stream = rapid.SampledFrom(m.streams).Draw(rt, "stream")
		req.Expected = m.drawExpected(rt, req.Stream)
	} else if rapid.IntRange(0, 19).Draw(rt, "expected without stream") == 19 {
		req.Expected = es.NoStream // INVALID_STREAM_ID
	}
	if kind == "append-dcb" || kind == "append-stream-if" {
		if rapid.IntRange(0, 3).Draw(rt, "unconditional") < 3 || kind == "append-stream-if" {
			cnd := es.AppendCondition{FailIfEventsMatch: m.drawQuery(rt)}
			if rapid.IntRange(0, 2).Draw(rt, "after absent") < 2 {
				p := m.drawPosition(rt)
				cnd.After = &p
			}
			req.Condition = &cnd
		}
	}
	keyed := rapid.IntRange(0, 2).Draw(rt, "keyed") == 2
	if keyed {
		req.Idempotency = &es.Idempotency{
			Key:         rapid.SampledFrom(m.keys).Draw(rt, "key"),
			Fingerprint: rapid.SampledFrom([]string{"", "", "fp-1", "fp-2"}).Draw(rt, "fingerprint"),
		}
	}
	n := rapid.SampledFrom([]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 0}).Draw(rt, "events")
	for range n {
		req.Events = append(req.Events, m.drawEvent(rt))
	}
	if keyed {
		m.keyed = append(m.keyed, req)
	}
	return req
}

func (m *machine) drawEvent(rt *rapid.T) es.Event {
	e := es.Event{
		Type: rapid.SampledFrom(m.types).Draw(rt, "type"),
		Data: []byte(fmt.Sprintf(`{"v":%d}`, rapid.IntRange(0, 3).Draw(rt, "data"))),
	}
	for _, i := range rapid.SliceOfNDistinct(rapid.IntRange(0, len(m.tags)-1), 0, 3, rapid.ID[int]).Draw(rt, "tags") {
		e.Tags = append(e.Tags, m.tags[i])
	}
	if rapid.IntRange(0, 4).Draw(rt, "custom metadata") == 4 {
		e.Metadata = es.Metadata{Category: "integration", SchemaVersion: 2, CorrelationID: "corr"}
	}
	return e
}

func (m *machine) drawExpected(rt *rapid.T, stream es.StreamID) es.ExpectedVersion {
	cur := m.model.versions[stream]
	switch rapid.IntRange(0, 7).Draw(rt, "expected kind") {
	case 3:
		return es.Any
	case 4:
		return es.NoStream
	case 5:
		return es.StreamExists
	case 6:
		return es.Exact(cur + 1)
	case 7:
		return es.Exact(cur - 1) // Exact(-1) on a missing stream: INVALID_ARGUMENT
	}
	return es.Exact(cur)
}

// drawQuery draws All (rarely), the invalid empty query (rarely), or one
// to three items over the sequence's types and tags; an item may be empty
// (INVALID_QUERY).
func (m *machine) drawQuery(rt *rapid.T) es.Query {
	switch rapid.IntRange(0, 31).Draw(rt, "query kind") {
	case 29, 30:
		return es.All()
	case 31:
		return es.Query{}
	}
	n := rapid.IntRange(1, 3).Draw(rt, "items")
	items := make([]es.QueryItem, n)
	for i := range items {
		// 0-5 types, 6-11 tags, 12-18 both, 19 neither (INVALID_QUERY)
		kind := rapid.IntRange(0, 19).Draw(rt, "item kind")
		if kind <= 5 || (kind >= 12 && kind <= 18) {
			for _, t := range rapid.SliceOfNDistinct(rapid.IntRange(0, len(m.types)-1), 1, 2, rapid.ID[int]).Draw(rt, "item types") {
				items[i].Types = append(items[i].Types, m.types[t])
			}
		}
		if kind >= 6 && kind <= 18 {
			for _, t := range rapid.SliceOfNDistinct(rapid.IntRange(0, len(m.tags)-1), 1, 2, rapid.ID[int]).Draw(rt, "item tags") {
				items[i].Tags = append(items[i].Tags, m.tags[t])
			}
		}
	}
	return es.Items(items...)
}

// drawPosition draws a cursor relative to the log's tail: 0, the head, a
// recent event's position, just past the head, or (rarely) -1.
func (m *machine) drawPosition(rt *rapid.T) es.Position {
	head := m.model.head()
	switch rapid.IntRange(0, 23).Draw(rt, "position kind") {
	case 12, 13, 14, 15:
		return 0
	case 16, 17, 18, 19, 20:
		return head
	case 21, 22:
		return head + es.Position(rapid.IntRange(1, 3).Draw(rt, "past head"))
	case 23:
		return -1
	}
	k := rapid.IntRange(1, 8).Draw(rt, "events back")
	if k > len(m.model.log) {
		return 0
	}
	return m.model.log[len(m.model.log)-k].Position
}
