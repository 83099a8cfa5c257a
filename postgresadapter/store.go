package postgresadapter

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// DefaultSchema is the schema the adapter uses when Options.Schema is empty.
const DefaultSchema = "eventspec"

// maxSchemaBytes is PostgreSQL's identifier length limit (NAMEDATALEN-1).
const maxSchemaBytes = 63

// Capabilities is what the adapter claims, and the conformance suite
// verifies: committed data survives reopening (Persistent); several
// processes may share a schema, claiming jobs with FOR UPDATE SKIP LOCKED
// (ConcurrentProcesses); units of work run concurrently, appends included,
// so a transaction can commit while an earlier one is open
// (InterleavedTransactions).
//
// Not claimed: GaplessPositions — positions come from a sequence, so a
// rolled-back append leaves a hole; FaultInjection — PostgreSQL's failures
// are real ones.
var Capabilities = store.Capabilities{
	store.Persistent,
	store.ConcurrentProcesses,
	store.InterleavedTransactions,
}

// Options configures a Store.
type Options struct {
	// Schema is the PostgreSQL schema holding the adapter's tables
	// (DefaultSchema when empty). It is created when missing.
	Schema string
	// Clock is where every stored time comes from: RecordedAt, document
	// UpdatedAt, job times. es.RealClock when nil. The database's now() is
	// never used.
	Clock es.Clock
	// IDs mints event, job and audit ids. es.NewUUIDv7(Clock) when nil.
	IDs es.IDs
	// NoMigrate makes Open only check the schema, never change it. Use it
	// when the application's role may not run DDL; run Migrate separately.
	NoMigrate bool
}

// Store is the PostgreSQL engine. It implements store.Store and is safe for
// concurrent use; every unit of work is one pgx transaction at READ
// COMMITTED on a connection from the pool.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	clock  es.Clock
	ids    es.IDs
	locks  lockClasses
	q      queries
	closed atomic.Bool
}

// Open checks (and, unless opts.NoMigrate, migrates) the schema and returns
// a Store on pool. The pool stays the caller's: Close does not close it.
// A schema that exists but is not one eventspec created, or was migrated
// by a newer or different build, fails with SCHEMA_MISMATCH.
func Open(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, es.Errorf(es.CodeInvalidArgument, "postgresadapter: Open needs a pool")
	}
	if ctx == nil {
		return nil, es.Errorf(es.CodeInvalidArgument, "postgresadapter: Open needs a context")
	}
	schema := opts.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if err := ValidateSchemaName(schema); err != nil {
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = es.RealClock{}
	}
	ids := opts.IDs
	if ids == nil {
		ids = es.NewUUIDv7(clock)
	}
	if opts.NoMigrate {
		if err := CheckSchema(ctx, pool, schema); err != nil {
			return nil, err
		}
	} else if err := migrate(ctx, pool, schema, clock); err != nil {
		return nil, err
	}
	return &Store{
		pool:   pool,
		schema: schema,
		clock:  clock,
		ids:    ids,
		locks:  newLockClasses(schema),
		q:      newQueries(quoteSchema(schema)),
	}, nil
}

// ValidateSchemaName reports INVALID_ARGUMENT unless name is a usable
// PostgreSQL schema name: 1 to 63 bytes of valid UTF-8 without NUL. Any
// other character is allowed: the name is always quoted.
func ValidateSchemaName(name string) error {
	switch {
	case name == "":
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: schema name is empty")
	case len(name) > maxSchemaBytes:
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: schema name is %d bytes; at most %d", len(name), maxSchemaBytes)
	case !utf8.ValidString(name):
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: schema name %q is not valid UTF-8", name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			return es.Errorf(es.CodeInvalidArgument, "postgresadapter: schema name %q holds a NUL byte", name)
		}
	}
	return nil
}

// quoteSchema returns the schema as a quoted SQL identifier.
func quoteSchema(schema string) string { return pgx.Identifier{schema}.Sanitize() }

// lockKey derives a stable advisory-lock key for one purpose in one schema.
func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("eventspec\x00" + purpose + "\x00" + schema))
	return int64(h.Sum64())
}

// Schema returns the schema the store works in.
func (s *Store) Schema() string { return s.schema }

// Clock returns the clock the store reads time from.
func (s *Store) Clock() es.Clock { return s.clock }

// Capabilities returns a copy of the package's Capabilities.
func (s *Store) Capabilities() store.Capabilities {
	return append(store.Capabilities(nil), Capabilities...)
}

// Close marks the store closed: later Atomic calls, and operations of units
// of work still running, fail with STORE_CLOSED (a running unit of work is
// rolled back). The pool is not closed. Closing twice is a no-op.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// rollbackTimeout bounds the rollback of a unit of work whose context is
// already done.
const rollbackTimeout = 10 * time.Second

// Atomic runs fn in one transaction at READ COMMITTED on a pooled
// connection; see store.Store. The transaction opens with fn's first
// statement (BEGIN is pipelined with it). When fn returns an error or panics, or ctx is done before
// the commit, the transaction is rolled back and the error returned (the
// panic re-raised). A killed connection rolls back on the server.
func (s *Store) Atomic(ctx context.Context, fn func(tx store.Tx) error) (err error) {
	if fn == nil {
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: Atomic needs a function")
	}
	if ctx == nil {
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: Atomic needs a context")
	}
	if s.closed.Load() {
		return es.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return mapErr("acquiring a connection for a unit of work", err)
	}
	// Release destroys a connection that is not idle (a failed rollback, a
	// broken connection), so the pool never hands out a dirty one.
	defer conn.Release()
	ptx := &lazyTx{conn: conn}
	t := &tx{s: s, ptx: ptx}
	finished := false
	defer func() {
		if finished {
			return
		}
		t.end()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		_ = ptx.Rollback(rctx) // on a broken connection the server rolls back by itself
	}()
	if err := fn(t); err != nil {
		return err
	}
	t.end()
	if s.closed.Load() {
		return es.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.failed != nil {
		return es.Wrap(es.CodeTransactionAborted, t.failed, "postgresadapter: the unit of work cannot commit: an earlier statement failed")
	}
	finished = true
	if err := ptx.Commit(ctx); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		_ = ptx.Rollback(rctx)
		return mapErr("committing the unit of work", err)
	}
	return nil
}

// tx is one unit of work. Its Events, Documents and Jobs views are the same
// pointer under other method sets.
type tx struct {
	s   *Store
	ptx *lazyTx

	// mu serialises the operations of the unit of work and guards the
	// fields below: a Tx is for one goroutine, but one that leaked out of
	// its Atomic must only ever see that it ended.
	mu   sync.Mutex
	done bool
	// failed is the first database error of the unit: PostgreSQL aborts
	// the transaction after it, so later operations fail fast with it.
	failed error
	// registered is set once the unit holds an appender registration of
	// either class, registeredPlain once it holds a plain writer's (see
	// finality_bound and append_events in the migrations).
	registered, registeredPlain bool
}

func (t *tx) Events() store.EventLog     { return (*eventLog)(t) }
func (t *tx) Documents() store.Documents { return (*documents)(t) }
func (t *tx) Jobs() store.Jobs           { return (*jobs)(t) }

// errEnded is returned by a Tx used after its Atomic returned.
var errEnded = es.Errorf(es.CodeTransactionAborted, "postgresadapter: the unit of work has ended; a Tx is valid only inside the function given to Atomic")

func (t *tx) end() {
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
}

// begin locks the unit for one operation and checks it is usable. On
// success the caller must call t.mu.Unlock.
func (t *tx) begin(ctx context.Context) error {
	if ctx == nil {
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: nil context")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	switch {
	case t.done:
		t.mu.Unlock()
		return errEnded
	case t.s.closed.Load():
		t.mu.Unlock()
		return es.ErrClosed
	case t.failed != nil:
		err := t.failed
		t.mu.Unlock()
		return es.Wrap(es.CodeTransactionAborted, err, "postgresadapter: the unit of work is aborted: an earlier statement failed")
	}
	return nil
}

// dbErr records a database error (PostgreSQL has aborted the transaction)
// and returns it mapped to an eventspec error. t.mu must be held.
func (t *tx) dbErr(what string, err error) error {
	if t.failed == nil {
		t.failed = err
	}
	return mapErr(what, err)
}

func (t *tx) now() time.Time { return t.s.clock.Now().UTC() }

// mapErr turns a pgx error into an eventspec error that keeps it as its
// cause. Context errors are returned as they are (errors.Is works on them).
func mapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("postgresadapter: %s: %w", what, err)
	}
	var c es.Coder
	if errors.As(err, &c) {
		return err
	}
	return es.Wrap(codeOf(err), Redact(err), "postgresadapter: %s", what)
}
