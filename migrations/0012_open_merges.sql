-- Merges that have started (MergeStarted in the survivor's stream) and not
-- closed yet (DuplicatesAbsorbed or MergeAbandoned). Part of the contacts
-- read model: serve looks here for merges a crash cut short and carries
-- them on (domain.Handler.CompleteMerge).
CREATE TABLE open_merges (
    merge_id     uuid PRIMARY KEY,
    survivor_id  uuid NOT NULL,
    community_id uuid NOT NULL,
    started_at   timestamptz NOT NULL
);
CREATE INDEX open_merges_started ON open_merges (started_at);
