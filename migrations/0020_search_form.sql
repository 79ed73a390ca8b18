-- Search compares the search form of a contact's names, email and external
-- ID with the search form of the term: folded (lower case, accents
-- removed), then spaces and punctuation each turned into one letter, ɋ, in
-- no name. Two things follow.
--
-- A term's words are looked up together. pg_trgm cuts text into words at
-- spaces and punctuation and indexes the trigrams of each word: "jerome
-- lemaitre" and "helene.dupre" were looked up as the contacts holding both
-- words anywhere (1,707 and 1,682 candidates at a million contacts, each
-- read and rechecked, for 624 and 578 matches); as one word, the trigrams
-- across the space or the dot ("eɋl", "eɋd") keep only those holding them
-- side by side (docs/BENCHMARKS.md).
--
-- Spaces and punctuation match one another: "jean pierre" finds
-- Jean-Pierre, "dupre hel" finds dupre.helene@…. A term made of ɋ itself
-- is no person's.
--
-- The form is a stored column, so that the name index can still carry it
-- (a search walking names reads no table row) and a recheck reads it as
-- it is rather than computing it.
CREATE FUNCTION search_form(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT regexp_replace(fold_text(t), '[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e\u00a0\u2010-\u2015\u2018\u2019\u201c\u201d\u2026]', 'ɋ', 'g') $$;

ALTER TABLE contacts DROP COLUMN search;
ALTER TABLE contacts ADD COLUMN search text
    GENERATED ALWAYS AS (search_form(first_name || ' ' || last_name || ' ' || email || ' ' || external_id)) STORED;
ALTER TABLE contacts ALTER COLUMN search SET STATISTICS 300;
CREATE INDEX contacts_last_name ON contacts (community_id, status, last_name, first_name, id) INCLUDE (search);
CREATE INDEX contacts_search ON contacts USING gin (search gin_trgm_ops);
