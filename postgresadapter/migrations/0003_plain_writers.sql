-- 0003: appends without a DCB condition ("plain writers") take no DCB
-- locks; a conditional append waits for the plain writers that may still
-- fill a position below its own instead.
--
-- Until now every append took a shared advisory lock on a global key and
-- on the key of each of its events' types and tags, so that a conditional
-- append (exclusive on the keys of its query) waited for every in-flight
-- writer of a matching event. Those locks were most of an append's cost in
-- PostgreSQL's shared lock manager, paid by every append to protect the
-- few that carry a condition. The scheme now is:
--
--  * Every appending transaction registers once, before drawing its first
--    position: a shared advisory lock keyed by the positions sequence's
--    high-water mark (a lower bound of every position it will draw). Plain
--    writers register in one lock class, conditional appenders in another.
--    finality_bound scans both.
--  * A plain append takes only its stream lock (exclusive) and, with an
--    idempotency key, the key's lock. A one-event plain append is a single
--    INSERT statement built by the adapter (no function call).
--  * A conditional append keeps the DCB locks among conditional appenders
--    (exclusive on its query's keys, shared on its own events' keys and the
--    global key), registers, draws its positions, then waits for every
--    plain writer registered below its first position (an exclusive
--    request on each such registration key, released at once), and only
--    then checks its condition, in a snapshot taken after the wait. A plain
--    writer that registers later draws higher positions, so it is ordered
--    after the conditional append and cannot invalidate it. No conflict is
--    missed: a matching event below the conditional append's positions was
--    either committed before the check (and seen) or written by a plain
--    writer registered before the draw (and waited for).

DROP FUNCTION {{schema}}.append_one(integer[], integer[], boolean[], integer, bigint, text, smallint, bigint, boolean,
    text, bytea, text[], text, text, text, text, integer, bytea);

DROP FUNCTION {{schema}}.append_events(integer[], integer[], boolean[], integer, bigint, text, smallint, bigint, smallint,
    bigint, jsonb, text, text, boolean, text[], bytea[], integer[], integer[], text[], integer[], text[], text[], text[],
    text[], integer[], bytea[]);

DROP FUNCTION {{schema}}.finality_bound(integer);

-- registration_key is the high-water mark of the positions sequence modulo
-- 2^32, as the signed int4 an advisory lock key takes (pg_locks shows it
-- back as the unsigned objid).
CREATE FUNCTION {{schema}}.registration_key() RETURNS integer
LANGUAGE sql VOLATILE AS $fn$
    SELECT (((coalesce(pg_sequence_last_value('{{schema_literal}}.positions'), 0) % 4294967296) + 2147483648) % 4294967296
            - 2147483648)::integer
$fn$;

-- wait_for_plain_writers returns once every other transaction that holds
-- a plain writer's registration (class p_wait; NULL: none) below position
-- p_first has ended: its key k lies d = (p_first - k) mod 2^32 below,
-- 0 < d < 2^31. Keys are taken in ascending order, so two waiters queue in
-- the same order. Each exclusive lock is a session lock released at once:
-- no plain writer registers under these keys any more (the sequence has
-- passed them), and holding it would make other conditional appends wait
-- for this one.
CREATE FUNCTION {{schema}}.wait_for_plain_writers(p_wait integer, p_first bigint) RETURNS void
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_key bigint;
    v_d   bigint;
    v_db  oid := (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database());
BEGIN
    FOR v_key IN
        SELECT DISTINCT l.objid::text::bigint AS k
        FROM pg_catalog.pg_locks l
        WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid = p_wait::oid
          AND l.mode = 'ShareLock' AND l.database = v_db
          AND l.pid IS DISTINCT FROM pg_backend_pid()
        ORDER BY k
    LOOP
        v_d := (((p_first - v_key) % 4294967296) + 4294967296) % 4294967296;
        IF v_d > 0 AND v_d < 2147483648 THEN
            IF v_key >= 2147483648 THEN
                v_key := v_key - 4294967296;
            END IF;
            PERFORM pg_advisory_lock(p_wait, v_key::integer);
            PERFORM pg_advisory_unlock(p_wait, v_key::integer);
        END IF;
    END LOOP;
END
$fn$;

-- append_events performs one append in one round trip; the adapter
-- validates the input and computes the lock set before the call.
--
--  1. It takes the append's advisory locks, sorted, in the modes given
--     (p_lock_x): the stream (exclusive), the idempotency key (exclusive)
--     and, for a conditional append only, the DCB keys of its events and
--     the global key (shared) and of its condition (exclusive).
--  2. Checks, each in a fresh snapshot taken after the locks: the
--     idempotency key, the expected version.
--  3. A conditional append registers (p_register, once per transaction),
--     draws its positions, waits for the plain writers registered (class
--     p_wait; NULL waits for none) below its first position, then checks
--     its condition below that position. A plain append checks nothing
--     more here.
--  4. Event ids chosen by the caller must be new.
--  5. A plain append registers (p_register) and draws its positions.
--  6. Writes.
--
-- It never raises for an expected outcome; it returns a status, so the
-- caller's transaction stays usable:
--   ok            positions, version
--   duplicate     positions, version, event_ids, fingerprint, stream (the earlier append)
--   idempotency   fingerprint (the one stored for the key)
--   concurrency   version (the stream's current version)
--   condition
--   event_id      event_ids[1] (an event id already in the log)
-- registered says whether this call took the registration lock p_register.
CREATE FUNCTION {{schema}}.append_events(
    p_lock_cls   integer[],
    p_lock_obj   integer[],
    p_lock_x     boolean[],
    p_register   integer,   -- registration lock class; NULL when this transaction already registered
    p_wait       integer,   -- conditional appends: the plain writers' registration class; else NULL
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
    OUT stream     text,
    OUT registered boolean)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
    v_cur    bigint := 0;
    v_item   jsonb;
    v_itypes text[];
    v_itags  text[];
    v_n      integer := cardinality(p_types);
BEGIN
    registered := false;
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

    IF p_cond <> 0 THEN
        IF p_register IS NOT NULL THEN
            PERFORM pg_advisory_xact_lock_shared(p_register, {{schema}}.registration_key());
            registered := true;
        END IF;
        positions := '{}';
        FOR i IN 1 .. v_n LOOP
            positions := positions || nextval('{{schema_literal}}.positions');
        END LOOP;
        PERFORM {{schema}}.wait_for_plain_writers(p_wait, positions[1]);
    END IF;

    -- A conditional append's check stops below its own first position:
    -- an event at a higher position (a plain writer that drew after it)
    -- comes after it in the log and cannot invalidate it.
    IF p_cond = 1 THEN
        PERFORM 1 FROM {{schema}}.events e WHERE e.position > p_after AND e.position < positions[1] LIMIT 1;
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
                WHERE t.tag = v_itags[1] AND t.position > p_after AND t.position < positions[1]
                  AND (cardinality(v_itypes) = 0 OR t.type = ANY (v_itypes))
                  AND e.tags @> v_itags
                LIMIT 1;
            ELSE
                PERFORM 1 FROM {{schema}}.events e
                WHERE e.type = ANY (v_itypes) AND e.position > p_after AND e.position < positions[1]
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

    IF p_cond = 0 THEN
        IF p_register IS NOT NULL THEN
            PERFORM pg_advisory_xact_lock_shared(p_register, {{schema}}.registration_key());
            registered := true;
        END IF;
        positions := '{}';
        FOR i IN 1 .. v_n LOOP
            positions := positions || nextval('{{schema_literal}}.positions');
        END LOOP;
    END IF;

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
-- sequence's high-water mark, lowered below the registration (of either
-- class) of every other open appender (their positions all exceed their
-- registration key). The high-water mark is read before the registrations
-- are scanned, and a reader takes its snapshot after this call, so an
-- appender that registers too late to be seen draws positions above B.
-- Registration keys hold the high-water mark modulo 2^32 and are read back
-- relative to it: an appender must not stay open while 2^31 further
-- positions are drawn. Only shared locks are registrations.
CREATE FUNCTION {{schema}}.finality_bound(p_register integer, p_register_c integer) RETURNS bigint
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
            AND l.classid IN (p_register::oid, p_register_c::oid) AND l.mode = 'ShareLock'
            AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
            AND l.pid IS DISTINCT FROM pg_backend_pid()) r
    WHERE r.d < 2147483648;
    RETURN least(v_hw, coalesce(v_min, v_hw));
END
$fn$;
