-- The console's sign-in sessions, and key revocation.
--
-- A session is kept here, not in a node's memory, because the service runs
-- as several stateless nodes on one PostgreSQL: a browser's next request
-- may reach any of them, and signing out (or revoking the key) must end
-- the session on all of them at once. Only the SHA-256 of the session
-- token is kept, as for keys. The CSRF token of the session's forms is
-- random and only useful alongside the cookie, so it is kept as is.
ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz;

CREATE TABLE console_sessions (
    hash       bytea PRIMARY KEY,
    key_id     uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX console_sessions_key ON console_sessions (key_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
