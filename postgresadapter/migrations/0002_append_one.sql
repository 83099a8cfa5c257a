-- append_one is append_events' fast path for the most common append: one
-- event, no DCB condition, no idempotency key. It takes plain parameters
-- (no arrays but the lock set and the event's tags), so neither the client
-- nor the server encodes and decodes two dozen arrays per append, and it
-- takes its advisory locks through plain expressions rather than a query
-- per lock. The scheme is append_events' exactly:
--
--  1. the append's advisory locks, sorted, in the modes given (the stream
--     exclusively; the DCB keys of the event shared);
--  2. in a snapshot taken after the locks: the expected version, then (when
--     the caller chose the event id) that the id is new;
--  3. the appender registration, once per transaction (see finality_bound);
--  4. the position, drawn last, then the writes.
--
-- Statuses: ok (pos, version), concurrency (version: the stream's
-- current version), event_id (the event id is already in the log).
CREATE FUNCTION {{schema}}.append_one(
    p_lock_cls   integer[],
    p_lock_obj   integer[],
    p_lock_x     boolean[],
    p_register   integer,   -- registration lock class; NULL when this transaction already registered
    p_now        bigint,
    p_stream     text,
    p_expect     smallint,  -- 0 any, 1 no stream, 2 stream exists, 3 exact
    p_expect_v   bigint,
    p_check_id   boolean,   -- the event id came from the caller: check it is new
    p_type       text,
    p_data       bytea,
    p_tags       text[],
    p_id         text,
    p_corr       text,
    p_caus       text,
    p_cat        text,
    p_sv         integer,
    p_extra      bytea,
    OUT status   text,
    OUT version  bigint,
    OUT pos      bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
    v_cur bigint := 0;
    v_hw  bigint;
    v_key bigint;
    v_t   text;
    v_pos bigint;
BEGIN
    -- pg_advisory_xact_lock returns void; assigning it (as text) keeps each
    -- lock a simple expression instead of a query.
    FOR i IN 1 .. coalesce(cardinality(p_lock_cls), 0) LOOP
        IF p_lock_x[i] THEN
            v_t := pg_advisory_xact_lock(p_lock_cls[i], p_lock_obj[i])::text;
        ELSE
            v_t := pg_advisory_xact_lock_shared(p_lock_cls[i], p_lock_obj[i])::text;
        END IF;
    END LOOP;

    IF p_stream IS NOT NULL THEN
        SELECT coalesce(max(e.stream_version), 0) INTO v_cur
        FROM {{schema}}.events e WHERE e.stream_id = p_stream;
    END IF;
    IF (p_expect = 1 AND v_cur <> 0) OR (p_expect = 2 AND v_cur = 0) OR (p_expect = 3 AND v_cur <> p_expect_v) THEN
        status := 'concurrency';
        version := v_cur;
        RETURN;
    END IF;

    IF p_check_id THEN
        PERFORM 1 FROM {{schema}}.events e WHERE e.event_id = p_id;
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
        v_t := pg_advisory_xact_lock_shared(p_register, v_key::integer)::text;
    END IF;

    v_pos := nextval('{{schema_literal}}.positions');
    IF p_stream IS NULL THEN
        version := 0;
    ELSE
        version := v_cur + 1;
    END IF;
    INSERT INTO {{schema}}.events (position, stream_id, stream_version, type, data, tags, event_id,
                                   correlation_id, causation_id, category, schema_version, extra, recorded_at_ns)
    VALUES (v_pos, p_stream, CASE WHEN p_stream IS NULL THEN NULL ELSE version END,
            p_type, p_data, p_tags, p_id, p_corr, p_caus, p_cat, p_sv, p_extra, p_now);
    IF cardinality(p_tags) > 0 THEN
        INSERT INTO {{schema}}.event_tags (tag, position, type)
        SELECT t.tag, v_pos, p_type FROM unnest(p_tags) AS t(tag);
    END IF;
    pos := v_pos;
    status := 'ok';
END
$fn$;
