-- Search is planned for each term (projections.ListContacts): a term that
-- few contacts hold is found through the trigram index, one that many hold
-- by walking the name index until the page is full. The planner tells them
-- apart by the share of the column's histogram the term matches; the
-- default 100 entries cannot tell 1 % from 0 %, and at a million contacts
-- a term held by thousands looked as rare as an absent one and was fetched
-- whole. 300 entries resolve a third of a percent; 1,000 would resolve
-- more but cost every search 0.55 ms of planning instead of 0.27 ms
-- (docs/BENCHMARKS.md).
ALTER TABLE contacts ALTER COLUMN search SET STATISTICS 300;
