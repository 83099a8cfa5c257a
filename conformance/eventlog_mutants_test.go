package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// Event-log mutants: memstore with one deliberate event-log bug each. The
// events, dcb, idempotency, concurrency and model cases meant to catch a
// bug must fail on its mutant — proof that they can fail.

// elMutantStore layers an EventLog wrapper over a store.
type elMutantStore struct {
	store.Store
	wrap func(store.EventLog) store.EventLog
}

func (s elMutantStore) Atomic(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Atomic(ctx, func(tx store.Tx) error { return fn(elMutantTx{tx, s.wrap}) })
}

type elMutantTx struct {
	store.Tx
	wrap func(store.EventLog) store.EventLog
}

func (t elMutantTx) Events() store.EventLog { return t.wrap(t.Tx.Events()) }

// elIgnoresCondition appends as if no condition had been given.
type elIgnoresCondition struct{ store.EventLog }

func (e elIgnoresCondition) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	req.Condition = nil
	return e.EventLog.Append(ctx, req)
}

// elFirstItemOnly checks only the first item of a multi-item condition (a
// missed conflict).
type elFirstItemOnly struct{ store.EventLog }

func (e elFirstItemOnly) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	if c := req.Condition; c != nil && len(c.FailIfEventsMatch.QueryItems()) > 1 {
		first := es.AppendCondition{FailIfEventsMatch: es.Items(c.FailIfEventsMatch.QueryItems()[0]), After: c.After}
		req.Condition = &first
	}
	return e.EventLog.Append(ctx, req)
}

// elInclusiveAfter reads the global log from After inclusive.
type elInclusiveAfter struct{ store.EventLog }

func (e elInclusiveAfter) ReadAll(ctx context.Context, o store.LogRead) (store.LogPage, error) {
	if o.After > 0 {
		o.After--
	}
	return e.EventLog.ReadAll(ctx, o)
}

// elForgetsKeys drops idempotency keys.
type elForgetsKeys struct{ store.EventLog }

func (e elForgetsKeys) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	req.Idempotency = nil
	return e.EventLog.Append(ctx, req)
}

// elLastMatchHead returns the last matching position as the head (the
// divergence spec/dcb.md warns about).
type elLastMatchHead struct{ store.EventLog }

func (e elLastMatchHead) ReadQuery(ctx context.Context, q es.Query, o store.QueryRead) (store.QueryResult, error) {
	res, err := e.EventLog.ReadQuery(ctx, q, o)
	if err == nil {
		res.Head = 0
		for _, ev := range res.Events {
			res.Head = max(res.Head, ev.Position)
		}
	}
	return res, err
}

// elWrongActual reports the expected version as the actual one.
type elWrongActual struct{ store.EventLog }

func (e elWrongActual) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	res, err := e.EventLog.Append(ctx, req)
	if ce, ok := err.(*es.ConcurrencyError); ok {
		v, _ := ce.Expected.ExactVersion()
		return res, &es.ConcurrencyError{Stream: ce.Stream, Expected: ce.Expected, Actual: v}
	}
	return res, err
}

// elBackwardsFromNewest ignores From on backwards stream reads.
type elBackwardsFromNewest struct{ store.EventLog }

func (e elBackwardsFromNewest) ReadStream(ctx context.Context, s es.StreamID, o store.StreamRead) ([]es.Recorded, error) {
	if o.Backwards && o.From > 0 {
		o.From = 0
	}
	return e.EventLog.ReadStream(ctx, s, o)
}

// elAlwaysComplete never reports a limited DCB read as incomplete.
type elAlwaysComplete struct{ store.EventLog }

func (e elAlwaysComplete) ReadQuery(ctx context.Context, q es.Query, o store.QueryRead) (store.QueryResult, error) {
	res, err := e.EventLog.ReadQuery(ctx, q, o)
	res.Complete = err == nil
	return res, err
}

// elCompactsJSON re-encodes data on stream reads, as a JSONB column would.
type elCompactsJSON struct{ store.EventLog }

func (e elCompactsJSON) ReadStream(ctx context.Context, s es.StreamID, o store.StreamRead) ([]es.Recorded, error) {
	out, err := e.EventLog.ReadStream(ctx, s, o)
	for i := range out {
		var b bytes.Buffer
		if json.Compact(&b, out[i].Data) == nil {
			out[i].Data = b.Bytes()
		}
	}
	return out, err
}

// elIgnoresCancel reads the global log whatever the context says.
type elIgnoresCancel struct{ store.EventLog }

func (e elIgnoresCancel) ReadAll(ctx context.Context, o store.LogRead) (store.LogPage, error) {
	return e.EventLog.ReadAll(context.WithoutCancel(ctx), o)
}

// elSkipsLastInPage drops the last event of every full page but still
// reports it as consumed.
type elSkipsLastInPage struct{ store.EventLog }

func (e elSkipsLastInPage) ReadAll(ctx context.Context, o store.LogRead) (store.LogPage, error) {
	page, err := e.EventLog.ReadAll(ctx, o)
	if err == nil && page.HasMore && len(page.Events) > 1 {
		page.Events = page.Events[:len(page.Events)-1]
	}
	return page, err
}

// TestEventLogCasesPassViaCertify is the mutants' control: unmutated
// memstore passes every event-log case when run outside go test (where the
// model case draws its sequences from fixed seeds).
func TestEventLogCasesPassViaCertify(t *testing.T) {
	rep := conformance.Certify(t.Context(), func(t conformance.T, env conformance.Env) store.Store {
		s := memstore.New(memstore.WithClock(env.Clock), memstore.WithIDs(env.IDs))
		t.Cleanup(func() { _ = s.Close() })
		return s
	}, memstore.Capabilities, conformance.CertifyOptions{Adapter: "memstore", Match: regexp.MustCompile("^(events|dcb|idempotency|concurrency|model)/")})
	if len(rep.Failures()) > 0 || rep.Totals.Passed == 0 {
		var b strings.Builder
		_ = rep.WriteTable(&b)
		t.Errorf("memstore via Certify: %d failures, %d passed:\n%s", len(rep.Failures()), rep.Totals.Passed, b.String())
	}
}

func TestEventLogCasesCatchMutants(t *testing.T) {
	mutants := []struct {
		name  string
		wrap  func(store.EventLog) store.EventLog
		match string
		fail  []string
	}{
		{"conditions ignored", func(e store.EventLog) store.EventLog { return elIgnoresCondition{e} },
			"^(dcb/conflict|concurrency/race-dcb|concurrency/oracle|model/)",
			[]string{"dcb/conflict-exact-match", "dcb/conflict-all", "concurrency/race-dcb-condition", "concurrency/oracle-mixed-workload", "model/state-machine"}},
		{"only the first condition item checked", func(e store.EventLog) store.EventLog { return elFirstItemOnly{e} },
			"^(dcb/conflict-any|model/)", []string{"dcb/conflict-any-item-suffices", "model/state-machine"}},
		{"ReadAll after is inclusive", func(e store.EventLog) store.EventLog { return elInclusiveAfter{e} },
			"^(events/read-all|concurrency/tail|model/)", []string{"events/read-all-paging", "concurrency/tail-reader-never-skips", "model/state-machine"}},
		{"idempotency keys dropped", func(e store.EventLog) store.EventLog { return elForgetsKeys{e} },
			"^(idempotency/|concurrency/race-idem|model/)",
			[]string{"idempotency/same-fingerprint-returns-earlier-result", "idempotency/different-fingerprint-conflicts", "idempotency/audit-survives-rollback", "concurrency/race-idempotency-key", "model/state-machine"}},
		{"head is the last match", func(e store.EventLog) store.EventLog { return elLastMatchHead{e} },
			"^(dcb/read|model/)", []string{"dcb/read-type-only", "dcb/read-head-same-snapshot", "model/state-machine"}},
		{"concurrency error reports the expected version as actual", func(e store.EventLog) store.EventLog { return elWrongActual{e} },
			"^(events/occ|concurrency/race-exp|model/)", []string{"events/occ-exact-mismatch", "concurrency/race-expected-version", "model/state-machine"}},
		{"backwards stream reads ignore From", func(e store.EventLog) store.EventLog { return elBackwardsFromNewest{e} },
			"^(events/read-stream-backwards|model/)", []string{"events/read-stream-backwards", "model/state-machine"}},
		{"limited DCB reads claim completeness", func(e store.EventLog) store.EventLog { return elAlwaysComplete{e} },
			"^(dcb/read-limit|model/)", []string{"dcb/read-limit-complete", "model/state-machine"}},
		{"data compacted like JSONB", func(e store.EventLog) store.EventLog { return elCompactsJSON{e} },
			"^events/metadata-round", []string{"events/metadata-round-trip"}},
		{"ReadAll ignores cancellation", func(e store.EventLog) store.EventLog { return elIgnoresCancel{e} },
			"^concurrency/ctx-(cancelled-reads|deadline)", []string{"concurrency/ctx-cancelled-reads", "concurrency/ctx-deadline-exceeded"}},
		{"a full page hides its last event", func(e store.EventLog) store.EventLog { return elSkipsLastInPage{e} },
			"^(events/read-all|concurrency/(tail|checkpoint))", []string{"events/read-all-paging", "concurrency/tail-reader-never-skips", "concurrency/checkpoint-resumes-exactly-once"}},
	}
	for _, mu := range mutants {
		t.Run(strings.ReplaceAll(mu.name, " ", "-"), func(t *testing.T) {
			rep := conformance.Certify(t.Context(), func(t conformance.T, env conformance.Env) store.Store {
				s := memstore.New(memstore.WithClock(env.Clock), memstore.WithIDs(env.IDs))
				t.Cleanup(func() { _ = s.Close() })
				return elMutantStore{s, mu.wrap}
			}, memstore.Capabilities, conformance.CertifyOptions{Adapter: "mutant", Match: regexp.MustCompile(mu.match)})
			failed := map[string]bool{}
			for _, c := range rep.Failures() {
				failed[c.Path()] = true
			}
			for _, want := range mu.fail {
				if !failed[want] {
					t.Errorf("%s did not fail on this mutant", want)
				}
			}
			if t.Failed() {
				var b strings.Builder
				_ = rep.WriteTable(&b)
				t.Log(b.String())
			}
		})
	}
}

// lateStore is a toy store with interleaved units of work, just enough
// event log for the late-committer case: positions are allocated when an
// event is appended, and committed in commit order. With guard set, reads
// see only positions below the oldest position still in flight (the
// PostgreSQL "read below the oldest in-flight transaction" strategy);
// without it they see every committed event — the classic bug.
type lateStore struct {
	guard    bool
	ids      es.IDs
	clock    es.Clock
	mu       sync.Mutex
	next     es.Position
	log      []es.Recorded
	inflight map[*lateTx]es.Position
}

func (s *lateStore) Capabilities() store.Capabilities {
	return store.Capabilities{store.InterleavedTransactions}
}
func (s *lateStore) Close() error { return nil }

func (s *lateStore) Atomic(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tx := &lateTx{s: s}
	err := fn(tx)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inflight, tx)
	if err != nil {
		return err
	}
	s.log = append(s.log, tx.pending...)
	slices.SortFunc(s.log, func(a, b es.Recorded) int { return int(a.Position - b.Position) })
	return nil
}

type lateTx struct {
	s       *lateStore
	pending []es.Recorded
}

func (t *lateTx) Events() store.EventLog     { return lateLog{t} }
func (t *lateTx) Documents() store.Documents { return nil }
func (t *lateTx) Jobs() store.Jobs           { return nil }
func (t *lateTx) Commands() store.CommandLog { return nil }

type lateLog struct{ t *lateTx }

func (l lateLog) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	s := l.t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	res := es.AppendResult{Stream: req.Stream}
	for _, e := range req.Events {
		s.next++
		if _, ok := s.inflight[l.t]; !ok {
			if s.inflight == nil {
				s.inflight = map[*lateTx]es.Position{}
			}
			s.inflight[l.t] = s.next
		}
		e = es.WithDefaults(e, s.ids)
		v := es.Version(0)
		if req.Stream != "" {
			v = 1 // the late-committer case appends one event per stream
			res.Version = 1
		}
		l.t.pending = append(l.t.pending, es.Recorded{Event: e, StreamID: req.Stream, StreamVersion: v, Position: s.next, RecordedAt: s.clock.Now()})
		res.EventIDs = append(res.EventIDs, e.Metadata.EventID)
		res.Positions = append(res.Positions, s.next)
	}
	return res, nil
}

// visible is the highest position a reader may see.
func (s *lateStore) visible() es.Position {
	head := es.Position(0)
	if len(s.log) > 0 {
		head = s.log[len(s.log)-1].Position
	}
	if s.guard {
		for _, p := range s.inflight {
			head = min(head, p-1)
		}
	}
	return head
}

func (l lateLog) ReadAll(ctx context.Context, o store.LogRead) (store.LogPage, error) {
	s := l.t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	limit, _ := es.ValidateLimit(o.Limit, store.DefaultLogLimit, store.MaxLogLimit)
	vis := s.visible()
	page := store.LogPage{Next: o.After, Head: vis}
	for _, e := range s.log {
		if e.Position <= o.After || e.Position > vis {
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

func (l lateLog) ReadQuery(ctx context.Context, q es.Query, o store.QueryRead) (store.QueryResult, error) {
	s := l.t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	vis := s.visible()
	res := store.QueryResult{Head: vis, Complete: true}
	for _, e := range s.log {
		if e.Position > o.After && e.Position <= vis && q.Matches(e.Event) {
			res.Events = append(res.Events, e)
		}
	}
	return res, nil
}

func (lateLog) ReadStream(context.Context, es.StreamID, store.StreamRead) ([]es.Recorded, error) {
	return nil, es.ErrUnsupported
}
func (lateLog) StreamVersion(context.Context, es.StreamID) (es.Version, error) {
	return 0, es.ErrUnsupported
}
func (lateLog) IdempotencyAudits(context.Context, string) ([]store.IdempotencyAudit, error) {
	return nil, es.ErrUnsupported
}

func TestLateCommitterCase(t *testing.T) {
	match := regexp.MustCompile("^concurrency/late-committer")
	for _, guard := range []bool{true, false} {
		rep := conformance.Certify(t.Context(), func(t conformance.T, env conformance.Env) store.Store {
			return &lateStore{guard: guard, ids: env.IDs, clock: env.Clock}
		}, store.Capabilities{store.InterleavedTransactions}, conformance.CertifyOptions{Adapter: "late-store", Match: match})
		failures := rep.Failures()
		var b strings.Builder
		_ = rep.WriteTable(&b)
		switch {
		case guard && len(failures) > 0:
			t.Errorf("a store that reads below its oldest in-flight position failed the late-committer case:\n%s", b.String())
		case !guard && len(failures) != 1:
			t.Errorf("a store whose tail reader can skip a late committer passed the late-committer case:\n%s", b.String())
		}
	}
}
