package postgresadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// eventLog is a tx seen as a store.EventLog.
type eventLog tx

// Expected-version and condition kinds passed to append_events.
const (
	expectAny int16 = iota
	expectNoStream
	expectExists
	expectExact
)

const (
	condNone int16 = iota
	condAll
	condItems
)

// appendArgs is an append flattened into the parameters of append_events.
type appendArgs struct {
	stream   *string
	expect   int16
	expectV  int64
	cond     int16
	after    int64
	items    []byte
	idemKey  *string
	idemFP   *string
	checkIDs bool
	types    []string
	data     [][]byte
	tagFrom  []int32
	tagTo    []int32
	tags     []string
	tagEvent []int32
	ids      []string
	corr     []string
	caus     []string
	cat      []string
	sv       []int32
	extra    [][]byte
}

// textOK reports why s cannot be a PostgreSQL text value, or nil.
func textOK(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("holds a NUL byte, which PostgreSQL text cannot store")
	}
	return nil
}

// buildAppend validates req and flattens it. Event ids are minted here for
// events that have none.
func (l *eventLog) buildAppend(req es.AppendRequest) (appendArgs, string, error) {
	var a appendArgs
	// Validate also rejects metadata strings text columns cannot hold
	// (NUL, invalid UTF-8) and ids repeated within the append.
	if err := req.Validate(); err != nil {
		return a, "", err
	}
	var fp string
	if req.Idempotency != nil {
		fp = req.Idempotency.Fingerprint
		if fp == "" {
			var err error
			if fp, err = es.Fingerprint(req); err != nil {
				return a, "", err
			}
		} else if err := textOK(fp); err != nil {
			return a, "", es.Errorf(es.CodeInvalidArgument, "idempotency fingerprint %s", err)
		}
		key := req.Idempotency.Key
		a.idemKey, a.idemFP = &key, &fp
	}
	if req.Stream != "" {
		s := string(req.Stream)
		a.stream = &s
	}
	a.expect, a.expectV = expectation(req.Expected)
	if c := req.Condition; c != nil {
		if c.After != nil {
			a.after = int64(*c.After)
		}
		if c.FailIfEventsMatch.IsAll() {
			a.cond = condAll
		} else {
			a.cond = condItems
			items, err := json.Marshal(c.FailIfEventsMatch.QueryItems())
			if err != nil {
				return a, "", es.Wrap(es.CodeInternal, err, "postgresadapter: encoding the condition")
			}
			a.items = items
		}
	}
	n := len(req.Events)
	a.types = make([]string, n)
	a.data = make([][]byte, n)
	a.tagFrom = make([]int32, n)
	a.tagTo = make([]int32, n)
	a.ids = make([]string, n)
	a.corr = make([]string, n)
	a.caus = make([]string, n)
	a.cat = make([]string, n)
	a.sv = make([]int32, n)
	a.extra = make([][]byte, n)
	a.tags = []string{}
	a.tagEvent = []int32{}
	for i := range req.Events {
		if req.Events[i].Metadata.EventID != "" {
			a.checkIDs = true
		}
		e, extra, err := l.prepEvent(req, i, req.Events[i])
		if err != nil {
			return a, "", err
		}
		a.types[i] = e.Type
		a.data[i] = e.Data
		a.tagFrom[i] = int32(len(a.tags) + 1)
		for _, t := range e.Tags {
			a.tags = append(a.tags, string(t))
			a.tagEvent = append(a.tagEvent, int32(i+1))
		}
		a.tagTo[i] = int32(len(a.tags))
		a.ids[i] = e.Metadata.EventID
		a.corr[i] = e.Metadata.CorrelationID
		a.caus[i] = e.Metadata.CausationID
		a.cat[i] = e.Metadata.Category
		a.sv[i] = int32(e.Metadata.SchemaVersion)
		a.extra[i] = extra
	}
	return a, fp, nil
}

// prepEvent gives event i of an append its defaults (minting its id when
// it has none, from the request's id source when it names one) and encodes
// its extra metadata (nil when it has none).
func (l *eventLog) prepEvent(req es.AppendRequest, i int, ev es.Event) (es.Event, []byte, error) {
	e := req.WithDefaults(ev, l.s.ids)
	if err := textOK(e.Metadata.EventID); err != nil {
		return e, nil, es.Errorf(es.CodeInternal, "postgresadapter: the id source minted event id %q that %s", e.Metadata.EventID, err)
	}
	if e.Metadata.Extra == nil {
		return e, nil, nil
	}
	raw, err := json.Marshal(e.Metadata.Extra)
	if err != nil {
		return e, nil, es.Wrap(es.CodeInvalidEvent, err, "events[%d].metadata.extra", i)
	}
	return e, raw, nil
}

// oneArgs is an append of one event without a condition or an idempotency
// key, flattened into the parameters of queries.appendOne.
type oneArgs struct {
	stream  *string
	expect  int16
	expectV int64
	checkID bool
	e       es.Event
	tags    []string
	extra   []byte
}

// fastPath reports whether req can take appendOne: one event, no
// condition, no idempotency key.
func fastPath(req es.AppendRequest) bool {
	return len(req.Events) == 1 && req.Condition == nil && req.Idempotency == nil
}

// expectation flattens an expected version into append_events' and
// appendOne's (kind, version) parameters.
func expectation(x es.ExpectedVersion) (int16, int64) {
	switch v, exact := x.ExactVersion(); {
	case x.IsAny():
		return expectAny, 0
	case exact && v == 0:
		return expectNoStream, 0
	case exact:
		return expectExact, int64(v)
	default:
		return expectExists, 0
	}
}

// buildOne validates req (which fastPath accepted) and flattens it,
// minting the event's id when it has none.
func (l *eventLog) buildOne(req es.AppendRequest) (oneArgs, error) {
	var a oneArgs
	if err := req.Validate(); err != nil {
		return a, err
	}
	if req.Stream != "" {
		s := string(req.Stream)
		a.stream = &s
	}
	a.expect, a.expectV = expectation(req.Expected)
	a.checkID = req.Events[0].Metadata.EventID != ""
	e, extra, err := l.prepEvent(req, 0, req.Events[0])
	if err != nil {
		return a, err
	}
	a.e, a.extra = e, extra
	a.tags = make([]string, len(e.Tags))
	for i, t := range e.Tags {
		a.tags[i] = string(t)
	}
	return a, nil
}

// errLostRace is appendOne's answer when its insert lost the race for the
// stream's next version while the expectation still holds (Any,
// StreamExists, or an Exact version another append reached while the
// statement waited for the stream lock): Append then decides through
// append_events, which reads the stream under the lock.
var errLostRace = errors.New("postgresadapter: lost the race for the stream version")

// appendOne is Append of one event without a condition or an idempotency
// key (see fastPath): one INSERT statement (queries.appendOne) that takes
// the stream lock, registers the unit as a plain writer, draws the
// position and writes the event and its tags. When it inserts nothing, a
// fresh read of the stream's version and of the event id decides between a
// conflict, a taken event id and errLostRace. It returns the event with its
// defaults (its id minted) for the retry.
func (l *eventLog) appendOne(ctx context.Context, req es.AppendRequest) (es.AppendResult, es.Event, error) {
	t := (*tx)(l)
	a, err := l.buildOne(req)
	if err != nil {
		return es.AppendResult{}, es.Event{}, err
	}
	if err := t.begin(ctx); err != nil {
		return es.AppendResult{}, es.Event{}, err
	}
	defer t.mu.Unlock()
	nowNS, err := toNS(t.now(), "the clock's time")
	if err != nil {
		return es.AppendResult{}, es.Event{}, err
	}
	var streamKey *int32
	if a.stream != nil {
		k := int32(hash32(*a.stream))
		streamKey = &k
	}
	var register *int32
	if !t.registeredPlain {
		register = &t.s.locks.register
	}
	m := a.e.Metadata
	var position, version int64
	variant := appendOneVariant(a.stream != nil && (a.expect == expectAny || a.expect == expectExists), len(a.tags) > 0)
	err = t.ptx.QueryRow(ctx, t.s.q.appendOne[variant],
		t.s.locks.stream, streamKey, register, a.stream, a.expect, a.expectV, a.checkID,
		a.e.Type, []byte(a.e.Data), a.tags, m.EventID, m.CorrelationID, m.CausationID, m.Category, int32(m.SchemaVersion), a.extra, nowNS,
	).Scan(&position, &version)
	if err == nil {
		t.registered, t.registeredPlain = true, true
		return es.AppendResult{Stream: req.Stream, EventIDs: []string{m.EventID}, Positions: []es.Position{es.Position(position)},
			Version: es.Version(version)}, a.e, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return es.AppendResult{}, es.Event{}, t.dbErr("append", err)
	}
	var (
		current int64
		idTaken bool
	)
	if err := t.ptx.QueryRow(ctx, t.s.q.appendOneState, a.stream, m.EventID).Scan(&current, &idTaken); err != nil {
		return es.AppendResult{}, es.Event{}, t.dbErr("append", err)
	}
	if a.stream != nil && !req.Expected.Allows(es.Version(current)) {
		return es.AppendResult{}, es.Event{}, &es.ConcurrencyError{Stream: req.Stream, Expected: req.Expected, Actual: es.Version(current)}
	}
	if a.checkID && idTaken {
		return es.AppendResult{}, es.Event{}, es.Errorf(es.CodeInvalidEvent, "events[0].metadata.eventId %q is already in the log; event ids are unique", m.EventID)
	}
	return es.AppendResult{}, a.e, errLostRace
}

// conditionalFastPath reports whether req can take appendOneIf: one event,
// a condition that is All or a single query item, no idempotency key.
func conditionalFastPath(req es.AppendRequest) bool {
	if len(req.Events) != 1 || req.Idempotency != nil || req.Condition == nil {
		return false
	}
	q := req.Condition.FailIfEventsMatch
	return q.IsAll() || len(q.QueryItems()) == 1
}

// appendOneIf is Append through append_one_if (see conditionalFastPath):
// the locks, checks, registration and wait of append_events for a
// conditional append, with plain parameters.
func (l *eventLog) appendOneIf(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	t := (*tx)(l)
	a, err := l.buildOne(req)
	if err != nil {
		return es.AppendResult{}, err
	}
	cond := req.Condition
	var after int64
	if cond.After != nil {
		after = int64(*cond.After)
	}
	all := cond.FailIfEventsMatch.IsAll()
	itypes, itags := []string{}, []string{}
	if !all {
		it := cond.FailIfEventsMatch.QueryItems()[0]
		itypes = append(itypes, it.Types...) // never nil: NULL would match nothing
		for _, tg := range it.Tags {
			itags = append(itags, string(tg))
		}
	}
	if err := t.begin(ctx); err != nil {
		return es.AppendResult{}, err
	}
	defer t.mu.Unlock()
	nowNS, err := toNS(t.now(), "the clock's time")
	if err != nil {
		return es.AppendResult{}, err
	}
	cls, obj, x := t.s.locks.appendLocks(req)
	var register *int32
	if !t.registered {
		register = &t.s.locks.registerCond
	}
	var (
		status     string
		version    pgtype.Int8
		position   pgtype.Int8
		registered bool
	)
	m := a.e.Metadata
	err = t.ptx.QueryRow(ctx, t.s.q.appendOneIf,
		cls, obj, x, register, t.s.locks.register, nowNS, a.stream, a.expect, a.expectV, all, after, itypes, itags, a.checkID,
		a.e.Type, []byte(a.e.Data), a.tags, m.EventID, m.CorrelationID, m.CausationID, m.Category, int32(m.SchemaVersion), a.extra,
	).Scan(&status, &version, &position, &registered)
	if err != nil {
		return es.AppendResult{}, t.dbErr("append", err)
	}
	if registered {
		t.registered = true
	}
	switch status {
	case "ok":
		return es.AppendResult{Stream: req.Stream, EventIDs: []string{m.EventID}, Positions: []es.Position{es.Position(position.Int64)},
			Version: es.Version(version.Int64)}, nil
	case "concurrency":
		return es.AppendResult{}, &es.ConcurrencyError{Stream: req.Stream, Expected: req.Expected, Actual: es.Version(version.Int64)}
	case "condition":
		return es.AppendResult{}, &es.ConditionFailedError{Condition: *req.Condition}
	case "event_id":
		return es.AppendResult{}, es.Errorf(es.CodeInvalidEvent, "events[0].metadata.eventId %q is already in the log; event ids are unique", m.EventID)
	}
	return es.AppendResult{}, es.Errorf(es.CodeInternal, "postgresadapter: append_one_if returned unknown status %q", status)
}

// Append writes req's events atomically; see store.EventLog. One call of
// the append_events function does the whole append in one round trip, in
// this order (the first failing check decides, writing
// nothing): the idempotency key (same fingerprint: the earlier result with
// Duplicate set; another: IDEMPOTENCY_CONFLICT, audited in a separate
// transaction so the audit persists), the expected version
// (CONCURRENCY_CONFLICT), the DCB condition (APPEND_CONDITION_FAILED), then
// the write. All events of one append share one RecordedAt. An append of
// one event without a condition or an idempotency key is one INSERT
// statement instead (appendOne), with the same outcomes; when that insert
// loses a race for the stream's next version, append_events decides. An
// append of one event on an All or single-item condition, without an
// idempotency key, calls append_one_if: append_events' steps with plain
// parameters.
func (l *eventLog) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	if fastPath(req) {
		res, e, err := l.appendOne(ctx, req)
		if err != errLostRace {
			return res, err
		}
		// The event keeps the id minted for the first attempt.
		req.Events = []es.Event{e}
	} else if conditionalFastPath(req) {
		return l.appendOneIf(ctx, req)
	}
	t := (*tx)(l)
	a, fp, err := l.buildAppend(req)
	if err != nil {
		return es.AppendResult{}, err
	}
	if err := t.begin(ctx); err != nil {
		return es.AppendResult{}, err
	}
	defer t.mu.Unlock()
	now := t.now()
	nowNS, err := toNS(now, "the clock's time")
	if err != nil {
		return es.AppendResult{}, err
	}
	cls, obj, x := t.s.locks.appendLocks(req)
	// A plain writer registers in its class (once); a conditional append
	// registers once in any class, and waits for plain writers.
	var register, wait *int32
	plain := req.Condition == nil
	switch {
	case plain && !t.registeredPlain:
		register = &t.s.locks.register
	case !plain:
		wait = &t.s.locks.register
		if !t.registered {
			register = &t.s.locks.registerCond
		}
	}
	var (
		status     string
		version    pgtype.Int8
		poss       []int64
		storedFP   pgtype.Text
		ids        []string
		stream     pgtype.Text
		registered bool
	)
	err = t.ptx.QueryRow(ctx, t.s.q.appendEvents,
		cls, obj, x, register, wait,
		nowNS, a.stream, a.expect, a.expectV, a.cond, a.after, a.items, a.idemKey, a.idemFP, a.checkIDs,
		a.types, a.data, a.tagFrom, a.tagTo, a.tags, a.tagEvent, a.ids, a.corr, a.caus, a.cat, a.sv, a.extra,
	).Scan(&status, &version, &poss, &storedFP, &ids, &stream, &registered)
	if err != nil {
		return es.AppendResult{}, t.dbErr("append", err)
	}
	if registered {
		t.registered = true
		t.registeredPlain = t.registeredPlain || plain
	}
	switch status {
	case "ok":
		return es.AppendResult{Stream: req.Stream, EventIDs: a.ids, Positions: positions(poss), Version: es.Version(version.Int64)}, nil
	case "duplicate":
		return es.AppendResult{Stream: es.StreamID(stream.String), EventIDs: ids, Positions: positions(poss),
			Version: es.Version(version.Int64), Duplicate: true}, nil
	case "idempotency":
		if err := t.s.audit(ctx, req, storedFP.String, fp, now); err != nil {
			return es.AppendResult{}, err
		}
		return es.AppendResult{}, &es.IdempotencyConflictError{Key: req.Idempotency.Key, ExistingFingerprint: storedFP.String, IncomingFingerprint: fp}
	case "concurrency":
		return es.AppendResult{}, &es.ConcurrencyError{Stream: req.Stream, Expected: req.Expected, Actual: es.Version(version.Int64)}
	case "condition":
		return es.AppendResult{}, &es.ConditionFailedError{Condition: *req.Condition}
	case "event_id":
		taken := ""
		if len(ids) > 0 {
			taken = ids[0]
		}
		for i, id := range a.ids {
			if id == taken {
				return es.AppendResult{}, es.Errorf(es.CodeInvalidEvent, "events[%d].metadata.eventId %q is already in the log; event ids are unique", i, taken)
			}
		}
		return es.AppendResult{}, es.Errorf(es.CodeInvalidEvent, "event id %q is already in the log; event ids are unique", taken)
	}
	return es.AppendResult{}, es.Errorf(es.CodeInternal, "postgresadapter: append_events returned unknown status %q", status)
}

func positions(ps []int64) []es.Position {
	out := make([]es.Position, len(ps))
	for i, p := range ps {
		out[i] = es.Position(p)
	}
	return out
}

// auditTimeout bounds writing an idempotency audit.
const auditTimeout = 30 * time.Second

// audit records a rejected reuse of an idempotency key in its own
// transaction on its own connection, so it persists whatever becomes of the
// unit of work that was rejected. A dedicated connection (not one from the
// pool) is used: the unit of work holds the log lock and a pool connection,
// and waiting for another pool connection could wait for units that wait
// for that lock.
func (s *Store) audit(ctx context.Context, req es.AppendRequest, existing, incoming string, at time.Time) error {
	atNS, err := toNS(at, "the clock's time")
	if err != nil {
		return err
	}
	id := s.ids.NewID()
	if err := textOK(id); err != nil {
		return es.Errorf(es.CodeInternal, "postgresadapter: the id source minted audit id %q that %s", id, err)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(actx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return mapErr("connecting to write an idempotency audit", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(actx, s.q.insertAudit, id, req.Idempotency.Key, string(req.Stream), existing, incoming, atNS); err != nil {
		return mapErr("writing an idempotency audit", err)
	}
	return nil
}

// minNS and maxNS bound the instants the adapter stores (int64 nanoseconds
// since the Unix epoch: years 1678 to 2262).
var (
	minNS = time.Unix(0, -1<<63).UTC()
	maxNS = time.Unix(0, 1<<63-1).UTC()
)

// toNS converts an instant to stored nanoseconds, or INVALID_ARGUMENT when
// it is outside the storable range.
func toNS(t time.Time, what string) (int64, error) {
	if t.Before(minNS) || t.After(maxNS) {
		return 0, es.Errorf(es.CodeInvalidArgument, "%s %s is outside the range the PostgreSQL adapter stores (%s to %s)",
			what, t.Format(time.RFC3339), minNS.Format(time.RFC3339), maxNS.Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

func fromNS(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// ReadStream reads one stream; see store.StreamRead. A missing stream reads
// as empty (nil).
func (l *eventLog) ReadStream(ctx context.Context, stream es.StreamID, opts store.StreamRead) ([]es.Recorded, error) {
	t := (*tx)(l)
	limit, err := opts.Validate(stream)
	if err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	sql, from := t.s.q.readStreamFw, int64(opts.From)
	if opts.Backwards {
		sql = t.s.q.readStreamBw
		if from == 0 {
			from = 1<<63 - 1
		}
	}
	rows, err := t.ptx.ReadQuery(ctx, sql, string(stream), from, limit)
	if err != nil {
		return nil, t.dbErr("reading stream", err)
	}
	out, err := readEvents(rows, min(limit, 64))
	if err != nil {
		return nil, t.dbErr("reading stream", err)
	}
	return out, nil
}

// StreamVersion returns the stream's version (0 when missing).
func (l *eventLog) StreamVersion(ctx context.Context, stream es.StreamID) (es.Version, error) {
	t := (*tx)(l)
	if err := es.ValidateStreamID(stream); err != nil {
		return 0, err
	}
	if err := t.begin(ctx); err != nil {
		return 0, err
	}
	defer t.mu.Unlock()
	var v int64
	if err := t.ptx.ReadQueryRow(ctx, t.s.q.streamVer, string(stream)).Scan(&v); err != nil {
		return 0, t.dbErr("reading stream version", err)
	}
	return es.Version(v), nil
}

// readBounded runs a read that stops at the finality bound (the
// finality_bound function of the migration): the bound is computed first,
// then the read runs in a statement — hence a snapshot — taken after it;
// both travel in one round trip. t.mu held.
func (t *tx) readBounded(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.ptx.ReadAfter(ctx, t.s.q.bound, []any{t.s.locks.register, t.s.locks.registerCond}, sql, args...)
}

// ReadAll reads the global log after opts.After, up to the finality bound:
// events another open transaction may still precede are left for a later
// read, so a tail reader following Next never skips a late committer.
// Head is the lower of the bound and the highest position in the read's
// snapshot.
func (l *eventLog) ReadAll(ctx context.Context, opts store.LogRead) (store.LogPage, error) {
	t := (*tx)(l)
	limit, err := opts.Validate()
	if err != nil {
		return store.LogPage{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.LogPage{}, err
	}
	defer t.mu.Unlock()
	rows, err := t.readBounded(ctx, t.s.q.readAll, int64(opts.After), limit+1)
	if err != nil {
		return store.LogPage{}, t.dbErr("reading the log", err)
	}
	var head int64
	evs, err := readEvents(rows, limit+1, &head)
	if err != nil {
		return store.LogPage{}, t.dbErr("reading the log", err)
	}
	page := store.LogPage{Next: opts.After, Head: es.Position(head)}
	if len(evs) > limit {
		evs = evs[:limit]
		page.HasMore = true
	}
	if len(evs) > 0 {
		page.Events = evs
		page.Next = evs[len(evs)-1].Position
	}
	return page, nil
}

type nullableEventRow struct {
	position      pgtype.Int8
	streamID      pgtype.Text
	streamVersion pgtype.Int8
	typ           pgtype.Text
	data          []byte
	tags          []string
	eventID       pgtype.Text
	correlationID pgtype.Text
	causationID   pgtype.Text
	category      pgtype.Text
	schemaVersion pgtype.Int4
	extra         []byte
	recordedAt    pgtype.Int8
}

func (r *nullableEventRow) dest() []any {
	return []any{&r.position, &r.streamID, &r.streamVersion, &r.typ, &r.data, &r.tags, &r.eventID,
		&r.correlationID, &r.causationID, &r.category, &r.schemaVersion, &r.extra, &r.recordedAt}
}

// recorded converts a row scanned by rows.Scan (the fallback when the
// columns do not arrive in binary format); ok is false for a NULL event.
func (r *nullableEventRow) recorded() (es.Recorded, bool, error) {
	if !r.position.Valid {
		return es.Recorded{}, false, nil
	}
	rec := es.Recorded{
		Event: es.Event{
			Type: r.typ.String,
			Data: json.RawMessage(r.data),
			Metadata: es.Metadata{
				EventID:       r.eventID.String,
				CorrelationID: r.correlationID.String,
				CausationID:   r.causationID.String,
				SchemaVersion: int(r.schemaVersion.Int32),
				Category:      r.category.String,
			},
		},
		StreamID:      es.StreamID(r.streamID.String),
		StreamVersion: es.Version(r.streamVersion.Int64),
		Position:      es.Position(r.position.Int64),
		RecordedAt:    fromNS(r.recordedAt.Int64),
	}
	if len(r.tags) > 0 {
		rec.Tags = make([]es.Tag, len(r.tags))
		for i, t := range r.tags {
			rec.Tags[i] = es.Tag(t)
		}
	}
	if r.extra != nil {
		if err := json.Unmarshal(r.extra, &rec.Metadata.Extra); err != nil {
			return rec, false, err
		}
	}
	return rec, true, nil
}

// IdempotencyAudits lists the rejected reuses of key, oldest first.
func (l *eventLog) IdempotencyAudits(ctx context.Context, key string) ([]store.IdempotencyAudit, error) {
	t := (*tx)(l)
	if err := es.ValidateName(es.CodeInvalidArgument, "idempotency key", key); err != nil {
		return nil, err
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	rows, err := t.ptx.ReadQuery(ctx, t.s.q.audits, key)
	if err != nil {
		return nil, t.dbErr("reading idempotency audits", err)
	}
	var out []store.IdempotencyAudit
	var a store.IdempotencyAudit
	var stream string
	var at int64
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.Key, &stream, &a.ExistingFingerprint, &a.IncomingFingerprint, &at}, func() error {
		a.Stream, a.At = es.StreamID(stream), fromNS(at)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, t.dbErr("reading idempotency audits", err)
	}
	return out, nil
}
