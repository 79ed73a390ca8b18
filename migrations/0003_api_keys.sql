-- API keys. A key is shown once, when made; only its SHA-256 hash is kept,
-- so a stolen copy of the database holds no usable key. A key has one role:
-- operator (the platform: no community), or admin, auditor or analytics
-- inside exactly one community.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    hash         bytea NOT NULL UNIQUE,
    role         text NOT NULL CHECK (role IN ('operator', 'admin', 'auditor', 'analytics')),
    community_id uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'operator') = (community_id IS NULL))
);

CREATE INDEX api_keys_community ON api_keys (community_id) WHERE community_id IS NOT NULL;
