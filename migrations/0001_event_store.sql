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

-- streams holds each stream's version. An append claims its versions by
-- updating (or creating) its stream's row in the same statement that
-- inserts the events (eventstore/postgres/append.go): only that row is
-- locked, so appends to different streams commit concurrently.
--
-- last_xid is the transaction that last appended to the stream. A
-- transaction gets its id at its first write, before it waits for the
-- stream's row lock, so an older transaction could append right after a
-- younger one and its events would come first in the global order, before
-- the stream's earlier versions. The claims that could do so require
-- last_xid <= pg_current_xact_id(); the append that fails it is retried in a
-- new, younger transaction. So a stream's events follow their versions in
-- the global order.
CREATE TABLE streams (
    stream   text PRIMARY KEY,
    version  bigint NOT NULL,                              -- number of the stream's last event
    last_xid xid8 NOT NULL DEFAULT pg_current_xact_id()    -- transaction of the last append
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
