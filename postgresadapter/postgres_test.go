package postgresadapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/store"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func qi(s string) string { return pgx.Identifier{s}.Sanitize() }

func wantCode(t *testing.T, what string, err error, code es.Code, mentions ...string) {
	t.Helper()
	if es.CodeOf(err) != code {
		t.Fatalf("%s: got %v (code %q), want %s", what, err, es.CodeOf(err), code)
	}
	if !errors.Is(err, &es.Error{ErrCode: code}) {
		t.Fatalf("%s: errors.Is(err, <%s>) is false for %v", what, code, err)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("%s: error %q does not mention %q", what, err, m)
		}
	}
}

func mustAppend(t *testing.T, s store.Store, req es.AppendRequest) es.AppendResult {
	t.Helper()
	res, err := store.Append(context.Background(), s, req)
	if err != nil {
		t.Fatalf("append %+v: %v", req, err)
	}
	return res
}

func logOf(t *testing.T, s store.Store) []es.Recorded {
	t.Helper()
	page, err := store.ReadAll(context.Background(), s, store.LogRead{Limit: store.MaxLogLimit})
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return page.Events
}

func migrationCount(t *testing.T, db *pgtest.DB) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+qi(db.Schema)+`.schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Processes starting together migrate a fresh schema exactly once, and
// opening a migrated schema again changes nothing.
func TestMigrateConcurrentAndIdempotent(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	const starters = 6
	errs := make([]error, starters)
	var wg sync.WaitGroup
	for i := range starters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgresadapter.Open(ctx, db.Pool, postgresadapter.Options{Schema: db.Schema})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open #%d: %v", i, err)
		}
	}
	if n := migrationCount(t, db); n != postgresadapter.SchemaVersion() {
		t.Fatalf("after concurrent starts the migration log has %d rows, want %d", n, postgresadapter.SchemaVersion())
	}
	if err := postgresadapter.Migrate(ctx, db.Pool, db.Schema, nil); err != nil {
		t.Fatalf("Migrate on a migrated schema: %v", err)
	}
	if err := postgresadapter.CheckSchema(ctx, db.Pool, db.Schema); err != nil {
		t.Fatalf("CheckSchema on a migrated schema: %v", err)
	}
	if n := migrationCount(t, db); n != postgresadapter.SchemaVersion() {
		t.Fatalf("after a second Migrate the migration log has %d rows, want %d", n, postgresadapter.SchemaVersion())
	}
}

// Open refuses, with SCHEMA_MISMATCH and a message naming the difference,
// a schema that is not the one this build expects.
func TestSchemaMismatch(t *testing.T) {
	for _, c := range []struct {
		name      string
		migrate   bool     // migrate the schema before breaking it
		break_    string   // SQL run on the schema ({{s}}: the quoted schema)
		noMigrate bool     // open with NoMigrate
		mentions  []string // what the error must say
	}{
		{name: "foreign tables", break_: `CREATE TABLE {{s}}.events (id integer)`,
			mentions: []string{"did not create", "events"}},
		{name: "newer version", migrate: true, break_: `INSERT INTO {{s}}.schema_migrations VALUES (99, 'future', 'x', now())`,
			mentions: []string{"migration log has version 99"}},
		{name: "next version", migrate: true, break_: fmt.Sprintf(`INSERT INTO {{s}}.schema_migrations VALUES (%d, 'future', 'x', now())`, postgresadapter.SchemaVersion()+1),
			mentions: []string{"newer than this build knows"}},
		{name: "different definition", migrate: true, break_: `UPDATE {{s}}.schema_migrations SET checksum = 'bogus' WHERE version = 1`,
			mentions: []string{"migration 1 (init) was applied from a different definition"}},
		{name: "altered column", migrate: true, break_: `ALTER TABLE {{s}}.events ALTER COLUMN data TYPE text`,
			mentions: []string{"column events.data is text, want bytea"}},
		{name: "missing column", migrate: true, break_: `ALTER TABLE {{s}}.jobs DROP COLUMN dead_seq`,
			mentions: []string{"column jobs.dead_seq is missing"}},
		{name: "missing table", migrate: true, break_: `DROP TABLE {{s}}.documents`,
			mentions: []string{"table documents is missing"}},
		{name: "missing function", migrate: true, break_: `DROP FUNCTION {{s}}.finality_bound`,
			mentions: []string{"function finality_bound is missing"}},
		{name: "missing registration function", migrate: true, break_: `DROP FUNCTION {{s}}.registration_key CASCADE`,
			mentions: []string{"function registration_key is missing"}},
		{name: "missing wait function", migrate: true, break_: `DROP FUNCTION {{s}}.wait_for_plain_writers`,
			mentions: []string{"function wait_for_plain_writers is missing"}},
		{name: "missing sequence", migrate: true, break_: `DROP SEQUENCE {{s}}.positions CASCADE`,
			mentions: []string{"sequence positions is missing"}},
		{name: "missing conditional fast-path function", migrate: true, break_: `DROP FUNCTION {{s}}.append_one_if`,
			mentions: []string{"function append_one_if is missing"}},
		{name: "never migrated, NoMigrate", noMigrate: true,
			mentions: []string{"never migrated"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := pgtest.New(t)
			ctx := ctxT(t)
			if c.migrate {
				if err := postgresadapter.Migrate(ctx, db.Pool, db.Schema, nil); err != nil {
					t.Fatal(err)
				}
			}
			if c.break_ != "" {
				if _, err := db.Pool.Exec(ctx, strings.ReplaceAll(c.break_, "{{s}}", qi(db.Schema))); err != nil {
					t.Fatal(err)
				}
			}
			_, err := postgresadapter.Open(ctx, db.Pool, postgresadapter.Options{Schema: db.Schema, NoMigrate: c.noMigrate})
			wantCode(t, "Open", err, es.CodeSchemaMismatch, c.mentions...)
			if !errors.Is(err, es.ErrSchemaMismatch) {
				t.Fatalf("errors.Is(err, es.ErrSchemaMismatch) is false for %v", err)
			}
		})
	}
}

func TestNoMigrateOpensAMigratedSchema(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	if err := postgresadapter.Migrate(ctx, db.Pool, db.Schema, nil); err != nil {
		t.Fatal(err)
	}
	s, err := postgresadapter.Open(ctx, db.Pool, postgresadapter.Options{Schema: db.Schema, NoMigrate: true})
	if err != nil {
		t.Fatalf("Open with NoMigrate on a migrated schema: %v", err)
	}
	mustAppend(t, s, es.AppendRequest{Stream: "s", Events: []es.Event{es.MustEvent("E", 1)}})
}

func TestSchemaNames(t *testing.T) {
	ctx := ctxT(t)
	for _, bad := range []string{strings.Repeat("x", 64), "a\x00b", "\xff"} {
		_, err := postgresadapter.Open(ctx, &pgxpool.Pool{}, postgresadapter.Options{Schema: bad})
		wantCode(t, fmt.Sprintf("Open(schema %q)", bad), err, es.CodeInvalidArgument, "schema name")
	}
	if _, err := postgresadapter.Open(ctx, nil, postgresadapter.Options{}); es.CodeOf(err) != es.CodeInvalidArgument {
		t.Fatalf("Open(nil pool): %v, want INVALID_ARGUMENT", err)
	}

	// A name full of quotes works end to end: it is always quoted.
	pool, _ := pgtest.Server(t)
	weird := fmt.Sprintf(`es "we'ird" \ %d`, time.Now().UnixNano()%1e6)
	t.Cleanup(func() { _ = pgtest.DropSchema(context.Background(), pool, weird) })
	clock := es.NewVirtualClock(time.Time{})
	s, err := postgresadapter.Open(ctx, pool, postgresadapter.Options{Schema: weird, Clock: clock, IDs: es.NewSequentialIDs()})
	if err != nil {
		t.Fatalf("Open(%q): %v", weird, err)
	}
	res := mustAppend(t, s, es.AppendRequest{Stream: "s", Events: []es.Event{es.MustEvent("E", 1, "t:1")}})
	if !slices.Equal(res.Positions, []es.Position{1}) {
		t.Fatalf("positions %v", res.Positions)
	}
	err = s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "k", MaxAttempts: 1}); err != nil {
			return err
		}
		cl, err := tx.Jobs().Claim(ctx, 1, time.Minute)
		if err != nil || len(cl) != 1 {
			return fmt.Errorf("claim: %v %v", cl, err)
		}
		if _, err := tx.Jobs().Fail(ctx, cl[0].Lease, "boom"); err != nil {
			return err
		}
		dead, err := tx.Jobs().DeadLetters(ctx, "", 0)
		if err != nil || len(dead) != 1 {
			return fmt.Errorf("dead letters: %v %v", dead, err)
		}
		q, err := tx.Events().ReadQuery(ctx, es.Tags("t:1"), store.QueryRead{})
		if err != nil || len(q.Events) != 1 {
			return fmt.Errorf("read query: %+v %v", q, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("schema %q: %v", weird, err)
	}
}

// Persistent: what one store committed, a new store on a new pool reads.
func TestPersistsAcrossReopen(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	clock := es.NewVirtualClock(time.Time{})
	s1 := db.Open(t, postgresadapter.Options{Clock: clock, IDs: es.NewSequentialIDs()})
	res := mustAppend(t, s1, es.AppendRequest{Stream: "order-1", Expected: es.NoStream, Events: []es.Event{es.MustEvent("Placed", map[string]int{"n": 1}, "order:1")}})
	var job store.Job
	err := s1.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Documents().Insert(ctx, "orders", "o-1", json.RawMessage(`{"a": 1}`)); err != nil {
			return err
		}
		var err error
		job, err = tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "later", RunAt: clock.Now().Add(time.Hour)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := logOf(t, s1)
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	err = s1.Atomic(ctx, func(store.Tx) error { return nil })
	wantCode(t, "Atomic after Close", err, es.CodeClosed)

	pool2, err := pgxpool.New(ctx, db.ConnConfigDSN())
	if err != nil {
		t.Fatal(postgresadapter.Redact(err, postgresadapter.DSNPassword(db.ConnConfigDSN())))
	}
	defer pool2.Close()
	s2, err := postgresadapter.Open(ctx, pool2, postgresadapter.Options{Schema: db.Schema, Clock: clock, IDs: es.NewSequentialIDs()})
	if err != nil {
		t.Fatal(err)
	}
	got := logOf(t, s2)
	if len(got) != 1 || got[0].Metadata.EventID != res.EventIDs[0] || !got[0].RecordedAt.Equal(want[0].RecordedAt) || string(got[0].Data) != `{"n":1}` {
		t.Fatalf("reopened log %+v, want %+v", got, want)
	}
	err = s2.Atomic(ctx, func(tx store.Tx) error {
		d, err := tx.Documents().Get(ctx, "orders", "o-1")
		if err != nil || string(d.Data) != `{"a": 1}` || d.Version != 1 {
			return fmt.Errorf("document after reopen: %+v %v", d, err)
		}
		j, err := tx.Jobs().Get(ctx, job.ID)
		if err != nil || !j.RunAt.Equal(job.RunAt) || j.State != store.JobPending {
			return fmt.Errorf("job after reopen: %+v %v", j, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A unit of work whose connection is killed commits nothing.
func TestKilledConnectionRollsBack(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	s := db.Open(t, postgresadapter.Options{})
	killed := 0
	err := s.Atomic(ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "doomed", Events: []es.Event{es.MustEvent("E", 1)}}); err != nil {
			return err
		}
		if _, err := tx.Documents().Insert(ctx, "c", "k", json.RawMessage(`{}`)); err != nil {
			return err
		}
		// The unit's backend is idle in its transaction, and its last
		// statement names this test's schema.
		return db.Pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE state = 'idle in transaction' AND pid <> pg_backend_pid() AND position($1 in query) > 0`,
			qi(db.Schema)+".documents").Scan(&killed)
	})
	if killed != 1 {
		t.Fatalf("killed %d backends, want 1 (err %v)", killed, err)
	}
	if err == nil {
		t.Fatalf("Atomic committed although its connection was killed")
	}
	if got := logOf(t, s); len(got) != 0 {
		t.Fatalf("log after the killed unit: %+v", got)
	}
	err = s.Atomic(ctx, func(tx store.Tx) error {
		_, err := tx.Documents().Get(ctx, "c", "k")
		return err
	})
	wantCode(t, "document of the killed unit", err, es.CodeNotFound)
	// The store goes on working on other connections.
	mustAppend(t, s, es.AppendRequest{Stream: "alive", Events: []es.Event{es.MustEvent("E", 2)}})
}

// Strings PostgreSQL text cannot hold are rejected with typed errors
// before any SQL, and nothing is written; bytes columns keep anything.
func TestUnstorableTextIsRejected(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	s := db.Open(t, postgresadapter.Options{})
	ev := func(mut func(*es.Event)) es.Event {
		e := es.MustEvent("E", 1)
		mut(&e)
		return e
	}
	for _, c := range []struct {
		name string
		req  es.AppendRequest
		code es.Code
	}{
		{"NUL in stream id", es.AppendRequest{Stream: "a\x00b", Events: []es.Event{es.MustEvent("E", 1)}}, es.CodeInvalidStreamID},
		{"invalid UTF-8 stream id", es.AppendRequest{Stream: "a\xffb", Events: []es.Event{es.MustEvent("E", 1)}}, es.CodeInvalidStreamID},
		{"NUL in type", es.AppendRequest{Events: []es.Event{ev(func(e *es.Event) { e.Type = "E\x00" })}}, es.CodeInvalidEvent},
		{"NUL in tag", es.AppendRequest{Events: []es.Event{ev(func(e *es.Event) { e.Tags = []es.Tag{"t\x00"} })}}, es.CodeInvalidTag},
		{"invalid UTF-8 tag", es.AppendRequest{Events: []es.Event{ev(func(e *es.Event) { e.Tags = []es.Tag{"t\xc3"} })}}, es.CodeInvalidTag},
		{"NUL in correlation id", es.AppendRequest{Events: []es.Event{ev(func(e *es.Event) { e.Metadata.CorrelationID = "c\x00" })}}, es.CodeInvalidEvent},
		{"invalid UTF-8 causation id", es.AppendRequest{Events: []es.Event{ev(func(e *es.Event) { e.Metadata.CausationID = "\xfe" })}}, es.CodeInvalidEvent},
		{"NUL in event id", es.AppendRequest{Events: []es.Event{ev(func(e *es.Event) { e.Metadata.EventID = "id\x00" })}}, es.CodeInvalidEvent},
		{"invalid UTF-8 in extra", es.AppendRequest{Events: []es.Event{ev(func(e *es.Event) { e.Metadata.Extra = map[string]string{"k": "\xff"} })}}, es.CodeInvalidEvent},
		{"NUL in idempotency key", es.AppendRequest{Idempotency: &es.Idempotency{Key: "k\x00"}, Events: []es.Event{es.MustEvent("E", 1)}}, es.CodeInvalidArgument},
		{"NUL in fingerprint", es.AppendRequest{Idempotency: &es.Idempotency{Key: "k", Fingerprint: "f\x00"}, Events: []es.Event{es.MustEvent("E", 1)}}, es.CodeInvalidArgument},
	} {
		_, err := store.Append(ctx, s, c.req)
		wantCode(t, c.name, err, c.code)
	}
	err := s.Atomic(ctx, func(tx store.Tx) error {
		_, err := tx.Documents().Insert(ctx, "c", "k\x00", json.RawMessage(`{}`))
		wantCode(t, "NUL in document key", err, es.CodeInvalidKey)
		_, err = tx.Documents().Insert(ctx, "c\xff", "k", json.RawMessage(`{}`))
		wantCode(t, "invalid UTF-8 collection", err, es.CodeInvalidCollection)
		_, err = tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "k\x00"})
		wantCode(t, "NUL in job kind", err, es.CodeInvalidArgument)
		page, err := tx.Documents().List(ctx, "c", store.ListOptions{Prefix: "a\x00"})
		if err != nil || len(page.Documents) != 0 {
			t.Fatalf("listing with a NUL prefix: %+v %v", page, err)
		}
		_, err = tx.Jobs().Get(ctx, "j\x00")
		wantCode(t, "NUL in job id", err, es.CodeNotFound)
		// The unit is still usable: nothing failed inside PostgreSQL.
		_, err = tx.Documents().Insert(ctx, "c", "ok", json.RawMessage(`{}`))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := logOf(t, s); len(got) != 0 {
		t.Fatalf("rejected appends wrote %+v", got)
	}

	// A failure reason is stored byte for byte, NUL and invalid UTF-8 included.
	reason := "bad \x00 byte \xff"
	err = s.Atomic(ctx, func(tx store.Tx) error {
		j, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: "k", MaxAttempts: 1})
		if err != nil {
			return err
		}
		cl, err := tx.Jobs().Claim(ctx, 1, 0)
		if err != nil || len(cl) != 1 {
			return fmt.Errorf("claim %v %v", cl, err)
		}
		if _, err := tx.Jobs().Fail(ctx, cl[0].Lease, reason); err != nil {
			return err
		}
		got, err := tx.Jobs().Get(ctx, j.ID)
		if err != nil || got.LastError != reason || got.State != store.JobDead {
			return fmt.Errorf("job %+v %v, want dead with LastError %q", got, err, reason)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Several processes (here: two pools, two stores on one schema, two
// workers each) share a job queue: every job runs once, never held by two
// workers at once, and each partition completes in enqueue order.
func TestJobsAcrossProcesses(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	clock := es.NewVirtualClock(time.Time{})
	s1 := db.Open(t, postgresadapter.Options{Clock: clock})
	pool2, err := pgxpool.New(ctx, db.ConnConfigDSN())
	if err != nil {
		t.Fatal(postgresadapter.Redact(err, postgresadapter.DSNPassword(db.ConnConfigDSN())))
	}
	defer pool2.Close()
	s2, err := postgresadapter.Open(ctx, pool2, postgresadapter.Options{Schema: db.Schema, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	const partitions, perPartition, free = 3, 8, 8
	order := map[string][]string{} // partition -> job ids in enqueue order
	err = s1.Atomic(ctx, func(tx store.Tx) error {
		for i := range perPartition {
			for p := range partitions {
				part := fmt.Sprint("p", p)
				j, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: fmt.Sprint(part, "-", i), Partition: part})
				if err != nil {
					return err
				}
				order[part] = append(order[part], j.ID)
			}
		}
		for i := range free {
			if _, err := tx.Jobs().Enqueue(ctx, store.JobSpec{Kind: fmt.Sprint("free-", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		held     = map[string]bool{}
		done     = map[string][]string{} // partition -> completion order
		runs     = map[string]int{}
		failures []string
	)
	worker := func(s store.Store, name string) {
		for idle := 0; idle < 3; {
			var claimed []store.Claimed
			err := s.Atomic(ctx, func(tx store.Tx) error {
				var err error
				claimed, err = tx.Jobs().Claim(ctx, 2, time.Hour)
				return err
			})
			if err != nil {
				mu.Lock()
				failures = append(failures, name+": claim: "+err.Error())
				mu.Unlock()
				return
			}
			if len(claimed) == 0 {
				idle++
				continue
			}
			idle = 0
			for _, c := range claimed {
				mu.Lock()
				if held[c.Job.ID] {
					failures = append(failures, fmt.Sprintf("%s claimed %s while another worker held it", name, c.Job.ID))
				}
				held[c.Job.ID] = true
				mu.Unlock()
				err := s.Atomic(ctx, func(tx store.Tx) error { return tx.Jobs().Complete(ctx, c.Lease) })
				mu.Lock()
				held[c.Job.ID] = false
				if err != nil {
					failures = append(failures, name+": complete: "+err.Error())
				} else {
					runs[c.Job.ID]++
					done[c.Job.Partition] = append(done[c.Job.Partition], c.Job.ID)
				}
				mu.Unlock()
			}
		}
	}
	var wg sync.WaitGroup
	for i, s := range []store.Store{s1, s1, s2, s2} {
		wg.Add(1)
		go func() { defer wg.Done(); worker(s, fmt.Sprint("worker-", i)) }()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("workers: %s", strings.Join(failures, "\n"))
	}
	if len(runs) != partitions*perPartition+free {
		t.Fatalf("%d jobs completed, want %d", len(runs), partitions*perPartition+free)
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("job %s completed %d times", id, n)
		}
	}
	for part, want := range order {
		if !slices.Equal(done[part], want) {
			t.Errorf("partition %s completed %v, want enqueue order %v", part, done[part], want)
		}
	}
}

// The finality bound reads registration keys relative to the sequence's
// high-water mark, also across the 2^32 boundary of the lock key.
func TestFinalityBoundAcrossKeyWrap(t *testing.T) {
	db := pgtest.New(t)
	ctx := ctxT(t)
	s := db.Open(t, postgresadapter.Options{})
	const start = 1<<32 - 3
	if _, err := db.Pool.Exec(ctx, `SELECT setval($1, $2)`, qi(db.Schema)+".positions", int64(start)); err != nil {
		t.Fatal(err)
	}
	appended, release, aDone := make(chan es.AppendResult, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		aDone <- s.Atomic(ctx, func(tx store.Tx) error {
			r, err := tx.Events().Append(ctx, es.AppendRequest{Stream: "a", Events: []es.Event{es.MustEvent("A", 1)}})
			if err != nil {
				return err
			}
			appended <- r
			<-release
			return nil
		})
	}()
	var resA es.AppendResult
	select {
	case resA = <-appended:
	case err := <-aDone:
		t.Fatal(err)
	}
	// B draws positions past 2^32 while A (registered at 2^32-3) is open.
	for i := range 5 {
		mustAppend(t, s, es.AppendRequest{Stream: es.StreamID(fmt.Sprint("b", i)), Events: []es.Event{es.MustEvent("B", i)}})
	}
	page, err := store.ReadAll(ctx, s, store.LogRead{After: start - 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 0 || page.Head != start {
		t.Fatalf("while A (position %v) is open: page %v, Head %d; want nothing, Head %d", resA.Positions, page.Events, page.Head, start)
	}
	q, err := store.ReadQuery(ctx, s, es.Types("B"), store.QueryRead{})
	if err != nil || len(q.Events) != 0 || q.Head != start {
		t.Fatalf("ReadQuery while A is open: %+v %v; want nothing, Head %d", q, err, start)
	}
	close(release)
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	page, err = store.ReadAll(ctx, s, store.LogRead{After: start - 10})
	if err != nil {
		t.Fatal(err)
	}
	var ps []es.Position
	for _, e := range page.Events {
		ps = append(ps, e.Position)
	}
	if want := []es.Position{start + 1, start + 2, start + 3, start + 4, start + 5, start + 6}; !slices.Equal(ps, want) || page.Head != start+6 {
		t.Fatalf("after A committed: positions %v Head %d, want %v Head %d", ps, page.Head, want, start+6)
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bob:s3cret@db:5432/app?sslmode=disable":     "postgres://bob:xxxxx@db:5432/app?sslmode=disable",
		"postgres://bob@db/app?password=s3cret&sslmode=require": "postgres://bob@db/app?password=xxxxx&sslmode=require",
		"host=db user=bob password=s3cret dbname=app":           "host=db user=bob password=xxxxx dbname=app",
		"host=db password='s3 cret\\'x' dbname=app":             "host=db password=xxxxx dbname=app",
		"postgres://postgres@127.0.0.1:5432/x?sslmode=disable":  "postgres://postgres@127.0.0.1:5432/x?sslmode=disable",
		"postgres://bob:p%40ss@db/app":                          "postgres://bob:xxxxx@db/app",
		"postgres://bob:s3cret@[bad":                            "postgres://xxxxx@[bad",
		"postgresql://bob:s3cret@h1:5432,h2:5433/app?x=1":       "postgresql://bob:xxxxx@h1:5432,h2:5433/app?x=1",
		"user=bob PASSWORD = s3cret host=db":                    "user=bob PASSWORD = xxxxx host=db",
		"postgres://:s3cret@db/app":                             "postgres://:xxxxx@db/app",
		"postgres://bob:s3cret@db/app?application_name=myapp":   "postgres://bob:xxxxx@db/app?application_name=myapp",
	} {
		got := postgresadapter.RedactDSN(in)
		if got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "s3cret@") || strings.Contains(got, "=s3cret") || strings.Contains(got, ":s3cret") {
			t.Errorf("RedactDSN(%q) = %q still shows the password", in, got)
		}
	}
	err := postgresadapter.Redact(errors.New("failed to connect to bob:s3cret@db"), "s3cret")
	if err.Error() != "failed to connect to bob:xxxxx@db" {
		t.Errorf("Redact: %q", err)
	}
	if pw := postgresadapter.DSNPassword("postgres://bob:s3cret@db/app"); pw != "s3cret" {
		t.Errorf("DSNPassword = %q", pw)
	}
}
