package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// The atomicity group certifies store.Store.Atomic: one unit of work that
// appends events (to streams and without a stream, under a DCB condition),
// inserts, updates and deletes documents, and enqueues and claims jobs
// commits all of it, or — when its function returns an error, panics or its
// context is cancelled — none of it, and the store stays usable.
func init() {
	register(
		Case{Group: "atomicity", Name: "success-commits-everything", Run: atomSuccess},
		Case{Group: "atomicity", Name: "error-rolls-back-everything", Run: atomError},
		Case{Group: "atomicity", Name: "store-error-rolls-back-earlier-writes", Run: atomStoreError},
		Case{Group: "atomicity", Name: "panic-rolls-back-and-propagates", Run: atomPanic},
		Case{Group: "atomicity", Name: "cancelled-context-aborts", Run: atomCancelled},
		Case{Group: "atomicity", Name: "uncommitted-work-is-invisible-to-others",
			Requires: []store.Capability{store.InterleavedTransactions}, Run: atomIsolation},
	)
}

// unit is the state the atomicity cases build: what was committed before
// the unit of work under test, and what that unit produced.
type unit struct {
	k       *kit
	before  []es.Recorded    // the whole log before the unit
	docs    []documentView   // collection "orders" before the unit
	seedJob store.Job        // a due job the unit claims
	ghostID string           // the job the unit enqueues ("" until it does)
	want    map[string]int64 // expected document versions after a commit (0: absent)
}

// newUnit commits the seed state: stream order-1 with one event, documents
// orders/o-1 and orders/o-2, and a due job.
func newUnit(k *kit) *unit {
	k.t.Helper()
	u := &unit{k: k}
	k.appendOK("seed order-1", es.AppendRequest{Stream: "order-1", Expected: es.NoStream,
		Events: []es.Event{{Type: "OrderPlaced", Data: json.RawMessage(`{"id":1}`), Tags: []es.Tag{"order:1"}}}})
	k.insertDoc("orders", "o-1", `{"status":"placed"}`)
	k.insertDoc("orders", "o-2", `{"status":"placed"}`)
	u.seedJob = k.enqueue(store.JobSpec{Kind: "seed"})
	u.before = k.logEvents("seed")
	u.docs = u.orders()
	return u
}

// orders lists the collection "orders".
func (u *unit) orders() []documentView {
	u.k.t.Helper()
	p, err := u.k.listDocs("orders", store.ListOptions{})
	if err != nil {
		u.k.t.Fatalf("listing orders: %v", err)
	}
	out := []documentView{}
	for _, d := range p.Documents {
		out = append(out, docView(d))
	}
	return out
}

// work is the unit of work under test. It touches every capability set and
// checks, inside the unit, that it sees its own writes. It returns the
// first error a store call returns.
func (u *unit) work(ctx context.Context, tx store.Tx) error {
	t := u.k.t
	ev := func(typ, data string, tags ...es.Tag) []es.Event {
		return []es.Event{{Type: typ, Data: json.RawMessage(data), Tags: tags}}
	}
	cond := es.FailIfMatch(es.Tags("course:c1"))
	steps := []struct {
		what string
		do   func() error
	}{
		{"append to order-1 at version 1", func() error {
			_, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "order-1", Expected: es.Exact(1), Events: ev("OrderShipped", `{"id":1}`, "order:1")})
			return err
		}},
		{"append to new stream order-2", func() error {
			_, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "order-2", Expected: es.NoStream, Events: ev("OrderPlaced", `{"id":2}`, "order:2")})
			return err
		}},
		{"conditional append without a stream", func() error {
			_, err := tx.Events().Append(ctx, es.AppendRequest{Condition: &cond, Events: ev("CourseDefined", `{"id":"c1"}`, "course:c1")})
			return err
		}},
		{"insert orders/o-3", func() error {
			_, err := tx.Documents().Insert(ctx, "orders", "o-3", json.RawMessage(`{"status":"new"}`))
			return err
		}},
		{"update orders/o-1", func() error {
			_, err := tx.Documents().Update(ctx, "orders", "o-1", 1, json.RawMessage(`{"status":"shipped"}`))
			return err
		}},
		{"delete orders/o-2", func() error { return tx.Documents().Delete(ctx, "orders", "o-2", 1) }},
		{"enqueue a job", func() error {
			j, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "ghost", RunAt: u.k.now().Add(time.Hour)})
			if err == nil {
				u.ghostID = j.ID
			}
			return err
		}},
		{"claim the seed job", func() error {
			cl, err := tx.Jobs().Claim(ctx, 10, time.Hour)
			if err == nil && (len(cl) != 1 || cl[0].Job.ID != u.seedJob.ID) {
				t.Errorf("claim inside the unit: got %d jobs, want just the seed job %s", len(cl), u.seedJob.ID)
			}
			return err
		}},
		{"read own writes", func() error {
			v1, err := tx.Events().StreamVersion(ctx, "order-1")
			if err != nil {
				return err
			}
			v2, err := tx.Events().StreamVersion(ctx, "order-2")
			if err != nil {
				return err
			}
			q, err := tx.Events().ReadQuery(ctx, es.Tags("course:c1"), store.QueryRead{})
			if err != nil {
				return err
			}
			d3, err := tx.Documents().Get(ctx, "orders", "o-3")
			if err != nil {
				return fmt.Errorf("get orders/o-3 inside the unit that inserted it: %w", err)
			}
			_, err2 := tx.Documents().Get(ctx, "orders", "o-2")
			g, err := tx.Jobs().Get(ctx, u.ghostID)
			if err != nil {
				return fmt.Errorf("get the job inside the unit that enqueued it: %w", err)
			}
			if v1 != 2 || v2 != 1 || len(q.Events) != 1 || d3.Version != 1 || es.CodeOf(err2) != es.CodeNotFound || g.Kind != "ghost" {
				t.Errorf("inside the unit: versions order-1 %d, order-2 %d, %d course:c1 events, o-3 version %d, deleted o-2 gives %v, job kind %q; want 2, 1, 1, 1, NOT_FOUND, ghost",
					v1, v2, len(q.Events), d3.Version, err2, g.Kind)
			}
			return nil
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

// wantUntouched checks that nothing of the unit of work survived.
func (u *unit) wantUntouched(what string) {
	k := u.k
	k.t.Helper()
	if d := diffLogs(u.before, k.logEvents(what)); d != "" {
		k.t.Errorf("%s: the log changed: %s", what, d)
	}
	for stream, want := range map[es.StreamID]es.Version{"order-1": 1, "order-2": 0} {
		var v es.Version
		k.atomic(what+": stream version", func(tx store.Tx) error {
			var err error
			v, err = tx.Events().StreamVersion(k.ctx(), stream)
			return err
		})
		if v != want {
			k.t.Errorf("%s: StreamVersion(%s) = %d, want %d", what, stream, v, want)
		}
	}
	k.diff(what+": documents of orders", u.docs, u.orders())
	if u.ghostID != "" {
		_, err := k.getJob(u.ghostID)
		k.wantCode(what+": the enqueued job", err, es.CodeNotFound)
	}
	k.wantJob(what+": the seed job", u.seedJob, k.mustJob(u.seedJob.ID))
}

// wantCommitted checks that everything of the unit of work is there, with
// positions after every earlier one (right after them when the adapter
// claims gapless positions, even after rolled-back units).
func (u *unit) wantCommitted(what string) {
	k := u.k
	k.t.Helper()
	log := k.logEvents(what)
	if len(log) != len(u.before)+3 {
		k.t.Fatalf("%s: the log holds %d events, want the %d from before and 3 new ones", what, len(log), len(u.before))
	}
	if d := diffLogs(u.before, log[:len(u.before)]); d != "" {
		k.t.Errorf("%s: the earlier events changed: %s", what, d)
	}
	last := u.before[len(u.before)-1].Position
	gapless := k.s.Capabilities().Has(store.GaplessPositions)
	for i, r := range log[len(u.before):] {
		if r.Type != []string{"OrderShipped", "OrderPlaced", "CourseDefined"}[i] {
			k.t.Errorf("%s: new event %d has type %s", what, i, r.Type)
		}
		if r.Position <= last || (gapless && r.Position != last+1) {
			k.t.Errorf("%s: new event %d at position %d after position %d (gapless claimed: %v)", what, i, r.Position, last, gapless)
		}
		last = r.Position
	}
	for _, c := range []struct {
		key     string
		version int64
	}{{"o-1", 2}, {"o-2", 0}, {"o-3", 1}} {
		d, err := k.getDoc("orders", c.key)
		switch {
		case c.version == 0:
			k.wantCode(what+": deleted "+c.key, err, es.CodeNotFound)
		case err != nil:
			k.t.Errorf("%s: get %s: %v", what, c.key, err)
		case d.Version != c.version:
			k.t.Errorf("%s: %s at version %d, want %d", what, c.key, d.Version, c.version)
		}
	}
	if g, err := k.getJob(u.ghostID); err != nil || g.State != store.JobPending {
		k.t.Errorf("%s: the enqueued job: %+v, %v; want it pending", what, g, err)
	}
	if j := k.mustJob(u.seedJob.ID); j.State != store.JobLeased || j.Attempts != 1 {
		k.t.Errorf("%s: the seed job is %s after %d attempts, want leased after 1", what, j.State, j.Attempts)
	}
}

// commitNow runs the unit of work and commits it, proving the store is
// still usable.
func (u *unit) commitNow(what string) {
	u.k.t.Helper()
	u.k.atomic(what, func(tx store.Tx) error { return u.work(u.k.ctx(), tx) })
	u.wantCommitted(what)
}

// atomSuccess: a unit of work whose function returns nil commits all of it.
func atomSuccess(t T, s store.Store, env Env) {
	newUnit(newKit(t, s, env)).commitNow("committing the unit")
}

// abortErr is the error the rolled-back unit returns; Atomic must hand it
// back so callers can inspect it.
type abortErr struct{ reason string }

func (e *abortErr) Error() string { return "aborted: " + e.reason }

// atomError: a function that returns an error rolls back everything, and
// Atomic returns that error.
func atomError(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	u := newUnit(k)
	err := k.try("unit returning an error", func(tx store.Tx) error {
		if err := u.work(k.ctx(), tx); err != nil {
			return err
		}
		return fmt.Errorf("handler: %w", &abortErr{reason: "business rule"})
	})
	var ae *abortErr
	if !errors.As(err, &ae) || ae.reason != "business rule" {
		t.Errorf("Atomic returned %v, want the function's error (errors.As to its type)", err)
	}
	u.wantUntouched("after the rollback")
	u.commitNow("the same unit again, returning nil")
}

// atomStoreError: a store error the function returns (here a document
// VERSION_CONFLICT) rolls back the writes made before it.
func atomStoreError(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	u := newUnit(k)
	err := k.try("unit ending in a version conflict", func(tx store.Tx) error {
		if err := u.work(k.ctx(), tx); err != nil {
			return err
		}
		_, err := tx.Documents().Update(k.ctx(), "orders", "o-1", 99, json.RawMessage(`{}`))
		return err
	})
	k.wantCode("Atomic's error", err, es.CodeVersionConflict)
	u.wantUntouched("after the rollback")
	u.commitNow("the same unit again, without the conflict")
}

// panicValue is what the panicking unit panics with.
type panicValue struct{ n int }

// atomPanic: a function that panics rolls back everything; the panic
// reaches Atomic's caller with its value; the store stays usable.
func atomPanic(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	u := newUnit(k)
	pv := &panicValue{n: 42}
	var workErr error
	got := func() (v any) {
		defer func() { v = recover() }()
		err := s.Atomic(k.ctx(), func(tx store.Tx) error {
			workErr = u.work(k.ctx(), tx)
			panic(pv)
		})
		t.Errorf("Atomic returned (error %v) instead of re-raising the panic", err)
		return nil
	}()
	if workErr != nil {
		t.Fatalf("the unit's work failed before the panic: %v", workErr)
	}
	if got != any(pv) {
		t.Errorf("recovered %#v from Atomic, want the function's panic value %#v", got, pv)
	}
	u.wantUntouched("after the panic")
	u.commitNow("a unit of work after the panic")
}

// atomCancelled: a unit of work whose context is cancelled — before it
// starts, or while it runs — commits nothing, and Atomic returns an error
// that is context.Canceled.
func atomCancelled(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	u := newUnit(k)

	ctx, cancel := context.WithCancel(k.ctx())
	cancel()
	err := k.guard("Atomic with a cancelled context", func() error {
		return s.Atomic(ctx, func(tx store.Tx) error {
			_ = u.work(ctx, tx) // may fail on the cancelled context; must not commit
			return nil
		})
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Atomic with a cancelled context returned %v, want an error that is context.Canceled", err)
	}
	u.wantUntouched("after a unit with a cancelled context")

	ctx, cancel = context.WithCancel(k.ctx())
	defer cancel()
	err = k.guard("Atomic cancelled while running", func() error {
		return s.Atomic(ctx, func(tx store.Tx) error {
			if err := u.work(ctx, tx); err != nil {
				return err
			}
			cancel()
			return nil
		})
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Atomic cancelled while running returned %v, want an error that is context.Canceled", err)
	}
	u.wantUntouched("after a unit cancelled while running")
	u.commitNow("a unit of work after the cancellations")
}

// atomIsolation: while a unit of work is open, other units do not see its
// writes; once it commits they do.
func atomIsolation(t T, s store.Store, env Env) {
	k := newKit(t, s, env)
	u := newUnit(k)
	written, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce() // never leave the other unit hanging when the case stops early
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("the adapter panicked: %v", v)
			}
		}()
		done <- s.Atomic(k.ctx(), func(tx store.Tx) error {
			err := u.work(k.ctx(), tx)
			close(written)
			if err != nil {
				return err
			}
			<-release
			return nil
		})
	}()
	select {
	case <-written:
	case err := <-done:
		t.Fatalf("the open unit of work ended early: %v", err)
	}
	u.wantUntouched("while the other unit is open")
	releaseOnce()
	if err := <-done; err != nil {
		t.Fatalf("committing the open unit of work: %v", err)
	}
	u.wantCommitted("after the other unit committed")
}
