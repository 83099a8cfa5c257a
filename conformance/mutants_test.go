package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// A mutation is a deliberate bug layered over memstore. Each must make the
// cases meant to catch it fail: proof that those cases can fail.
type mutation struct {
	events func(store.EventLog) store.EventLog
	docs   func(store.Documents) store.Documents
	jobs   func(store.Jobs) store.Jobs
	cmds   func(store.CommandLog) store.CommandLog
	atomic func(inner store.Store, ctx context.Context, fn func(store.Tx) error) error
}

type mutantStore struct {
	store.Store
	m *mutation
}

func (s mutantStore) Atomic(ctx context.Context, fn func(store.Tx) error) error {
	wrapped := func(tx store.Tx) error { return fn(mutantTx{tx, s.m}) }
	if s.m.atomic != nil {
		return s.m.atomic(s.Store, ctx, wrapped)
	}
	return s.Store.Atomic(ctx, wrapped)
}

type mutantTx struct {
	store.Tx
	m *mutation
}

func (t mutantTx) Events() store.EventLog {
	if t.m.events != nil {
		return t.m.events(t.Tx.Events())
	}
	return t.Tx.Events()
}

func (t mutantTx) Documents() store.Documents {
	if t.m.docs != nil {
		return t.m.docs(t.Tx.Documents())
	}
	return t.Tx.Documents()
}

func (t mutantTx) Commands() store.CommandLog {
	if t.m.cmds != nil {
		return t.m.cmds(t.Tx.Commands())
	}
	return t.Tx.Commands()
}

// Command-log mutants.

// corrDropper drops the correlation an insert carries.
type corrDropper struct{ store.CommandLog }

func (c corrDropper) InsertCommand(ctx context.Context, rec store.CommandRecord, _ *store.CorrelationRecord) error {
	return c.CommandLog.InsertCommand(ctx, rec, nil)
}

// ignoredAfter lists from the start whatever the cursor.
type ignoredAfter struct{ store.CommandLog }

func (c ignoredAfter) CommandsByCorrelation(ctx context.Context, corr, _ string, limit int) ([]store.CommandRecord, error) {
	return c.CommandLog.CommandsByCorrelation(ctx, corr, "", limit)
}

// sloppyMerge stores a correlation only when there is none: it never
// merges.
type sloppyMerge struct{ store.CommandLog }

func (c sloppyMerge) PutCorrelation(ctx context.Context, r store.CorrelationRecord) error {
	if _, found, err := c.GetCorrelation(ctx, r.CommandID); err != nil || found {
		return err
	}
	return c.CommandLog.PutCorrelation(ctx, r)
}

// moreNeverSet never reports that more expired records remain.
type moreNeverSet struct{ store.CommandLog }

func (c moreNeverSet) DeleteExpiredCommands(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	n, _, err := c.CommandLog.DeleteExpiredCommands(ctx, before, limit)
	return n, false, err
}

// ownIDs ignores the request's id source: the store mints every id.
type ownIDs struct{ store.EventLog }

func (e ownIDs) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	req.IDs, req.IDPrefix = nil, ""
	return e.EventLog.Append(ctx, req)
}

// secondsCursor derives an empty cursor from the timestamp in seconds, not
// milliseconds.
type secondsCursor struct{ store.CommandLog }

func (c secondsCursor) InsertCommand(ctx context.Context, rec store.CommandRecord, corr *store.CorrelationRecord) error {
	if rec.CorrelationCursor == "" {
		rec.CorrelationCursor = fmt.Sprintf("%016d:%s", rec.Timestamp.Unix(), rec.CommandID)
	}
	return c.CommandLog.InsertCommand(ctx, rec, corr)
}

func (t mutantTx) Jobs() store.Jobs {
	if t.m.jobs != nil {
		return t.m.jobs(t.Tx.Jobs())
	}
	return t.Tx.Jobs()
}

// Document mutants.
type reversedList struct{ store.Documents }

func (d reversedList) List(ctx context.Context, c string, o store.ListOptions) (store.DocumentPage, error) {
	p, err := d.Documents.List(ctx, c, o)
	slices.Reverse(p.Documents)
	return p, err
}

type blindUpdate struct{ store.Documents }

func (d blindUpdate) Update(ctx context.Context, c, k string, _ int64, data json.RawMessage) (store.Document, error) {
	cur, err := d.Documents.Get(ctx, c, k)
	if err != nil {
		return cur, err
	}
	return d.Documents.Update(ctx, c, k, cur.Version, data)
}

// keptDocs hands out, on Get, the very slice the last write of the
// document was given: a store that keeps its caller's memory.
type keptDocs struct {
	store.Documents
	kept *keptMemory
}

// keptMemory is what a keeping mutant shares across units of work.
type keptMemory struct {
	mu   sync.Mutex
	data map[string][]byte
}

func (m *keptMemory) keep(key string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		m.data = map[string][]byte{}
	}
	m.data[key] = b
}

func (m *keptMemory) get(key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.data[key]
	return b, ok
}

func (d keptDocs) Insert(ctx context.Context, c, k string, data json.RawMessage) (store.Document, error) {
	doc, err := d.Documents.Insert(ctx, c, k, data)
	if err == nil {
		d.kept.keep(c+"/"+k, data)
	}
	return doc, err
}

func (d keptDocs) Update(ctx context.Context, c, k string, v int64, data json.RawMessage) (store.Document, error) {
	doc, err := d.Documents.Update(ctx, c, k, v, data)
	if err == nil {
		d.kept.keep(c+"/"+k, data)
	}
	return doc, err
}

func (d keptDocs) Get(ctx context.Context, c, k string) (store.Document, error) {
	doc, err := d.Documents.Get(ctx, c, k)
	if b, ok := d.kept.get(c + "/" + k); ok && err == nil {
		doc.Data = b
	}
	return doc, err
}

// keptEvents hands out, on ReadStream, the very data slices Append was
// given.
type keptEvents struct {
	store.EventLog
	kept *keptMemory
}

func (e keptEvents) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	res, err := e.EventLog.Append(ctx, req)
	if err == nil {
		for i, id := range res.EventIDs {
			e.kept.keep(id, req.Events[i].Data)
		}
	}
	return res, err
}

func (e keptEvents) ReadStream(ctx context.Context, s es.StreamID, o store.StreamRead) ([]es.Recorded, error) {
	recs, err := e.EventLog.ReadStream(ctx, s, o)
	for i := range recs {
		if b, ok := e.kept.get(recs[i].Metadata.EventID); ok {
			recs[i].Data = b
		}
	}
	return recs, err
}

type panickyGet struct{ store.Documents }

func (d panickyGet) Get(ctx context.Context, c, k string) (store.Document, error) {
	if c == "" {
		panic("index out of range")
	}
	return d.Documents.Get(ctx, c, k)
}

// Job mutants.
type lateRetry struct{ store.Jobs }

func (j lateRetry) Fail(ctx context.Context, l store.Lease, reason string) (store.FailOutcome, error) {
	out, err := j.Jobs.Fail(ctx, l, reason)
	if !out.RetryAt.IsZero() {
		out.RetryAt = out.RetryAt.Add(time.Second)
	}
	return out, err
}

type forgivingComplete struct{ store.Jobs }

func (j forgivingComplete) Complete(ctx context.Context, l store.Lease) error {
	if err := j.Jobs.Complete(ctx, l); es.CodeOf(err) != es.CodeLeaseLost {
		return err
	}
	return nil
}

type earlyClaim struct{ store.Jobs }

func (j earlyClaim) Enqueue(ctx context.Context, spec store.JobSpec) (store.Job, error) {
	spec.RunAt = time.Time{} // run now, whatever was asked
	return j.Jobs.Enqueue(ctx, spec)
}

// Event mutants.
type wrongEmptyCode struct{ store.EventLog }

func (e wrongEmptyCode) Append(ctx context.Context, req es.AppendRequest) (es.AppendResult, error) {
	if len(req.Events) == 0 {
		return es.AppendResult{}, es.Errorf(es.CodeInvalidArgument, "nothing to do")
	}
	return e.EventLog.Append(ctx, req)
}

type vagueErrors struct{ store.EventLog }

func (e vagueErrors) ReadQuery(ctx context.Context, q es.Query, o store.QueryRead) (store.QueryResult, error) {
	res, err := e.EventLog.ReadQuery(ctx, q, o)
	if err != nil {
		return res, es.Errorf(es.CodeOf(err), "bad request")
	}
	return res, err
}

func TestCasesCatchMutants(t *testing.T) {
	mutants := []struct {
		name  string
		m     mutation
		match string
		fail  []string // cases that must fail
	}{
		{"list in reverse order", mutation{docs: func(d store.Documents) store.Documents { return reversedList{d} }},
			"^documents/list", []string{"documents/list-prefix-in-byte-order", "documents/list-pages-with-cursor-and-limit", "documents/list-default-limit-cap-and-2500-docs"}},
		{"update ignores the expected version", mutation{docs: func(d store.Documents) store.Documents { return blindUpdate{d} }},
			"^documents/update", []string{"documents/update-compares-and-sets"}},
		{"Get panics on an empty collection", mutation{docs: func(d store.Documents) store.Documents { return panickyGet{d} }},
			"^badinput/invalid-collections", []string{"badinput/invalid-collections-keys-and-data"}},
		{"Get hands out the caller's insert buffer", mutation{docs: func() func(store.Documents) store.Documents {
			kept := &keptMemory{}
			return func(d store.Documents) store.Documents { return keptDocs{d, kept} }
		}()}, "^documents/caller-memory", []string{"documents/caller-memory-is-its-own"}},
		{"reads hand out the caller's event data", mutation{events: func() func(store.EventLog) store.EventLog {
			kept := &keptMemory{}
			return func(e store.EventLog) store.EventLog { return keptEvents{e, kept} }
		}()}, "^events/caller-memory", []string{"events/caller-memory-is-its-own"}},
		{"retries a second late", mutation{jobs: func(j store.Jobs) store.Jobs { return lateRetry{j} }},
			"^jobs/(retry|backoff)", []string{"jobs/retry-at-exponential-backoff-then-dead", "jobs/backoff-is-capped"}},
		{"an expired lease still completes", mutation{jobs: func(j store.Jobs) store.Jobs { return forgivingComplete{j} }},
			"^jobs/expired-lease", []string{"jobs/expired-lease-is-reclaimed-old-lease-lost"}},
		{"delayed jobs run at once", mutation{jobs: func(j store.Jobs) store.Jobs { return earlyClaim{j} }},
			"^jobs/(delayed|claim-order|partition-is)", []string{"jobs/delayed-job-waits-for-run-at", "jobs/claim-order-is-run-at-then-enqueue", "jobs/partition-is-fifo"}},
		{"empty append gets the wrong code", mutation{events: func(e store.EventLog) store.EventLog { return wrongEmptyCode{e} }},
			"^badinput/empty", []string{"badinput/empty-and-oversized-appends"}},
		{"query errors do not say what is wrong", mutation{events: func(e store.EventLog) store.EventLog { return vagueErrors{e} }},
			"^badinput/malformed", []string{"badinput/malformed-queries"}},
		{"an insert drops its correlation", mutation{cmds: func(c store.CommandLog) store.CommandLog { return corrDropper{c} }},
			"^(command-log/(round-trip|insert-taken)|commands/event-correlations)", []string{
				"command-log/round-trip-every-field", "command-log/insert-taken-id-writes-nothing", "commands/event-correlations"}},
		{"listing by correlation ignores the cursor", mutation{cmds: func(c store.CommandLog) store.CommandLog { return ignoredAfter{c} }},
			"^(command-log/by-correlation|commands/by-correlation)", []string{"command-log/by-correlation-order-and-after", "commands/by-correlation-paging"}},
		{"a correlation never merges", mutation{cmds: func(c store.CommandLog) store.CommandLog { return sloppyMerge{c} }},
			"^(command-log/correlations|commands/event-correlations)", []string{"command-log/correlations-merge-list-delete", "commands/event-correlations"}},
		{"the request's id source is ignored", mutation{events: func(e store.EventLog) store.EventLog { return ownIDs{e} }},
			"^events/ids-minted", []string{"events/ids-minted-from-the-request-source"}},
		{"an empty cursor is derived from seconds", mutation{cmds: func(c store.CommandLog) store.CommandLog { return secondsCursor{c} }},
			"^command-log/empty-cursor", []string{"command-log/empty-cursor-is-the-canonical-one"}},
		{"expired-command deletion never reports more", mutation{cmds: func(c store.CommandLog) store.CommandLog { return moreNeverSet{c} }},
			"^command-log/delete-expired", []string{"command-log/delete-expired-commands"}},
		{"an error still commits", mutation{atomic: func(s store.Store, ctx context.Context, fn func(store.Tx) error) error {
			var ferr error
			if err := s.Atomic(ctx, func(tx store.Tx) error { ferr = fn(tx); return nil }); err != nil {
				return err
			}
			return ferr
		}}, "^(atomicity/(error|store-error)|jobs/rolled-back)", []string{
			"atomicity/error-rolls-back-everything", "atomicity/store-error-rolls-back-earlier-writes", "jobs/rolled-back-enqueue-leaves-no-job"}},
		{"a panic becomes an error", mutation{atomic: func(s store.Store, ctx context.Context, fn func(store.Tx) error) (err error) {
			defer func() {
				if v := recover(); v != nil {
					err = fmt.Errorf("recovered: %v", v)
				}
			}()
			return s.Atomic(ctx, fn)
		}}, "^atomicity/panic", []string{"atomicity/panic-rolls-back-and-propagates"}},
		{"cancellation is ignored", mutation{atomic: func(s store.Store, ctx context.Context, fn func(store.Tx) error) error {
			return s.Atomic(context.WithoutCancel(ctx), fn)
		}}, "^atomicity/cancelled", []string{"atomicity/cancelled-context-aborts"}},
	}
	for _, mu := range mutants {
		t.Run(strings.ReplaceAll(mu.name, " ", "-"), func(t *testing.T) {
			rep := conformance.Certify(t.Context(), func(t conformance.T, env conformance.Env) store.Store {
				s := memstore.New(memstore.WithClock(env.Clock), memstore.WithIDs(env.IDs))
				t.Cleanup(func() { _ = s.Close() })
				return mutantStore{s, &mu.m}
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
