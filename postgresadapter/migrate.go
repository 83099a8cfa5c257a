package postgresadapter

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventspec/eventspec/es"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one versioned SQL file, migrations/NNNN_name.sql.
type migration struct {
	version  int
	name     string
	sql      string // with the {{schema}} placeholder
	checksum string // sha256 of the file
}

// migrations lists the embedded migrations in version order.
var migrations = mustLoadMigrations()

func mustLoadMigrations() []migration {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		panic(err) // the embedded files are part of the build: a bad one is a programming error
	}
	return ms
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, f := range files {
		base := path.Base(f)
		num, name, ok := strings.Cut(strings.TrimSuffix(base, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgresadapter: migration file %s is not named NNNN_name.sql", base)
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		out = append(out, migration{version: v, name: name, sql: string(raw), checksum: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgresadapter: migrations are not numbered 1, 2, 3, …: found %d at place %d", m.version, i+1)
		}
	}
	return out, nil
}

// expand substitutes the quoted schema into a migration: {{schema}} where
// an identifier is expected, {{schema_literal}} inside a string literal.
func expand(sql, qs string) string {
	return strings.NewReplacer("{{schema}}", qs, "{{schema_literal}}", strings.ReplaceAll(qs, "'", "''")).Replace(sql)
}

// SchemaVersion is the schema version this build creates and expects.
func SchemaVersion() int { return len(migrations) }

// Migrate creates the schema when missing and applies the embedded
// migrations it lacks, in one transaction guarded by an advisory lock, so
// processes starting at once apply each migration exactly once. Running it
// again is a no-op. It fails with SCHEMA_MISMATCH when the schema holds
// tables eventspec did not create, was migrated by a newer build, or was
// changed by hand. clock stamps the migration log (es.RealClock when nil).
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string, clock es.Clock) error {
	if pool == nil {
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: Migrate needs a pool")
	}
	if err := ValidateSchemaName(schema); err != nil {
		return err
	}
	if clock == nil {
		clock = es.RealClock{}
	}
	return migrate(ctx, pool, schema, clock)
}

func migrate(ctx context.Context, pool *pgxpool.Pool, schema string, clock es.Clock) error {
	return migrateTo(ctx, pool, schema, clock, len(migrations))
}

// migrateTo is migrate stopping after migration version upTo (tests use it
// to build a schema as an older build left it). Below the latest version
// it skips the final column check, which describes the latest schema.
func migrateTo(ctx context.Context, pool *pgxpool.Pool, schema string, clock es.Clock, upTo int) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey("migrate", schema)); err != nil {
			return mapErr("taking the migration lock", err)
		}
		qs := quoteSchema(schema)
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+qs); err != nil {
			return mapErr("creating schema "+qs, err)
		}
		applied, err := appliedMigrations(ctx, tx, schema)
		if err != nil {
			return err
		}
		if applied == nil {
			if tables, err := schemaTables(ctx, tx, schema); err != nil {
				return err
			} else if len(tables) > 0 {
				return es.Errorf(es.CodeSchemaMismatch,
					"postgresadapter: schema %s already holds tables eventspec did not create (%s) and no schema_migrations table; use an empty or new schema",
					qs, strings.Join(tables, ", "))
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE `+qs+`.schema_migrations (
				version    integer NOT NULL PRIMARY KEY,
				name       text    NOT NULL,
				checksum   text    NOT NULL,
				applied_at timestamptz NOT NULL)`); err != nil {
				return mapErr("creating the migration log", err)
			}
		}
		if err := checkApplied(qs, applied); err != nil {
			return err
		}
		if len(applied) < upTo {
			for _, m := range migrations[len(applied):upTo] {
				if _, err := tx.Exec(ctx, expand(m.sql, qs)); err != nil {
					return mapErr(fmt.Sprintf("applying migration %d (%s) to schema %s", m.version, m.name, qs), err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO `+qs+`.schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
					m.version, m.name, m.checksum, clock.Now().UTC()); err != nil {
					return mapErr("recording migration", err)
				}
			}
		}
		if upTo < len(migrations) {
			return nil
		}
		return checkColumns(ctx, tx, schema)
	})
}

// CheckSchema verifies, without changing anything, that schema holds
// exactly the tables and columns this build expects at SchemaVersion.
// Errors: SCHEMA_MISMATCH with a message naming what differs.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if pool == nil {
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: CheckSchema needs a pool")
	}
	if err := ValidateSchemaName(schema); err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		qs := quoteSchema(schema)
		applied, err := appliedMigrations(ctx, tx, schema)
		if err != nil {
			return err
		}
		if applied == nil {
			return es.Errorf(es.CodeSchemaMismatch, "postgresadapter: schema %s has no schema_migrations table: it was never migrated by eventspec (run Migrate)", qs)
		}
		if err := checkApplied(qs, applied); err != nil {
			return err
		}
		if len(applied) < len(migrations) {
			return es.Errorf(es.CodeSchemaMismatch, "postgresadapter: schema %s is at version %d; this build needs version %d (run Migrate)", qs, len(applied), len(migrations))
		}
		return checkColumns(ctx, tx, schema)
	})
}

// appliedMigrations reads the migration log; nil when it does not exist.
func appliedMigrations(ctx context.Context, tx pgx.Tx, schema string) ([]migration, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = 'schema_migrations')`, schema).Scan(&exists); err != nil {
		return nil, mapErr("looking for the migration log", err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT version, name, checksum FROM `+quoteSchema(schema)+`.schema_migrations ORDER BY version`)
	if err != nil {
		return nil, mapErr("reading the migration log", err)
	}
	out := []migration{}
	for rows.Next() {
		var m migration
		if err := rows.Scan(&m.version, &m.name, &m.checksum); err != nil {
			rows.Close()
			return nil, es.Wrap(es.CodeSchemaMismatch, err, "postgresadapter: schema_migrations in %s has unexpected columns", quoteSchema(schema))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr("reading the migration log", err)
	}
	return out, nil
}

// checkApplied compares the migration log with the embedded migrations.
func checkApplied(qs string, applied []migration) error {
	for i, a := range applied {
		if a.version != i+1 {
			return es.Errorf(es.CodeSchemaMismatch, "postgresadapter: schema %s: migration log has version %d where %d was expected", qs, a.version, i+1)
		}
		if i >= len(migrations) {
			return es.Errorf(es.CodeSchemaMismatch,
				"postgresadapter: schema %s is at version %d, newer than this build knows (%d); upgrade eventspec", qs, applied[len(applied)-1].version, len(migrations))
		}
		if m := migrations[i]; a.checksum != m.checksum {
			return es.Errorf(es.CodeSchemaMismatch,
				"postgresadapter: schema %s: migration %d (%s) was applied from a different definition (checksum %.12s…, this build has %.12s…)",
				qs, a.version, a.name, a.checksum, m.checksum)
		}
	}
	return nil
}

// schemaTables lists the tables in schema.
func schemaTables(ctx context.Context, tx pgx.Tx, schema string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = $1 ORDER BY tablename`, schema)
	if err != nil {
		return nil, mapErr("listing tables", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, mapErr("listing tables", err)
	}
	return names, nil
}

// expectedFunctions are the functions the adapter calls.
var expectedFunctions = []string{"append_events", "append_one_if", "finality_bound", "registration_key", "wait_for_plain_writers"}

// expectedColumns is every table and column (with its type) the adapter
// reads or writes at SchemaVersion.
var expectedColumns = map[string][]string{
	"events": {"position bigint", "stream_id text", "stream_version bigint", "type text", "data bytea",
		"tags text[]", "event_id text", "correlation_id text", "causation_id text", "category text",
		"schema_version integer", "extra bytea", "recorded_at_ns bigint"},
	"event_tags":  {"tag text", "position bigint", "type text"},
	"idempotency": {"key text", "fingerprint text", "stream_id text", "event_ids text[]", "positions bigint[]", "version bigint"},
	"idempotency_audits": {"seq bigint", "id text", "key text", "stream_id text", "existing_fingerprint text",
		"incoming_fingerprint text", "at_ns bigint"},
	"documents": {"collection text", "key text", "data bytea", "version bigint", "updated_at_ns bigint",
		"ix1_name text", "ix1_key text", "ix2_name text", "ix2_key text", "ix3_name text", "ix3_key text", "ix4_name text", "ix4_key text"},
	"jobs": {"seq bigint", "id text", "kind text", "payload bytea", "partition text", "state text", "run_at_ns bigint",
		"enqueued_at_ns bigint", "attempts integer", "max_attempts integer", "backoff_ns bigint",
		"lease_until_ns bigint", "last_error bytea", "dead_seq bigint"},
	"commands": {"command_id text", "command_type text", "target_context text", "payload bytea", "user_id text",
		"correlation_id text", "causation_id text", "timestamp_ns bigint", "correlation_cursor text", "status text",
		"result bytea", "executed_at_ns bigint", "ttl_ns bigint", "expires_at_ns bigint"},
	"command_event_correlations": {"command_id text", "event_ids text[]", "command_type text", "bounded_context text",
		"created_at_ns bigint", "ttl_ns bigint", "expires_at_ns bigint"},
}

// checkColumns compares the schema's tables and columns with
// expectedColumns and checks the append function exists.
func checkColumns(ctx context.Context, tx pgx.Tx, schema string) error {
	rows, err := tx.Query(ctx, `
		SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, NULL)
		FROM pg_catalog.pg_attribute a
		JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`, schema)
	if err != nil {
		return mapErr("reading the schema's columns", err)
	}
	have := map[string]map[string]string{}
	var table, col, typ string
	_, err = pgx.ForEachRow(rows, []any{&table, &col, &typ}, func() error {
		if have[table] == nil {
			have[table] = map[string]string{}
		}
		have[table][col] = typ
		return nil
	})
	if err != nil {
		return mapErr("reading the schema's columns", err)
	}
	var problems []string
	tables := make([]string, 0, len(expectedColumns))
	for t := range expectedColumns {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	for _, t := range tables {
		cols, ok := have[t]
		if !ok {
			problems = append(problems, "table "+t+" is missing")
			continue
		}
		for _, spec := range expectedColumns[t] {
			name, want, _ := strings.Cut(spec, " ")
			got, ok := cols[name]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("column %s.%s is missing", t, name))
			case got != want:
				problems = append(problems, fmt.Sprintf("column %s.%s is %s, want %s", t, name, got, want))
			}
		}
	}
	var present []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(p.proname::text), '{}') FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = $1 AND p.proname = ANY ($2)`, schema, expectedFunctions).Scan(&present); err != nil {
		return mapErr("looking for the adapter's functions", err)
	}
	for _, f := range expectedFunctions {
		if !slices.Contains(present, f) {
			problems = append(problems, "function "+f+" is missing")
		}
	}
	var seq bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = 'positions' AND c.relkind = 'S')`, schema).Scan(&seq); err != nil {
		return mapErr("looking for the positions sequence", err)
	}
	if !seq {
		problems = append(problems, "sequence positions is missing")
	}
	if len(problems) > 0 {
		return es.Errorf(es.CodeSchemaMismatch, "postgresadapter: schema %s is not the one eventspec version %d expects: %s",
			quoteSchema(schema), len(migrations), strings.Join(problems, "; "))
	}
	return nil
}

// DropSchema drops schema and everything in it — events, documents, jobs —
// if it exists. It is for throwaway schemas (tests, `eventspec certify`);
// there is no undo.
func DropSchema(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if pool == nil {
		return es.Errorf(es.CodeInvalidArgument, "postgresadapter: DropSchema needs a pool")
	}
	if err := ValidateSchemaName(schema); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+quoteSchema(schema)+` CASCADE`); err != nil {
		return mapErr("dropping schema "+quoteSchema(schema), err)
	}
	return nil
}
