-- A key made for one contact's values in another contact's stream (what a
-- survivor took from a duplicate in a merge, and gave back on unmerge)
-- records its owner, so that deleting the owner destroys it too: the
-- owner's own stream does not name it.
ALTER TABLE contact_keys ADD COLUMN contact_id uuid;
CREATE INDEX contact_keys_owner ON contact_keys (contact_id) WHERE contact_id IS NOT NULL;
