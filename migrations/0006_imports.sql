-- imports keeps the report of every Excel import (dry runs too), served by
-- GET /v1/imports/{id} and read by a revert. The report is one document:
-- it is written once, read whole, and never queried inside.
CREATE TABLE imports (
    id           uuid PRIMARY KEY,
    community_id uuid NOT NULL,
    dry_run      boolean NOT NULL,
    created_at   timestamptz NOT NULL,
    report       jsonb NOT NULL,
    revert       jsonb,
    reverted_at  timestamptz
);
CREATE INDEX imports_community ON imports (community_id, created_at);
