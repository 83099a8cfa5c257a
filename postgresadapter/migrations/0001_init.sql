-- eventspec schema, version 1.
--
-- {{schema}} is replaced by the quoted schema name when the migration runs.
-- Times are stored as bigint nanoseconds since the Unix epoch (UTC), read from
-- the adapter's injected clock, so values round-trip exactly. Event data,
-- document data and job payloads are bytea: the bytes a caller appended are
-- the bytes it reads back.

-- The global log. Positions come from the positions sequence (CACHE 1, so
-- they are handed out in increasing order across sessions), drawn by
-- append_events after it holds every lock the append needs.
CREATE SEQUENCE {{schema}}.positions AS bigint START 1 CACHE 1;
CREATE TABLE {{schema}}.events (
    position        bigint  NOT NULL PRIMARY KEY CHECK (position > 0),
    stream_id       text    COLLATE "C",
    stream_version  bigint,
    type            text    COLLATE "C" NOT NULL,
    data            bytea   NOT NULL,
    tags            text[]  COLLATE "C" NOT NULL,
    event_id        text    COLLATE "C" NOT NULL,
    correlation_id  text    NOT NULL,
    causation_id    text    NOT NULL,
    category        text    NOT NULL,
    schema_version  integer NOT NULL,
    extra           bytea,
    recorded_at_ns  bigint  NOT NULL,
    CHECK ((stream_id IS NULL) = (stream_version IS NULL)),
    CHECK (stream_version IS NULL OR stream_version > 0)
);
CREATE UNIQUE INDEX events_stream_version ON {{schema}}.events (stream_id, stream_version) WHERE stream_id IS NOT NULL;
CREATE UNIQUE INDEX events_event_id ON {{schema}}.events (event_id);
CREATE INDEX events_type_position ON {{schema}}.events (type, position);

-- One row per (tag, event): the DCB index. A condition or read on a tag
-- seeks (tag, position > after) and never scans older entries.
CREATE TABLE {{schema}}.event_tags (
    tag      text   COLLATE "C" NOT NULL,
    position bigint NOT NULL,
    type     text   COLLATE "C" NOT NULL,
    PRIMARY KEY (tag, position) INCLUDE (type)
);

-- The result of every append that carried an idempotency key.
CREATE TABLE {{schema}}.idempotency (
    key          text     COLLATE "C" NOT NULL PRIMARY KEY,
    fingerprint  text     NOT NULL,
    stream_id    text     COLLATE "C",
    event_ids    text[]   NOT NULL,
    positions    bigint[] NOT NULL,
    version      bigint   NOT NULL
);

-- Rejected reuses of an idempotency key. Written in their own transaction,
-- so they survive the rollback of the unit of work that was rejected.
CREATE TABLE {{schema}}.idempotency_audits (
    seq                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                   text   COLLATE "C" NOT NULL UNIQUE,
    key                  text   COLLATE "C" NOT NULL,
    stream_id            text   COLLATE "C" NOT NULL,
    existing_fingerprint text   NOT NULL,
    incoming_fingerprint text   NOT NULL,
    at_ns                bigint NOT NULL
);
CREATE INDEX idempotency_audits_key ON {{schema}}.idempotency_audits (key, seq);

-- JSON documents with optimistic versions. Keys sort in byte order (C).
CREATE TABLE {{schema}}.documents (
    collection    text   COLLATE "C" NOT NULL,
    key           text   COLLATE "C" NOT NULL,
    data          bytea  NOT NULL,
    version       bigint NOT NULL CHECK (version > 0),
    updated_at_ns bigint NOT NULL,
    PRIMARY KEY (collection, key)
);

-- The job queue. seq is the enqueue order; dead_seq the order of death.
CREATE SEQUENCE {{schema}}.jobs_dead_seq;
CREATE TABLE {{schema}}.jobs (
    seq            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             text    COLLATE "C" NOT NULL UNIQUE,
    kind           text    NOT NULL,
    payload        bytea   NOT NULL,
    partition      text    COLLATE "C" NOT NULL,
    state          text    NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead')),
    run_at_ns      bigint  NOT NULL,
    enqueued_at_ns bigint  NOT NULL,
    attempts       integer NOT NULL,
    max_attempts   integer NOT NULL CHECK (max_attempts > 0),
    backoff_ns     bigint  NOT NULL,
    lease_until_ns bigint,
    last_error     bytea   NOT NULL,
    dead_seq       bigint  UNIQUE
);
CREATE INDEX jobs_due ON {{schema}}.jobs (run_at_ns, seq) WHERE state IN ('pending', 'leased');
CREATE INDEX jobs_partition_live ON {{schema}}.jobs (partition, seq) WHERE state IN ('pending', 'leased') AND partition <> '';
CREATE INDEX jobs_leased ON {{schema}}.jobs (lease_until_ns) WHERE state = 'leased';

-- append_events performs one append in one round trip; the adapter
-- validates the input and computes the lock set before the call.
--
--  1. It takes the append's advisory locks, sorted, in the modes given
--     (p_lock_x): the stream (exclusive), the idempotency key (exclusive),
--     the DCB keys of the events (shared) and of the condition
--     (exclusive). Conflicting appends therefore run one after another and
--     draw their positions in that order.
--  2. Checks, each in a fresh snapshot taken after the locks: the
--     idempotency key, the expected version, the DCB condition, event ids.
--  3. Registers the unit of work as an appender (once per transaction): a
--     shared advisory lock keyed by the positions sequence's high-water
--     mark, a lower bound of every position it will draw. Readers scan these
--     registrations (finality_bound) so they never read past a position an
--     open transaction may still fill.
--  4. Draws positions and writes.
--
-- It never raises for an expected outcome; it returns a status, so the
-- caller's transaction stays usable:
--   ok            positions, version
--   duplicate     positions, version, event_ids, fingerprint, stream (the earlier append)
--   idempotency   fingerprint (the one stored for the key)
--   concurrency   version (the stream's current version)
--   condition
--   event_id      event_ids[1] (an event id already in the log)
CREATE FUNCTION {{schema}}.append_events(
    p_lock_cls   integer[],
    p_lock_obj   integer[],
    p_lock_x     boolean[],
    p_register   integer,   -- registration lock class; NULL when this transaction already registered
    p_now        bigint,
    p_stream     text,
    p_expect     smallint,  -- 0 any, 1 no stream, 2 stream exists, 3 exact
    p_expect_v   bigint,
    p_cond       smallint,  -- 0 none, 1 all, 2 items
    p_after      bigint,
    p_items      jsonb,     -- [{"types": [...], "tags": [...]}, ...]
    p_idem_key   text,
    p_idem_fp    text,
    p_check_ids  boolean,   -- some event ids came from the caller: check they are new
    p_types      text[],
    p_data       bytea[],
    p_tag_from   integer[], -- event i's tags are p_tags[p_tag_from[i] : p_tag_to[i]]
    p_tag_to     integer[],
    p_tags       text[],
    p_tag_event  integer[], -- p_tags[j] belongs to event p_tag_event[j]
    p_ids        text[],
    p_corr       text[],
    p_caus       text[],
    p_cat        text[],
    p_sv         integer[],
    p_extra      bytea[],
    OUT status     text,
    OUT version    bigint,
    OUT positions  bigint[],
    OUT fingerprint text,
    OUT event_ids  text[],
    OUT stream     text)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
    v_cur    bigint := 0;
    v_item   jsonb;
    v_itypes text[];
    v_itags  text[];
    v_hw     bigint;
    v_key    bigint;
    v_n      integer := cardinality(p_types);
BEGIN
    -- In the order the adapter sorted them, so appends never deadlock on
    -- each other's locks.
    FOR i IN 1 .. coalesce(cardinality(p_lock_cls), 0) LOOP
        IF p_lock_x[i] THEN
            PERFORM pg_advisory_xact_lock(p_lock_cls[i], p_lock_obj[i]);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(p_lock_cls[i], p_lock_obj[i]);
        END IF;
    END LOOP;

    IF p_idem_key IS NOT NULL THEN
        SELECT i.fingerprint, i.event_ids, i.positions, i.version, i.stream_id
        INTO fingerprint, event_ids, positions, version, stream
        FROM {{schema}}.idempotency i WHERE i.key = p_idem_key;
        IF FOUND THEN
            IF fingerprint = p_idem_fp THEN
                status := 'duplicate';
            ELSE
                status := 'idempotency';
            END IF;
            RETURN;
        END IF;
    END IF;

    IF p_stream IS NOT NULL THEN
        SELECT coalesce(max(e.stream_version), 0) INTO v_cur
        FROM {{schema}}.events e WHERE e.stream_id = p_stream;
    END IF;
    IF (p_expect = 1 AND v_cur <> 0) OR (p_expect = 2 AND v_cur = 0) OR (p_expect = 3 AND v_cur <> p_expect_v) THEN
        status := 'concurrency';
        version := v_cur;
        RETURN;
    END IF;

    IF p_cond = 1 THEN
        PERFORM 1 FROM {{schema}}.events e WHERE e.position > p_after LIMIT 1;
        IF FOUND THEN
            status := 'condition';
            RETURN;
        END IF;
    ELSIF p_cond = 2 THEN
        FOR v_item IN SELECT x FROM jsonb_array_elements(p_items) AS x LOOP
            v_itypes := ARRAY(SELECT jsonb_array_elements_text(coalesce(v_item->'types', '[]'::jsonb)));
            v_itags := ARRAY(SELECT jsonb_array_elements_text(coalesce(v_item->'tags', '[]'::jsonb)));
            IF cardinality(v_itags) > 0 THEN
                PERFORM 1 FROM {{schema}}.event_tags t
                JOIN {{schema}}.events e ON e.position = t.position
                WHERE t.tag = v_itags[1] AND t.position > p_after
                  AND (cardinality(v_itypes) = 0 OR t.type = ANY (v_itypes))
                  AND e.tags @> v_itags
                LIMIT 1;
            ELSE
                PERFORM 1 FROM {{schema}}.events e
                WHERE e.type = ANY (v_itypes) AND e.position > p_after
                LIMIT 1;
            END IF;
            IF FOUND THEN
                status := 'condition';
                RETURN;
            END IF;
        END LOOP;
    END IF;

    IF p_check_ids THEN
        SELECT ARRAY[e.event_id] INTO event_ids FROM {{schema}}.events e WHERE e.event_id = ANY (p_ids) LIMIT 1;
        IF FOUND THEN
            status := 'event_id';
            RETURN;
        END IF;
    END IF;

    IF p_register IS NOT NULL THEN
        v_hw := coalesce(pg_sequence_last_value('{{schema_literal}}.positions'), 0);
        v_key := v_hw % 4294967296;
        IF v_key >= 2147483648 THEN
            v_key := v_key - 4294967296;
        END IF;
        PERFORM pg_advisory_xact_lock_shared(p_register, v_key::integer);
    END IF;

    positions := '{}';
    FOR i IN 1 .. v_n LOOP
        positions := positions || nextval('{{schema_literal}}.positions');
    END LOOP;

    IF v_n = 1 THEN
        INSERT INTO {{schema}}.events (position, stream_id, stream_version, type, data, tags, event_id,
                                       correlation_id, causation_id, category, schema_version, extra, recorded_at_ns)
        VALUES (positions[1], p_stream, CASE WHEN p_stream IS NULL THEN NULL ELSE v_cur + 1 END,
                p_types[1], p_data[1], p_tags, p_ids[1], p_corr[1], p_caus[1], p_cat[1], p_sv[1], p_extra[1], p_now);
    ELSE
        INSERT INTO {{schema}}.events (position, stream_id, stream_version, type, data, tags, event_id,
                                       correlation_id, causation_id, category, schema_version, extra, recorded_at_ns)
        SELECT positions[u.o], p_stream, CASE WHEN p_stream IS NULL THEN NULL ELSE v_cur + u.o END,
               u.typ, u.dat, p_tags[u.tf : u.tt], u.eid, u.corr, u.caus, u.cat, u.sv, u.ext, p_now
        FROM unnest(p_types, p_data, p_tag_from, p_tag_to, p_ids, p_corr, p_caus, p_cat, p_sv, p_extra)
             WITH ORDINALITY AS u(typ, dat, tf, tt, eid, corr, caus, cat, sv, ext, o);
    END IF;

    IF cardinality(p_tags) > 0 THEN
        INSERT INTO {{schema}}.event_tags (tag, position, type)
        SELECT p_tags[j], positions[p_tag_event[j]], p_types[p_tag_event[j]]
        FROM generate_subscripts(p_tags, 1) AS j;
    END IF;

    IF p_stream IS NOT NULL THEN
        version := v_cur + v_n;
    ELSE
        version := 0;
    END IF;
    IF p_idem_key IS NOT NULL THEN
        INSERT INTO {{schema}}.idempotency (key, fingerprint, stream_id, event_ids, positions, version)
        VALUES (p_idem_key, p_idem_fp, p_stream, p_ids, positions, version);
    END IF;
    status := 'ok';
END
$fn$;

-- finality_bound returns the highest position B such that no open
-- transaction can still commit an event at or below B: the positions
-- sequence's high-water mark, lowered below the registration of every other
-- open appender (their positions all exceed their registration key). The
-- high-water mark is read before the registrations are scanned, and a
-- reader takes its snapshot after this call, so an appender that registers
-- too late to be seen draws positions above B. Registration keys hold the
-- high-water mark modulo 2^32 and are read back relative to it: an appender
-- must not stay open while 2^31 further positions are drawn.
CREATE FUNCTION {{schema}}.finality_bound(p_register integer) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_hw  bigint;
    v_min bigint;
BEGIN
    v_hw := coalesce(pg_sequence_last_value('{{schema_literal}}.positions'), 0);
    -- d is how far a registration key lies below the high-water mark.
    -- Keys registered after v_hw was read lie above it (d >= 2^31 once
    -- wrapped); their positions exceed v_hw anyway, so they are ignored.
    SELECT min(v_hw - r.d) INTO v_min
    FROM (SELECT (((v_hw - l.objid::text::bigint) % 4294967296) + 4294967296) % 4294967296 AS d
          FROM pg_catalog.pg_locks l
          WHERE l.locktype = 'advisory' AND l.objsubid = 2
            AND l.classid = p_register::oid
            AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
            AND l.pid IS DISTINCT FROM pg_backend_pid()) r
    WHERE r.d < 2147483648;
    RETURN least(v_hw, coalesce(v_min, v_hw));
END
$fn$;
