-- settings holds deployment-wide values every node must share, such as the
-- secret that names key reservation streams (a node with another secret
-- would silently stop enforcing unique emails), and the first-start marker.
CREATE TABLE settings (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
