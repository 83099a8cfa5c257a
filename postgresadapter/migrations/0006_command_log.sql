-- The command log (store.CommandLog; spec §6, §29) in tables of its own:
-- one row per command id in commands, one command→event correlation row
-- per command id in command_event_correlations. Until this version
-- package commandbus kept these records as JSON documents (collections
-- 'commands' and 'command-event-correlations'); they are moved here below.
--
-- Ids, names and cursors are text COLLATE "C", so they compare and sort in
-- byte order, as the port orders them. Payload and result are bytea: the
-- bytes written are the bytes read back (result NULL: none). Times are
-- bigint nanoseconds since the Unix epoch, exact to the nanosecond; the
-- zero time.Time (year 1, outside that range) is stored as the smallest
-- bigint, below every other instant (the adapter stores other instants
-- strictly between the smallest and the largest bigint), except in
-- executed_at_ns, which is NULL while the command has not completed (zero
-- ExecutedAt). TTLs are bigint
-- nanoseconds (time.Duration).
CREATE TABLE {{schema}}.commands (
    command_id         text   COLLATE "C" NOT NULL PRIMARY KEY,
    command_type       text   COLLATE "C" NOT NULL,
    target_context     text   COLLATE "C" NOT NULL,
    payload            bytea  NOT NULL,
    user_id            text   COLLATE "C" NOT NULL,
    correlation_id     text   COLLATE "C" NOT NULL,
    causation_id       text   COLLATE "C" NOT NULL,
    timestamp_ns       bigint NOT NULL,
    correlation_cursor text   COLLATE "C" NOT NULL,
    status             text   COLLATE "C" NOT NULL CHECK (status IN ('pending', 'executed', 'rejected', 'failed')),
    result             bytea,
    executed_at_ns     bigint,
    ttl_ns             bigint NOT NULL CHECK (ttl_ns >= 0),
    expires_at_ns      bigint NOT NULL
);
-- CommandsByCorrelation: one correlation id's commands after a cursor.
CREATE INDEX commands_correlation ON {{schema}}.commands (correlation_id, correlation_cursor);
-- DeleteExpiredCommands: only completed commands are ever deleted, so only
-- they are indexed by expiry; pending ones never slow the scan down.
CREATE INDEX commands_expiry ON {{schema}}.commands (expires_at_ns, command_id) WHERE status <> 'pending';

CREATE TABLE {{schema}}.command_event_correlations (
    command_id      text   COLLATE "C" NOT NULL PRIMARY KEY,
    event_ids       text[] COLLATE "C" NOT NULL,
    command_type    text   COLLATE "C" NOT NULL,
    bounded_context text   COLLATE "C" NOT NULL,
    created_at_ns   bigint NOT NULL,
    ttl_ns          bigint NOT NULL CHECK (ttl_ns >= 0),
    expires_at_ns   bigint NOT NULL
);
-- CorrelationsByContext, in (createdAt, commandId) order.
CREATE INDEX command_event_correlations_context ON {{schema}}.command_event_correlations (bounded_context, created_at_ns, command_id);
-- DeleteExpiredCorrelations, in (expiresAt, commandId) order.
CREATE INDEX command_event_correlations_expiry ON {{schema}}.command_event_correlations (expires_at_ns, command_id);

-- Moving the documents. Their JSON is read as json (not jsonb), so payload
-- and result keep their exact bytes. Times are RFC 3339 strings (Go's
-- time.Time JSON); migration_0006_ns converts one exactly, to the
-- nanosecond: the whole seconds through timestamptz, the fraction from the
-- digits. The zero time becomes the smallest bigint, as above; an instant
-- outside the range bigint nanoseconds hold (before 1677 or after 2262;
-- commandbus never wrote one but from a broken clock) is clamped to the
-- nearest one inside it rather than failing the migration.
CREATE FUNCTION {{schema}}.migration_0006_ns(s text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $fn$
    SELECT (CASE
        WHEN w.secs = -62135596800 AND w.frac = 0 THEN -9223372036854775808
        ELSE least(greatest(w.secs * 1000000000 + w.frac, -9223372036854775807), 9223372036854775806)
    END)::bigint
    FROM (SELECT extract(epoch FROM regexp_replace(s, '\.[0-9]+', '')::timestamptz)::numeric AS secs,
                 coalesce(rpad(substring(s FROM '\.([0-9]+)'), 9, '0')::numeric, 0) AS frac) w
$fn$;

INSERT INTO {{schema}}.commands (command_id, command_type, target_context, payload, user_id, correlation_id,
                                 causation_id, timestamp_ns, correlation_cursor, status, result, executed_at_ns,
                                 ttl_ns, expires_at_ns)
SELECT d.key,
       coalesce(j->>'commandType', ''),
       coalesce(j->>'targetContext', ''),
       convert_to(coalesce(j->'payload', 'null'::json)::text, 'UTF8'),
       coalesce(j->'metadata'->>'userId', ''),
       coalesce(j->'metadata'->>'correlationId', ''),
       coalesce(j->'metadata'->>'causationId', ''),
       {{schema}}.migration_0006_ns(coalesce(j->'metadata'->>'timestamp', '0001-01-01T00:00:00Z')),
       coalesce(j->>'correlationCursor', ''),
       j->>'status',
       convert_to((j->'result')::text, 'UTF8'),
       {{schema}}.migration_0006_ns(j->>'executedAt'),
       coalesce((j->>'ttl')::bigint, 0),
       {{schema}}.migration_0006_ns(coalesce(j->>'expiresAt', '0001-01-01T00:00:00Z'))
FROM {{schema}}.documents d, LATERAL (SELECT convert_from(d.data, 'UTF8')::json AS j) x
WHERE d.collection = 'commands';

INSERT INTO {{schema}}.command_event_correlations (command_id, event_ids, command_type, bounded_context,
                                                   created_at_ns, ttl_ns, expires_at_ns)
SELECT d.key,
       CASE WHEN json_typeof(j->'eventIds') = 'array'
            THEN ARRAY(SELECT e FROM json_array_elements_text(j->'eventIds') WITH ORDINALITY AS n(e, i) ORDER BY i)
            ELSE '{}'::text[] END,
       coalesce(j->>'commandType', ''),
       coalesce(j->>'boundedContext', ''),
       {{schema}}.migration_0006_ns(coalesce(j->>'createdAt', '0001-01-01T00:00:00Z')),
       coalesce((j->>'ttl')::bigint, 0),
       {{schema}}.migration_0006_ns(coalesce(j->>'expiresAt', '0001-01-01T00:00:00Z'))
FROM {{schema}}.documents d, LATERAL (SELECT convert_from(d.data, 'UTF8')::json AS j) x
WHERE d.collection = 'command-event-correlations';

DELETE FROM {{schema}}.documents WHERE collection IN ('commands', 'command-event-correlations');

DROP FUNCTION {{schema}}.migration_0006_ns(text);
