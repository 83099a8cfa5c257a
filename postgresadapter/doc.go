// Package postgresadapter is eventspec's production engine: every port of
// package store (the event log with per-stream optimistic concurrency, DCB
// conditions and idempotent appends; documents; jobs) on PostgreSQL ≥ 15
// with pgx v5. It passes the same conformance suite as memstore.
//
//	pool, _ := pgxpool.New(ctx, dsn)
//	s, err := postgresadapter.Open(ctx, pool, postgresadapter.Options{Schema: "orders"})
//	err = s.Atomic(ctx, func(tx store.Tx) error { … })
//
// # Units of work
//
// Store.Atomic runs one transaction at READ COMMITTED on a pooled
// connection. BEGIN travels in one pipelined batch with the unit's first
// write, and reads before that write run on the same connection outside
// the transaction (at READ COMMITTED each statement takes a fresh snapshot
// either way), so a unit that only reads costs one round trip per read and
// no COMMIT. An error, a panic, a cancelled context or a
// killed connection rolls everything back (the server aborts a transaction
// whose connection dies). A statement that
// fails inside PostgreSQL aborts the transaction; the unit of work then
// fails fast with TRANSACTION_ABORTED. Every expected outcome — a version
// conflict, a failed condition, a missing document, a lost lease — is
// decided without a failing statement, so the unit stays usable after it.
//
// All input is validated in Go (es.AppendRequest.Validate, store
// validators) before any SQL runs, and every value travels as a statement
// parameter; the only text spliced into SQL is the schema name, quoted with
// pgx.Identifier. Strings PostgreSQL text cannot hold (NUL, invalid UTF-8)
// in event metadata are rejected with INVALID_EVENT.
//
// Time comes only from Options.Clock (RecordedAt, UpdatedAt, job times,
// leases), never from the database's now(), so a virtual clock drives the
// adapter exactly as it drives memstore. Times are stored as int64
// nanoseconds since the Unix epoch (years 1678–2262; an instant outside
// that range is INVALID_ARGUMENT). Event data, document data and job
// payloads are stored as bytea: the bytes appended are the bytes read back.
//
// Event ids are unique in the log. An append carrying an explicit event id
// already stored fails with INVALID_EVENT; ids minted by Options.IDs are
// trusted (a source that repeats itself makes the insert fail, and the unit
// of work with it). Ids are minted before the append's checks, so a
// rejected append still consumes ids from the source (memstore mints them
// only for appends that succeed).
//
// # Global positions: no skipped late committer
//
// Positions come from a sequence (CACHE 1), drawn by the append_events
// function (or, for an append of one event without a condition or an
// idempotency key, by a single INSERT statement that takes the same stream
// lock and registration) after the append holds every lock it needs
// (below). Positions
// are unique and increase in the order they are drawn, but transactions
// commit in any order, and a rolled-back append leaves a hole (so
// GaplessPositions is not claimed).
//
// Readers therefore stop at a finality bound: the highest position no open
// transaction can still fill. Each unit of work registers itself once, on
// its first append, before drawing any position: it takes a shared
// advisory lock keyed by the sequence's high-water mark at that moment, a
// lower bound of every position it will draw (plain writers and
// conditional appends register in two lock classes; see below). The finality_bound function
// reads the high-water mark, then scans pg_locks for the registrations of
// other open transactions, and returns the high-water mark lowered below
// the oldest registration. ReadAll and ReadQuery call it first, then read
// in a statement (hence a snapshot) taken afterwards, returning only events
// at or below the bound, and report Head = min(bound, highest position in
// the snapshot). An appender that registers after the scan draws positions
// above the high-water mark read before it, so nothing can land at or
// below a Head a reader was given: a tail reader that follows Next never
// skips a late committer, and Head is safe as a DCB condition's After.
// The price is lag: while a transaction that appended stays open, readers
// see nothing after its first position. Keep units of work that append
// short. A unit reading its own log sees its own appends (its registration
// is ignored). Registration keys are the high-water mark modulo 2^32: an
// appender must not stay open while 2^31 further positions are drawn.
//
// The cost: an append takes one extra uncontended shared lock; a log or
// DCB read makes one extra round trip that reads the sequence and
// pg_locks (whose cost grows with the number of locks held server-wide,
// not with the log). Commit order may differ from position order; the
// bound keeps readers from ever seeing the difference.
//
// # DCB conditions at READ COMMITTED
//
// Appends take transaction-scoped advisory locks (two-int4 keys whose class
// is derived from the schema), in one sorted order so appends never
// deadlock on each other:
//
//   - the stream, exclusively, when it has one (expected versions and
//     version numbers are decided under it);
//   - the idempotency key, exclusively, when it has one;
//   - for a conditional append only: shared, a global key and one key per
//     distinct event type and per distinct tag of its events; exclusive,
//     the global key for All, otherwise, per query item, the key of the
//     item's first tag (every matching event carries it), or the key of
//     each of its types when it has no tags.
//
// Two conditional appends where the events of one match the condition of
// the other therefore exclude each other. A plain writer (an append
// without a condition, the common case) takes no DCB lock at all — only
// its stream lock and its registration. A conditional append registers
// (in its own class), draws its positions, and then waits for every plain
// writer whose registration lies below its first position: those, and
// only those, may still commit an event at a lower position. It waits by
// requesting each such registration key exclusively (a session lock
// released at once: the sequence has passed those keys, so no new writer
// registers under them). Its condition check runs in a snapshot taken
// after the waits, so it sees every event that will ever sit below its own
// positions: events committed earlier, events of the plain writers it
// waited for, and events of conflicting conditional appends that locked
// first. A plain writer registering later draws higher positions and is
// ordered after it. No conflict is ever missed. The check itself is exact
// (es.Query semantics) and uses indexed lookups only: per item, a range
// scan of the (tag, position) index after After, or of the (type,
// position) index — its cost does not grow with the log, only with the
// matching events after After. Lock-key hash collisions and waiting for a
// plain writer whose events do not match make appends wait; they never
// cause a rejection, so the adapter has no false conflicts beyond those of
// the DCB semantics themselves (the conformance suite measures the rate).
// An append with more than 64 distinct DCB keys (or a condition with more
// than 64 items) takes the global key exclusively instead, keeping
// PostgreSQL's lock table bounded.
//
// A conditional append of one event whose condition is All or a single
// query item, without an idempotency key (the common DCB decision), calls
// append_one_if: the same steps as append_events with plain parameters.
//
// A one-event plain append is a single INSERT statement: stream lock,
// registration, position, row and tags. Its snapshot is taken before it
// waits for the stream lock, so it inserts with ON CONFLICT DO NOTHING on
// (stream, version); when it inserts nothing, a fresh read decides between
// CONCURRENCY_CONFLICT, a taken event id and another attempt (when the
// expectation still holds, e.g. Any).
//
// A unit of work that appends several times takes its locks append by
// append; two such units can deadlock (so can a multi-append unit and a
// conditional append waiting for it), which PostgreSQL detects and reports
// as TRANSACTION_ABORTED to one of them.
//
// # Idempotency audits
//
// A rejected reuse of an idempotency key is audited on a separate
// connection in its own transaction, so the audit persists even though the
// unit of work that was rejected rolls back.
//
// # Jobs
//
// Jobs are claimed with FOR UPDATE SKIP LOCKED, so processes sharing a
// schema never hold the same job. A job is a candidate only when no
// earlier-enqueued job of its partition is pending or leased — a job
// another claimer has locked still counts — so FIFO per partition holds
// across processes. A lease is the job id plus the attempt number; an
// expired lease is reclaimed as a new attempt, or the job dies ("lease
// expired") when that was its last attempt. Retries wait
// store.RetryDelay.
//
// # Schema and migrations
//
// The schema (Options.Schema, default "eventspec") is created and migrated
// on Open from versioned SQL files embedded in the binary
// (migrations/NNNN_name.sql), in one transaction under an advisory lock, so
// processes starting together apply each migration once. Open then checks
// the schema is the expected one — every table and column with its type,
// the functions and the sequence — and fails with SCHEMA_MISMATCH, naming
// the difference, for a schema holding foreign tables, migrated by a newer
// build or from a different definition, or altered by hand. With
// Options.NoMigrate, Open only checks (run Migrate with a privileged role).
//
// Tables: events (position primary key; unique (stream_id,
// stream_version); unique event_id; (type, position)), event_tags ((tag,
// position) including type), idempotency (key), idempotency_audits ((key,
// seq)), documents ((collection, key), C collation for byte order), jobs
// (due: (run_at_ns, seq) and partition: (partition, seq) over live jobs,
// leased: lease_until_ns over leased jobs;
// unique dead_seq for dead-letter order), commands (command_id; (correlation_id,
// correlation_cursor); (expires_at_ns, command_id) over completed commands)
// and command_event_correlations (command_id; (bounded_context,
// created_at_ns, command_id); (expires_at_ns, command_id)) — the command
// log (store.CommandLog), whose records migration 0006 moved out of
// documents.
//
// # Command log
//
// Each method of store.CommandLog is one statement. InsertCommand with a
// correlation record inserts both in one statement (a data-modifying CTE
// whose correlation part runs only when the command row was inserted), and
// a taken command id is ON CONFLICT DO NOTHING answered with
// store.CommandExists, so the unit of work stays usable. PutCorrelation is
// one INSERT … ON CONFLICT DO UPDATE that appends only new event ids, in
// order. Times follow the adapter's rule above, and the zero time is
// stored too (as the least int64; a pending command's executedAt as NULL).
package postgresadapter
