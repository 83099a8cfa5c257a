// Package pgtest gives a test an isolated, fresh PostgreSQL schema.
//
// The server comes from, in order:
//
//  1. EVENTSPEC_PG_DSN, a PostgreSQL connection string;
//  2. otherwise a throwaway container from testcontainers-go's PostgreSQL
//     module, when a Docker engine answers;
//  3. otherwise the test is skipped with a loud reason — or fails, when
//     EVENTSPEC_REQUIRE_PG=1 (as in CI), so a missing database can never
//     pass for a green run.
//
// Every New gets its own schema, named from the process id, a counter and
// a hash of the test name (no randomness), and dropped when the test ends.
// One connection pool per process is shared by all schemas. The DSN's
// password is never printed: every message shows the DSN redacted.
package pgtest

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/postgresadapter"
)

// Environment variables pgtest reads.
const (
	// EnvDSN holds the connection string of the server to test against.
	EnvDSN = "EVENTSPEC_PG_DSN"
	// EnvRequire, set to 1, turns "no PostgreSQL available" from a skip
	// into a failure.
	EnvRequire = "EVENTSPEC_REQUIRE_PG"
)

// DefaultMaxConns is the pool size pgtest uses unless the DSN sets
// pool_max_conns: enough for the concurrency cases' racing units of work.
const DefaultMaxConns = 16

// ConnLifetime is how long a pooled test connection lives unless the DSN
// sets pool_max_conn_lifetime.
const ConnLifetime = time.Minute

// TB is the part of testing.TB pgtest needs; *testing.T, *testing.B and
// conformance.T satisfy it.
type TB interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
}

// DB is a fresh schema on the shared test server.
type DB struct {
	// Pool is the process-wide pool; it reaches every schema. Do not close it.
	Pool *pgxpool.Pool
	// Schema is the schema created for this test (empty; the adapter
	// migrates it on Open).
	Schema string
	server *server
}

// RedactedDSN is the server's connection string with the password hidden.
func (d *DB) RedactedDSN() string { return postgresadapter.RedactDSN(d.server.dsn) }

// ConnConfigDSN returns the server's connection string, password included,
// for code that must open its own connections (another process, a second
// pool). Never print it; print RedactedDSN.
func (d *DB) ConnConfigDSN() string { return d.server.dsn }

// Open opens the adapter on the test's schema with opts (opts.Schema is
// overridden) and fails the test when that fails.
func (d *DB) Open(t TB, opts postgresadapter.Options) *postgresadapter.Store {
	t.Helper()
	opts.Schema = d.Schema
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgresadapter.Open(ctx, d.Pool, opts)
	if err != nil {
		t.Fatalf("pgtest: opening the adapter on schema %s of %s: %v", d.Schema, d.RedactedDSN(), d.server.scrub(err))
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// server is the PostgreSQL server of this process.
type server struct {
	dsn    string
	pool   *pgxpool.Pool
	source string // where the DSN came from, for messages
	err    error  // why no server is available
}

func (s *server) scrub(err error) error {
	return postgresadapter.Redact(err, postgresadapter.DSNPassword(s.dsn))
}

var (
	once   sync.Once
	shared *server
	seq    atomic.Uint64
)

// connect finds the server once per process.
func connect() *server {
	once.Do(func() { shared = findServer() })
	return shared
}

func findServer() *server {
	if dsn := strings.TrimSpace(os.Getenv(EnvDSN)); dsn != "" {
		return openServer(dsn, EnvDSN)
	}
	dsn, err := startContainer()
	if err != nil {
		return &server{err: fmt.Errorf("%s is not set and no PostgreSQL container could be started: %v", EnvDSN, err)}
	}
	return openServer(dsn, "a testcontainers PostgreSQL container")
}

func openServer(dsn, source string) *server {
	s := &server{dsn: dsn, source: source}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		s.err = fmt.Errorf("%s (%s) is not a valid connection string: %v", source, postgresadapter.RedactDSN(dsn), s.scrub(err))
		return s
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	if !strings.Contains(dsn, "pool_max_conn_lifetime") {
		// Every test's schema leaves cached plans and catalog entries in
		// the backends that served it; recycling connections keeps long
		// runs (hundreds of schemas) from slowing down.
		cfg.MaxConnLifetime = ConnLifetime
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		s.err = fmt.Errorf("cannot reach PostgreSQL at %s (from %s): %v", postgresadapter.RedactDSN(dsn), source, s.scrub(err))
		return s
	}
	s.pool = pool
	return s
}

// Available reports whether a PostgreSQL server is reachable, and why not.
func Available() (bool, string) {
	s := connect()
	if s.err != nil {
		return false, s.err.Error()
	}
	return true, "PostgreSQL from " + s.source + " at " + postgresadapter.RedactDSN(s.dsn)
}

// Required reports whether EVENTSPEC_REQUIRE_PG=1.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// Server returns the shared pool and the redacted DSN, skipping (or, when
// required, failing) the test when no server is available.
func Server(t TB) (*pgxpool.Pool, string) {
	t.Helper()
	s := connect()
	if s.err != nil {
		unavailable(t, s.err, Required())
	}
	return s.pool, postgresadapter.RedactDSN(s.dsn)
}

// unavailable stops t because no server is available: a failure when
// required, else a skip that says loudly why and how to run the test.
func unavailable(t TB, why error, required bool) {
	t.Helper()
	if required {
		t.Fatalf("pgtest: PostgreSQL is required (%s=1) but unavailable: %v", EnvRequire, why)
		return
	}
	t.Skipf("pgtest: SKIPPING PostgreSQL test %s: %v. Set %s (e.g. postgres://postgres@127.0.0.1:5432/eventspec_test?sslmode=disable) or run `make test-postgres`; set %s=1 to make this a failure.",
		t.Name(), why, EnvDSN, EnvRequire)
}

// SchemaName returns the schema name New uses for the n-th schema of a
// test named name in process pid: deterministic, unique among concurrent
// processes, at most 63 bytes.
func SchemaName(pid int, n uint64, name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("es_t%d_%d_%08x", pid, n, h.Sum32())
}

// New creates a fresh, empty schema for t and drops it (CASCADE) when t
// ends. A schema left over by a crashed earlier process with the same pid
// is dropped first.
func New(t TB) *DB {
	t.Helper()
	pool, dsn := Server(t)
	schema := SchemaName(os.Getpid(), seq.Add(1), t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := CreateSchema(ctx, pool, schema); err != nil {
		t.Fatalf("pgtest: creating schema %s on %s: %v", schema, dsn, connect().scrub(err))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := DropSchema(ctx, pool, schema); err != nil {
			t.Errorf("pgtest: dropping schema %s on %s: %v", schema, dsn, connect().scrub(err))
		}
	})
	return &DB{Pool: pool, Schema: schema, server: connect()}
}

// CreateSchema drops schema if it exists and creates it empty.
func CreateSchema(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if err := postgresadapter.ValidateSchemaName(schema); err != nil {
		return err
	}
	if err := DropSchema(ctx, pool, schema); err != nil {
		return err
	}
	_, err := pool.Exec(ctx, "CREATE SCHEMA "+quote(schema))
	return err
}

// DropSchema drops schema and everything in it, if it exists.
func DropSchema(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return postgresadapter.DropSchema(ctx, pool, schema)
}

func quote(schema string) string { return pgx.Identifier{schema}.Sanitize() }
