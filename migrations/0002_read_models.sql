-- Read models, built by the projectors from the event log.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- fold_text is the form search compares: lower case, accents removed.
-- (unaccent is only STABLE; wrapping it with its dictionary named makes it
-- safe to use in stored columns and indexes.)
CREATE FUNCTION fold_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;

-- Each projector's checkpoint: the log position of the last event it
-- applied, written in the same transaction as the rows it changed.
CREATE TABLE projection_checkpoints (
    name       text PRIMARY KEY,
    commit_pos  bigint NOT NULL,
    prepare_pos bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE communities (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE community_fields (
    community_id uuid NOT NULL,
    field_id     uuid NOT NULL,
    key          text NOT NULL,
    label        text NOT NULL,
    type         text NOT NULL,
    choices      jsonb NOT NULL DEFAULT '[]',
    position     bigint NOT NULL,   -- definition order
    removed      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (community_id, field_id)
);
CREATE UNIQUE INDEX community_fields_current_key ON community_fields (community_id, key) WHERE NOT removed;

-- contacts: one row per contact in any state. The active and archived lists
-- are its rows by status, each with its own partial indexes; the details of
-- any contact (merged and deleted included) are its row.
-- Text columns hold '' rather than NULL so keyset pagination compares simply.
CREATE TABLE contacts (
    id                  uuid PRIMARY KEY,
    community_id        uuid NOT NULL,
    status              text NOT NULL,
    status_before_merge text NOT NULL DEFAULT '',
    email               text NOT NULL DEFAULT '',
    first_name          text NOT NULL DEFAULT '' COLLATE "fr-x-icu",
    last_name           text NOT NULL DEFAULT '' COLLATE "fr-x-icu",
    external_id         text NOT NULL DEFAULT '',
    fields              jsonb NOT NULL DEFAULT '{}',   -- field ID → value
    version             bigint NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    archived_at         timestamptz,
    merged_into         uuid,
    -- what search compares: names, email and external ID, folded
    search              text GENERATED ALWAYS AS (fold_text(first_name || ' ' || last_name || ' ' || email || ' ' || external_id)) STORED
);

-- The last-name index covers search, so a search sorted by name (the
-- default) filters while walking the index without reading table rows.
CREATE INDEX contacts_last_name   ON contacts (community_id, status, last_name, id) INCLUDE (search);
CREATE INDEX contacts_first_name  ON contacts (community_id, status, first_name, id);
CREATE INDEX contacts_email       ON contacts (community_id, status, email, id);
CREATE INDEX contacts_created_at  ON contacts (community_id, status, created_at, id);
CREATE INDEX contacts_updated_at  ON contacts (community_id, status, updated_at, id);
CREATE INDEX contacts_archived_at ON contacts (community_id, archived_at, id) WHERE status = 'archived';
CREATE INDEX contacts_search      ON contacts USING gin (search gin_trgm_ops);
