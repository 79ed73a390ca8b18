-- Search is planned for each term (projections.ListContacts): a term that
-- few contacts hold is found through the trigram index, one that many hold
-- by walking the name index until the page is full. The planner tells them
-- apart by the share of the column's histogram the term matches; the
-- default 100 entries cannot tell 0.1 % from 0 %, and at a million
-- contacts a term matching 0.5 % (5,000 contacts) then looked as rare as an
-- absent one and was fetched whole. 1,000 entries resolve 0.1 %, for
-- under half a millisecond of planning (docs/BENCHMARKS.md).
ALTER TABLE contacts ALTER COLUMN search SET STATISTICS 1000;
