-- The log's community column (0016) is written by the store, not computed
-- by PostgreSQL from the metadata: parsing every event's JSON metadata and
-- matching it against a UUID pattern inside the insert cost batch appends
-- about a third of their throughput (docs/BENCHMARKS.md). The store reads
-- the community from the metadata it is handed (eventstore/postgres,
-- communityOf) under the same rule: a well-formed UUID, else NULL. Rows
-- already in the log keep the values 0016 computed.
ALTER TABLE events ALTER COLUMN community_id DROP EXPRESSION;
