-- append_one_if is append_events' fast path for the most common DCB
-- append: one event, a condition that is All or a single query item, no
-- idempotency key. Its parameters are plain values (and the item's types
-- and tags), so neither the client nor the server encodes and decodes two
-- dozen arrays and a JSON document per append. The scheme is append_events'
-- for a conditional append exactly:
--
--  1. the append's advisory locks, sorted, in the modes given;
--  2. the expected version, in a snapshot taken after the locks;
--  3. the registration (p_register, once per transaction), the position,
--     and the wait for every plain writer (class p_wait) registered below
--     that position;
--  4. the condition, below the position, in a snapshot taken after the
--     wait; then (when the caller chose the event id) that the id is new;
--  5. the writes.
--
-- Statuses: ok (pos, version), concurrency (version: the stream's current
-- version), condition, event_id (the event id is already in the log).
-- registered says whether this call took the registration lock.
CREATE FUNCTION {{schema}}.append_one_if(
    p_lock_cls   integer[],
    p_lock_obj   integer[],
    p_lock_x     boolean[],
    p_register   integer,   -- registration lock class; NULL when this transaction already registered
    p_wait       integer,   -- the plain writers' registration class
    p_now        bigint,
    p_stream     text,
    p_expect     smallint,  -- 0 any, 1 no stream, 2 stream exists, 3 exact
    p_expect_v   bigint,
    p_all        boolean,   -- the condition is All; else the item below
    p_after      bigint,
    p_itypes     text[],    -- the condition's item: its types (empty: any type)
    p_itags      text[],    -- and its tags (empty: any tags; never both empty)
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
    OUT status     text,
    OUT version    bigint,
    OUT pos        bigint,
    OUT registered boolean)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
    v_cur bigint := 0;
BEGIN
    registered := false;
    FOR i IN 1 .. coalesce(cardinality(p_lock_cls), 0) LOOP
        IF p_lock_x[i] THEN
            PERFORM pg_advisory_xact_lock(p_lock_cls[i], p_lock_obj[i]);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(p_lock_cls[i], p_lock_obj[i]);
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

    IF p_register IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock_shared(p_register, {{schema}}.registration_key());
        registered := true;
    END IF;
    pos := nextval('{{schema_literal}}.positions');
    PERFORM {{schema}}.wait_for_plain_writers(p_wait, pos);

    IF p_all THEN
        PERFORM 1 FROM {{schema}}.events e WHERE e.position > p_after AND e.position < pos LIMIT 1;
    ELSIF coalesce(cardinality(p_itags), 0) > 0 THEN
        PERFORM 1 FROM {{schema}}.event_tags t
        JOIN {{schema}}.events e ON e.position = t.position
        WHERE t.tag = p_itags[1] AND t.position > p_after AND t.position < pos
          AND (coalesce(cardinality(p_itypes), 0) = 0 OR t.type = ANY (p_itypes))
          AND e.tags @> p_itags
        LIMIT 1;
    ELSE
        PERFORM 1 FROM {{schema}}.events e
        WHERE e.type = ANY (p_itypes) AND e.position > p_after AND e.position < pos
        LIMIT 1;
    END IF;
    IF FOUND THEN
        status := 'condition';
        RETURN;
    END IF;

    IF p_check_id THEN
        PERFORM 1 FROM {{schema}}.events e WHERE e.event_id = p_id;
        IF FOUND THEN
            status := 'event_id';
            RETURN;
        END IF;
    END IF;

    IF p_stream IS NULL THEN
        version := 0;
    ELSE
        version := v_cur + 1;
    END IF;
    INSERT INTO {{schema}}.events (position, stream_id, stream_version, type, data, tags, event_id,
                                   correlation_id, causation_id, category, schema_version, extra, recorded_at_ns)
    VALUES (pos, p_stream, CASE WHEN p_stream IS NULL THEN NULL ELSE version END,
            p_type, p_data, p_tags, p_id, p_corr, p_caus, p_cat, p_sv, p_extra, p_now);
    IF cardinality(p_tags) > 0 THEN
        INSERT INTO {{schema}}.event_tags (tag, position, type)
        SELECT t.tag, pos, p_type FROM unnest(p_tags) AS t(tag);
    END IF;
    status := 'ok';
END
$fn$;
