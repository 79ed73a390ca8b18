-- Contacts of one last name are listed by first name (and of one first name
-- by last name), as a reader of a list of names expects; before, they were
-- in the order of their IDs. The name indexes take the second name, so a
-- page is still one index walk.
DROP INDEX contacts_last_name;
CREATE INDEX contacts_last_name ON contacts (community_id, status, last_name, first_name, id) INCLUDE (search);
DROP INDEX contacts_first_name;
CREATE INDEX contacts_first_name ON contacts (community_id, status, first_name, last_name, id);
