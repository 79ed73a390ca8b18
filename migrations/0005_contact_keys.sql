-- Per-contact encryption keys (crypto-shredding). Personal values in the
-- events of a contact's stream are sealed with AES-256-GCM under a key of
-- that contact; the key is stored here wrapped by the master key (which is
-- not in the database). Deleting a contact deletes its keys: its events
-- stay in the log, but their personal values can no longer be read.
--
-- Keys are made ahead in batches (one insert for many) and handed to
-- contacts in memory; an event names the key that sealed it, so a contact
-- may have several keys and the erasure finds them all in its stream.
CREATE TABLE contact_keys (
    key_id     uuid PRIMARY KEY,
    wrapped    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
