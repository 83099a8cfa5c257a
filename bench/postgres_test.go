package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/postgresadapter"
	"github.com/eventspec/eventspec/postgresadapter/pgtest"
	"github.com/eventspec/eventspec/store"
)

// PostgreSQL benchmarks. Each pairs the adapter with the raw pgx statement
// doing the same work without it, on the same database, in the same run,
// with the same durability settings (the server's). The raw side writes to
// raw_events / raw_event_tags, copies of the adapter's tables with the
// same columns and indexes, positions from their own sequence. They skip
// without EVENTSPEC_PG_DSN (or a Docker engine):
//
//	EVENTSPEC_PG_DSN=postgres://… go test -run='^$' -bench=Postgres ./bench/
//
// x-baseline is adapter ns/op ÷ raw ns/op; the adapter's throughput as a
// share of the raw statement's is its inverse.

// pgBench is one benchmark's schema: the adapter's store, and the raw
// tables next to it.
type pgBench struct {
	pool *pgxpool.Pool
	s    *postgresadapter.Store
	qs   string // quoted schema
	n    atomic.Int64
	ids  es.IDs
}

func newPGBench(b *testing.B) *pgBench {
	b.Helper()
	db := pgtest.New(b)
	s := db.Open(b, postgresadapter.Options{})
	qs := pgx.Identifier{db.Schema}.Sanitize()
	ctx := context.Background()
	_, err := db.Pool.Exec(ctx, `
		CREATE SEQUENCE `+qs+`.raw_positions CACHE 1;
		CREATE TABLE `+qs+`.raw_events (LIKE `+qs+`.events INCLUDING ALL);
		ALTER TABLE `+qs+`.raw_events ALTER position SET DEFAULT nextval('`+qs+`.raw_positions');
		CREATE TABLE `+qs+`.raw_event_tags (LIKE `+qs+`.event_tags INCLUDING ALL);`)
	if err != nil {
		b.Fatal(err)
	}
	return &pgBench{pool: db.Pool, s: s, qs: qs, ids: es.NewUUIDv7(nil)}
}

// stream returns a stream id never used before in this benchmark.
func (p *pgBench) stream() string { return fmt.Sprintf("bench-%d", p.n.Add(1)) }

// rawInsert is the raw append: one INSERT of the event rows in a
// transaction, positions from the sequence, no checks.
func (p *pgBench) rawInsert(ctx context.Context, stream string, batch int) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if batch == 1 {
		_, err = tx.Exec(ctx, `INSERT INTO `+p.qs+`.raw_events (stream_id, stream_version, type, data, tags, event_id,
			correlation_id, causation_id, category, schema_version, extra, recorded_at_ns)
			VALUES ($1, 1, 'OrderPlaced', $2, '{}', $3, 'corr-1', '', 'domain', 1, NULL, $4)`,
			stream, benchData, p.ids.NewID(), es.RealClock{}.Now().UnixNano())
	} else {
		ids := make([]string, batch)
		for i := range ids {
			ids[i] = p.ids.NewID()
		}
		_, err = tx.Exec(ctx, `INSERT INTO `+p.qs+`.raw_events (stream_id, stream_version, type, data, tags, event_id,
			correlation_id, causation_id, category, schema_version, extra, recorded_at_ns)
			SELECT $1, v, 'OrderPlaced', $2, '{}', id, 'corr-1', '', 'domain', 1, NULL, $4
			FROM unnest($3::text[]) WITH ORDINALITY AS u(id, v)`,
			stream, benchData, ids, es.RealClock{}.Now().UnixNano())
	}
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// adapterAppend appends batch events to a new stream (expected: no stream).
func (p *pgBench) adapterAppend(ctx context.Context, stream string, batch int) error {
	events := make([]es.Event, batch)
	for i := range events {
		events[i] = benchEvent()
	}
	_, err := store.Append(ctx, p.s, es.AppendRequest{Stream: es.StreamID(stream), Expected: es.NoStream, Events: events})
	return err
}

// serial runs fn b.N times; parallel runs it b.N times over writers
// goroutines.
func serial(b *testing.B, fn func(ctx context.Context) error) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if err := fn(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func parallel(b *testing.B, writers int, fn func(ctx context.Context) error) {
	ctx := context.Background()
	// RunParallel starts GOMAXPROCS × parallelism goroutines.
	b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := fn(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchPGAppend(b *testing.B, batch, writers int) {
	p := newPGBench(b)
	run := serial
	if writers > 1 {
		run = func(b *testing.B, fn func(ctx context.Context) error) { parallel(b, writers, fn) }
	}
	compare(b, "postgresadapter",
		func(b *testing.B) {
			run(b, func(ctx context.Context) error { return p.rawInsert(ctx, p.stream(), batch) })
		},
		func(b *testing.B) {
			run(b, func(ctx context.Context) error { return p.adapterAppend(ctx, p.stream(), batch) })
		})
}

// BenchmarkPostgresAppend1 appends one event to a new stream per unit of
// work; baseline: one raw INSERT in a transaction.
func BenchmarkPostgresAppend1(b *testing.B) { benchPGAppend(b, 1, 1) }

// BenchmarkPostgresAppend1Writers8 is BenchmarkPostgresAppend1 with eight
// concurrent writers.
func BenchmarkPostgresAppend1Writers8(b *testing.B) { benchPGAppend(b, 1, 8) }

// BenchmarkPostgresAppend10 appends ten events at once; baseline: one raw
// multi-row INSERT in a transaction.
func BenchmarkPostgresAppend10(b *testing.B) { benchPGAppend(b, 10, 1) }

// dcbAppend appends one event tagged with a fresh course tag on the
// condition that no event carries that tag (a uniqueness guard).
func (p *pgBench) dcbAppend(ctx context.Context) error {
	tag := es.Tag(fmt.Sprintf("course:%d", p.n.Add(1)))
	cond := es.FailIfMatch(es.Tags(tag))
	_, err := store.Append(ctx, p.s, es.AppendRequest{Condition: &cond, Events: []es.Event{benchEvent(tag)}})
	return err
}

// plainTagged appends the same event without a condition.
func (p *pgBench) plainTagged(ctx context.Context) error {
	tag := es.Tag(fmt.Sprintf("course:%d", p.n.Add(1)))
	_, err := store.Append(ctx, p.s, es.AppendRequest{Events: []es.Event{benchEvent(tag)}})
	return err
}

// rawDCB is the raw conditional append: the event row and its tag row,
// inserted only when no event carries the tag — the check a single
// statement can make, with no protection against a concurrent writer.
func (p *pgBench) rawDCB(ctx context.Context) error {
	tag := fmt.Sprintf("course:%d", p.n.Add(1))
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `WITH e AS (
			INSERT INTO `+p.qs+`.raw_events (type, data, tags, event_id, correlation_id, causation_id, category, schema_version, extra, recorded_at_ns)
			SELECT 'OrderPlaced', $2, ARRAY[$1], $3, 'corr-1', '', 'domain', 1, NULL, $4
			WHERE NOT EXISTS (SELECT 1 FROM `+p.qs+`.raw_event_tags WHERE tag = $1)
			RETURNING position)
		INSERT INTO `+p.qs+`.raw_event_tags (tag, position, type) SELECT $1, position, 'OrderPlaced' FROM e`,
		tag, benchData, p.ids.NewID(), es.RealClock{}.Now().UnixNano())
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// BenchmarkPostgresAppendDCB appends one tagged event without a stream on
// a DCB condition; baseline: the raw conditional INSERT.
func BenchmarkPostgresAppendDCB(b *testing.B) {
	p := newPGBench(b)
	compare(b, "postgresadapter", func(b *testing.B) { serial(b, p.rawDCB) }, func(b *testing.B) { serial(b, p.dcbAppend) })
}

// BenchmarkPostgresAppendDCBvsPlain compares the conditional append with
// the same append without a condition (baseline) through the adapter.
func BenchmarkPostgresAppendDCBvsPlain(b *testing.B) {
	p := newPGBench(b)
	compare(b, "dcb", func(b *testing.B) { serial(b, p.plainTagged) }, func(b *testing.B) { serial(b, p.dcbAppend) })
}

// fillPG appends n events round-robin over streams streams through the
// adapter, in appends of up to 100 events of one stream.
func (p *pgBench) fill(b *testing.B, n, streams int) {
	b.Helper()
	ctx := context.Background()
	per := n / streams
	for done := 0; done < per; {
		k := min(100, per-done)
		for s := range streams {
			events := make([]es.Event, k)
			for i := range events {
				events[i] = benchEvent()
			}
			if _, err := store.Append(ctx, p.s, es.AppendRequest{Stream: es.StreamID(fmt.Sprintf("order-%d", s)), Events: events}); err != nil {
				b.Fatal(err)
			}
		}
		done += k
	}
	if _, err := p.pool.Exec(ctx, `VACUUM ANALYZE `+p.qs+`.events`); err != nil {
		b.Fatal(err)
	}
}

// rawEvent is what the raw reads scan each row into: every column the
// adapter reads.
type rawEvent struct {
	position, version, recordedAt int64
	stream                        *string
	typ, id, corr, caus, cat      string
	data, extra                   []byte
	tags                          []string
	sv                            int32
}

func (r *rawEvent) dest() []any {
	return []any{&r.position, &r.stream, &r.version, &r.typ, &r.data, &r.tags, &r.id, &r.corr, &r.caus, &r.cat, &r.sv, &r.extra, &r.recordedAt}
}

const rawCols = `position, stream_id, stream_version, type, data, tags, event_id, correlation_id, causation_id, category, schema_version, extra, recorded_at_ns`

func (p *pgBench) rawRead(ctx context.Context, sql string, want int, args ...any) error {
	rows, err := p.pool.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	var r rawEvent
	n := 0
	if _, err := pgx.ForEachRow(rows, r.dest(), func() error { n++; return nil }); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("raw read %d rows, want %d", n, want)
	}
	return nil
}

// BenchmarkPostgresLoadStream100 reads a whole 100-event stream whose
// events are interleaved with 99 other streams'; baseline: the raw SELECT
// by stream in version order.
func BenchmarkPostgresLoadStream100(b *testing.B) {
	const streams, perStream = 100, 100
	p := newPGBench(b)
	p.fill(b, streams*perStream, streams)
	var i atomic.Int64
	compare(b, "postgresadapter",
		func(b *testing.B) {
			serial(b, func(ctx context.Context) error {
				return p.rawRead(ctx, `SELECT `+rawCols+` FROM `+p.qs+`.events WHERE stream_id = $1 AND stream_version > 0 ORDER BY stream_version LIMIT 1000`,
					perStream, fmt.Sprintf("order-%d", i.Add(1)%streams))
			})
		},
		func(b *testing.B) {
			serial(b, func(ctx context.Context) error {
				got, err := store.ReadStream(ctx, p.s, es.StreamID(fmt.Sprintf("order-%d", i.Add(1)%streams)), store.StreamRead{})
				if err == nil && len(got) != perStream {
					err = fmt.Errorf("adapter read %d events", len(got))
				}
				return err
			})
		})
}

// BenchmarkPostgresCatchUp1000 reads pages of 1,000 events of a
// 10,000-event log, as a catching-up subscriber does; baseline: the raw
// ordered scan by position.
func BenchmarkPostgresCatchUp1000(b *testing.B) {
	const total, page = 10000, 1000
	p := newPGBench(b)
	p.fill(b, total, 100)
	var i atomic.Int64
	after := func() int64 { return i.Add(1) % (total / page) * page }
	compare(b, "postgresadapter",
		func(b *testing.B) {
			serial(b, func(ctx context.Context) error {
				return p.rawRead(ctx, `SELECT `+rawCols+` FROM `+p.qs+`.events WHERE position > $1 ORDER BY position LIMIT $2`, page, after(), page)
			})
		},
		func(b *testing.B) {
			serial(b, func(ctx context.Context) error {
				got, err := store.ReadAll(ctx, p.s, store.LogRead{After: es.Position(after()), Limit: page})
				if err == nil && len(got.Events) != page {
					err = fmt.Errorf("adapter read %d events", len(got.Events))
				}
				return err
			})
		})
}
