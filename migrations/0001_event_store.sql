-- The event log (PostgreSQL backend of the EventStore port).
--
-- Global order. A sequence number alone is not a safe cursor: concurrent
-- transactions commit out of sequence order, so a reader that has seen 11 may
-- never see 10 committed later. Each row therefore records the transaction
-- that wrote it (transaction_id, from pg_current_xact_id()). Readers of the
-- whole log order by (transaction_id, id) and only return rows whose
-- transaction is below pg_snapshot_xmin(pg_current_snapshot()): every
-- transaction below xmin has ended, so no row can ever appear before a
-- position already handed out.

CREATE TABLE streams (
    stream  text PRIMARY KEY,
    version bigint NOT NULL          -- number of the stream's last event, 0 when empty
);

CREATE TABLE events (
    id             bigint GENERATED ALWAYS AS IDENTITY,
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id       uuid NOT NULL,
    stream         text NOT NULL,
    version        bigint NOT NULL,  -- number of the event in its stream, from 1
    type           text NOT NULL,
    data           json NOT NULL,    -- json, not jsonb: bytes are kept exactly as written and read back without re-encoding
    metadata       json NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (transaction_id, id),
    UNIQUE (stream, version),
    UNIQUE (event_id)
);

-- append_events writes a batch to one stream in one round trip.
--
-- p_expected: -1 any, -2 no stream, -3 stream exists, n >= 0 exact version.
-- Raises SQLSTATE CX001 (DETAIL = actual version) on a version mismatch and
-- CX002 when an event ID is already stored elsewhere. When the batch's first
-- event ID is already in this stream, checks the whole batch is there at
-- consecutive versions and returns it without writing (an idempotent retry).
--
-- Only the stream's own row is locked, so appends to different streams run
-- and commit concurrently.
CREATE FUNCTION append_events(
    p_stream   text,
    p_expected bigint,
    p_ids      uuid[],
    p_types    text[],
    p_data     json[],
    p_metadata json[]
) RETURNS TABLE (new_version bigint, transaction_id xid8, last_id bigint, written boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    n       int := cardinality(p_ids);
    current bigint;
    found_n int;
    first_v bigint;
    last_v  bigint;
    same    boolean;
BEGIN
    INSERT INTO streams AS s (stream, version) VALUES (p_stream, 0) ON CONFLICT DO NOTHING;
    SELECT s.version INTO current FROM streams s WHERE s.stream = p_stream FOR UPDATE;

    IF EXISTS (SELECT 1 FROM events e WHERE e.event_id = p_ids[1]) THEN
        SELECT count(*), min(e.version), max(e.version), bool_and(e.stream = p_stream)
          INTO found_n, first_v, last_v, same
          FROM events e WHERE e.event_id = ANY (p_ids);
        IF same AND found_n = n AND last_v - first_v + 1 = n THEN
            RETURN QUERY
                SELECT e.version, e.transaction_id, e.id, false
                  FROM events e WHERE e.stream = p_stream AND e.version = last_v;
            RETURN;
        END IF;
        RAISE EXCEPTION 'event IDs already stored elsewhere' USING ERRCODE = 'CX002', DETAIL = current::text;
    END IF;

    IF NOT (p_expected = -1
            OR (p_expected = -2 AND current = 0)
            OR (p_expected = -3 AND current > 0)
            OR p_expected = current) THEN
        RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'CX001', DETAIL = current::text;
    END IF;

    UPDATE streams s SET version = current + n WHERE s.stream = p_stream;

    RETURN QUERY
        WITH written AS (
            INSERT INTO events AS e (event_id, stream, version, type, data, metadata)
            SELECT u.id, p_stream, current + u.ord, u.type, u.data, u.metadata
              FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u (id, type, data, metadata, ord)
             ORDER BY u.ord
            RETURNING e.version, e.transaction_id, e.id
        )
        SELECT w.version, w.transaction_id, w.id, true
          FROM written w ORDER BY w.version DESC LIMIT 1;
END
$$;
