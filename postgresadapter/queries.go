package postgresadapter

import (
	"fmt"
	"strings"

	"github.com/eventspec/eventspec/store"
)

// queries holds every statement with the schema name substituted. Values
// always travel as parameters; only the quoted schema identifier is
// spliced in.
type queries struct {
	appendEvents string
	// appendOne is the one-statement plain append of one event, by
	// appendOneVariant.
	appendOne      [4]string
	appendOneState string
	appendOneIf    string
	bound          string
	readStreamFw   string
	readStreamBw   string
	streamVer      string
	readAll        string
	audits         string
	insertAudit    string

	docGet     string
	docUpdate  string
	docDelete  string
	docVersion string
	docList    string
	// docInsertIndexed inserts a document with its index slots;
	// docListIndex lists an index ($1 collection, $2 index, $3 $4 lower
	// bound, $5 prefix, $6 limit), docListIndexBounded with $7 an upper
	// bound of the index key.
	docInsertIndexed    string
	docListIndex        string
	docListIndexBounded string

	jobInsert   string
	jobExpire   string
	jobClaim    string
	jobCurrent  string
	jobComplete string
	jobRetry    string
	jobKill     string
	jobGet      string
	jobDeadSeq  string
	jobDead     string

	// The command log (migration 0006). cmdInsertCorr inserts a command
	// and, only when that inserted it, puts its correlation record ($15 to
	// $20, as corrPut's $2 to $7; the command id is $1) in the same
	// statement; it returns how many commands it inserted. The deletions return how many rows they
	// deleted and whether another deletable row remains.
	cmdInsert         string
	cmdInsertCorr     string
	cmdGet            string
	cmdComplete       string
	cmdByCorrelation  string
	cmdDeleteExpired  string
	corrPut           string
	corrGet           string
	corrByContext     string
	corrDeleteExpired string

	// eventCols is the column list every event read selects, as e.*.
	eventCols string
}

const eventColumns = `e.position, e.stream_id, e.stream_version, e.type, e.data, e.tags, e.event_id,
	e.correlation_id, e.causation_id, e.category, e.schema_version, e.extra, e.recorded_at_ns`

// boundExpr reads the finality bound the bound statement stored for the
// current transaction.
const boundExpr = `current_setting('eventspec.finality_bound')::bigint`

const jobColumns = `id, kind, payload, partition, state, run_at_ns, enqueued_at_ns, attempts, max_attempts,
	backoff_ns, lease_until_ns, last_error`

// commandColumns and correlationColumns are the columns of the command
// log's tables in the order every statement writes and reads them.
const (
	commandColumns = `command_id, command_type, target_context, payload, user_id, correlation_id, causation_id,
	timestamp_ns, correlation_cursor, status, result, executed_at_ns, ttl_ns, expires_at_ns`
	correlationColumns = `command_id, event_ids, command_type, bounded_context, created_at_ns, ttl_ns, expires_at_ns`
)

// correlationMerge is the conflict arm of a correlation insert (the table
// aliased cur): it appends the incoming event ids the stored record lacks,
// in their order, keeps every other stored field, and writes nothing when
// none is new.
const correlationMerge = `ON CONFLICT (command_id) DO UPDATE
	SET event_ids = cur.event_ids || ARRAY(SELECT n.e FROM unnest(EXCLUDED.event_ids) WITH ORDINALITY AS n(e, i)
		WHERE n.e <> ALL (cur.event_ids) ORDER BY n.i)
	WHERE NOT (EXCLUDED.event_ids <@ cur.event_ids)`

func newQueries(qs string) queries {
	// {{sl}} is the schema inside a string literal (a regclass name).
	r := strings.NewReplacer("{{s}}", qs, "{{sl}}", strings.ReplaceAll(qs, "'", "''"), "{{ev}}", eventColumns, "{{job}}", jobColumns,
		"{{cmd}}", commandColumns, "{{corr}}", correlationColumns, "{{merge}}", correlationMerge)
	q := r.Replace
	ix := newIndexQueries(qs)
	return queries{
		eventCols:           eventColumns,
		docInsertIndexed:    ix.insert,
		docListIndex:        ix.list,
		docListIndexBounded: ix.listBounded,
		appendEvents: q(`SELECT status, version, positions, fingerprint, event_ids, stream, registered
			FROM {{s}}.append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)`),
		appendOne: [4]string{
			appendOneSQL(r, false, false), appendOneSQL(r, false, true),
			appendOneSQL(r, true, false), appendOneSQL(r, true, true),
		},
		// appendOneState is what appendOne's caller reads when the insert
		// did nothing: the stream's version and whether the event id is
		// taken, in a fresh snapshot.
		appendOneIf: q(`SELECT status, version, pos, registered
			FROM {{s}}.append_one_if($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`),
		appendOneState: q(`SELECT coalesce(max(e.stream_version), 0),
				EXISTS (SELECT 1 FROM {{s}}.events x WHERE x.event_id = $2)
			FROM {{s}}.events e WHERE e.stream_id = $1::text`),
		// The finality bound, kept for the rest of the (implicit or
		// explicit) transaction, where the read that follows finds it.
		bound: q(`SELECT set_config('eventspec.finality_bound', {{s}}.finality_bound($1, $2)::text, true)`),
		readStreamFw: q(`SELECT {{ev}} FROM {{s}}.events e
			WHERE e.stream_id = $1 AND e.stream_version > $2 ORDER BY e.stream_version LIMIT $3`),
		readStreamBw: q(`SELECT {{ev}} FROM {{s}}.events e
			WHERE e.stream_id = $1 AND e.stream_version < $2 ORDER BY e.stream_version DESC LIMIT $3`),
		streamVer: q(`SELECT coalesce(max(e.stream_version), 0) FROM {{s}}.events e WHERE e.stream_id = $1`),
		// The head and the page come from one statement, hence one
		// snapshot, and stop at the finality bound.
		readAll: q(`SELECT h.head, {{ev}}
			FROM (SELECT b.bound, least((SELECT coalesce(max(position), 0) FROM {{s}}.events), b.bound) AS head
				FROM (SELECT ` + boundExpr + ` AS bound) b) h
			LEFT JOIN LATERAL (SELECT * FROM {{s}}.events x WHERE x.position > $1 AND x.position <= h.bound
				ORDER BY x.position LIMIT $2) e ON true
			ORDER BY e.position`),
		audits: q(`SELECT id, key, stream_id, existing_fingerprint, incoming_fingerprint, at_ns
			FROM {{s}}.idempotency_audits WHERE key = $1 ORDER BY seq`),
		insertAudit: q(`INSERT INTO {{s}}.idempotency_audits (id, key, stream_id, existing_fingerprint, incoming_fingerprint, at_ns)
			VALUES ($1, $2, $3, $4, $5, $6)`),

		docGet: q(`SELECT data, version, updated_at_ns FROM {{s}}.documents WHERE collection = $1 AND key = $2`),
		docUpdate: q(`UPDATE {{s}}.documents SET data = $3, version = version + 1, updated_at_ns = $5
			WHERE collection = $1 AND key = $2 AND version = $4 RETURNING version`),
		docDelete:  q(`DELETE FROM {{s}}.documents WHERE collection = $1 AND key = $2 AND ($3 = 0 OR version = $3)`),
		docVersion: q(`SELECT version FROM {{s}}.documents WHERE collection = $1 AND key = $2`),
		docList: q(`SELECT key, data, version, updated_at_ns FROM {{s}}.documents
			WHERE collection = $1 AND key > $2 AND key >= $3 AND ($4::text IS NULL OR key < $4) AND starts_with(key, $3)
			ORDER BY key LIMIT $5`),

		jobInsert: q(`INSERT INTO {{s}}.jobs (id, kind, payload, partition, state, run_at_ns, enqueued_at_ns, attempts,
			max_attempts, backoff_ns, lease_until_ns, last_error)
			VALUES ($1, $2, $3, $4, 'pending', $5, $6, 0, $7, $8, NULL, '\x')`),
		// A leased job whose lease expired on its last attempt dies before
		// claiming, so it no longer holds its partition.
		jobExpire: q(`UPDATE {{s}}.jobs j SET state = 'dead', lease_until_ns = NULL, last_error = $2,
				dead_seq = nextval('{{sl}}.jobs_dead_seq')
			WHERE j.seq IN (SELECT seq FROM {{s}}.jobs
				WHERE state = 'leased' AND lease_until_ns <= $1 AND attempts >= max_attempts
				ORDER BY seq FOR UPDATE SKIP LOCKED)`),
		// Candidates are due, claimable (pending, or leased with an expired
		// lease) and first among the live jobs of their partition. Rows
		// another claimer holds are skipped; the partition check sees the
		// skipped job as live, so FIFO holds across processes.
		jobClaim: q(`WITH c AS (
				SELECT j.seq FROM {{s}}.jobs j
				WHERE j.state IN ('pending', 'leased') AND j.run_at_ns <= $1
				  AND (j.state = 'pending' OR j.lease_until_ns <= $1)
				  AND (j.partition = '' OR NOT EXISTS (
				      SELECT 1 FROM {{s}}.jobs p
				      WHERE p.partition = j.partition AND p.partition <> '' AND p.seq < j.seq
				        AND p.state IN ('pending', 'leased')))
				ORDER BY j.run_at_ns, j.seq
				LIMIT $2
				FOR UPDATE OF j SKIP LOCKED)
			UPDATE {{s}}.jobs u SET state = 'leased', attempts = u.attempts + 1, lease_until_ns = $1 + $3
			FROM c WHERE u.seq = c.seq
			RETURNING u.seq, u.id, u.kind, u.payload, u.partition, u.state, u.run_at_ns, u.enqueued_at_ns, u.attempts,
				u.max_attempts, u.backoff_ns, u.lease_until_ns, u.last_error`),
		jobCurrent:  q(`SELECT state, attempts, max_attempts, backoff_ns, lease_until_ns FROM {{s}}.jobs WHERE id = $1 FOR UPDATE`),
		jobComplete: q(`UPDATE {{s}}.jobs SET state = 'done', lease_until_ns = NULL WHERE id = $1`),
		jobRetry:    q(`UPDATE {{s}}.jobs SET state = 'pending', run_at_ns = $2, lease_until_ns = NULL, last_error = $3 WHERE id = $1`),
		jobKill: q(`UPDATE {{s}}.jobs SET state = 'dead', lease_until_ns = NULL, last_error = $2,
			dead_seq = nextval('{{sl}}.jobs_dead_seq') WHERE id = $1`),
		jobGet:     q(`SELECT {{job}} FROM {{s}}.jobs WHERE id = $1`),
		jobDeadSeq: q(`SELECT dead_seq FROM {{s}}.jobs WHERE id = $1 AND state = 'dead'`),
		jobDead:    q(`SELECT {{job}} FROM {{s}}.jobs WHERE state = 'dead' AND dead_seq > $1 ORDER BY dead_seq LIMIT $2`),

		// A taken command id makes the insert do nothing (never a unique
		// violation, which would abort the unit of work); a concurrent
		// insert of the same id waits for the other unit and then does
		// nothing if that one committed.
		cmdInsert: q(`INSERT INTO {{s}}.commands ({{cmd}})
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (command_id) DO NOTHING`),
		cmdInsertCorr: q(`WITH c AS (
				INSERT INTO {{s}}.commands ({{cmd}})
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
				ON CONFLICT (command_id) DO NOTHING
				RETURNING command_id),
			r AS (
				INSERT INTO {{s}}.command_event_correlations AS cur ({{corr}})
				SELECT c.command_id, $15::text[], $16, $17, $18, $19, $20 FROM c
				{{merge}})
			SELECT count(*)::integer FROM c`),
		cmdGet: q(`SELECT {{cmd}} FROM {{s}}.commands WHERE command_id = $1`),
		cmdComplete: q(`UPDATE {{s}}.commands SET status = $2, result = $3, executed_at_ns = $4
			WHERE command_id = $1 AND status = 'pending'`),
		cmdByCorrelation: q(`SELECT {{cmd}} FROM {{s}}.commands
			WHERE correlation_id = $1 AND correlation_cursor > $2
			ORDER BY correlation_cursor COLLATE "C" LIMIT $3`),
		// The first limit+1 deletable rows in (expires_at_ns, command_id)
		// order (one scan of the partial index commands_expiry); the first
		// limit are deleted, and a row beyond them means more remain.
		cmdDeleteExpired: q(`WITH cand AS MATERIALIZED (
				SELECT command_id, expires_at_ns FROM {{s}}.commands
				WHERE status <> 'pending' AND expires_at_ns < $1
				ORDER BY expires_at_ns, command_id COLLATE "C" LIMIT $2::integer + 1),
			del AS (
				DELETE FROM {{s}}.commands d
				WHERE d.command_id IN (SELECT command_id FROM cand ORDER BY expires_at_ns, command_id COLLATE "C" LIMIT $2::integer)
				  AND d.status <> 'pending'
				RETURNING 1)
			SELECT (SELECT count(*) FROM del)::integer, (SELECT count(*) FROM cand) > $2::integer`),
		corrPut: q(`INSERT INTO {{s}}.command_event_correlations AS cur ({{corr}})
			VALUES ($1, $2::text[], $3, $4, $5, $6, $7)
			{{merge}}`),
		corrGet: q(`SELECT {{corr}} FROM {{s}}.command_event_correlations WHERE command_id = $1`),
		corrByContext: q(`SELECT {{corr}} FROM {{s}}.command_event_correlations
			WHERE bounded_context = $1 AND created_at_ns >= $2
			ORDER BY created_at_ns, command_id COLLATE "C" LIMIT $3`),
		corrDeleteExpired: q(`WITH cand AS MATERIALIZED (
				SELECT command_id, expires_at_ns FROM {{s}}.command_event_correlations
				WHERE expires_at_ns < $1
				ORDER BY expires_at_ns, command_id COLLATE "C" LIMIT $2::integer + 1),
			del AS (
				DELETE FROM {{s}}.command_event_correlations d
				WHERE d.command_id IN (SELECT command_id FROM cand ORDER BY expires_at_ns, command_id COLLATE "C" LIMIT $2::integer)
				RETURNING 1)
			SELECT (SELECT count(*) FROM del)::integer, (SELECT count(*) FROM cand) > $2::integer`),
	}
}

// indexQueries are the statements of the documents' secondary indexes
// (migration 0004: store.MaxIndexEntries slots of (name, key) columns per
// row, each with a partial index).
type indexQueries struct {
	insert      string
	list        string
	listBounded string
}

func newIndexQueries(qs string) indexQueries {
	cols := make([]string, 0, 2*store.MaxIndexEntries)
	params := make([]string, 0, 2*store.MaxIndexEntries)
	for i := 1; i <= store.MaxIndexEntries; i++ {
		cols = append(cols, fmt.Sprintf("ix%d_name, ix%d_key", i, i))
		params = append(params, fmt.Sprintf("$%d, $%d", 3+2*i, 4+2*i))
	}
	list := func(bounded bool) string {
		branches := make([]string, 0, store.MaxIndexEntries)
		for i := 1; i <= store.MaxIndexEntries; i++ {
			upper := ""
			if bounded {
				upper = fmt.Sprintf(" AND ix%d_key < $7", i)
			}
			// One ordered scan of slot i's partial index (ix<i>_name = $2
			// implies the index's NOT NULL predicate).
			branches = append(branches, fmt.Sprintf(`(SELECT key, data, version, updated_at_ns, ix%[1]d_key AS ik FROM %[2]s.documents
				WHERE collection = $1 AND ix%[1]d_name = $2 AND (ix%[1]d_key, key) > ($3, $4)%[3]s AND starts_with(ix%[1]d_key, $5)
				ORDER BY ix%[1]d_key, key LIMIT $6)`, i, qs, upper))
		}
		return `SELECT key, data, version, updated_at_ns, ik FROM (` + strings.Join(branches, " UNION ALL ") + `) u ORDER BY ik, key LIMIT $6`
	}
	return indexQueries{
		insert: `INSERT INTO ` + qs + `.documents (collection, key, data, version, updated_at_ns, ` + strings.Join(cols, ", ") + `)
			VALUES ($1, $2, $3, 1, $4, ` + strings.Join(params, ", ") + `) ON CONFLICT (collection, key) DO NOTHING`,
		list:        list(false),
		listBounded: list(true),
	}
}

// appendOneVariant picks the appendOne statement: with the stream's current
// version read in the statement (Any, StreamExists) or not (no stream,
// NoStream, Exact), with the tag rows or without.
func appendOneVariant(readsVersion, tagged bool) int {
	v := 0
	if readsVersion {
		v += 2
	}
	if tagged {
		v++
	}
	return v
}

// appendOneSQL builds a plain append of one event in one statement: the
// stream lock ($1, $2; none without a stream), then the plain writer's
// registration ($3; NULL when the unit is registered), each in a subquery
// that must produce its row before the next (OFFSET 0 keeps them apart),
// then the position is drawn and the row inserted when the expected
// version ($5 kind, $6 version; for StreamExists, $6 is 0) holds in the
// statement's snapshot and,
// when the caller chose the event id ($7), the id is new. The snapshot
// predates the lock wait, so a version another append took meanwhile
// makes the insert do nothing (ON CONFLICT); the adapter then re-reads and
// decides. Without readsVersion the version is known in advance (1 for
// NoStream, $6 + 1 for Exact, which checks that version $6 exists), which
// spares reading the stream's head; without tagged the statement has no
// event_tags insert.
func appendOneSQL(r *strings.Replacer, readsVersion, tagged bool) string {
	from, version, expect := "FROM l", "CASE WHEN $5::smallint = 3 THEN $6::bigint + 1 ELSE 1 END",
		"($5::smallint <> 3 OR EXISTS (SELECT 1 FROM {{s}}.events v WHERE v.stream_id = $4::text AND v.stream_version = $6::bigint))"
	cur := ""
	if readsVersion {
		cur = `
			cur AS MATERIALIZED (SELECT coalesce(max(e.stream_version), 0) AS v FROM {{s}}.events e WHERE e.stream_id = $4::text),`
		from, version, expect = "FROM l, cur", "cur.v + 1", "($5::smallint = 0 OR cur.v > $6::bigint)"
	}
	tags, tail := "", "SELECT position, coalesce(stream_version, 0) FROM ins"
	if tagged {
		tags = `,
			tg AS (INSERT INTO {{s}}.event_tags (tag, position, type)
				SELECT t.tag, ins.position, $8 FROM ins, unnest($10::text[]) AS t(tag))`
	}
	return r.Replace(`WITH l AS MATERIALIZED (
				SELECT r.x FROM (
					SELECT CASE WHEN $3::integer IS NULL THEN '' ELSE pg_advisory_xact_lock_shared($3::integer, {{s}}.registration_key())::text END AS x
					FROM (SELECT CASE WHEN $2::integer IS NULL THEN '' ELSE pg_advisory_xact_lock($1::integer, $2::integer)::text END AS y OFFSET 0) s
					OFFSET 0) r),` + cur + `
			ins AS (
				INSERT INTO {{s}}.events (position, stream_id, stream_version, type, data, tags, event_id,
					correlation_id, causation_id, category, schema_version, extra, recorded_at_ns)
				SELECT nextval('{{sl}}.positions'), $4::text, CASE WHEN $4::text IS NULL THEN NULL ELSE ` + version + ` END,
					$8, $9, $10::text[], $11::text, $12, $13, $14, $15, $16, $17
				` + from + `
				WHERE ` + expect + `
				  AND (NOT $7::boolean OR NOT EXISTS (SELECT 1 FROM {{s}}.events x WHERE x.event_id = $11::text))
				ON CONFLICT (stream_id, stream_version) WHERE stream_id IS NOT NULL DO NOTHING
				RETURNING position, stream_version)` + tags + `
			` + tail)
}
