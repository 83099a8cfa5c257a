package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// Group "command-log": the store's command-log port (store.CommandLog),
// checked directly; group "commands" checks the command log built on it.
func init() {
	register(
		Case{Group: "command-log", Name: "round-trip-every-field", Run: clRoundTrip},
		Case{Group: "command-log", Name: "insert-taken-id-writes-nothing", Run: clInsertConflict},
		Case{Group: "command-log", Name: "complete-pending-only", Run: clComplete},
		Case{Group: "command-log", Name: "by-correlation-order-and-after", Run: clByCorrelation},
		Case{Group: "command-log", Name: "empty-cursor-is-the-canonical-one", Run: clCanonicalCursor},
		Case{Group: "command-log", Name: "delete-expired-commands", Run: clDeleteExpiredCommands},
		Case{Group: "command-log", Name: "correlations-merge-list-delete", Run: clCorrelations},
		Case{Group: "command-log", Name: "rolls-back-with-unit-of-work", Run: clRollback},
		Case{Group: "command-log", Name: "rejects-bad-input", Run: clBadInput},
		Case{Group: "command-log", Name: "concurrent-insert-one-winner", Run: clConcurrentInsert},
	)
}

// clCanonicalCursor: a record inserted without a correlation cursor
// reads back with store.CorrelationCursor(Timestamp, CommandID), in
// GetCommand and in listings, which order and page by it alongside
// records given explicit cursors.
func clCanonicalCursor(t T, s store.Store, env Env) {
	ctx := t.Context()
	before := clT0.Add(-time.Hour) // an earlier millisecond: sorts first
	early := clRec("c-early", "corr", before)
	early.CorrelationCursor = ""
	explicit := clRec("c-explicit", "corr", clT0) // clRec's cursor is the canonical form spelled out
	late := clRec("c-late", "corr", clT0.Add(time.Second))
	late.CorrelationCursor = ""
	neg := clRec("c-1969", "corr-old", time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC))
	neg.CorrelationCursor = ""
	for _, r := range []store.CommandRecord{late, explicit, early, neg} {
		if err := clDo(t, s, func(cl store.CommandLog) error { return cl.InsertCommand(ctx, r, nil) }); err != nil {
			t.Fatalf("insert %s: %v", r.CommandID, err)
		}
	}
	want := map[string]string{
		"c-early":    store.CorrelationCursor(before, "c-early"),
		"c-explicit": explicit.CorrelationCursor,
		"c-late":     store.CorrelationCursor(clT0.Add(time.Second), "c-late"),
		"c-1969":     store.CorrelationCursor(neg.Timestamp, "c-1969"),
	}
	if want["c-explicit"] != store.CorrelationCursor(clT0, "c-explicit") {
		t.Fatalf("store.CorrelationCursor(%s, c-explicit) = %q, want the spec's form %q", clT0, store.CorrelationCursor(clT0, "c-explicit"), want["c-explicit"])
	}
	if got := want["c-1969"]; got != "-000014182940000:c-1969" {
		t.Fatalf("store.CorrelationCursor before 1970 = %q, want -000014182940000:c-1969", got)
	}
	for id, cur := range want {
		rec, found := clGet(t, s, id)
		if !found || rec.CorrelationCursor != cur {
			t.Fatalf("GetCommand(%s): found %v, cursor %q; want %q", id, found, rec.CorrelationCursor, cur)
		}
	}
	var page []store.CommandRecord
	if err := clDo(t, s, func(cl store.CommandLog) error {
		var err error
		page, err = cl.CommandsByCorrelation(ctx, "corr", "", store.MaxListLimit)
		return err
	}); err != nil {
		t.Fatalf("CommandsByCorrelation: %v", err)
	}
	var ids []string
	for _, r := range page {
		ids = append(ids, r.CommandID)
		if r.CorrelationCursor != want[r.CommandID] {
			t.Fatalf("listed %s with cursor %q, want %q", r.CommandID, r.CorrelationCursor, want[r.CommandID])
		}
	}
	if got := strings.Join(ids, ","); got != "c-early,c-explicit,c-late" {
		t.Fatalf("CommandsByCorrelation order: %s, want c-early,c-explicit,c-late", got)
	}
	if err := clDo(t, s, func(cl store.CommandLog) error {
		var err error
		page, err = cl.CommandsByCorrelation(ctx, "corr", want["c-early"], store.MaxListLimit)
		return err
	}); err != nil || len(page) != 2 || page[0].CommandID != "c-explicit" {
		t.Fatalf("CommandsByCorrelation after the canonical cursor of c-early: %d records (%v), want c-explicit first of 2", len(page), err)
	}
}

// clT0 is an instant off every millisecond boundary, so adapters that
// round times fail the round trips.
var clT0 = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

// clRec is a completed record of id in correlation corr, accepted at ts.
func clRec(id, corr string, ts time.Time) store.CommandRecord {
	return store.CommandRecord{
		CommandID: id, CommandType: "PlaceOrder", TargetContext: "orders", Payload: json.RawMessage(`{"id":"` + id + `"}`),
		UserID: "u-1", CorrelationID: corr, CausationID: "cause-" + id, Timestamp: ts,
		CorrelationCursor: fmt.Sprintf("%016d:%s", ts.UnixMilli(), id), Status: store.CommandExecuted,
		Result: json.RawMessage(`{"status":"executed"}`), ExecutedAt: ts.Add(time.Millisecond),
		TTL: time.Hour, ExpiresAt: ts.Add(time.Hour),
	}
}

// clPending is clRec left pending.
func clPending(id, corr string, ts time.Time) store.CommandRecord {
	r := clRec(id, corr, ts)
	r.Status, r.Result, r.ExecutedAt = store.CommandPending, nil, time.Time{}
	return r
}

func clCorr(id, bc string, at time.Time, events ...string) store.CorrelationRecord {
	if events == nil {
		events = []string{}
	}
	return store.CorrelationRecord{CommandID: id, EventIDs: events, CommandType: "PlaceOrder", BoundedContext: bc,
		CreatedAt: at, TTL: time.Hour, ExpiresAt: at.Add(time.Hour)}
}

// clDo runs fn on the command log in one unit of work.
func clDo(t T, s store.Store, fn func(cl store.CommandLog) error) error {
	return s.Atomic(t.Context(), func(tx store.Tx) error { return fn(tx.Commands()) })
}

// clMust runs fn in one unit of work and fails the case on an error.
func clMust(t T, s store.Store, what string, fn func(cl store.CommandLog) error) {
	t.Helper()
	if err := clDo(t, s, fn); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func clGet(t T, s store.Store, id string) (store.CommandRecord, bool) {
	t.Helper()
	var r store.CommandRecord
	var found bool
	clMust(t, s, "GetCommand "+id, func(cl store.CommandLog) (err error) {
		r, found, err = cl.GetCommand(t.Context(), id)
		return err
	})
	return r, found
}

func clGetCorr(t T, s store.Store, id string) (store.CorrelationRecord, bool) {
	t.Helper()
	var r store.CorrelationRecord
	var found bool
	clMust(t, s, "GetCorrelation "+id, func(cl store.CommandLog) (err error) {
		r, found, err = cl.GetCorrelation(t.Context(), id)
		return err
	})
	return r, found
}

// clIDs lists the command ids of records.
func clIDs[R store.CommandRecord | store.CorrelationRecord](recs []R) []string {
	out := []string{}
	for _, r := range recs {
		switch r := any(r).(type) {
		case store.CommandRecord:
			out = append(out, r.CommandID)
		case store.CorrelationRecord:
			out = append(out, r.CommandID)
		}
	}
	return out
}

func clRoundTrip(t T, s store.Store, env Env) {
	ctx := t.Context()
	done := clRec("cmd-é-1", "corr-1", clT0)
	done.TTL, done.ExpiresAt = 90*time.Minute+7, clT0.Add(90*time.Minute+7)
	pending := clPending("cmd-2", "corr-1", clT0.Add(time.Nanosecond))
	pending.UserID, pending.CausationID, pending.TargetContext = "", "", ""
	emptyResult := clRec("cmd-3", "corr-2", clT0)
	emptyResult.Result = json.RawMessage{}
	corr := clCorr("cmd-é-1", "orders", clT0.Add(3*time.Nanosecond), "ev-1", "ev-2")
	noEvents := clCorr("cmd-3", "orders", clT0, []string{}...)
	clMust(t, s, "InsertCommand", func(cl store.CommandLog) error {
		if err := cl.InsertCommand(ctx, done, &corr); err != nil {
			return err
		}
		if err := cl.InsertCommand(ctx, pending, nil); err != nil {
			return err
		}
		return cl.InsertCommand(ctx, emptyResult, &noEvents)
	})
	wantEmpty := emptyResult
	wantEmpty.Result = nil
	for _, want := range []store.CommandRecord{done, pending, wantEmpty} {
		got, found := clGet(t, s, want.CommandID)
		if !found {
			t.Fatalf("GetCommand(%s): not found", want.CommandID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("GetCommand(%s) differs from what was written (-want +got):\n%s", want.CommandID, diff)
		}
	}
	for _, want := range []store.CorrelationRecord{corr, noEvents} {
		got, found := clGetCorr(t, s, want.CommandID)
		if !found {
			t.Fatalf("GetCorrelation(%s): not found", want.CommandID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("GetCorrelation(%s) differs from what was written (-want +got):\n%s", want.CommandID, diff)
		}
		if got.EventIDs == nil {
			t.Fatalf("GetCorrelation(%s).EventIDs is nil; an empty list reads back as []string{}", want.CommandID)
		}
	}
	if _, found := clGet(t, s, "cmd-missing"); found {
		t.Fatalf("GetCommand of an unknown id: found")
	}
	if _, found := clGetCorr(t, s, "cmd-2"); found {
		t.Fatalf("GetCorrelation of a command without one: found")
	}
	// What the caller keeps is its own: changing it changes nothing stored.
	done.Payload[2] = 'X'
	corr.EventIDs[0] = "changed"
	if got, _ := clGet(t, s, "cmd-é-1"); string(got.Payload) != `{"id":"cmd-é-1"}` {
		t.Fatalf("stored payload changed with the caller's slice: %s", got.Payload)
	}
	if got, _ := clGetCorr(t, s, "cmd-é-1"); got.EventIDs[0] != "ev-1" {
		t.Fatalf("stored event ids changed with the caller's slice: %v", got.EventIDs)
	}
}

func clInsertConflict(t T, s store.Store, env Env) {
	ctx := t.Context()
	first := clRec("c1", "corr", clT0)
	corr := clCorr("c1", "orders", clT0, "e1")
	clMust(t, s, "first insert", func(cl store.CommandLog) error { return cl.InsertCommand(ctx, first, &corr) })
	again := clPending("c1", "other", clT0.Add(time.Second))
	againCorr := clCorr("c1", "orders", clT0.Add(time.Second), "e2")
	var conflict error
	clMust(t, s, "unit with a conflicting insert", func(cl store.CommandLog) error {
		conflict = cl.InsertCommand(ctx, again, &againCorr)
		// The unit stays usable after the conflict.
		return cl.InsertCommand(ctx, clRec("c2", "corr", clT0), nil)
	})
	var vc *es.VersionConflictError
	if !errors.As(conflict, &vc) || es.CodeOf(conflict) != es.CodeVersionConflict || vc.Collection != store.CommandsCollection || vc.Key != "c1" {
		t.Fatalf("InsertCommand of a taken id: %v, want store.CommandExists(\"c1\")", conflict)
	}
	if got, _ := clGet(t, s, "c1"); !cmp.Equal(got, first) {
		t.Fatalf("the conflicting insert changed the record: %s", cmp.Diff(first, got))
	}
	if got, _ := clGetCorr(t, s, "c1"); !cmp.Equal(got, corr) {
		t.Fatalf("the conflicting insert changed the correlation: %s", cmp.Diff(corr, got))
	}
	if _, found := clGet(t, s, "c2"); !found {
		t.Fatalf("the insert after the conflict, in the same unit, did not commit")
	}
}

func clComplete(t T, s store.Store, env Env) {
	ctx := t.Context()
	p := clPending("p1", "corr", clT0)
	clMust(t, s, "insert", func(cl store.CommandLog) error {
		if err := cl.InsertCommand(ctx, p, nil); err != nil {
			return err
		}
		return cl.InsertCommand(ctx, clRec("d1", "corr", clT0), nil)
	})
	complete := func(id, status, result string, at time.Time) bool {
		t.Helper()
		var ok bool
		var res json.RawMessage
		if result != "" {
			res = json.RawMessage(result)
		}
		clMust(t, s, "CompleteCommand "+id, func(cl store.CommandLog) (err error) {
			ok, err = cl.CompleteCommand(ctx, id, status, res, at)
			return err
		})
		return ok
	}
	at := clT0.Add(1500 * time.Microsecond)
	if !complete("p1", store.CommandRejected, `{"code":"NO"}`, at) {
		t.Fatalf("completing a pending command: false, want true")
	}
	want := p
	want.Status, want.Result, want.ExecutedAt = store.CommandRejected, json.RawMessage(`{"code":"NO"}`), at
	if got, _ := clGet(t, s, "p1"); !cmp.Equal(got, want) {
		t.Fatalf("completed record (-want +got):\n%s", cmp.Diff(want, got))
	}
	if complete("p1", store.CommandExecuted, `{}`, at.Add(time.Second)) {
		t.Fatalf("completing a completed command: true, want false (first completion wins)")
	}
	if got, _ := clGet(t, s, "p1"); !cmp.Equal(got, want) {
		t.Fatalf("a second completion changed the record:\n%s", cmp.Diff(want, got))
	}
	if complete("d1", store.CommandFailed, "", at) {
		t.Fatalf("completing a record inserted complete: true, want false")
	}
	if complete("nope", store.CommandExecuted, "", at) {
		t.Fatalf("completing an unknown command: true, want false")
	}
	q := clPending("p2", "corr", clT0)
	clMust(t, s, "insert p2", func(cl store.CommandLog) error { return cl.InsertCommand(ctx, q, nil) })
	if !complete("p2", store.CommandExecuted, "", at) {
		t.Fatalf("completing p2 without a result: false")
	}
	if got, _ := clGet(t, s, "p2"); got.Result != nil || got.Status != store.CommandExecuted || !got.ExecutedAt.Equal(at) {
		t.Fatalf("p2 completed without a result: %+v", got)
	}
}

func clByCorrelation(t T, s store.Store, env Env) {
	ctx := t.Context()
	// Inserted out of cursor order, across two correlation ids.
	recs := []store.CommandRecord{
		clRec("b", "corr-1", clT0.Add(2*time.Millisecond)),
		clRec("a", "corr-1", clT0.Add(2*time.Millisecond)),
		clRec("z", "corr-1", clT0),
		clRec("x", "corr-2", clT0),
		clRec("m", "corr-1", clT0.Add(time.Second)),
		clRec("a0", "corr-1", clT0.Add(2*time.Millisecond)),
	}
	clMust(t, s, "insert", func(cl store.CommandLog) error {
		for _, r := range recs {
			if err := cl.InsertCommand(ctx, r, nil); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(corr, after string, limit int) []string {
		t.Helper()
		var out []store.CommandRecord
		clMust(t, s, "CommandsByCorrelation", func(cl store.CommandLog) (err error) {
			out, err = cl.CommandsByCorrelation(ctx, corr, after, limit)
			return err
		})
		return clIDs(out)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%016d", clT0.Add(d).UnixMilli()) }
	cases := []struct {
		corr, after string
		limit       int
		want        []string
	}{
		{"corr-1", "", 10, []string{"z", "a", "a0", "b", "m"}},
		{"corr-1", "", 2, []string{"z", "a"}},
		{"corr-1", ms(2*time.Millisecond) + ":a", 10, []string{"a0", "b", "m"}},
		{"corr-1", ms(2*time.Millisecond) + ":a0", 2, []string{"b", "m"}},
		{"corr-1", ms(2 * time.Millisecond), 10, []string{"a", "a0", "b", "m"}}, // not a cursor: a prefix of some
		{"corr-1", ms(2*time.Millisecond) + "~", 10, []string{"m"}},             // sorts after every cursor of that ms
		{"corr-1", ms(time.Second) + ":m", 10, []string{}},                      // the last one
		{"corr-2", "", 10, []string{"x"}},
		{"corr-3", "", 10, []string{}},
	}
	for _, c := range cases {
		if got := list(c.corr, c.after, c.limit); !cmp.Equal(got, c.want) {
			t.Fatalf("CommandsByCorrelation(%s, after %q, limit %d) = %v, want %v", c.corr, c.after, c.limit, got, c.want)
		}
	}
}

func clDeleteExpiredCommands(t T, s store.Store, env Env) {
	ctx := t.Context()
	mk := func(id string, expires time.Duration, pending bool) store.CommandRecord {
		r := clRec(id, "corr", clT0)
		if pending {
			r = clPending(id, "corr", clT0)
		}
		r.ExpiresAt = clT0.Add(expires)
		return r
	}
	recs := []store.CommandRecord{
		mk("e3", 3*time.Second, false),
		mk("e1b", time.Second, false),
		mk("e1a", time.Second, false),
		mk("p0", 0, true), // expired long ago, but pending: never deleted
		mk("e2", 2*time.Second, false),
		mk("e5", 5*time.Second, false), // expires exactly at before: kept
		mk("e9", 9*time.Second, false),
	}
	clMust(t, s, "insert", func(cl store.CommandLog) error {
		for _, r := range recs {
			if err := cl.InsertCommand(ctx, r, nil); err != nil {
				return err
			}
		}
		return nil
	})
	before := clT0.Add(5 * time.Second)
	del := func(limit int) (int, bool) {
		t.Helper()
		var n int
		var more bool
		clMust(t, s, "DeleteExpiredCommands", func(cl store.CommandLog) (err error) {
			n, more, err = cl.DeleteExpiredCommands(ctx, before, limit)
			return err
		})
		return n, more
	}
	remaining := func() []string {
		var out []string
		for _, r := range recs {
			if _, found := clGet(t, s, r.CommandID); found {
				out = append(out, r.CommandID)
			}
		}
		return out
	}
	if n, more := del(2); n != 2 || !more {
		t.Fatalf("first delete (limit 2) = %d, more %v; want 2, true", n, more)
	}
	if got, want := remaining(), []string{"e3", "p0", "e2", "e5", "e9"}; !cmp.Equal(got, want) {
		t.Fatalf("after deleting 2: %v remain, want %v (oldest expiry first, then command id)", got, want)
	}
	if n, more := del(1); n != 1 || !more {
		t.Fatalf("second delete (limit 1) = %d, more %v; want 1, true", n, more)
	}
	if got, want := remaining(), []string{"e3", "p0", "e5", "e9"}; !cmp.Equal(got, want) {
		t.Fatalf("after deleting 3: %v remain, want %v", got, want)
	}
	if n, more := del(5); n != 1 || more {
		t.Fatalf("third delete (limit 5) = %d, more %v; want 1, false", n, more)
	}
	if n, more := del(5); n != 0 || more {
		t.Fatalf("delete with nothing left = %d, more %v; want 0, false", n, more)
	}
	if got, want := remaining(), []string{"p0", "e5", "e9"}; !cmp.Equal(got, want) {
		t.Fatalf("in the end %v remain, want %v (pending and unexpired kept)", got, want)
	}
}

func clCorrelations(t T, s store.Store, env Env) {
	ctx := t.Context()
	put := func(c store.CorrelationRecord) {
		t.Helper()
		clMust(t, s, "PutCorrelation "+c.CommandID, func(cl store.CommandLog) error { return cl.PutCorrelation(ctx, c) })
	}
	first := clCorr("c1", "orders", clT0.Add(2*time.Millisecond), "e1", "e2")
	put(first)
	later := clCorr("c1", "billing", clT0.Add(time.Hour), "e3", "e2", "e4")
	later.CommandType, later.TTL = "Other", time.Minute
	put(later)
	want := first
	want.EventIDs = []string{"e1", "e2", "e3", "e4"}
	if got, _ := clGetCorr(t, s, "c1"); !cmp.Equal(got, want) {
		t.Fatalf("merged correlation (-want +got):\n%s", cmp.Diff(want, got))
	}
	put(clCorr("c1", "orders", clT0, "e2"))
	if got, _ := clGetCorr(t, s, "c1"); !cmp.Equal(got, want) {
		t.Fatalf("merging only known ids changed the record:\n%s", cmp.Diff(want, got))
	}
	put(clCorr("c0", "orders", clT0.Add(2*time.Millisecond), "f"))
	put(clCorr("c2", "orders", clT0, "g"))
	put(clCorr("c3", "orders", clT0.Add(5*time.Millisecond), "h"))
	put(clCorr("d1", "billing", clT0, "i"))
	list := func(bc string, since time.Time, limit int) []string {
		t.Helper()
		var out []store.CorrelationRecord
		clMust(t, s, "CorrelationsByContext", func(cl store.CommandLog) (err error) {
			out, err = cl.CorrelationsByContext(ctx, bc, since, limit)
			return err
		})
		return clIDs(out)
	}
	cases := []struct {
		bc    string
		since time.Time
		limit int
		want  []string
	}{
		{"orders", time.Time{}, 10, []string{"c2", "c0", "c1", "c3"}},
		{"orders", time.Time{}, 2, []string{"c2", "c0"}},
		{"orders", clT0.Add(2 * time.Millisecond), 10, []string{"c0", "c1", "c3"}}, // since is inclusive
		{"orders", clT0.Add(2*time.Millisecond + 1), 10, []string{"c3"}},
		{"billing", time.Time{}, 10, []string{"d1"}},
		{"shipping", time.Time{}, 10, []string{}},
	}
	for _, c := range cases {
		if got := list(c.bc, c.since, c.limit); !cmp.Equal(got, c.want) {
			t.Fatalf("CorrelationsByContext(%s, since %s, limit %d) = %v, want %v", c.bc, c.since, c.limit, got, c.want)
		}
	}
	// Expiry: c2 and d1 at t0+1h, c0 and c1 at t0+1h+2ms, c3 at t0+1h+5ms.
	del := func(before time.Time, limit int) (int, bool) {
		t.Helper()
		var n int
		var more bool
		clMust(t, s, "DeleteExpiredCorrelations", func(cl store.CommandLog) (err error) {
			n, more, err = cl.DeleteExpiredCorrelations(ctx, before, limit)
			return err
		})
		return n, more
	}
	before := clT0.Add(time.Hour + 5*time.Millisecond)
	if n, more := del(before, 3); n != 3 || !more {
		t.Fatalf("DeleteExpiredCorrelations(limit 3) = %d, more %v; want 3, true", n, more)
	}
	var left []string
	for _, id := range []string{"c0", "c1", "c2", "c3", "d1"} {
		if _, found := clGetCorr(t, s, id); found {
			left = append(left, id)
		}
	}
	if want := []string{"c1", "c3"}; !cmp.Equal(left, want) {
		t.Fatalf("after deleting 3 correlations %v remain, want %v (expiry, then command id: c2, d1, c0 go first)", left, want)
	}
	if n, more := del(before, 3); n != 1 || more {
		t.Fatalf("second DeleteExpiredCorrelations = %d, more %v; want 1, false (c3 expires at before)", n, more)
	}
}

func clRollback(t T, s store.Store, env Env) {
	ctx := t.Context()
	p := clPending("p1", "corr", clT0)
	old := clRec("old", "corr", clT0)
	old.ExpiresAt = clT0.Add(time.Millisecond)
	c := clCorr("p1", "orders", clT0, "e1")
	oldCorr := clCorr("old", "orders", clT0, "e0")
	oldCorr.ExpiresAt = clT0.Add(time.Millisecond)
	clMust(t, s, "setup", func(cl store.CommandLog) error {
		if err := cl.InsertCommand(ctx, p, &c); err != nil {
			return err
		}
		return cl.InsertCommand(ctx, old, &oldCorr)
	})
	snapshot := func() string {
		t.Helper()
		var b strings.Builder
		clMust(t, s, "snapshot", func(cl store.CommandLog) error {
			recs, err := cl.CommandsByCorrelation(ctx, "corr", "", store.MaxListLimit)
			if err != nil {
				return err
			}
			corrs, err := cl.CorrelationsByContext(ctx, "orders", time.Time{}, store.MaxListLimit)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%+v\n%+v", recs, corrs)
			return nil
		})
		return b.String()
	}
	before := snapshot()
	boom := es.Errorf(es.CodeInjectedFault, "roll back")
	err := clDo(t, s, func(cl store.CommandLog) error {
		n := clCorr("new", "orders", clT0, "e9")
		if err := cl.InsertCommand(ctx, clRec("new", "corr", clT0), &n); err != nil {
			return err
		}
		if ok, err := cl.CompleteCommand(ctx, "p1", store.CommandExecuted, nil, clT0); err != nil || !ok {
			return fmt.Errorf("complete: %v %v", ok, err)
		}
		if err := cl.PutCorrelation(ctx, clCorr("p1", "orders", clT0, "e2")); err != nil {
			return err
		}
		if n, _, err := cl.DeleteExpiredCommands(ctx, clT0.Add(time.Second), 10); err != nil || n != 1 {
			return fmt.Errorf("delete commands: %d %v", n, err)
		}
		if n, _, err := cl.DeleteExpiredCorrelations(ctx, clT0.Add(time.Second), 10); err != nil || n != 1 {
			return fmt.Errorf("delete correlations: %d %v", n, err)
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Atomic = %v, want the function's error", err)
	}
	if after := snapshot(); after != before {
		t.Fatalf("a rolled-back unit changed the command log:\nbefore %s\nafter  %s", before, after)
	}
	if _, found := clGet(t, s, "new"); found {
		t.Fatalf("a rolled-back insert is visible")
	}
	if got, _ := clGet(t, s, "p1"); !cmp.Equal(got, p) {
		t.Fatalf("a rolled-back completion is visible:\n%s", cmp.Diff(p, got))
	}
}

func clBadInput(t T, s store.Store, env Env) {
	ctx := t.Context()
	good := clRec("c1", "corr", clT0)
	badJSON := good
	badJSON.Payload = json.RawMessage(`{`)
	big := good
	big.Payload = json.RawMessage(`"` + strings.Repeat("x", es.MaxPayloadBytes) + `"`)
	ctlCursor := good
	ctlCursor.CorrelationCursor = "0000000000000001:c1\x01"
	badStatus := good
	badStatus.Status = "done"
	pendingWithResult := clPending("c1", "corr", clT0)
	pendingWithResult.Result = json.RawMessage(`{}`)
	longID := good
	longID.CommandID = strings.Repeat("i", store.MaxCommandIDBytes+1)
	ctlType := good
	ctlType.CommandType = "Bad\x00Type"
	mismatch := clCorr("other", "orders", clT0, "e1")
	repeated := clCorr("c1", "orders", clT0, "e1", "e1")
	inserts := []struct {
		name string
		rec  store.CommandRecord
		corr *store.CorrelationRecord
		code es.Code
	}{
		{"invalid JSON payload", badJSON, nil, es.CodeInvalidArgument},
		{"payload over 64 KiB", big, nil, es.CodePayloadTooLarge},
		{"a control byte in the correlation cursor", ctlCursor, nil, es.CodeInvalidArgument},
		{"unknown status", badStatus, nil, es.CodeInvalidArgument},
		{"pending with a result", pendingWithResult, nil, es.CodeInvalidArgument},
		{"command id over the bound", longID, nil, es.CodeInvalidArgument},
		{"NUL in the command type", ctlType, nil, es.CodeInvalidArgument},
		{"correlation of another command", good, &mismatch, es.CodeInvalidArgument},
		{"repeated event id", good, &repeated, es.CodeInvalidArgument},
	}
	for _, c := range inserts {
		err := clDo(t, s, func(cl store.CommandLog) error { return cl.InsertCommand(ctx, c.rec, c.corr) })
		if es.CodeOf(err) != c.code {
			t.Fatalf("InsertCommand with %s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, found := clGet(t, s, "c1"); found {
		t.Fatalf("a rejected InsertCommand wrote the record")
	}
	if _, found := clGetCorr(t, s, "c1"); found {
		t.Fatalf("a rejected InsertCommand wrote the correlation")
	}
	others := []struct {
		name string
		fn   func(cl store.CommandLog) error
	}{
		{"CompleteCommand to pending", func(cl store.CommandLog) error {
			_, err := cl.CompleteCommand(ctx, "c1", store.CommandPending, nil, clT0)
			return err
		}},
		{"CompleteCommand with invalid JSON", func(cl store.CommandLog) error {
			_, err := cl.CompleteCommand(ctx, "c1", store.CommandExecuted, json.RawMessage(`[1,`), clT0)
			return err
		}},
		{"GetCommand with an empty id", func(cl store.CommandLog) error {
			_, _, err := cl.GetCommand(ctx, "")
			return err
		}},
		{"CommandsByCorrelation with limit 0", func(cl store.CommandLog) error {
			_, err := cl.CommandsByCorrelation(ctx, "corr", "", 0)
			return err
		}},
		{"CommandsByCorrelation with limit over the maximum", func(cl store.CommandLog) error {
			_, err := cl.CommandsByCorrelation(ctx, "corr", "", store.MaxListLimit+1)
			return err
		}},
		{"DeleteExpiredCommands with limit 0", func(cl store.CommandLog) error {
			_, _, err := cl.DeleteExpiredCommands(ctx, clT0, 0)
			return err
		}},
		{"PutCorrelation with a negative TTL", func(cl store.CommandLog) error {
			c := clCorr("c1", "orders", clT0, "e1")
			c.TTL = -time.Second
			return cl.PutCorrelation(ctx, c)
		}},
		{"PutCorrelation with an empty event id", func(cl store.CommandLog) error {
			return cl.PutCorrelation(ctx, clCorr("c1", "orders", clT0, ""))
		}},
		{"GetCorrelation with an empty id", func(cl store.CommandLog) error {
			_, _, err := cl.GetCorrelation(ctx, "")
			return err
		}},
		{"CorrelationsByContext with limit 0", func(cl store.CommandLog) error {
			_, err := cl.CorrelationsByContext(ctx, "orders", time.Time{}, 0)
			return err
		}},
		{"DeleteExpiredCorrelations with a negative limit", func(cl store.CommandLog) error {
			_, _, err := cl.DeleteExpiredCorrelations(ctx, clT0, -1)
			return err
		}},
	}
	for _, c := range others {
		if err := clDo(t, s, c.fn); es.CodeOf(err) != es.CodeInvalidArgument {
			t.Fatalf("%s: %v, want INVALID_ARGUMENT", c.name, err)
		}
	}
	if _, found := clGetCorr(t, s, "c1"); found {
		t.Fatalf("a rejected PutCorrelation wrote the correlation")
	}
}

func clConcurrentInsert(t T, s store.Store, env Env) {
	ctx := t.Context()
	const racers = 8
	errs := make([]error, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := clPending("same", "corr", clT0)
			r.UserID = fmt.Sprint("racer-", i)
			errs[i] = clDo(t, s, func(cl store.CommandLog) error { return cl.InsertCommand(ctx, r, nil) })
		}()
	}
	close(start)
	wg.Wait()
	winners, winner := 0, -1
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			winner = i
		case es.CodeOf(err) != es.CodeVersionConflict:
			t.Fatalf("racer %d: %v, want nil or VERSION_CONFLICT", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d racers inserted the same command id, want exactly 1 (errors %v)", winners, errs)
	}
	if got, _ := clGet(t, s, "same"); got.UserID != fmt.Sprint("racer-", winner) {
		t.Fatalf("stored record is racer %q's, want the winner's (racer-%d)", got.UserID, winner)
	}
}
