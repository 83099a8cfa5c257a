package memstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// clT0 is the base of the command log tests' times.
var clT0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// exactTime compares times exactly: same instant and same location name
// (the port keeps times as given).
var exactTime = cmp.Comparer(func(a, b time.Time) bool {
	return a.Equal(b) && a.Location().String() == b.Location().String()
})

// mkCmd returns a valid record; status final gets a result.
func mkCmd(id, corrID, cursor, status string, expires time.Time) store.CommandRecord {
	r := store.CommandRecord{
		CommandID: id, CommandType: "CreateOrder", TargetContext: "orders",
		Payload: json.RawMessage(`{"id":"` + id + `"}`), CorrelationID: corrID,
		Timestamp: clT0, CorrelationCursor: cursor, Status: status,
		TTL: time.Hour, ExpiresAt: expires,
	}
	if status != store.CommandPending {
		r.Result = json.RawMessage(`{"ok":true}`)
		r.ExecutedAt = clT0.Add(time.Second)
	}
	return r
}

func mkCorr(id, bc string, created, expires time.Time, events ...string) store.CorrelationRecord {
	return store.CorrelationRecord{CommandID: id, EventIDs: events, CommandType: "CreateOrder",
		BoundedContext: bc, CreatedAt: created, TTL: time.Hour, ExpiresAt: expires}
}

// inUnit runs fn on the command log in one committed unit of work.
func inUnit(t testing.TB, s *memstore.Store, fn func(l store.CommandLog) error) {
	t.Helper()
	if err := s.Atomic(context.Background(), func(tx store.Tx) error { return fn(tx.Commands()) }); err != nil {
		t.Fatalf("unit of work: %v", err)
	}
}

func mustInsert(t testing.TB, s *memstore.Store, rec store.CommandRecord, corr *store.CorrelationRecord) {
	t.Helper()
	inUnit(t, s, func(l store.CommandLog) error { return l.InsertCommand(context.Background(), rec, corr) })
}

func getCmd(t testing.TB, s *memstore.Store, id string) (rec store.CommandRecord, found bool) {
	t.Helper()
	inUnit(t, s, func(l store.CommandLog) (err error) {
		rec, found, err = l.GetCommand(context.Background(), id)
		return err
	})
	return rec, found
}

func getCorr(t testing.TB, s *memstore.Store, id string) (rec store.CorrelationRecord, found bool) {
	t.Helper()
	inUnit(t, s, func(l store.CommandLog) (err error) {
		rec, found, err = l.GetCorrelation(context.Background(), id)
		return err
	})
	return rec, found
}

func cmdIDs(recs []store.CommandRecord) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.CommandID
	}
	return ids
}

func corrIDs(recs []store.CorrelationRecord) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.CommandID
	}
	return ids
}

func TestCommandLogRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	zone := time.FixedZone("X+3", 3*3600)
	payload := json.RawMessage(`{"sku":"a","qty":2}`)
	full := store.CommandRecord{
		CommandID: "cmd-1", CommandType: "AddItem", TargetContext: "orders", Payload: payload,
		UserID: "user-7", CorrelationID: "corr-1", CausationID: "cause-0",
		Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 6, zone), CorrelationCursor: "0000000000000001:cmd-1",
		Status: store.CommandExecuted, Result: json.RawMessage(`{"v":1}`),
		ExecutedAt: time.Date(2026, 1, 2, 3, 4, 6, 7, time.UTC), TTL: 90 * time.Minute,
		ExpiresAt: time.Date(2026, 1, 2, 4, 34, 5, 6, zone),
	}
	corr := store.CorrelationRecord{CommandID: "cmd-1", EventIDs: []string{"ev-1", "ev-2"}, CommandType: "AddItem",
		BoundedContext: "orders", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 999, zone), TTL: time.Minute,
		ExpiresAt: time.Date(2026, 1, 2, 3, 5, 5, 999, zone)}
	// A bare record: optional fields empty, empty result, no event ids; its
	// correlation outlives it (stored apart from it).
	bare := mkCmd("cmd-2", "corr-2", "c2", store.CommandPending, clT0)
	bare.TargetContext, bare.Payload = "", json.RawMessage(`null`)
	bareCorr := store.CorrelationRecord{CommandID: "cmd-2", CreatedAt: clT0, ExpiresAt: clT0.Add(time.Hour)}
	withEmptyResult := mkCmd("cmd-3", "corr-1", "c3", store.CommandFailed, clT0)
	withEmptyResult.Result = json.RawMessage{}

	inUnit(t, s, func(l store.CommandLog) error {
		for _, in := range []struct {
			r store.CommandRecord
			c *store.CorrelationRecord
		}{{full, &corr}, {bare, &bareCorr}, {withEmptyResult, nil}} {
			if err := l.InsertCommand(ctx, in.r, in.c); err != nil {
				return err
			}
		}
		return nil
	})
	// The caller's bytes are not the store's.
	payload[2] = 'X'
	corr.EventIDs[0] = "changed"

	want := full
	want.Payload = json.RawMessage(`{"sku":"a","qty":2}`)
	got, found := getCmd(t, s, "cmd-1")
	if !found {
		t.Fatal("cmd-1 not found")
	}
	if d := cmp.Diff(want, got, exactTime); d != "" {
		t.Fatalf("cmd-1 (-want +got):\n%s", d)
	}
	got.Payload[2] = 'Y' // nor the reader's
	got.Result[2] = 'Y'
	if again, _ := getCmd(t, s, "cmd-1"); cmp.Diff(want, again, exactTime) != "" {
		t.Fatalf("a reader's change reached the store: %+v", again)
	}
	if got, _ := getCmd(t, s, "cmd-2"); cmp.Diff(bare, got, exactTime) != "" || got.Result != nil {
		t.Fatalf("cmd-2 (-want +got):\n%s", cmp.Diff(bare, got, exactTime))
	}
	wantEmpty := withEmptyResult
	wantEmpty.Result = nil
	if got, _ := getCmd(t, s, "cmd-3"); cmp.Diff(wantEmpty, got, exactTime) != "" || got.Result != nil {
		t.Fatalf("cmd-3 (-want +got):\n%s", cmp.Diff(wantEmpty, got, exactTime))
	}

	wantCorr := corr
	wantCorr.EventIDs = []string{"ev-1", "ev-2"}
	gotCorr, found := getCorr(t, s, "cmd-1")
	if d := cmp.Diff(wantCorr, gotCorr, exactTime); !found || d != "" {
		t.Fatalf("corr cmd-1 found=%v (-want +got):\n%s", found, d)
	}
	gotCorr.EventIDs[1] = "changed"
	if again, _ := getCorr(t, s, "cmd-1"); cmp.Diff(wantCorr, again, exactTime) != "" {
		t.Fatalf("a reader's change reached the store: %+v", again)
	}
	wantBare := bareCorr
	wantBare.EventIDs = []string{}
	if got, _ := getCorr(t, s, "cmd-2"); cmp.Diff(wantBare, got, exactTime) != "" || got.EventIDs == nil {
		t.Fatalf("corr cmd-2: %#v, want %#v", got, wantBare)
	}
	if _, found := getCorr(t, s, "cmd-3"); found {
		t.Fatal("cmd-3 has a correlation record; none was written")
	}
	if _, found := getCmd(t, s, "nope"); found {
		t.Fatal("unknown command found")
	}
}

func TestCommandLogDuplicateInsertWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	first := mkCmd("dup", "corr", "c1", store.CommandExecuted, clT0)
	corr := mkCorr("dup", "orders", clT0, clT0, "e1")
	mustInsert(t, s, first, &corr)
	mustInsert(t, s, mkCmd("solo", "corr", "c0", store.CommandPending, clT0), nil)

	second := mkCmd("dup", "corr-other", "c2", store.CommandPending, clT0.Add(time.Hour))
	second.CommandType = "Other"
	corr2 := mkCorr("dup", "billing", clT0.Add(time.Hour), clT0.Add(time.Hour), "e2", "e1")
	soloCorr := mkCorr("solo", "orders", clT0, clT0, "e9")
	for _, c := range []struct {
		name string
		rec  store.CommandRecord
		corr *store.CorrelationRecord
	}{{"with corr", second, &corr2}, {"without corr", second, nil}, {"solo with a new corr", mkCmd("solo", "corr", "c0", store.CommandPending, clT0), &soloCorr}} {
		err := s.Atomic(ctx, func(tx store.Tx) error { return tx.Commands().InsertCommand(ctx, c.rec, c.corr) })
		var vc *es.VersionConflictError
		if !errors.As(err, &vc) || *vc != (es.VersionConflictError{Collection: store.CommandsCollection, Key: c.rec.CommandID, Expected: 0, Actual: 1}) {
			t.Fatalf("%s: err = %v, want CommandExists", c.name, err)
		}
	}
	if got, _ := getCmd(t, s, "dup"); cmp.Diff(first, got, exactTime) != "" {
		t.Fatalf("dup changed (-want +got):\n%s", cmp.Diff(first, got, exactTime))
	}
	if got, _ := getCorr(t, s, "dup"); cmp.Diff(corr, got, exactTime) != "" {
		t.Fatalf("dup's correlation changed (-want +got):\n%s", cmp.Diff(corr, got, exactTime))
	}
	if _, found := getCorr(t, s, "solo"); found {
		t.Fatal("a refused insert wrote its correlation record")
	}
	inUnit(t, s, func(l store.CommandLog) error {
		for _, corrID := range []string{"corr", "corr-other"} {
			recs, err := l.CommandsByCorrelation(ctx, corrID, "", 10)
			if err != nil {
				return err
			}
			want := map[string][]string{"corr": {"solo", "dup"}, "corr-other": {}}[corrID]
			if d := cmp.Diff(want, cmdIDs(recs)); d != "" {
				t.Errorf("by correlation %s (-want +got):\n%s", corrID, d)
			}
		}
		bcs, err := l.CorrelationsByContext(ctx, "billing", time.Time{}, 10)
		if err != nil || len(bcs) != 0 {
			t.Errorf("billing correlations = %v, %v; want none", bcs, err)
		}
		return nil
	})
}

func TestCommandLogCompleteFirstWins(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	mustInsert(t, s, mkCmd("p", "k", "1", store.CommandPending, clT0), nil)
	mustInsert(t, s, mkCmd("q", "k", "2", store.CommandPending, clT0), nil)
	mustInsert(t, s, mkCmd("done", "k", "3", store.CommandRejected, clT0), nil)
	at := time.Date(2026, 3, 1, 12, 0, 5, 77, time.FixedZone("Z", 3600))
	complete := func(id, status string, result json.RawMessage, when time.Time) bool {
		var ok bool
		inUnit(t, s, func(l store.CommandLog) (err error) {
			ok, err = l.CompleteCommand(ctx, id, status, result, when)
			return err
		})
		return ok
	}
	result := json.RawMessage(`{"n":1}`)
	if !complete("p", store.CommandExecuted, result, at) {
		t.Fatal("first completion of p = false")
	}
	result[1] = 'X'
	if complete("p", store.CommandFailed, json.RawMessage(`{"n":2}`), at.Add(time.Hour)) {
		t.Fatal("second completion of p = true")
	}
	if complete("done", store.CommandExecuted, nil, at) || complete("unknown", store.CommandExecuted, nil, at) {
		t.Fatal("completing an inserted-final or unknown command = true")
	}
	if !complete("q", store.CommandFailed, nil, at) {
		t.Fatal("completion of q = false")
	}
	want := mkCmd("p", "k", "1", store.CommandPending, clT0)
	want.Status, want.Result, want.ExecutedAt = store.CommandExecuted, json.RawMessage(`{"n":1}`), at
	if got, _ := getCmd(t, s, "p"); cmp.Diff(want, got, exactTime) != "" {
		t.Fatalf("p (-want +got):\n%s", cmp.Diff(want, got, exactTime))
	}
	wantQ := mkCmd("q", "k", "2", store.CommandPending, clT0)
	wantQ.Status, wantQ.ExecutedAt = store.CommandFailed, at
	if got, _ := getCmd(t, s, "q"); cmp.Diff(wantQ, got, exactTime) != "" || got.Result != nil {
		t.Fatalf("q (-want +got):\n%s", cmp.Diff(wantQ, got, exactTime))
	}
	if got, _ := getCmd(t, s, "done"); cmp.Diff(mkCmd("done", "k", "3", store.CommandRejected, clT0), got, exactTime) != "" {
		t.Fatalf("done changed: %+v", got)
	}
	// Completed records are deletable now.
	inUnit(t, s, func(l store.CommandLog) error {
		n, more, err := l.DeleteExpiredCommands(ctx, clT0.Add(time.Nanosecond), 10)
		if err != nil || n != 3 || more {
			t.Errorf("DeleteExpiredCommands = %d, %v, %v; want 3, false", n, more, err)
		}
		return nil
	})
}

func TestCommandLogCommandsByCorrelation(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	// Out of order, and interleaved with another correlation id.
	for _, c := range []string{"0003:c", "0001:a", "0005:e", "0002:b", "0004:d", "0006:f"} {
		id := "cmd-" + c[5:]
		mustInsert(t, s, mkCmd(id, "k", c, store.CommandExecuted, clT0.Add(time.Duration(c[3]-'0')*time.Second)), nil)
		mustInsert(t, s, mkCmd("other-"+c[5:], "k2", c, store.CommandExecuted, clT0.Add(time.Hour)), nil)
	}
	list := func(corrID, after string, limit int) []string {
		var ids []string
		inUnit(t, s, func(l store.CommandLog) error {
			recs, err := l.CommandsByCorrelation(ctx, corrID, after, limit)
			if recs == nil && err == nil {
				t.Errorf("by correlation %s after %q: nil slice", corrID, after)
			}
			ids = cmdIDs(recs)
			return err
		})
		return ids
	}
	for _, c := range []struct {
		corrID, after string
		limit         int
		want          []string
	}{
		{"k", "", 10, []string{"cmd-a", "cmd-b", "cmd-c", "cmd-d", "cmd-e", "cmd-f"}},
		{"k", "", 2, []string{"cmd-a", "cmd-b"}},
		{"k", "0002:b", 2, []string{"cmd-c", "cmd-d"}},
		{"k", "0002:bz", 10, []string{"cmd-c", "cmd-d", "cmd-e", "cmd-f"}},
		{"k", "0002", 1, []string{"cmd-b"}},
		{"k", "0006:f", 10, []string{}},
		{"k", "zzz", 10, []string{}},
		{"k2", "0005:e", 10, []string{"other-f"}},
		{"unknown", "", 10, []string{}},
	} {
		if d := cmp.Diff(c.want, list(c.corrID, c.after, c.limit)); d != "" {
			t.Errorf("by correlation %s after %q limit %d (-want +got):\n%s", c.corrID, c.after, c.limit, d)
		}
	}
	// Deleting the first-inserted and the first-ordered record keeps the
	// rest listed and findable.
	inUnit(t, s, func(l store.CommandLog) error {
		n, more, err := l.DeleteExpiredCommands(ctx, clT0.Add(3*time.Second+1), 10)
		if err != nil || n != 3 || more {
			t.Errorf("delete = %d, %v, %v; want 3, false", n, more, err)
		}
		return err
	})
	if d := cmp.Diff([]string{"cmd-d", "cmd-e", "cmd-f"}, list("k", "", 10)); d != "" {
		t.Errorf("after deletion (-want +got):\n%s", d)
	}
	mustInsert(t, s, mkCmd("cmd-a2", "k", "0001:a", store.CommandPending, clT0), nil)
	if d := cmp.Diff([]string{"cmd-a2", "cmd-d", "cmd-e", "cmd-f"}, list("k", "", 10)); d != "" {
		t.Errorf("after re-insert (-want +got):\n%s", d)
	}
}

func TestCommandLogDeleteExpiredCommands(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := func(sec int) time.Time { return clT0.Add(time.Duration(sec) * time.Second) }
	// Pending records expire first; they are never deleted.
	mustInsert(t, s, mkCmd("pend-1", "k", "a", store.CommandPending, at(0)), nil)
	mustInsert(t, s, mkCmd("x3", "k", "b", store.CommandExecuted, at(3)), nil)
	mustInsert(t, s, mkCmd("x1b", "k", "c", store.CommandFailed, at(1)), nil)
	mustInsert(t, s, mkCmd("x1a", "k", "d", store.CommandRejected, at(1)), nil)
	mustInsert(t, s, mkCmd("pend-2", "k", "e", store.CommandPending, at(2)), nil)
	mustInsert(t, s, mkCmd("x5", "k", "f", store.CommandExecuted, at(5)), nil)
	remaining := func() []string {
		var ids []string
		inUnit(t, s, func(l store.CommandLog) error {
			recs, err := l.CommandsByCorrelation(ctx, "k", "", 100)
			ids = cmdIDs(recs)
			return err
		})
		return ids
	}
	del := func(before time.Time, limit int) (int, bool) {
		var n int
		var more bool
		inUnit(t, s, func(l store.CommandLog) (err error) {
			n, more, err = l.DeleteExpiredCommands(ctx, before, limit)
			return err
		})
		return n, more
	}
	if n, more := del(at(1), 10); n != 0 || more {
		t.Fatalf("delete before 1s = %d, %v; want 0, false (expiring at before is kept)", n, more)
	}
	if n, more := del(at(4), 1); n != 1 || !more {
		t.Fatalf("first delete = %d, %v; want 1, true", n, more)
	}
	if d := cmp.Diff([]string{"pend-1", "x3", "x1b", "pend-2", "x5"}, remaining()); d != "" {
		t.Fatalf("after first delete (x1a goes first: ties by id) (-want +got):\n%s", d)
	}
	if n, more := del(at(4), 1); n != 1 || !more {
		t.Fatalf("second delete = %d, %v; want 1, true", n, more)
	}
	if n, more := del(at(4), 1); n != 1 || more {
		t.Fatalf("third delete = %d, %v; want 1, false", n, more)
	}
	if d := cmp.Diff([]string{"pend-1", "pend-2", "x5"}, remaining()); d != "" {
		t.Fatalf("after third delete (-want +got):\n%s", d)
	}
	if n, more := del(at(100), 10); n != 1 || more {
		t.Fatalf("delete all = %d, %v; want 1, false", n, more)
	}
	if d := cmp.Diff([]string{"pend-1", "pend-2"}, remaining()); d != "" {
		t.Fatalf("pending records (-want +got):\n%s", d)
	}
	// Limit reached exactly with nothing left: more is false.
	mustInsert(t, s, mkCmd("y1", "k", "g", store.CommandExecuted, at(1)), nil)
	mustInsert(t, s, mkCmd("y2", "k", "h", store.CommandExecuted, at(2)), nil)
	if n, more := del(at(100), 2); n != 2 || more {
		t.Fatalf("delete two of two = %d, %v; want 2, false", n, more)
	}
}

func TestCommandLogCorrelationMerge(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	put := func(c store.CorrelationRecord) {
		inUnit(t, s, func(l store.CommandLog) error { return l.PutCorrelation(ctx, c) })
	}
	first := mkCorr("c1", "orders", clT0, clT0.Add(time.Hour), "e1", "e2")
	put(first)
	put(mkCorr("c1", "billing", clT0.Add(time.Minute), clT0.Add(2*time.Hour), "e2", "e3", "e1", "e4"))
	put(mkCorr("c1", "other", clT0, clT0, "e4", "e1")) // nothing new
	want := first
	want.EventIDs = []string{"e1", "e2", "e3", "e4"}
	if got, _ := getCorr(t, s, "c1"); cmp.Diff(want, got, exactTime) != "" {
		t.Fatalf("merged (-want +got):\n%s", cmp.Diff(want, got, exactTime))
	}
	// InsertCommand merges into an existing correlation record too.
	corr := mkCorr("c1", "x", clT0, clT0, "e5", "e3")
	mustInsert(t, s, mkCmd("c1", "k", "1", store.CommandExecuted, clT0), &corr)
	want.EventIDs = append(want.EventIDs, "e5")
	if got, _ := getCorr(t, s, "c1"); cmp.Diff(want, got, exactTime) != "" {
		t.Fatalf("merged by insert (-want +got):\n%s", cmp.Diff(want, got, exactTime))
	}
	// Many against many (the merge's set path).
	var a, b []string
	for i := range 300 {
		a = append(a, fmt.Sprintf("event-%04d", i))
		b = append(b, fmt.Sprintf("event-%04d", 599-2*i)) // odd ids 599..1: new above 299
	}
	put(mkCorr("big", "orders", clT0, clT0, a...))
	put(mkCorr("big", "orders", clT0, clT0, b...))
	wantBig := append([]string(nil), a...)
	for _, id := range b {
		if id > "event-0299" {
			wantBig = append(wantBig, id)
		}
	}
	if got, _ := getCorr(t, s, "big"); cmp.Diff(wantBig, got.EventIDs) != "" {
		t.Fatalf("big merge (-want +got):\n%s", cmp.Diff(wantBig, got.EventIDs))
	}
}

func TestCommandLogCorrelationsByContext(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := func(sec int) time.Time { return clT0.Add(time.Duration(sec) * time.Second) }
	inUnit(t, s, func(l store.CommandLog) error {
		for _, c := range []store.CorrelationRecord{
			mkCorr("c3", "orders", at(3), at(9)),
			mkCorr("c1", "orders", at(1), at(9)),
			mkCorr("c2b", "orders", at(2), at(9)),
			mkCorr("c2a", "orders", at(2), at(9)),
			mkCorr("b1", "billing", at(1), at(9)),
			mkCorr("n1", "", at(1), at(9)),
		} {
			if err := l.PutCorrelation(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		bc    string
		since time.Time
		limit int
		want  []string
	}{
		{"orders", time.Time{}, 10, []string{"c1", "c2a", "c2b", "c3"}},
		{"orders", at(2), 10, []string{"c2a", "c2b", "c3"}},
		{"orders", at(2).Add(1), 10, []string{"c3"}},
		{"orders", at(1), 2, []string{"c1", "c2a"}},
		{"orders", at(4), 10, []string{}},
		{"billing", at(0), 10, []string{"b1"}},
		{"", at(0), 10, []string{"n1"}},
		{"unknown", at(0), 10, []string{}},
	} {
		inUnit(t, s, func(l store.CommandLog) error {
			recs, err := l.CorrelationsByContext(ctx, c.bc, c.since, c.limit)
			if err == nil && recs == nil {
				t.Errorf("context %q: nil slice", c.bc)
			}
			if d := cmp.Diff(c.want, corrIDs(recs)); d != "" {
				t.Errorf("context %q since %v limit %d (-want +got):\n%s", c.bc, c.since, c.limit, d)
			}
			return err
		})
	}
	// DeleteExpiredCorrelations: (ExpiresAt, CommandID) order, limit, more.
	inUnit(t, s, func(l store.CommandLog) error {
		for _, c := range []store.CorrelationRecord{mkCorr("e2", "orders", at(5), at(2)), mkCorr("e1b", "orders", at(5), at(1)), mkCorr("e1a", "orders", at(5), at(1))} {
			if err := l.PutCorrelation(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	delOrder := func(before time.Time) []string {
		var gone []string
		inUnit(t, s, func(l store.CommandLog) error {
			for {
				recs, err := l.CorrelationsByContext(ctx, "orders", time.Time{}, 100)
				if err != nil {
					return err
				}
				n, more, err := l.DeleteExpiredCorrelations(ctx, before, 1)
				if err != nil {
					return err
				}
				after, err := l.CorrelationsByContext(ctx, "orders", time.Time{}, 100)
				if err != nil {
					return err
				}
				if n != len(recs)-len(after) {
					t.Errorf("deleted %d, listing shrank by %d", n, len(recs)-len(after))
				}
				for _, r := range recs {
					if !strings.Contains(strings.Join(corrIDs(after), ","), r.CommandID) {
						gone = append(gone, r.CommandID)
					}
				}
				if !more {
					return nil
				}
			}
		})
		return gone
	}
	if d := cmp.Diff([]string{"e1a", "e1b", "e2"}, delOrder(at(3))); d != "" {
		t.Fatalf("deletion order (-want +got):\n%s", d)
	}
	if _, found := getCorr(t, s, "c1"); !found {
		t.Fatal("c1 deleted before its expiry")
	}
}

// clDump renders everything observable about the command log of the given
// ids, correlation ids and contexts, including the order in which
// DeleteExpired* would delete every deletable record (found in a unit of
// work that rolls back).
func clDump(t testing.TB, s *memstore.Store, cmdIDs, corrIDs, contexts []string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	errDone := errors.New("dump done")
	err := s.Atomic(ctx, func(tx store.Tx) error {
		l := tx.Commands()
		for _, id := range cmdIDs {
			r, found, err := l.GetCommand(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "cmd %s %v %+v %s %s\n", id, found, r, r.Payload, r.Result)
			c, found, err := l.GetCorrelation(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "corr %s %v %+v\n", id, found, c)
		}
		for _, id := range corrIDs {
			recs, err := l.CommandsByCorrelation(ctx, id, "", store.MaxListLimit)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "byCorr %s %v\n", id, recs)
		}
		for _, bc := range contexts {
			recs, err := l.CorrelationsByContext(ctx, bc, time.Time{}, store.MaxListLimit)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "byContext %s %v\n", bc, recs)
		}
		end := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		for more := true; more; {
			var err error
			var n int
			if n, more, err = l.DeleteExpiredCommands(ctx, end, 1); err != nil {
				return err
			}
			fmt.Fprintf(&b, "delCmd %d", n)
			for _, id := range cmdIDs {
				if _, found, _ := l.GetCommand(ctx, id); found {
					b.WriteString(" " + id)
				}
			}
			b.WriteString("\n")
		}
		for more := true; more; {
			var err error
			var n int
			if n, more, err = l.DeleteExpiredCorrelations(ctx, end, 1); err != nil {
				return err
			}
			fmt.Fprintf(&b, "delCorr %d", n)
			for _, id := range cmdIDs {
				if _, found, _ := l.GetCorrelation(ctx, id); found {
					b.WriteString(" " + id)
				}
			}
			b.WriteString("\n")
		}
		return errDone
	})
	if err != errDone {
		t.Fatalf("dump: %v", err)
	}
	return b.String()
}

func TestCommandLogRollbackRestoresEverything(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := func(sec int) time.Time { return clT0.Add(time.Duration(sec) * time.Second) }
	ids := []string{"a", "b", "c", "d", "n1", "n2", "n3"}
	corrs := []string{"k1", "k2", "k3"}
	contexts := []string{"orders", "billing", ""}
	ca, cb := mkCorr("a", "orders", at(1), at(5), "e1"), mkCorr("b", "orders", at(2), at(2), "e2")
	mustInsert(t, s, mkCmd("a", "k1", "1", store.CommandExecuted, at(5)), &ca)
	mustInsert(t, s, mkCmd("b", "k1", "2", store.CommandExecuted, at(1)), &cb)
	mustInsert(t, s, mkCmd("c", "k2", "1", store.CommandPending, at(1)), nil)
	mustInsert(t, s, mkCmd("d", "k1", "3", store.CommandPending, at(3)), nil)
	before := clDump(t, s, ids, corrs, contexts)
	if before != clDump(t, s, ids, corrs, contexts) {
		t.Fatal("the dump changes the store")
	}

	unit := func(tx store.Tx) error {
		l := tx.Commands()
		c1, c3 := mkCorr("n1", "billing", at(0), at(0), "x1"), mkCorr("n3", "", at(9), at(1), "x3")
		steps := []func() error{
			func() error { return l.InsertCommand(ctx, mkCmd("n1", "k1", "0", store.CommandExecuted, at(0)), &c1) },
			func() error { return l.InsertCommand(ctx, mkCmd("n2", "k3", "1", store.CommandPending, at(0)), nil) },
			func() error { return l.InsertCommand(ctx, mkCmd("n3", "k1", "25", store.CommandFailed, at(2)), &c3) },
			func() error {
				_, err := l.CompleteCommand(ctx, "c", store.CommandExecuted, json.RawMessage(`{"r":1}`), at(7))
				return err
			},
			func() error {
				_, err := l.CompleteCommand(ctx, "n2", store.CommandRejected, nil, at(7))
				return err
			},
			func() error { return l.PutCorrelation(ctx, mkCorr("a", "x", at(0), at(0), "e9", "e1", "e8")) },
			func() error { return l.PutCorrelation(ctx, mkCorr("d", "orders", at(0), at(4), "e4")) },
			func() error {
				_, _, err := l.DeleteExpiredCommands(ctx, at(3), 3)
				return err
			},
			func() error {
				_, _, err := l.DeleteExpiredCorrelations(ctx, at(3), 2)
				return err
			},
			func() error { return l.InsertCommand(ctx, mkCmd("b", "k2", "9", store.CommandExecuted, at(0)), nil) }, // b was deleted above
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("step %d: %w", i, err)
			}
		}
		return nil
	}
	errRollback := errors.New("roll back")
	if err := s.Atomic(ctx, func(tx store.Tx) error {
		if err := unit(tx); err != nil {
			return err
		}
		return errRollback
	}); err != errRollback {
		t.Fatalf("unit: %v", err)
	}
	if after := clDump(t, s, ids, corrs, contexts); after != before {
		t.Fatalf("rollback left a trace:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// A panic rolls back too, and the same unit committed changes the log.
	func() {
		defer func() { _ = recover() }()
		_ = s.Atomic(ctx, func(tx store.Tx) error {
			if err := unit(tx); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if after := clDump(t, s, ids, corrs, contexts); after != before {
		t.Fatalf("rollback by panic left a trace:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err := s.Atomic(ctx, unit); err != nil {
		t.Fatal(err)
	}
	if clDump(t, s, ids, corrs, contexts) == before {
		t.Fatal("the committed unit changed nothing the dump shows")
	}
	if got, _ := getCmd(t, s, "b"); got.CorrelationID != "k2" {
		t.Fatalf("b re-inserted = %+v", got)
	}
	if got, _ := getCorr(t, s, "a"); cmp.Diff([]string{"e1", "e9", "e8"}, got.EventIDs) != "" {
		t.Fatalf("a's event ids = %v", got.EventIDs)
	}
}

func TestCommandLogBadInputWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	good := mkCmd("g", "k", "1", store.CommandExecuted, clT0)
	goodCorr := mkCorr("g", "orders", clT0, clT0, "e1")
	mustInsert(t, s, mkCmd("p", "k", "0", store.CommandPending, clT0), nil)
	xCorr := mkCorr("x", "orders", clT0, clT0, "e1")
	mustInsert(t, s, mkCmd("x", "k", "2", store.CommandExecuted, clT0), &xCorr)
	ids, corrs, contexts := []string{"g", "p", "x"}, []string{"k"}, []string{"orders"}
	before := clDump(t, s, ids, corrs, contexts)
	with := func(f func(r *store.CommandRecord)) store.CommandRecord { r := good; f(&r); return r }
	corrWith := func(f func(c *store.CorrelationRecord)) *store.CorrelationRecord { c := goodCorr; f(&c); return &c }
	big := json.RawMessage(`"` + strings.Repeat("a", es.MaxPayloadBytes) + `"`)
	for _, c := range []struct {
		name string
		code es.Code
		op   func(l store.CommandLog) error
	}{
		{"insert empty id", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, with(func(r *store.CommandRecord) { r.CommandID = "" }), nil)
		}},
		{"insert long id", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, with(func(r *store.CommandRecord) { r.CommandID = strings.Repeat("i", 101) }), nil)
		}},
		{"insert bad payload", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, with(func(r *store.CommandRecord) { r.Payload = json.RawMessage(`{`) }), nil)
		}},
		{"insert big payload", es.CodePayloadTooLarge, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, with(func(r *store.CommandRecord) { r.Payload = big }), nil)
		}},
		{"insert bad status", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, with(func(r *store.CommandRecord) { r.Status = "done" }), nil)
		}},
		{"insert pending with result", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, with(func(r *store.CommandRecord) { r.Status = store.CommandPending }), nil)
		}},
		{"insert a cursor with a control byte", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, with(func(r *store.CommandRecord) { r.CorrelationCursor = "c\x01" }), nil)
		}},
		{"insert negative ttl", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, with(func(r *store.CommandRecord) { r.TTL = -1 }), nil)
		}},
		{"insert corr of another command", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, good, corrWith(func(c *store.CorrelationRecord) { c.CommandID = "other" }))
		}},
		{"insert corr with repeated event", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.InsertCommand(ctx, good, corrWith(func(c *store.CorrelationRecord) { c.EventIDs = []string{"e", "e"} }))
		}},
		{"get empty id", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, _, err := l.GetCommand(ctx, "")
			return err
		}},
		{"complete pending", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, err := l.CompleteCommand(ctx, "p", store.CommandPending, nil, clT0)
			return err
		}},
		{"complete bad result", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, err := l.CompleteCommand(ctx, "p", store.CommandExecuted, json.RawMessage(`nope`), clT0)
			return err
		}},
		{"complete big result", es.CodePayloadTooLarge, func(l store.CommandLog) error {
			_, err := l.CompleteCommand(ctx, "p", store.CommandExecuted, big, clT0)
			return err
		}},
		{"by correlation empty id", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, err := l.CommandsByCorrelation(ctx, "", "", 1)
			return err
		}},
		{"by correlation limit 0", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, err := l.CommandsByCorrelation(ctx, "k", "", 0)
			return err
		}},
		{"by correlation limit too big", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, err := l.CommandsByCorrelation(ctx, "k", "", store.MaxListLimit+1)
			return err
		}},
		{"delete commands limit 0", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, _, err := l.DeleteExpiredCommands(ctx, clT0.Add(time.Hour), 0)
			return err
		}},
		{"put correlation empty id", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.PutCorrelation(ctx, *corrWith(func(c *store.CorrelationRecord) { c.CommandID = "" }))
		}},
		{"put correlation empty event id", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.PutCorrelation(ctx, *corrWith(func(c *store.CorrelationRecord) { c.CommandID, c.EventIDs = "x", []string{"e2", ""} }))
		}},
		{"put correlation bad context", es.CodeInvalidArgument, func(l store.CommandLog) error {
			return l.PutCorrelation(ctx, *corrWith(func(c *store.CorrelationRecord) { c.BoundedContext = "a\nb" }))
		}},
		{"get correlation empty id", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, _, err := l.GetCorrelation(ctx, "")
			return err
		}},
		{"by context bad context", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, err := l.CorrelationsByContext(ctx, "a\x00", time.Time{}, 1)
			return err
		}},
		{"by context limit 0", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, err := l.CorrelationsByContext(ctx, "orders", time.Time{}, 0)
			return err
		}},
		{"delete correlations limit too big", es.CodeInvalidArgument, func(l store.CommandLog) error {
			_, _, err := l.DeleteExpiredCorrelations(ctx, clT0.Add(time.Hour), store.MaxListLimit+1)
			return err
		}},
	} {
		// Armed so that any write reaching the store would fail with
		// INJECTED_FAULT instead: validation comes first.
		s.FailAfterWrites(0)
		var opErr error
		err := s.Atomic(ctx, func(tx store.Tx) error {
			opErr = c.op(tx.Commands())
			return nil
		})
		s.ClearFaults()
		if err != nil {
			t.Fatalf("%s: unit: %v", c.name, err)
		}
		wantCode(t, opErr, c.code)
		if after := clDump(t, s, ids, corrs, contexts); after != before {
			t.Fatalf("%s wrote something:\nbefore:\n%s\nafter:\n%s", c.name, before, after)
		}
	}
}

func TestCommandLogWritesCountForFailAfterWrites(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	corr := mkCorr("a", "orders", clT0, clT0, "e1")
	for _, c := range []struct {
		name string
		op   func(l store.CommandLog) error
	}{
		{"insert", func(l store.CommandLog) error {
			return l.InsertCommand(ctx, mkCmd("a", "k", "1", store.CommandExecuted, clT0), &corr)
		}},
		{"complete", func(l store.CommandLog) error {
			_, err := l.CompleteCommand(ctx, "a", store.CommandExecuted, nil, clT0)
			return err
		}},
		{"put correlation", func(l store.CommandLog) error { return l.PutCorrelation(ctx, corr) }},
		{"delete commands", func(l store.CommandLog) error {
			_, _, err := l.DeleteExpiredCommands(ctx, clT0.Add(time.Hour), 1)
			return err
		}},
		{"delete correlations", func(l store.CommandLog) error {
			_, _, err := l.DeleteExpiredCorrelations(ctx, clT0.Add(time.Hour), 1)
			return err
		}},
	} {
		s.FailAfterWrites(0)
		err := s.Atomic(ctx, func(tx store.Tx) error { return c.op(tx.Commands()) })
		wantCode(t, err, es.CodeInjectedFault)
	}
	if _, found := getCmd(t, s, "a"); found {
		t.Fatal("a failed insert wrote its record")
	}
	if _, found := getCorr(t, s, "a"); found {
		t.Fatal("a failed insert wrote its correlation")
	}
}

func TestCommandLogTxUsedAfterUnitFails(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	var leaked store.Tx
	if err := s.Atomic(ctx, func(tx store.Tx) error { leaked = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	l := leaked.Commands()
	wantCode(t, l.InsertCommand(ctx, mkCmd("a", "k", "1", store.CommandPending, clT0), nil), es.CodeTransactionAborted)
	_, _, err := l.GetCommand(ctx, "a")
	wantCode(t, err, es.CodeTransactionAborted)
	_, err = l.CompleteCommand(ctx, "a", store.CommandExecuted, nil, clT0)
	wantCode(t, err, es.CodeTransactionAborted)
	_, err = l.CommandsByCorrelation(ctx, "k", "", 1)
	wantCode(t, err, es.CodeTransactionAborted)
	_, _, err = l.DeleteExpiredCommands(ctx, clT0, 1)
	wantCode(t, err, es.CodeTransactionAborted)
	wantCode(t, l.PutCorrelation(ctx, mkCorr("a", "", clT0, clT0)), es.CodeTransactionAborted)
	_, _, err = l.GetCorrelation(ctx, "a")
	wantCode(t, err, es.CodeTransactionAborted)
	_, err = l.CorrelationsByContext(ctx, "", clT0, 1)
	wantCode(t, err, es.CodeTransactionAborted)
	_, _, err = l.DeleteExpiredCorrelations(ctx, clT0, 1)
	wantCode(t, err, es.CodeTransactionAborted)
	if _, found := getCmd(t, s, "a"); found {
		t.Fatal("a leaked Tx wrote a record")
	}
}

// TestCommandLogExpiryFromTheFront deletes, re-inserts and rolls back many
// records, so the expiry indexes' front removal, reuse and compaction run;
// every step's outcome is checked against a simple model.
func TestCommandLogExpiryFromTheFront(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := func(i int) time.Time { return clT0.Add(time.Duration(i) * time.Millisecond) }
	next := 0
	live := []string{} // ids in expiry order
	errBack := errors.New("back")
	for round := range 40 {
		// Insert 7, delete 5 (rolled back every third round), in order.
		inUnit(t, s, func(l store.CommandLog) error {
			for range 7 {
				id := fmt.Sprintf("id-%05d", next)
				corr := mkCorr(id, "orders", at(next), at(next), "e")
				if err := l.InsertCommand(ctx, mkCmd(id, "k", id, store.CommandExecuted, at(next)), &corr); err != nil {
					return err
				}
				live = append(live, id)
				next++
			}
			return nil
		})
		err := s.Atomic(ctx, func(tx store.Tx) error {
			n, _, err := tx.Commands().DeleteExpiredCommands(ctx, at(next), 5)
			if err != nil || n != 5 {
				return fmt.Errorf("deleted %d, %v", n, err)
			}
			if n, _, err = tx.Commands().DeleteExpiredCorrelations(ctx, at(next), 5); err != nil || n != 5 {
				return fmt.Errorf("deleted %d correlations, %v", n, err)
			}
			if round%3 == 0 {
				return errBack
			}
			return nil
		})
		if round%3 == 0 {
			if err != errBack {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		} else {
			live = live[5:]
		}
	}
	inUnit(t, s, func(l store.CommandLog) error {
		recs, err := l.CommandsByCorrelation(ctx, "k", "", store.MaxListLimit)
		if err != nil {
			return err
		}
		if d := cmp.Diff(live, cmdIDs(recs)); d != "" {
			t.Errorf("live commands (-want +got):\n%s", d)
		}
		corrs, err := l.CorrelationsByContext(ctx, "orders", time.Time{}, store.MaxListLimit)
		if err != nil {
			return err
		}
		if d := cmp.Diff(live, corrIDs(corrs)); d != "" {
			t.Errorf("live correlations (-want +got):\n%s", d)
		}
		n, more, err := l.DeleteExpiredCommands(ctx, at(next), store.MaxListLimit)
		if err != nil || n != len(live) || more {
			t.Errorf("final delete = %d, %v, %v; want %d, false", n, more, err, len(live))
		}
		return err
	})
}

// The allocation bounds of the hot path (see BenchmarkCommandLogInsert).
func TestCommandLogAllocs(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	ids := benchKeys("cmd-", 1000)
	payload := benchJSON(800)
	result := json.RawMessage(`{"ok":true}`)
	// The records are made beforehand: only the store's allocations count.
	recs := make([]store.CommandRecord, len(ids))
	corrs := make([]store.CorrelationRecord, len(ids))
	for i, id := range ids {
		recs[i] = store.CommandRecord{CommandID: id, CommandType: "CreateOrder", TargetContext: "orders", Payload: payload,
			CorrelationID: id, Timestamp: clT0, CorrelationCursor: id, Status: store.CommandExecuted, Result: result,
			ExecutedAt: clT0, TTL: time.Hour, ExpiresAt: clT0.Add(time.Hour)}
		corrs[i] = store.CorrelationRecord{CommandID: id, EventIDs: ids[i : i+1], CommandType: "CreateOrder",
			BoundedContext: "orders", CreatedAt: clT0, TTL: time.Hour, ExpiresAt: clT0.Add(time.Hour)}
	}
	i := 0
	insert := func(tx store.Tx) error {
		i++
		return tx.Commands().InsertCommand(ctx, recs[i-1], &corrs[i-1])
	}
	empty := func(tx store.Tx) error { return nil }
	unitAllocs := testing.AllocsPerRun(200, func() {
		if err := s.Atomic(ctx, empty); err != nil {
			t.Fatal(err)
		}
	})
	allocs := testing.AllocsPerRun(200, func() {
		if err := s.Atomic(ctx, insert); err != nil {
			t.Fatal(err)
		}
	})
	// The records and their bytes are carved from record arrays and byte
	// chunks; what remains is amortized growth of those, of the maps and
	// of the indexes (less than one allocation per insert).
	if got := allocs - unitAllocs; got > 0 {
		t.Errorf("InsertCommand with corr: %.1f allocations beyond the unit's %.1f; want none (amortized)", got, unitAllocs)
	}
	var missing float64
	if err := s.Atomic(ctx, func(tx store.Tx) error {
		l := tx.Commands()
		missing = testing.AllocsPerRun(100, func() {
			if _, found, err := l.GetCommand(ctx, "missing"); found || err != nil {
				t.Fatal(found, err)
			}
		})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if missing != 0 {
		t.Errorf("GetCommand of a missing id: %.1f allocations, want 0", missing)
	}
}

// BenchmarkCommandLogInsert is one unit of work inserting a completed
// command record (~800-byte payload) with its correlation record (one
// event id), command and correlation ids growing: the command log's share
// of every command.
func BenchmarkCommandLogInsert(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	payload := benchJSON(800)
	result := json.RawMessage(`{"orderId":"o-1"}`)
	keys := benchKeys("cmd-", b.N)
	corrs := benchKeys("corr-", b.N)
	events := benchKeys("evt-", b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		ts := clT0.Add(time.Duration(i) * time.Millisecond)
		rec := store.CommandRecord{CommandID: keys[i], CommandType: "CreateOrder", TargetContext: "orders",
			Payload: payload, UserID: "user-1", CorrelationID: corrs[i], Timestamp: ts, CorrelationCursor: keys[i],
			Status: store.CommandExecuted, Result: result, ExecutedAt: ts, TTL: 24 * time.Hour, ExpiresAt: ts.Add(24 * time.Hour)}
		corr := store.CorrelationRecord{CommandID: keys[i], EventIDs: events[i : i+1], CommandType: "CreateOrder",
			BoundedContext: "orders", CreatedAt: ts, TTL: 24 * time.Hour, ExpiresAt: ts.Add(24 * time.Hour)}
		err := s.Atomic(ctx, func(tx store.Tx) error { return tx.Commands().InsertCommand(ctx, rec, &corr) })
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkCommandLogGetMissing is the duplicate check of a new command.
func BenchmarkCommandLogGetMissing(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	keys := benchKeys("cmd-", 1000)
	for i := range 1000 {
		mustInsert(b, s, mkCmd(keys[i], "k", keys[i], store.CommandExecuted, clT0), nil)
	}
	b.ReportAllocs()
	err := s.Atomic(ctx, func(tx store.Tx) error {
		l := tx.Commands()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, found, err := l.GetCommand(ctx, "missing"); found || err != nil {
				return fmt.Errorf("%v %v", found, err)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// TestCommandLogLazyCorrelationIndex covers the paths of the correlation
// index filed on demand: a rolled-back insert that was never filed, one
// filed by a listing inside its own unit, the deletion of a record still
// unfiled behind newer ones, and listings that see every record either way.
func TestCommandLogLazyCorrelationIndex(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := func(sec int) time.Time { return clT0.Add(time.Duration(sec) * time.Second) }
	list := func(corr string) []string {
		t.Helper()
		var ids []string
		inUnit(t, s, func(l store.CommandLog) error {
			recs, err := l.CommandsByCorrelation(ctx, corr, "", 100)
			for _, r := range recs {
				ids = append(ids, r.CommandID)
			}
			return err
		})
		return ids
	}
	rollback := errors.New("roll back")
	mustInsert(t, s, mkCmd("a", "k", "1", store.CommandExecuted, at(1)), nil)
	mustInsert(t, s, mkCmd("b", "k", "2", store.CommandExecuted, at(9)), nil)
	// Rolled back while unfiled (the last one in).
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if err := tx.Commands().InsertCommand(ctx, mkCmd("c", "k", "3", store.CommandExecuted, at(1)), nil); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if got := list("k"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after a rolled-back unfiled insert: %v, want [a b]", got)
	}
	// Filed by a listing in its own unit, then rolled back.
	err = s.Atomic(ctx, func(tx store.Tx) error {
		l := tx.Commands()
		if err := l.InsertCommand(ctx, mkCmd("d", "k", "0", store.CommandExecuted, at(1)), nil); err != nil {
			return err
		}
		recs, err := l.CommandsByCorrelation(ctx, "k", "", 100)
		if err != nil || len(recs) != 3 || recs[0].CommandID != "d" {
			return fmt.Errorf("listing inside the unit: %v %v", recs, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if got := list("k"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after a rolled-back filed insert: %v, want [a b]", got)
	}
	// An unfiled record deleted while newer ones wait behind it.
	mustInsert(t, s, mkCmd("e", "k2", "1", store.CommandExecuted, at(1)), nil)
	mustInsert(t, s, mkCmd("f", "k2", "2", store.CommandExecuted, at(9)), nil)
	inUnit(t, s, func(l store.CommandLog) error {
		n, more, err := l.DeleteExpiredCommands(ctx, at(5), 10)
		if err != nil || n != 2 || more {
			return fmt.Errorf("delete: %d %v %v, want 2 (a and e)", n, more, err)
		}
		return nil
	})
	if got := list("k"); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("correlation k after the deletion: %v, want [b]", got)
	}
	if got := list("k2"); !slices.Equal(got, []string{"f"}) {
		t.Fatalf("correlation k2 after the deletion: %v, want [f]", got)
	}
}

// TestCommandLogSlabKeepsRecordsIntact writes records of every size around
// the byte chunks' piece and chunk sizes, rolls some back in between
// (their space is never written again), and checks every committed record
// reads back exactly, including records read before the later writes.
func TestCommandLogSlabKeepsRecordsIntact(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	want := map[string]store.CommandRecord{}
	wantCorr := map[string]store.CorrelationRecord{}
	var early []store.CommandRecord // read back before everything after them was written
	sizes := []int{0, 1, 100, 2000, 2047, 2048, 2049, 4000, 31000, 40000}
	for round := range 3 {
		for i, n := range sizes {
			id := fmt.Sprintf("cmd-%d-%02d", round, i)
			rec := mkCmd(id, "corr-"+id, "c-"+id, store.CommandExecuted, clT0.Add(time.Hour))
			rec.Payload = json.RawMessage(`"` + strings.Repeat(string(rune('a'+i)), n) + `"`)
			rec.Result = json.RawMessage(`{"n":` + fmt.Sprint(n) + `}`)
			corr := mkCorr(id, "orders", clT0, clT0.Add(time.Hour), "ev-"+id, "ev2-"+id)
			// A rolled-back insert of a same-sized record first.
			ghost := rec
			ghost.CommandID = "ghost-" + id
			ghost.Payload = json.RawMessage(`"` + strings.Repeat("#", n) + `"`)
			gc := corr
			gc.CommandID = ghost.CommandID
			boom := errors.New("roll back")
			if err := s.Atomic(ctx, func(tx store.Tx) error {
				if err := tx.Commands().InsertCommand(ctx, ghost, &gc); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				t.Fatalf("rolled-back insert: %v", err)
			}
			if i%2 == 0 {
				mustInsert(t, s, rec, &corr)
				wantCorr[id] = corr
			} else {
				mustInsert(t, s, rec, nil)
			}
			want[id] = rec
			if got, ok := getCmd(t, s, id); ok {
				early = append(early, got)
			}
		}
	}
	for id, rec := range want {
		got, ok := getCmd(t, s, id)
		if !ok {
			t.Fatalf("%s: missing", id)
		}
		if d := cmp.Diff(rec, got, exactTime); d != "" {
			t.Fatalf("%s read back differs (-want +got):\n%s", id, d)
		}
		if _, ok := getCmd(t, s, "ghost-"+id); ok {
			t.Fatalf("rolled-back ghost-%s is stored", id)
		}
		c, ok := getCorr(t, s, id)
		if wc, want := wantCorr[id]; ok != want {
			t.Fatalf("%s: correlation stored %v, want %v", id, ok, want)
		} else if want {
			if d := cmp.Diff(wc, c, exactTime); d != "" {
				t.Fatalf("%s correlation read back differs (-want +got):\n%s", id, d)
			}
		}
	}
	if len(early) != len(want) {
		t.Fatalf("read back %d records early, want %d", len(early), len(want))
	}
	for _, got := range early {
		if d := cmp.Diff(want[got.CommandID], got, exactTime); d != "" {
			t.Fatalf("%s, read before later writes, changed (-want +got):\n%s", got.CommandID, d)
		}
	}
}

// sameCmd reports whether a and b are equal field for field, their times
// the same time.Time values (cmp.Diff is slow on large payloads).
func sameCmd(a, b store.CommandRecord) bool {
	return a.CommandID == b.CommandID && a.CommandType == b.CommandType && a.TargetContext == b.TargetContext &&
		bytes.Equal(a.Payload, b.Payload) && (a.Payload == nil) == (b.Payload == nil) &&
		a.UserID == b.UserID && a.CorrelationID == b.CorrelationID && a.CausationID == b.CausationID &&
		sameTime(a.Timestamp, b.Timestamp) && a.CorrelationCursor == b.CorrelationCursor && a.Status == b.Status &&
		bytes.Equal(a.Result, b.Result) && (a.Result == nil) == (b.Result == nil) &&
		sameTime(a.ExecutedAt, b.ExecutedAt) && a.TTL == b.TTL && sameTime(a.ExpiresAt, b.ExpiresAt)
}

// sameCorr is sameCmd for correlation records.
func sameCorr(a, b store.CorrelationRecord) bool {
	return a.CommandID == b.CommandID && slices.Equal(a.EventIDs, b.EventIDs) && a.CommandType == b.CommandType &&
		a.BoundedContext == b.BoundedContext && sameTime(a.CreatedAt, b.CreatedAt) && a.TTL == b.TTL && sameTime(a.ExpiresAt, b.ExpiresAt)
}

// sameTime reports whether a and b are the same time.Time value: instant,
// *time.Location and monotonic reading (==, stricter than exactTime).
func sameTime(a, b time.Time) bool { return a == b }

// checkCmdTimes fails unless got's times are want's exactly (==).
func checkCmdTimes(t *testing.T, what string, want, got store.CommandRecord) {
	t.Helper()
	for _, f := range []struct {
		name      string
		want, got time.Time
	}{{"Timestamp", want.Timestamp, got.Timestamp}, {"ExecutedAt", want.ExecutedAt, got.ExecutedAt}, {"ExpiresAt", want.ExpiresAt, got.ExpiresAt}} {
		if !sameTime(f.want, f.got) {
			t.Errorf("%s: %s = %#v (%v), want %#v (%v)", what, f.name, f.got, f.got, f.want, f.want)
		}
	}
}

func checkCorrTimes(t *testing.T, what string, want, got store.CorrelationRecord) {
	t.Helper()
	if !sameTime(want.CreatedAt, got.CreatedAt) || !sameTime(want.ExpiresAt, got.ExpiresAt) {
		t.Errorf("%s: times = %v, %v; want %v, %v (==)", what, got.CreatedAt, got.ExpiresAt, want.CreatedAt, want.ExpiresAt)
	}
}

// TestCommandLogTimesKeptExactly stores times in several locations (UTC,
// Local, fixed zones, more zones than the location table holds), at the
// ends of time.Time's range and with a monotonic clock reading, reads them
// back as the same time.Time values, orders records by instant whatever
// their location, and forgets the times kept whole with their records.
func TestCommandLogTimesKeptExactly(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	east := time.FixedZone("E+5:30", 5*3600+1800)
	west := time.FixedZone("W-7", -7*3600)
	// A monotonic reading only comes from time.Now: it is read here for
	// its representation, never for timing.
	mono := time.Now()
	if mono == mono.Round(0) {
		t.Fatal("time.Now carries no monotonic reading")
	}
	type times struct{ ts, exec, exp, created, cexp time.Time }
	cases := []times{
		{clT0, clT0.Add(1), clT0.Add(time.Hour), clT0.Add(2), clT0.Add(time.Minute)},
		{time.Date(2026, 1, 2, 3, 4, 5, 6, east), time.Date(2026, 1, 2, 3, 4, 5, 7, west), time.Date(2026, 1, 2, 3, 4, 5, 8, time.Local),
			time.Date(2026, 1, 2, 3, 4, 5, 9, west), time.Date(2026, 1, 2, 3, 4, 5, 10, east)},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 999999999, west), time.Date(9999, 12, 31, 23, 59, 59, 999999999, east),
			time.Unix(-1, 0), time.Date(-300, 5, 6, 7, 8, 9, 10, east)},
		{mono, mono.Add(time.Second), mono.Add(time.Hour), mono.In(east), mono.Add(time.Minute)},
	}
	var wantCmds []store.CommandRecord
	var wantCorrs []store.CorrelationRecord
	for i, c := range cases {
		id := fmt.Sprintf("t%d", i)
		rec := mkCmd(id, "k", id, store.CommandExecuted, c.exp)
		rec.Timestamp, rec.ExecutedAt = c.ts, c.exec
		corr := mkCorr(id, "orders", c.created, c.cexp, "e")
		mustInsert(t, s, rec, &corr)
		wantCmds, wantCorrs = append(wantCmds, rec), append(wantCorrs, corr)
	}
	// A completion's time too, with a monotonic reading.
	mustInsert(t, s, mkCmd("p", "k", "p", store.CommandPending, time.Date(2026, 1, 1, 0, 0, 0, 0, west)), nil)
	inUnit(t, s, func(l store.CommandLog) error {
		_, err := l.CompleteCommand(ctx, "p", store.CommandFailed, nil, mono.Add(3*time.Second))
		return err
	})
	for i, want := range wantCmds {
		got, _ := getCmd(t, s, want.CommandID)
		checkCmdTimes(t, want.CommandID, want, got)
		if d := cmp.Diff(want, got, exactTime); d != "" {
			t.Errorf("%s (-want +got):\n%s", want.CommandID, d)
		}
		gotCorr, _ := getCorr(t, s, want.CommandID)
		checkCorrTimes(t, want.CommandID, wantCorrs[i], gotCorr)
	}
	if got, _ := getCmd(t, s, "p"); !sameTime(got.ExecutedAt, mono.Add(3*time.Second)) || !sameTime(got.ExpiresAt, time.Date(2026, 1, 1, 0, 0, 0, 0, west)) {
		t.Errorf("completed p: ExecutedAt %v, ExpiresAt %v", got.ExecutedAt, got.ExpiresAt)
	}
	if sp := memstore.CommandLogSpaceOf(s); sp.SideTimes != 5 || sp.Locations != 4 {
		t.Errorf("space = %+v; want 5 times kept whole (those with a monotonic reading) and 4 locations (UTC, two zones, Local)", sp)
	}

	// Order by instant, not by id nor by the wall clock's digits: z2
	// (04:00Z) < z1 (05:00Z) < z3 (06:00Z). (In a store of their own: the
	// times above depend on the machine's clock.)
	zs := memstore.New()
	z1 := time.Date(2027, 6, 1, 10, 30, 0, 0, east)
	z2 := time.Date(2027, 6, 1, 4, 0, 0, 0, time.UTC)
	z3 := time.Date(2027, 5, 31, 23, 0, 0, 0, west)
	for _, z := range []struct {
		id string
		at time.Time
	}{{"z1", z1}, {"z2", z2}, {"z3", z3}} {
		corr := mkCorr(z.id, "zones", z.at, z.at, "e")
		mustInsert(t, zs, mkCmd(z.id, "kz", z.id, store.CommandExecuted, z.at), &corr)
	}
	inUnit(t, zs, func(l store.CommandLog) error {
		recs, err := l.CorrelationsByContext(ctx, "zones", time.Date(2027, 6, 1, 10, 30, 0, 0, east), 10) // 05:00Z
		if d := cmp.Diff([]string{"z1", "z3"}, corrIDs(recs)); err != nil || d != "" {
			t.Errorf("zones since 05:00Z (-want +got):\n%s %v", d, err)
		}
		return err
	})
	var gone []string
	for _, before := range []time.Time{z1, z1.Add(1).In(west), z3.Add(1).In(time.Local)} {
		inUnit(t, zs, func(l store.CommandLog) error {
			n, _, err := l.DeleteExpiredCommands(ctx, before, 10)
			gone = append(gone, fmt.Sprint(n))
			return err
		})
		for _, id := range []string{"z1", "z2", "z3"} {
			if _, found := getCmd(t, zs, id); !found && !slices.Contains(gone, id) {
				gone = append(gone, id)
			}
		}
	}
	if d := cmp.Diff([]string{"1", "z2", "1", "z1", "1", "z3"}, gone); d != "" {
		t.Errorf("deletions by instant (-want +got):\n%s", d)
	}

	// More zones than the table holds: the times past it are kept whole.
	var zones []*time.Location
	inUnit(t, s, func(l store.CommandLog) error {
		for i := range 300 {
			zone := time.FixedZone(fmt.Sprintf("Z%d", i), i*60)
			zones = append(zones, zone)
			at := time.Date(2026, 2, 3, 4, 5, 6, i, zone)
			id := fmt.Sprintf("zone-%03d", i)
			rec := mkCmd(id, "many", id, store.CommandRejected, at)
			rec.Timestamp, rec.ExecutedAt = at, at
			corr := mkCorr(id, "many", at, at, "e")
			if err := l.InsertCommand(ctx, rec, &corr); err != nil {
				return err
			}
		}
		return nil
	})
	for i, zone := range zones {
		got, _ := getCmd(t, s, fmt.Sprintf("zone-%03d", i))
		want := time.Date(2026, 2, 3, 4, 5, 6, i, zone)
		if !sameTime(got.Timestamp, want) || !sameTime(got.ExpiresAt, want) || got.ExecutedAt.Location() != zone {
			t.Fatalf("zone %d: %v, want %v in the same *time.Location", i, got.Timestamp, want)
		}
		corr, _ := getCorr(t, s, fmt.Sprintf("zone-%03d", i))
		if !sameTime(corr.CreatedAt, want) {
			t.Fatalf("zone %d: correlation created %v, want %v", i, corr.CreatedAt, want)
		}
	}
	sp := memstore.CommandLogSpaceOf(s)
	if sp.Locations != 256 || sp.SideTimes <= 7 {
		t.Errorf("space = %+v; want a full location table and the times past it kept whole", sp)
	}
	// Deleting every record forgets every time kept whole.
	inUnit(t, s, func(l store.CommandLog) error {
		if _, _, err := l.DeleteExpiredCommands(ctx, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC).Add(48*time.Hour), store.MaxListLimit); err != nil {
			return err
		}
		_, _, err := l.DeleteExpiredCorrelations(ctx, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC).Add(48*time.Hour), store.MaxListLimit)
		return err
	})
	if sp := memstore.CommandLogSpaceOf(s); sp.SideTimes != 0 || sp.Cmds != 0 || sp.Corrs != 0 {
		t.Errorf("after deleting everything: %+v; want no record and no time kept whole", sp)
	}
}

// TestCommandLogCompletionAndMergeUndo rolls back a completion and a
// merge, checks the records are back as they were (and deletable or not
// as before), that what was read inside the rolled-back unit is intact
// after many later writes, and that nil and empty results read back nil.
func TestCommandLogCompletionAndMergeUndo(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	east := time.FixedZone("E", 3600)
	pending := mkCmd("p", "k", "1", store.CommandPending, clT0)
	corr := mkCorr("p", "orders", clT0, clT0.Add(time.Hour), "e1")
	mustInsert(t, s, pending, &corr)
	mono := time.Now() // for its monotonic reading (see TestCommandLogTimesKeptExactly)
	var inside store.CommandRecord
	var insideCorr store.CorrelationRecord
	boom := errors.New("roll back")
	err := s.Atomic(ctx, func(tx store.Tx) error {
		l := tx.Commands()
		if ok, err := l.CompleteCommand(ctx, "p", store.CommandExecuted, json.RawMessage(`{"v":1}`), mono); !ok || err != nil {
			return fmt.Errorf("complete: %v %v", ok, err)
		}
		if err := l.PutCorrelation(ctx, mkCorr("p", "x", clT0, clT0, "e2", "e1", "e3")); err != nil {
			return err
		}
		var err error
		if inside, _, err = l.GetCommand(ctx, "p"); err != nil {
			return err
		}
		if insideCorr, _, err = l.GetCorrelation(ctx, "p"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	wantInside := pending
	wantInside.Status, wantInside.Result, wantInside.ExecutedAt = store.CommandExecuted, json.RawMessage(`{"v":1}`), mono
	if d := cmp.Diff(wantInside, inside, exactTime); d != "" || !sameTime(inside.ExecutedAt, mono) {
		t.Fatalf("read inside the unit (-want +got):\n%s", d)
	}
	got, _ := getCmd(t, s, "p")
	if d := cmp.Diff(pending, got, exactTime); d != "" || got.Result != nil || !sameTime(got.ExecutedAt, time.Time{}) {
		t.Fatalf("after the rolled-back completion (-want +got):\n%s", d)
	}
	if got, _ := getCorr(t, s, "p"); cmp.Diff(corr, got, exactTime) != "" {
		t.Fatalf("after the rolled-back merge (-want +got):\n%s", cmp.Diff(corr, got, exactTime))
	}
	if sp := memstore.CommandLogSpaceOf(s); sp.SideTimes != 0 {
		t.Fatalf("the rolled-back completion's time is still kept: %+v", sp)
	}
	inUnit(t, s, func(l store.CommandLog) error {
		if n, _, err := l.DeleteExpiredCommands(ctx, clT0.Add(time.Hour), 10); n != 0 || err != nil {
			t.Errorf("a pending record again: deleted %d, %v; want 0", n, err)
		}
		return nil
	})

	// Committed: a completion with an empty result (reads back nil), a
	// merge; then another record completed with a result.
	mustInsert(t, s, mkCmd("q", "k", "2", store.CommandPending, clT0), nil)
	inUnit(t, s, func(l store.CommandLog) error {
		if ok, err := l.CompleteCommand(ctx, "p", store.CommandRejected, json.RawMessage{}, clT0.In(east)); !ok || err != nil {
			return fmt.Errorf("complete p: %v %v", ok, err)
		}
		if ok, err := l.CompleteCommand(ctx, "q", store.CommandExecuted, json.RawMessage(`[2]`), clT0); !ok || err != nil {
			return fmt.Errorf("complete q: %v %v", ok, err)
		}
		return l.PutCorrelation(ctx, mkCorr("p", "x", clT0, clT0, "e4"))
	})
	wantP := pending
	wantP.Status, wantP.ExecutedAt = store.CommandRejected, clT0.In(east)
	if got, _ := getCmd(t, s, "p"); cmp.Diff(wantP, got, exactTime) != "" || got.Result != nil {
		t.Fatalf("p completed with an empty result (-want +got):\n%s", cmp.Diff(wantP, got, exactTime))
	}
	if got, _ := getCmd(t, s, "q"); string(got.Result) != `[2]` || got.Status != store.CommandExecuted {
		t.Fatalf("q = %+v", got)
	}
	wantCorr := corr
	wantCorr.EventIDs = []string{"e1", "e4"}
	if got, _ := getCorr(t, s, "p"); cmp.Diff(wantCorr, got, exactTime) != "" {
		t.Fatalf("merged (-want +got):\n%s", cmp.Diff(wantCorr, got, exactTime))
	}
	// Many later writes, deletions and rollbacks leave what was read intact.
	for i := range 200 {
		id := fmt.Sprintf("w%03d", i)
		c := mkCorr(id, "orders", clT0, clT0, "ev-"+id, "ev2-"+id)
		rec := mkCmd(id, "k", id, store.CommandExecuted, clT0)
		rec.Payload = json.RawMessage(`"` + strings.Repeat("z", 50*i) + `"`)
		if i%3 == 0 {
			_ = s.Atomic(ctx, func(tx store.Tx) error {
				if err := tx.Commands().InsertCommand(ctx, rec, &c); err != nil {
					return err
				}
				return boom
			})
		} else {
			mustInsert(t, s, rec, &c)
		}
	}
	inUnit(t, s, func(l store.CommandLog) error {
		_, _, err := l.DeleteExpiredCorrelations(ctx, clT0.Add(2*time.Hour), store.MaxListLimit)
		return err
	})
	if d := cmp.Diff(wantInside, inside, exactTime); d != "" {
		t.Fatalf("read inside the rolled-back unit, after later writes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"e1", "e2", "e3"}, insideCorr.EventIDs); d != "" {
		t.Fatalf("event ids read inside the rolled-back unit, after later writes (-want +got):\n%s", d)
	}
}

// TestCommandLogInsertKeepsStoredCorrelation inserts a command without a
// correlation record, and with one, where the command's correlation
// record exists already: it is kept (and merged into).
func TestCommandLogInsertKeepsStoredCorrelation(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	a, b := mkCorr("a", "orders", clT0, clT0, "e1"), mkCorr("b", "orders", clT0.Add(1), clT0, "e2")
	inUnit(t, s, func(l store.CommandLog) error {
		if err := l.PutCorrelation(ctx, a); err != nil {
			return err
		}
		return l.PutCorrelation(ctx, b)
	})
	mustInsert(t, s, mkCmd("a", "k", "1", store.CommandPending, clT0), nil)
	other := mkCorr("b", "billing", clT0, clT0, "e3")
	mustInsert(t, s, mkCmd("b", "k", "2", store.CommandPending, clT0), &other)
	if got, found := getCorr(t, s, "a"); !found || cmp.Diff(a, got, exactTime) != "" {
		t.Fatalf("a's correlation after an insert without one: %v %+v", found, got)
	}
	wantB := b
	wantB.EventIDs = []string{"e2", "e3"}
	if got, found := getCorr(t, s, "b"); !found || cmp.Diff(wantB, got, exactTime) != "" {
		t.Fatalf("b's correlation after an insert with one: %v %+v", found, got)
	}
	inUnit(t, s, func(l store.CommandLog) error {
		recs, err := l.CorrelationsByContext(ctx, "orders", time.Time{}, 10)
		if d := cmp.Diff([]string{"a", "b"}, corrIDs(recs)); d != "" {
			t.Errorf("orders (-want +got):\n%s", d)
		}
		return err
	})
}

// clScenario runs a sequence of command log operations on s (many ids,
// shared correlation ids, deletions, rollbacks, re-inserts) and returns a
// transcript of everything observable after each step.
func clScenario(t *testing.T, s *memstore.Store) string {
	ctx := context.Background()
	at := func(i int) time.Time { return clT0.Add(time.Duration(i) * time.Second) }
	var ids []string
	corrs := []string{"k0", "k1", "k2", "k3"}
	contexts := []string{"orders", "billing"}
	var b strings.Builder
	dump := func(step string) {
		b.WriteString("== " + step + "\n" + clDump(t, s, ids, corrs, contexts))
	}
	boom := errors.New("roll back")
	for round := range 3 {
		err := s.Atomic(ctx, func(tx store.Tx) error {
			l := tx.Commands()
			for i := range 12 {
				n := round*12 + i
				id := fmt.Sprintf("c%02d", n)
				if round == 0 {
					ids = append(ids, id)
				}
				status := store.CommandExecuted
				if n%5 == 0 {
					status = store.CommandPending
				}
				rec := mkCmd(id, corrs[n%4], fmt.Sprintf("%03d", 50-n), status, at(n%7))
				corr := mkCorr(id, contexts[n%2], at(n%3), at(n%6), "e"+id)
				var cp *store.CorrelationRecord
				if n%3 != 0 {
					cp = &corr
				}
				if err := l.InsertCommand(ctx, rec, cp); err != nil {
					return err
				}
			}
			if round == 1 {
				return boom
			}
			return nil
		})
		if round == 1 != errors.Is(err, boom) {
			t.Fatalf("round %d: %v", round, err)
		}
		dump(fmt.Sprintf("round %d", round))
	}
	for i := 12; i < 36; i++ {
		ids = append(ids, fmt.Sprintf("c%02d", i))
	}
	dump("all ids")
	inUnit(t, s, func(l store.CommandLog) error {
		if _, _, err := l.DeleteExpiredCommands(ctx, at(3), 7); err != nil {
			return err
		}
		if _, err := l.CompleteCommand(ctx, "c00", store.CommandFailed, json.RawMessage(`1`), at(1)); err != nil {
			return err
		}
		if err := l.PutCorrelation(ctx, mkCorr("c03", "billing", at(0), at(9), "x", "y")); err != nil {
			return err
		}
		_, _, err := l.DeleteExpiredCorrelations(ctx, at(2), 9)
		return err
	})
	dump("deleted")
	inUnit(t, s, func(l store.CommandLog) error {
		for _, id := range ids {
			if _, found, _ := l.GetCommand(ctx, id); !found {
				corr := mkCorr(id, "orders", at(4), at(8), "again")
				if err := l.InsertCommand(ctx, mkCmd(id, "k3", "r-"+id, store.CommandExecuted, at(8)), &corr); err != nil {
					return err
				}
			}
		}
		return nil
	})
	dump("re-inserted")
	return b.String()
}

// TestCommandLogHashCollisions runs the same scenario with the id and
// correlation indexes hashing normally and with every string forced onto
// one hash: everything observable is the same, and the indexes hold one
// entry per id and correlation id.
func TestCommandLogHashCollisions(t *testing.T) {
	normal := memstore.New()
	want := clScenario(t, normal)
	collide := memstore.New()
	memstore.SetCommandLogHashMask(collide, 0)
	if got := clScenario(t, collide); got != want {
		t.Fatalf("with colliding hashes:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(want, "CorrelationCursor:r-c12 Status:executed") || !strings.Contains(want, "Status:failed Result:[49]") ||
		!strings.Contains(want, "corr c03 true {CommandID:c03 EventIDs:[x y]") || !strings.Contains(want, "cmd c22 false") {
		t.Fatalf("the scenario does not do what it should:\n%s", want)
	}
	for _, s := range []*memstore.Store{normal, collide} {
		sp := memstore.CommandLogSpaceOf(s)
		if sp.Cmds != 36 || sp.IDs != 36 || sp.ByCorr+sp.Unfiled < 4 {
			t.Errorf("space = %+v; want 36 records and 36 ids", sp)
		}
	}
}

// TestCommandLogManyRecordsReuseSpace writes thousands of records across
// record-array and byte-chunk boundaries (payloads of every size up to
// past a chunk of their own), deletes most, writes again and deletes all,
// checking every record and listing against a model, that records read
// early stay intact, and that deleted records' space is reused and given
// back.
func TestCommandLogManyRecordsReuseSpace(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := func(i int) time.Time { return clT0.Add(time.Duration(i) * time.Millisecond) }
	want := map[string]store.CommandRecord{}
	wantCorr := map[string]store.CorrelationRecord{}
	var early []store.CommandRecord
	var earlyCorr []store.CorrelationRecord
	next := 0
	write := func(n int) {
		for i := 0; i < n; i += 100 {
			inUnit(t, s, func(l store.CommandLog) error {
				for range 100 {
					id := fmt.Sprintf("cmd-%05d", next)
					rec := mkCmd(id, fmt.Sprintf("k%02d", next%50), id, store.CommandExecuted, at(next))
					rec.Payload = json.RawMessage(`"` + strings.Repeat(string(rune('a'+next%26)), (next*37)%9000) + `"`)
					rec.UserID, rec.CausationID = "u-"+id, "c-"+id
					corr := mkCorr(id, fmt.Sprintf("bc%d", next%3), at(next), at(next), "ev-"+id, "ev2-"+id)
					var cp *store.CorrelationRecord
					if next%4 != 0 {
						cp = &corr
						wantCorr[id] = corr
					}
					if err := l.InsertCommand(ctx, rec, cp); err != nil {
						return err
					}
					if cp != nil && next%7 == 2 { // a merge replaces the event ids
						if err := l.PutCorrelation(ctx, mkCorr(id, "x", clT0, clT0, "ev3-"+id, "ev-"+id)); err != nil {
							return err
						}
						corr.EventIDs = append(corr.EventIDs, "ev3-"+id)
						wantCorr[id] = corr
					}
					want[id] = rec
					next++
				}
				return nil
			})
		}
	}
	check := func(step string) {
		t.Helper()
		for id, rec := range want {
			got, found := getCmd(t, s, id)
			if !found || !sameCmd(rec, got) {
				t.Fatalf("%s: %s found=%v (-want +got):\n%s", step, id, found, cmp.Diff(rec, got, exactTime))
			}
			c, found := getCorr(t, s, id)
			wc, ok := wantCorr[id]
			if found != ok || ok && !sameCorr(wc, c) {
				t.Fatalf("%s: correlation %s found=%v, want %v (-want +got):\n%s", step, id, found, ok, cmp.Diff(wc, c, exactTime))
			}
		}
		for i, rec := range early {
			if w, ok := want[rec.CommandID]; ok && !sameCmd(w, rec) {
				t.Fatalf("%s: %s, read early, changed (-want +got):\n%s", step, rec.CommandID, cmp.Diff(w, rec, exactTime))
			}
			if got := earlyCorr[i]; got.CommandID != rec.CommandID || !slices.Equal(got.EventIDs, []string{"ev-" + rec.CommandID, "ev2-" + rec.CommandID}) {
				t.Fatalf("%s: correlation %s, read early, changed: %+v", step, rec.CommandID, got)
			}
		}
		// Two correlation ids' listings against the model.
		for _, k := range []string{"k07", "k49"} {
			var ids []string
			for id, rec := range want {
				if rec.CorrelationID == k {
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			var got []string
			inUnit(t, s, func(l store.CommandLog) error {
				recs, err := l.CommandsByCorrelation(ctx, k, "", store.MaxListLimit)
				got = cmdIDs(recs)
				return err
			})
			if d := cmp.Diff(ids, got); ids != nil && d != "" {
				t.Fatalf("%s: by correlation %s (-want +got):\n%s", step, k, d)
			}
		}
	}
	write(3000)
	for _, id := range []string{"cmd-00001", "cmd-01023", "cmd-01025", "cmd-02999"} {
		rec, _ := getCmd(t, s, id)
		c, _ := getCorr(t, s, id)
		early, earlyCorr = append(early, rec), append(earlyCorr, c)
	}
	check("written")
	full := memstore.CommandLogSpaceOf(s)
	if full.Cmds != 3000 || full.Corrs != 2250 || full.CmdSlots != 3000 {
		t.Fatalf("space after 3000 inserts: %+v", full)
	}
	del := func(before time.Time) {
		for more := true; more; {
			inUnit(t, s, func(l store.CommandLog) (err error) {
				_, more, err = l.DeleteExpiredCommands(ctx, before, 333)
				if err != nil {
					return err
				}
				var moreCorr bool
				_, moreCorr, err = l.DeleteExpiredCorrelations(ctx, before, 333)
				more = more || moreCorr
				return err
			})
		}
		for id, rec := range want {
			if rec.ExpiresAt.Before(before) {
				delete(want, id)
				delete(wantCorr, id)
			}
		}
	}
	del(at(2500))
	check("deleted 2500")
	sp := memstore.CommandLogSpaceOf(s)
	if sp.Cmds != 500 || sp.Corrs != 375 || sp.Chunks >= full.Chunks/2 || sp.IDs != 500 {
		t.Fatalf("space after deleting 2500 of 3000: %+v (full: %+v)", sp, full)
	}
	write(2000)
	check("written again")
	if sp := memstore.CommandLogSpaceOf(s); sp.Cmds != 2500 || sp.CmdSlots != 3000 {
		t.Fatalf("space after writing 2000 more: %+v; want the deleted records' space reused", sp)
	}
	del(at(next))
	check("deleted all")
	if sp := memstore.CommandLogSpaceOf(s); sp != (memstore.CommandLogSpace{CmdSlots: 3000, Chunks: sp.Chunks, Locations: sp.Locations}) || sp.Chunks > 1 {
		t.Fatalf("space after deleting everything: %+v", sp)
	}
}

// TestCommandLogRolledBackReadsStayIntact reads records inside units of
// work that roll back, of sizes around the byte chunks' (so that some are
// alone in the chunk being filled), writes records of the same sizes
// after them, and checks what was read is unchanged: the space of a
// rolled-back record is never written again.
func TestCommandLogRolledBackReadsStayIntact(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	boom := errors.New("roll back")
	type read struct {
		rec  store.CommandRecord
		corr store.CorrelationRecord
	}
	var reads []read
	for i, n := range []int{100, 900, 1500, 1500, 3000, 3000, 5000, 8000, 8000, 12000, 100} {
		id := fmt.Sprintf("ghost-%02d", i)
		ghost := mkCmd(id, "k", id, store.CommandExecuted, clT0)
		ghost.Payload = json.RawMessage(`"` + strings.Repeat("g", n) + `"`)
		corr := mkCorr(id, "orders", clT0, clT0, "gev-"+id)
		err := s.Atomic(ctx, func(tx store.Tx) error {
			l := tx.Commands()
			if err := l.InsertCommand(ctx, ghost, &corr); err != nil {
				return err
			}
			rec, _, err := l.GetCommand(ctx, id)
			if err != nil {
				return err
			}
			c, _, err := l.GetCorrelation(ctx, id)
			if err != nil {
				return err
			}
			reads = append(reads, read{rec, c})
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		real := mkCmd(fmt.Sprintf("real-%02d", i), "k", "r", store.CommandExecuted, clT0)
		real.Payload = json.RawMessage(`"` + strings.Repeat("r", n) + `"`)
		realCorr := mkCorr(real.CommandID, "orders", clT0, clT0, "rev-"+id)
		mustInsert(t, s, real, &realCorr)
		for _, r := range reads {
			gid := r.rec.CommandID
			if r.rec.CorrelationCursor != gid || strings.Trim(string(r.rec.Payload), `"g`) != "" ||
				!slices.Equal(r.corr.EventIDs, []string{"gev-" + gid}) || r.corr.BoundedContext != "orders" {
				t.Fatalf("after writing %s: %s, read before its rollback, changed: %+v %+v", real.CommandID, gid, r.rec, r.corr)
			}
		}
	}
}
