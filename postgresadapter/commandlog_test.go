package postgresadapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/store"
)

// clT0 is the command log tests' base time, with nanoseconds.
var clT0 = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

// cmdRec is a pending command record of correlation corrID accepted at ts.
func cmdRec(id, corrID string, ts time.Time) store.CommandRecord {
	return store.CommandRecord{
		CommandID: id, CommandType: "PlaceOrder", TargetContext: "orders", Payload: json.RawMessage(`{"n":1}`),
		CorrelationID: corrID, Timestamp: ts, CorrelationCursor: fmt.Sprintf("%016d:%s", ts.UnixMilli(), id),
		Status: store.CommandPending, TTL: time.Hour, ExpiresAt: ts.Add(time.Hour),
	}
}

// corrRec is a correlation record of context bc created at at.
func corrRec(id, bc string, at time.Time, eventIDs ...string) store.CorrelationRecord {
	return store.CorrelationRecord{CommandID: id, EventIDs: eventIDs, CommandType: "PlaceOrder", BoundedContext: bc,
		CreatedAt: at, TTL: time.Hour, ExpiresAt: at.Add(time.Hour)}
}

// openCommandLog opens the adapter on a fresh schema.
func openCommandLog(t *testing.T) (*postgresadapter.Store, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t)
	return db.Open(t, postgresadapter.Options{Clock: es.NewVirtualClock(time.Time{}), IDs: es.NewSequentialIDs()}), db
}

// inUnit runs fn in a unit of work and fails the test when it fails.
func inUnit(t *testing.T, s store.Store, fn func(ctx context.Context, cl store.CommandLog) error) {
	t.Helper()
	ctx := ctxT(t)
	if err := s.Atomic(ctx, func(tx store.Tx) error { return fn(ctx, tx.Commands()) }); err != nil {
		t.Fatalf("unit of work: %v", err)
	}
}

func getCommand(t *testing.T, s store.Store, id string) (store.CommandRecord, bool) {
	t.Helper()
	var rec store.CommandRecord
	var found bool
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) (err error) {
		rec, found, err = cl.GetCommand(ctx, id)
		return err
	})
	return rec, found
}

func getCorrelation(t *testing.T, s store.Store, id string) (store.CorrelationRecord, bool) {
	t.Helper()
	var rec store.CorrelationRecord
	var found bool
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) (err error) {
		rec, found, err = cl.GetCorrelation(ctx, id)
		return err
	})
	return rec, found
}

func wantCommandExists(t *testing.T, what string, err error, id string) {
	t.Helper()
	wantCode(t, what, err, es.CodeVersionConflict)
	var vc *es.VersionConflictError
	if !errors.As(err, &vc) || vc.Collection != store.CommandsCollection || vc.Key != id {
		t.Fatalf("%s: got %#v, want store.CommandExists(%q)", what, err, id)
	}
}

// Every field of both records reads back as written, within the unit and
// after it: nanosecond times (in any location, read back as the same
// instant), nil and empty results as nil, empty event ids as a non-nil
// empty slice, zero times as zero.
func TestCommandLogRoundTrip(t *testing.T) {
	s, db := openCommandLog(t)
	paris := time.FixedZone("CET", 3600)
	full := store.CommandRecord{
		CommandID: "cmd-1", CommandType: "PlaceOrder", TargetContext: "orders",
		Payload: json.RawMessage(`{ "b":1,  "a" : [true, null] }`), UserID: "user-7", CorrelationID: "corr-1",
		CausationID: "cause-3", Timestamp: clT0.In(paris), CorrelationCursor: "0001772600767123:cmd-1",
		Status: store.CommandExecuted, Result: json.RawMessage(`{"ok": true}`), ExecutedAt: clT0.Add(987654321 * time.Nanosecond),
		TTL: 7*24*time.Hour + 1, ExpiresAt: clT0.Add(7*24*time.Hour + 1),
	}
	emptyResult := cmdRec("cmd-2", "corr-1", clT0)
	emptyResult.Status, emptyResult.Result, emptyResult.ExecutedAt = store.CommandRejected, json.RawMessage{}, clT0
	zeroTimes := cmdRec("cmd-3", "corr-1", time.Time{})
	zeroTimes.ExpiresAt, zeroTimes.TTL = time.Time{}, 0
	pending := cmdRec("cmd-4", "corr-2", clT0)
	corrFull := corrRec("cmd-1", "orders", clT0.In(paris), "ev-3", "ev-1", "ev-2")
	corrFull.TTL, corrFull.ExpiresAt = 5*time.Nanosecond, clT0.Add(5)
	corrNil := store.CorrelationRecord{CommandID: "cmd-2"}
	corrEmpty := corrRec("cmd-3", "billing", clT0)
	corrEmpty.EventIDs = []string{}

	wantCmd := func(r store.CommandRecord) store.CommandRecord {
		if len(r.Result) == 0 {
			r.Result = nil
		}
		return r
	}
	wantCorr := func(c store.CorrelationRecord) store.CorrelationRecord {
		if c.EventIDs == nil {
			c.EventIDs = []string{}
		}
		return c
	}
	check := func(ctx context.Context, cl store.CommandLog) error {
		for _, r := range []store.CommandRecord{full, emptyResult, zeroTimes, pending} {
			got, found, err := cl.GetCommand(ctx, r.CommandID)
			if err != nil || !found {
				return fmt.Errorf("GetCommand(%s) = %v, %v", r.CommandID, found, err)
			}
			if d := cmp.Diff(wantCmd(r), got); d != "" {
				t.Errorf("command %s read back differs (-want +got):\n%s", r.CommandID, d)
			}
			if got.Payload == nil || (got.Result != nil && len(got.Result) == 0) {
				t.Errorf("command %s: payload %v, result %v", r.CommandID, got.Payload, got.Result)
			}
		}
		for _, c := range []store.CorrelationRecord{corrFull, corrNil, corrEmpty} {
			got, found, err := cl.GetCorrelation(ctx, c.CommandID)
			if err != nil || !found {
				return fmt.Errorf("GetCorrelation(%s) = %v, %v", c.CommandID, found, err)
			}
			if d := cmp.Diff(wantCorr(c), got); d != "" {
				t.Errorf("correlation %s read back differs (-want +got):\n%s", c.CommandID, d)
			}
			if got.EventIDs == nil {
				t.Errorf("correlation %s: EventIDs read back nil", c.CommandID)
			}
		}
		if _, found, err := cl.GetCommand(ctx, "nope"); err != nil || found {
			return fmt.Errorf("GetCommand(nope) = %v, %v", found, err)
		}
		if _, found, err := cl.GetCorrelation(ctx, "cmd-4"); err != nil || found {
			return fmt.Errorf("GetCorrelation(cmd-4) = %v, %v", found, err)
		}
		return nil
	}
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		if err := cl.InsertCommand(ctx, full, &corrFull); err != nil {
			return err
		}
		if err := cl.InsertCommand(ctx, emptyResult, nil); err != nil {
			return err
		}
		if err := cl.PutCorrelation(ctx, corrNil); err != nil {
			return err
		}
		if err := cl.InsertCommand(ctx, zeroTimes, &corrEmpty); err != nil {
			return err
		}
		if err := cl.InsertCommand(ctx, pending, nil); err != nil {
			return err
		}
		return check(ctx, cl) // inside the unit that wrote them
	})
	inUnit(t, s, check) // after the commit
	var emptyStored int
	if err := db.Pool.QueryRow(ctxT(t), `SELECT count(*) FROM `+qi(db.Schema)+`.commands WHERE result = '\x'`).Scan(&emptyStored); err != nil || emptyStored != 0 {
		t.Fatalf("%d empty results stored, want them stored as NULL (%v)", emptyStored, err)
	}
}

// countingTracer counts the round trips of a pool: every query and every
// batch (the lazy BEGIN travels in a batch with the first write).
type countingTracer struct{ n atomic.Int64 }

func (c *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *countingTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *countingTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *countingTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// Every method is one round trip, InsertCommand with a correlation record
// included (the record is inserted, or merged into an existing one, by
// the same statement).
func TestCommandLogOneRoundTripPerMethod(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	cfg, err := pgxpool.ParseConfig(db.ConnConfigDSN())
	if err != nil {
		t.Fatal(err)
	}
	tr := &countingTracer{}
	cfg.ConnConfig.Tracer = tr
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := postgresadapter.Open(ctx, pool, postgresadapter.Options{Schema: db.Schema, Clock: es.NewVirtualClock(time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	one := func(what string, op func() error) {
		t.Helper()
		before := tr.n.Load()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n := tr.n.Load() - before; n != 1 {
			t.Errorf("%s took %d round trips, want 1", what, n)
		}
	}
	done := cmdRec("c1", "k", clT0)
	done.Status, done.Result, done.ExecutedAt = store.CommandExecuted, json.RawMessage(`1`), clT0
	stored := corrRec("c2", "orders", clT0, "e1", "e2")
	err = s.Atomic(ctx, func(tx store.Tx) error {
		cl := tx.Commands()
		one("GetCommand (before any write)", func() error { _, _, err := cl.GetCommand(ctx, "c1"); return err })
		one("InsertCommand with a new correlation (the unit's first write)", func() error {
			c := corrRec("c1", "orders", clT0, "e0")
			return cl.InsertCommand(ctx, done, &c)
		})
		one("PutCorrelation", func() error { return cl.PutCorrelation(ctx, stored) })
		one("InsertCommand merging into an existing correlation", func() error {
			c := corrRec("c2", "other", clT0.Add(time.Minute), "e2", "e3")
			return cl.InsertCommand(ctx, cmdRec("c2", "k", clT0), &c)
		})
		one("InsertCommand", func() error { return cl.InsertCommand(ctx, cmdRec("c3", "k", clT0), nil) })
		one("duplicate InsertCommand with a correlation", func() error {
			c := corrRec("c3", "orders", clT0, "x")
			if err := cl.InsertCommand(ctx, cmdRec("c3", "k", clT0), &c); es.CodeOf(err) != es.CodeVersionConflict {
				return fmt.Errorf("got %v, want VERSION_CONFLICT", err)
			}
			return nil
		})
		one("CompleteCommand", func() error { _, err := cl.CompleteCommand(ctx, "c3", store.CommandFailed, nil, clT0); return err })
		one("GetCorrelation", func() error { _, _, err := cl.GetCorrelation(ctx, "c2"); return err })
		one("CommandsByCorrelation", func() error { _, err := cl.CommandsByCorrelation(ctx, "k", "", 10); return err })
		one("CorrelationsByContext", func() error { _, err := cl.CorrelationsByContext(ctx, "orders", time.Time{}, 10); return err })
		one("DeleteExpiredCommands", func() error { _, _, err := cl.DeleteExpiredCommands(ctx, clT0, 10); return err })
		one("DeleteExpiredCorrelations", func() error { _, _, err := cl.DeleteExpiredCorrelations(ctx, clT0, 10); return err })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := getCorrelation(t, s, "c2")
	want := stored
	want.EventIDs = []string{"e1", "e2", "e3"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("correlation merged by InsertCommand (-want +got):\n%s", d)
	}
	if _, found := getCorrelation(t, s, "c3"); found {
		t.Fatalf("the duplicate insert wrote its correlation record")
	}
	if got, _ := getCorrelation(t, s, "c1"); !slices.Equal(got.EventIDs, []string{"e0"}) {
		t.Fatalf("correlation c1 = %+v", got)
	}
}

// A duplicate insert writes nothing — neither the command nor its
// correlation — and leaves the unit of work usable: later statements run
// and the unit commits.
func TestCommandLogDuplicateInsertKeepsTheUnitUsable(t *testing.T) {
	s, _ := openCommandLog(t)
	first := cmdRec("dup", "k", clT0)
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error { return cl.InsertCommand(ctx, first, nil) })
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		again := cmdRec("dup", "other", clT0.Add(time.Hour))
		again.Status, again.ExecutedAt = store.CommandExecuted, clT0
		c := corrRec("dup", "orders", clT0, "e1")
		wantCommandExists(t, "insert of a taken id", cl.InsertCommand(ctx, again, &c), "dup")
		wantCommandExists(t, "insert of a taken id without correlation", cl.InsertCommand(ctx, again, nil), "dup")
		// The unit goes on: a write and a read in it succeed.
		if err := cl.InsertCommand(ctx, cmdRec("next", "k", clT0), nil); err != nil {
			return err
		}
		if _, found, err := cl.GetCommand(ctx, "next"); err != nil || !found {
			return fmt.Errorf("GetCommand(next) after a duplicate: %v, %v", found, err)
		}
		// Within the unit, an id it inserted itself is taken too.
		wantCommandExists(t, "insert of an id this unit inserted", cl.InsertCommand(ctx, cmdRec("next", "k", clT0), nil), "next")
		return nil
	})
	if got, _ := getCommand(t, s, "dup"); !cmp.Equal(got, first) {
		t.Fatalf("the duplicate insert changed the record: %s", cmp.Diff(first, got))
	}
	if _, found := getCorrelation(t, s, "dup"); found {
		t.Fatalf("the duplicate insert wrote its correlation record")
	}
	if _, found := getCommand(t, s, "next"); !found {
		t.Fatalf("the unit that met a duplicate did not commit its other write")
	}
}

// PutCorrelation creates a record, then appends only the event ids the
// stored record lacks, in the given order, keeping every other field.
func TestCommandLogPutCorrelationMerges(t *testing.T) {
	s, _ := openCommandLog(t)
	orig := corrRec("c", "orders", clT0, "a", "b", "c")
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error { return cl.PutCorrelation(ctx, orig) })
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		other := corrRec("c", "billing", clT0.Add(time.Hour), "e", "b", "d", "a", "f")
		other.CommandType, other.TTL = "Other", time.Minute
		if err := cl.PutCorrelation(ctx, other); err != nil {
			return err
		}
		// Nothing new; nil event ids.
		if err := cl.PutCorrelation(ctx, corrRec("c", "x", clT0, "f", "a")); err != nil {
			return err
		}
		return cl.PutCorrelation(ctx, corrRec("c", "x", clT0))
	})
	want := orig
	want.EventIDs = []string{"a", "b", "c", "e", "d", "f"}
	got, _ := getCorrelation(t, s, "c")
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("merged correlation (-want +got):\n%s", d)
	}
	// A new record with nil event ids, then a merge into it.
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		if err := cl.PutCorrelation(ctx, corrRec("n", "orders", clT0)); err != nil {
			return err
		}
		return cl.PutCorrelation(ctx, corrRec("n", "orders", clT0, "z", "y"))
	})
	if got, _ := getCorrelation(t, s, "n"); !slices.Equal(got.EventIDs, []string{"z", "y"}) {
		t.Fatalf("merge into an empty record: %q", got.EventIDs)
	}
}

// CompleteCommand completes a pending command once; later completions and
// unknown commands report false and write nothing.
func TestCommandLogCompleteCommand(t *testing.T) {
	s, _ := openCommandLog(t)
	rec := cmdRec("c", "k", clT0)
	at := clT0.Add(1500 * time.Millisecond).Add(7)
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		if err := cl.InsertCommand(ctx, rec, nil); err != nil {
			return err
		}
		for _, c := range []struct {
			id, status string
			result     json.RawMessage
			want       bool
		}{
			{"c", store.CommandRejected, json.RawMessage(`{"code":"NO"}`), true},
			{"c", store.CommandExecuted, nil, false},
			{"unknown", store.CommandExecuted, nil, false},
		} {
			ok, err := cl.CompleteCommand(ctx, c.id, c.status, c.result, at.Add(time.Hour))
			if err != nil || ok != c.want {
				return fmt.Errorf("CompleteCommand(%s, %s) = %v, %v; want %v", c.id, c.status, ok, err, c.want)
			}
			at = at.Add(-time.Hour)
		}
		return nil
	})
	want := rec
	want.Status, want.Result, want.ExecutedAt = store.CommandRejected, json.RawMessage(`{"code":"NO"}`), clT0.Add(1500*time.Millisecond).Add(7).Add(time.Hour)
	if got, _ := getCommand(t, s, "c"); !cmp.Equal(want, got) {
		t.Fatalf("completed record (-want +got):\n%s", cmp.Diff(want, got))
	}
	// An empty result completes with none.
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		if err := cl.InsertCommand(ctx, cmdRec("d", "k", clT0), nil); err != nil {
			return err
		}
		ok, err := cl.CompleteCommand(ctx, "d", store.CommandFailed, json.RawMessage{}, clT0)
		if !ok || err != nil {
			return fmt.Errorf("CompleteCommand(d) = %v, %v", ok, err)
		}
		return nil
	})
	if got, _ := getCommand(t, s, "d"); got.Result != nil || got.Status != store.CommandFailed || !got.ExecutedAt.Equal(clT0) {
		t.Fatalf("record d = %+v", got)
	}
}

// CommandsByCorrelation pages through one correlation's commands in byte
// order of their cursors (not the database's locale order), strictly
// after the cursor given.
func TestCommandLogCommandsByCorrelation(t *testing.T) {
	s, _ := openCommandLog(t)
	// Byte order: "B" < "_" < "a" < "b" < "é".
	cursors := []string{"a", "é", "B", "_", "b"}
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		for i, c := range cursors {
			r := cmdRec(fmt.Sprintf("c%d", i), "k", clT0)
			r.CorrelationCursor = c
			if err := cl.InsertCommand(ctx, r, nil); err != nil {
				return err
			}
			o := cmdRec(fmt.Sprintf("o%d", i), "other", clT0)
			o.CorrelationCursor = c
			if err := cl.InsertCommand(ctx, o, nil); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(after string, limit int) []string {
		t.Helper()
		var out []string
		inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
			recs, err := cl.CommandsByCorrelation(ctx, "k", after, limit)
			for _, r := range recs {
				if r.CorrelationID != "k" {
					t.Errorf("listed %s of correlation %s", r.CommandID, r.CorrelationID)
				}
				out = append(out, r.CorrelationCursor)
			}
			return err
		})
		return out
	}
	var all []string
	for after := ""; ; {
		page := list(after, 2)
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("page of %d, limit 2", len(page))
		}
		all = append(all, page...)
		after = page[len(page)-1]
	}
	if want := []string{"B", "_", "a", "b", "é"}; !slices.Equal(all, want) {
		t.Fatalf("paged cursors %q, want %q", all, want)
	}
	for _, c := range []struct {
		after string
		want  []string
	}{
		{"a", []string{"b", "é"}},
		{"aa", []string{"b", "é"}},
		{"\U0010FFFF", nil},
	} {
		if got := list(c.after, 10); !slices.Equal(got, c.want) {
			t.Errorf("after %q: %q, want %q", c.after, got, c.want)
		}
	}
	if got := list("", 1); !slices.Equal(got, []string{"B"}) {
		t.Errorf("limit 1: %q", got)
	}
	// A cursor PostgreSQL text cannot hold is bad input (store.ValidateCommandsByCorrelation).
	err := s.Atomic(context.Background(), func(tx store.Tx) error {
		_, err := tx.Commands().CommandsByCorrelation(context.Background(), "k", "a\x00zz", 10)
		return err
	})
	if es.CodeOf(err) != es.CodeInvalidArgument {
		t.Errorf("cursor with a NUL: %v, want INVALID_ARGUMENT", err)
	}
}

// CorrelationsByContext lists one context's records created at or after
// since, in (CreatedAt, CommandID) byte order, at most limit.
func TestCommandLogCorrelationsByContext(t *testing.T) {
	s, _ := openCommandLog(t)
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		for _, c := range []store.CorrelationRecord{
			corrRec("b", "orders", clT0.Add(2)), corrRec("a", "orders", clT0.Add(2)), corrRec("Z", "orders", clT0.Add(2)),
			corrRec("late", "orders", clT0.Add(time.Hour)), corrRec("early", "orders", clT0),
			{CommandID: "zero", BoundedContext: "orders"}, corrRec("x", "billing", clT0.Add(2)), corrRec("none", "", clT0),
		} {
			if err := cl.PutCorrelation(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(bc string, since time.Time, limit int) []string {
		t.Helper()
		var out []string
		inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
			recs, err := cl.CorrelationsByContext(ctx, bc, since, limit)
			for _, r := range recs {
				out = append(out, r.CommandID)
			}
			return err
		})
		return out
	}
	for _, c := range []struct {
		bc    string
		since time.Time
		limit int
		want  []string
	}{
		{"orders", time.Time{}, 100, []string{"zero", "early", "Z", "a", "b", "late"}},
		{"orders", clT0.Add(-time.Hour), 100, []string{"early", "Z", "a", "b", "late"}},
		{"orders", clT0.Add(2), 100, []string{"Z", "a", "b", "late"}},
		{"orders", clT0.Add(3), 100, []string{"late"}},
		{"orders", clT0.Add(2), 2, []string{"Z", "a"}},
		{"orders", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 100, nil},
		{"orders", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), 100, []string{"early", "Z", "a", "b", "late"}},
		{"billing", time.Time{}, 100, []string{"x"}},
		{"", time.Time{}, 100, []string{"none"}},
		{"nowhere", time.Time{}, 100, nil},
	} {
		if got := list(c.bc, c.since, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("CorrelationsByContext(%q, %s, %d) = %q, want %q", c.bc, c.since, c.limit, got, c.want)
		}
	}
}

// The deletions remove, in (ExpiresAt, CommandID) order, at most limit
// records expired strictly before the bound, say whether more remain, and
// never delete a pending command.
func TestCommandLogDeleteExpired(t *testing.T) {
	s, db := openCommandLog(t)
	type exp struct {
		id     string
		at     time.Duration // expiry after clT0
		status string
	}
	cmds := []exp{
		{"p1", -3 * time.Hour, store.CommandPending}, {"e2", -2 * time.Hour, store.CommandExecuted},
		{"e1", -2 * time.Hour, store.CommandRejected}, {"p2", -time.Hour, store.CommandPending},
		{"E3", -2 * time.Hour, store.CommandFailed}, {"e4", -time.Minute, store.CommandExecuted},
		{"now", 0, store.CommandExecuted}, {"later", time.Hour, store.CommandExecuted},
	}
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		for _, c := range cmds {
			r := cmdRec(c.id, "k", clT0)
			r.ExpiresAt, r.Status = clT0.Add(c.at), c.status
			if c.status != store.CommandPending {
				r.ExecutedAt = clT0
			}
			if err := cl.InsertCommand(ctx, r, nil); err != nil {
				return err
			}
			cr := corrRec(c.id, "orders", clT0)
			cr.ExpiresAt = clT0.Add(c.at)
			if err := cl.PutCorrelation(ctx, cr); err != nil {
				return err
			}
		}
		z := cmdRec("zero", "k", clT0) // the zero expiry is before every bound
		z.ExpiresAt, z.Status = time.Time{}, store.CommandExecuted
		return cl.InsertCommand(ctx, z, nil)
	})
	remaining := func(table string) []string {
		t.Helper()
		rows, err := db.Pool.Query(ctxT(t), `SELECT command_id FROM `+qi(db.Schema)+`.`+table+` ORDER BY command_id COLLATE "C"`)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	del := func(cmds bool, limit int, wantN int, wantMore bool) {
		t.Helper()
		inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
			var n int
			var more bool
			var err error
			if cmds {
				n, more, err = cl.DeleteExpiredCommands(ctx, clT0, limit)
			} else {
				n, more, err = cl.DeleteExpiredCorrelations(ctx, clT0, limit)
			}
			if err == nil && (n != wantN || more != wantMore) {
				t.Errorf("delete (commands %v, limit %d) = %d, %v; want %d, %v", cmds, limit, n, more, wantN, wantMore)
			}
			return err
		})
	}
	// Deletable commands in order: zero, E3, e1, e2, e4.
	del(true, 2, 2, true)
	if got, want := remaining("commands"), []string{"e1", "e2", "e4", "later", "now", "p1", "p2"}; !slices.Equal(got, want) {
		t.Fatalf("after deleting 2 commands: %q, want %q", got, want)
	}
	del(true, 1, 1, true)
	if got, want := remaining("commands"), []string{"e2", "e4", "later", "now", "p1", "p2"}; !slices.Equal(got, want) {
		t.Fatalf("after deleting 1 more: %q, want %q", got, want)
	}
	del(true, 2, 2, false)
	del(true, 10, 0, false)
	if got, want := remaining("commands"), []string{"later", "now", "p1", "p2"}; !slices.Equal(got, want) {
		t.Fatalf("after deleting all: %q, want %q (pending ones and unexpired ones stay)", got, want)
	}
	// Correlations in order: p1, E3, e1, e2, p2, e4 (pending does not matter).
	del(false, 3, 3, true)
	if got, want := remaining("command_event_correlations"), []string{"e2", "e4", "later", "now", "p2"}; !slices.Equal(got, want) {
		t.Fatalf("after deleting 3 correlations: %q, want %q", got, want)
	}
	del(false, 3, 3, false)
	del(false, 3, 0, false)
	if got, want := remaining("command_event_correlations"), []string{"later", "now"}; !slices.Equal(got, want) {
		t.Fatalf("after deleting all correlations: %q, want %q", got, want)
	}
}

// What a rolled-back unit wrote to the command log is gone.
func TestCommandLogRollbackLeavesNothing(t *testing.T) {
	s, _ := openCommandLog(t)
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		if err := cl.InsertCommand(ctx, cmdRec("kept", "k", clT0), nil); err != nil {
			return err
		}
		return cl.PutCorrelation(ctx, corrRec("kept", "orders", clT0, "e1"))
	})
	boom := errors.New("boom")
	err := s.Atomic(ctxT(t), func(tx store.Tx) error {
		ctx, cl := ctxT(t), tx.Commands()
		c := corrRec("gone", "orders", clT0, "e1")
		if err := cl.InsertCommand(ctx, cmdRec("gone", "k", clT0), &c); err != nil {
			return err
		}
		if ok, err := cl.CompleteCommand(ctx, "kept", store.CommandExecuted, json.RawMessage(`1`), clT0); !ok || err != nil {
			return fmt.Errorf("complete: %v %v", ok, err)
		}
		if err := cl.PutCorrelation(ctx, corrRec("kept", "orders", clT0, "e2")); err != nil {
			return err
		}
		if n, _, err := cl.DeleteExpiredCorrelations(ctx, clT0.Add(100*time.Hour), 10); n != 2 || err != nil {
			return fmt.Errorf("delete: %d %v", n, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Atomic = %v, want boom", err)
	}
	if _, found := getCommand(t, s, "gone"); found {
		t.Fatal("a rolled-back command insert is visible")
	}
	if _, found := getCorrelation(t, s, "gone"); found {
		t.Fatal("a rolled-back correlation insert is visible")
	}
	if got, _ := getCommand(t, s, "kept"); got.Status != store.CommandPending || got.Result != nil {
		t.Fatalf("a rolled-back completion is visible: %+v", got)
	}
	if got, found := getCorrelation(t, s, "kept"); !found || !slices.Equal(got.EventIDs, []string{"e1"}) {
		t.Fatalf("rolled-back merge or deletion is visible: %+v, %v", got, found)
	}
}

// Two units inserting the same command id: exactly one commits the row,
// the other gets store.CommandExists — both when the second insert waits
// for the first unit (which then commits) and when the units race freely.
// When the first unit rolls back instead, the waiting insert succeeds.
func TestCommandLogConcurrentInsert(t *testing.T) {
	s, db := openCommandLog(t)
	ctx := ctxT(t)
	// waitBlocked returns once a backend waits for a lock on this schema's
	// commands table (the second insert, queued behind the first unit).
	waitBlocked := func() {
		t.Helper()
		for {
			var n int
			if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%'`,
				qi(db.Schema)+".commands").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				return
			}
		}
	}
	for _, commitFirst := range []bool{true, false} {
		id := fmt.Sprintf("race-%v", commitFirst)
		inserted, release := make(chan struct{}), make(chan struct{})
		firstDone := make(chan error, 1)
		go func() {
			firstDone <- s.Atomic(ctx, func(tx store.Tx) error {
				r := cmdRec(id, "first", clT0)
				if err := tx.Commands().InsertCommand(ctx, r, nil); err != nil {
					return err
				}
				close(inserted)
				<-release
				if !commitFirst {
					return errors.New("roll back")
				}
				return nil
			})
		}()
		<-inserted
		secondDone := make(chan error, 1)
		go func() {
			secondDone <- s.Atomic(ctx, func(tx store.Tx) error {
				c := corrRec(id, "second", clT0, "e")
				return tx.Commands().InsertCommand(ctx, cmdRec(id, "second", clT0), &c)
			})
		}()
		waitBlocked()
		close(release)
		err1, err2 := <-firstDone, <-secondDone
		got, _ := getCommand(t, s, id)
		_, corrFound := getCorrelation(t, s, id)
		if commitFirst {
			if err1 != nil {
				t.Fatalf("first unit: %v", err1)
			}
			wantCommandExists(t, "second unit", err2, id)
			if got.CorrelationID != "first" || corrFound {
				t.Fatalf("stored %+v (correlation written: %v), want the first unit's command only", got, corrFound)
			}
		} else {
			if err1 == nil || err2 != nil {
				t.Fatalf("first unit %v (want its rollback), second %v (want success)", err1, err2)
			}
			if got.CorrelationID != "second" || !corrFound {
				t.Fatalf("stored %+v (correlation written: %v), want the second unit's", got, corrFound)
			}
		}
	}

	// Free races: both units start together.
	for i := range 4 {
		id := fmt.Sprintf("free-%d", i)
		start := make(chan struct{})
		errs := make(chan error, 2)
		var wg sync.WaitGroup
		for u := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- s.Atomic(ctx, func(tx store.Tx) error {
					return tx.Commands().InsertCommand(ctx, cmdRec(id, fmt.Sprintf("u%d", u), clT0), nil)
				})
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		var ok, exists int
		for err := range errs {
			switch {
			case err == nil:
				ok++
			default:
				wantCommandExists(t, "losing unit", err, id)
				exists++
			}
		}
		if ok != 1 || exists != 1 {
			t.Fatalf("race %s: %d committed, %d conflicted; want 1 and 1", id, ok, exists)
		}
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+qi(db.Schema)+`.commands WHERE command_id = $1`, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("race %s: %d rows (%v)", id, n, err)
		}
	}
}

// Bad input is INVALID_ARGUMENT before any statement: the unit stays
// usable and nothing is written.
func TestCommandLogRejectsBadInput(t *testing.T) {
	s, _ := openCommandLog(t)
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		mismatch := corrRec("other", "orders", clT0)
		badCursor := cmdRec("c", "k", clT0)
		badCursor.CorrelationCursor = "a\x00b"
		badUTF8 := cmdRec("c", "k", clT0)
		badUTF8.CorrelationCursor = "a\xffb"
		farFuture := cmdRec("c", "k", clT0)
		farFuture.ExpiresAt = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
		farPast := corrRec("c", "orders", time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC))
		for _, c := range []struct {
			what string
			err  error
			says string
		}{
			{"correlation of another command", cl.InsertCommand(ctx, cmdRec("c", "k", clT0), &mismatch), `"other"`},
			{"cursor with NUL", cl.InsertCommand(ctx, badCursor, nil), "correlationCursor"},
			{"cursor not UTF-8", cl.InsertCommand(ctx, badUTF8, nil), "correlationCursor"},
			{"expiry beyond 2262", cl.InsertCommand(ctx, farFuture, nil), "expiresAt"},
			{"creation before 1677", cl.PutCorrelation(ctx, farPast), "createdAt"},
			{"port validation", cl.InsertCommand(ctx, store.CommandRecord{}, nil), "commandId"},
			{"bad limit", func() error { _, err := cl.CommandsByCorrelation(ctx, "k", "", 0); return err }(), "limit"},
			{"bad after", func() error { _, err := cl.CommandsByCorrelation(ctx, "k", "\xff", 1); return err }(), "UTF-8"},
			{"bad context", func() error { _, err := cl.CorrelationsByContext(ctx, "a\x00", clT0, 1); return err }(), "boundedContext"},
			{"bad delete limit", func() error { _, _, err := cl.DeleteExpiredCommands(ctx, clT0, store.MaxListLimit+1); return err }(), "limit"},
			{"bad completion", func() error {
				_, err := cl.CompleteCommand(ctx, "c", store.CommandPending, nil, clT0)
				return err
			}(), "completion status"},
		} {
			wantCode(t, c.what, c.err, es.CodeInvalidArgument, c.says)
		}
		return cl.InsertCommand(ctx, cmdRec("ok", "k", clT0), nil)
	})
	if _, found := getCommand(t, s, "c"); found {
		t.Fatal("rejected input was written")
	}
	if _, found := getCorrelation(t, s, "c"); found {
		t.Fatal("rejected input was written")
	}
	if _, found := getCommand(t, s, "ok"); !found {
		t.Fatal("the unit did not commit after rejected input")
	}
}

// CheckSchema knows the command log's tables and columns.
func TestCommandLogSchemaCheck(t *testing.T) {
	for _, c := range []struct{ break_, says string }{
		{`DROP TABLE {{s}}.command_event_correlations`, "table command_event_correlations is missing"},
		{`ALTER TABLE {{s}}.commands DROP COLUMN correlation_cursor`, "column commands.correlation_cursor is missing"},
		{`ALTER TABLE {{s}}.commands ALTER COLUMN payload TYPE text`, "column commands.payload is text, want bytea"},
		{`ALTER TABLE {{s}}.command_event_correlations ALTER COLUMN event_ids TYPE text`, "column command_event_correlations.event_ids is text, want text[]"},
	} {
		db := pgtest.New(t)
		ctx := ctxT(t)
		if err := postgresadapter.Migrate(ctx, db.Pool, db.Schema, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool.Exec(ctx, strings.ReplaceAll(c.break_, "{{s}}", qi(db.Schema))); err != nil {
			t.Fatal(err)
		}
		wantCode(t, c.break_, postgresadapter.CheckSchema(ctx, db.Pool, db.Schema), es.CodeSchemaMismatch, c.says)
	}
}

// Migration 0006 moves the command log's documents (as commandbus wrote
// them up to version 5) into the new tables, exactly, and deletes them
// from documents; other documents stay.
func TestMigration0006MovesCommandLogDocuments(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	if err := postgresadapter.MigrateToForTest(ctx, db.Pool, db.Schema, 5); err != nil {
		t.Fatal(err)
	}
	var commandsTable bool
	if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'commands')`, db.Schema).Scan(&commandsTable); err != nil || commandsTable {
		t.Fatalf("at version 5 the commands table exists (%v)", err)
	}
	// Documents as commandbus encoded them (StoredCommand, Correlation),
	// with the index slots it filled.
	docs := []struct{ coll, key, data, ix1, ix2 string }{
		{"commands", "cmd-pending", `{"commandId":"cmd-pending","commandType":"PlaceOrder","targetContext":"orders","payload":{ "z":1,  "a" : [1, 2.50] },"metadata":{"correlationId":"corr-1","timestamp":"2026-03-04T05:06:07.123456789Z"},"correlationCursor":"0001772600767123:cmd-pending","status":"pending","ttl":604800000000000,"expiresAt":"2026-03-11T05:06:07.123456789Z"}`, "by-correlation", "by-expiry"},
		{"commands", "cmd-done", `{"commandId":"cmd-done","commandType":"Ship","targetContext":"","payload":null,"metadata":{"userId":"u-1","correlationId":"corr-1","causationId":"cause-9","timestamp":"2026-03-04T06:06:07.5+01:00"},"correlationCursor":"0001772600767500:cmd-done","status":"executed","result":{"status":"failed", "reason":"x"},"executedAt":"1969-12-31T23:59:59.000000001Z","ttl":1,"expiresAt":"2026-03-04T05:06:07.500000001Z"}`, "by-correlation", "by-expiry"},
		{"command-event-correlations", "cmd-done", `{"commandId":"cmd-done","eventIds":["ev-2","ev-1"],"commandType":"Ship","boundedContext":"orders","createdAt":"2026-03-04T05:06:07Z","ttl":604800000000000,"expiresAt":"2026-03-11T05:06:07Z"}`, "by-context", "by-expiry"},
		{"command-event-correlations", "cmd-none", `{"commandId":"cmd-none","eventIds":null,"commandType":"","boundedContext":"","createdAt":"0001-01-01T00:00:00Z","ttl":0,"expiresAt":"0001-01-01T00:00:00Z"}`, "by-context", "by-expiry"},
		{"orders", "o-1", `{"commandId":"not a command"}`, "", ""},
	}
	qs := qi(db.Schema)
	for _, d := range docs {
		var ix1, ix2 any
		if d.ix1 != "" {
			ix1, ix2 = d.ix1, d.ix2
		}
		if _, err := db.Pool.Exec(ctx, `INSERT INTO `+qs+`.documents (collection, key, data, version, updated_at_ns, ix1_name, ix1_key, ix2_name, ix2_key)
			VALUES ($1, $2, $3, 1, 0, $4::text, CASE WHEN $4::text IS NULL THEN NULL ELSE 'k1' END, $5::text, CASE WHEN $5::text IS NULL THEN NULL ELSE 'k2' END)`,
			d.coll, d.key, []byte(d.data), ix1, ix2); err != nil {
			t.Fatalf("inserting document %s/%s: %v", d.coll, d.key, err)
		}
	}
	s, err := postgresadapter.Open(ctx, db.Pool, postgresadapter.Options{Schema: db.Schema})
	if err != nil {
		t.Fatalf("migrating to the latest version: %v", err)
	}
	if n := migrationCount(t, db); n != postgresadapter.SchemaVersion() {
		t.Fatalf("migration log has %d rows, want %d", n, postgresadapter.SchemaVersion())
	}
	ts := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	wantCmds := []store.CommandRecord{
		{CommandID: "cmd-pending", CommandType: "PlaceOrder", TargetContext: "orders", Payload: json.RawMessage(`{ "z":1,  "a" : [1, 2.50] }`),
			CorrelationID: "corr-1", Timestamp: ts, CorrelationCursor: "0001772600767123:cmd-pending", Status: store.CommandPending,
			TTL: 7 * 24 * time.Hour, ExpiresAt: ts.Add(7 * 24 * time.Hour)},
		{CommandID: "cmd-done", CommandType: "Ship", Payload: json.RawMessage(`null`), UserID: "u-1", CorrelationID: "corr-1",
			CausationID: "cause-9", Timestamp: time.Date(2026, 3, 4, 5, 6, 7, 500000000, time.UTC), CorrelationCursor: "0001772600767500:cmd-done",
			Status: store.CommandExecuted, Result: json.RawMessage(`{"status":"failed", "reason":"x"}`), ExecutedAt: time.Unix(0, -999999999).UTC(),
			TTL: 1, ExpiresAt: time.Date(2026, 3, 4, 5, 6, 7, 500000001, time.UTC)},
	}
	wantCorrs := []store.CorrelationRecord{
		{CommandID: "cmd-done", EventIDs: []string{"ev-2", "ev-1"}, CommandType: "Ship", BoundedContext: "orders",
			CreatedAt: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), TTL: 7 * 24 * time.Hour, ExpiresAt: time.Date(2026, 3, 11, 5, 6, 7, 0, time.UTC)},
		{CommandID: "cmd-none", EventIDs: []string{}},
	}
	inUnit(t, s, func(ctx context.Context, cl store.CommandLog) error {
		for _, want := range wantCmds {
			got, found, err := cl.GetCommand(ctx, want.CommandID)
			if err != nil || !found {
				return fmt.Errorf("GetCommand(%s) = %v, %v", want.CommandID, found, err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("migrated command %s (-want +got):\n%s", want.CommandID, d)
			}
		}
		for _, want := range wantCorrs {
			got, found, err := cl.GetCorrelation(ctx, want.CommandID)
			if err != nil || !found {
				return fmt.Errorf("GetCorrelation(%s) = %v, %v", want.CommandID, found, err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("migrated correlation %s (-want +got):\n%s", want.CommandID, d)
			}
		}
		// The migrated rows answer the port's queries.
		recs, err := cl.CommandsByCorrelation(ctx, "corr-1", "", 10)
		if err != nil {
			return err
		}
		if len(recs) != 2 || recs[0].CommandID != "cmd-pending" || recs[1].CommandID != "cmd-done" {
			t.Errorf("CommandsByCorrelation after the migration: %+v", recs)
		}
		return nil
	})
	rows, err := db.Pool.Query(ctx, `SELECT collection || '/' || key FROM `+qs+`.documents ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	left, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"orders/o-1"}) {
		t.Fatalf("documents after the migration: %q, want only orders/o-1", left)
	}
	var helper bool
	if err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = $1 AND p.proname = 'migration_0006_ns')`, db.Schema).Scan(&helper); err != nil || helper {
		t.Fatalf("the migration's helper function is left behind (%v)", err)
	}
	if err := postgresadapter.CheckSchema(ctx, db.Pool, db.Schema); err != nil {
		t.Fatalf("CheckSchema after the migration: %v", err)
	}
}
