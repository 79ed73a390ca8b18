-- The log by community: /v1/events reads one community's events without
-- reading, or opening, any other community's (eventstore/postgres
-- ReadCommunity). The community is in every event's metadata (the domain
-- writes it); a generated column keeps it beside the event, and an index
-- orders each community's events as the log does.
ALTER TABLE events ADD COLUMN community_id uuid GENERATED ALWAYS AS (
    CASE WHEN metadata ->> 'community_id' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
         THEN (metadata ->> 'community_id')::uuid END) STORED;
CREATE INDEX events_community ON events (community_id, transaction_id, id);
