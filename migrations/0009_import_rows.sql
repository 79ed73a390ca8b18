-- The rows of import reports move out of the report document into a table
-- of their own: an import writes each row as soon as it is decided, so its
-- memory stays flat however long the file is, and a report is read back a
-- page at a time.
CREATE TABLE import_rows (
    import_id  uuid NOT NULL,
    sheet_row  integer NOT NULL,          -- the sheet's row number (1 is the header)
    outcome    text NOT NULL,             -- created, updated, unchanged, rejected
    contact_id uuid,                      -- the matched (or created) contact
    version    bigint NOT NULL DEFAULT 0, -- the contact's version after the import's change
    changes    jsonb,                     -- [{field, old, new}] of an update
    errors     jsonb,                     -- [{cell, column, field, reason}] of a rejection
    erased     boolean NOT NULL DEFAULT false,
    -- The values a created or updated row has still to apply, while the
    -- import runs; cleared when the row is applied or the import ends.
    pending    jsonb,
    PRIMARY KEY (import_id, sheet_row)
);
-- Deleting a contact erases it from the reports (spreadsheet.EraseContact).
CREATE INDEX import_rows_contact ON import_rows (contact_id) WHERE contact_id IS NOT NULL;

INSERT INTO import_rows (import_id, sheet_row, outcome, contact_id, version, changes, errors, erased)
SELECT i.id, (r ->> 'row')::integer, r ->> 'outcome', nullif(r ->> 'contact_id', '')::uuid,
       coalesce((r ->> 'version')::bigint, 0), r -> 'changes', r -> 'errors', coalesce((r ->> 'erased')::boolean, false)
  FROM imports i, jsonb_array_elements(i.report -> 'rows') AS r;
UPDATE imports SET report = report - 'rows' WHERE report ? 'rows';
DROP INDEX imports_rows;

-- An import's summary row is written when it starts, unfinished, and
-- completed at its end: the import of a process stopped half-way is then
-- found, and its rows removed (spreadsheet.PGReports.DiscardAbandoned).
-- Only finished imports are served.
ALTER TABLE imports ADD COLUMN finished boolean NOT NULL DEFAULT true;
CREATE INDEX imports_unfinished ON imports (created_at) WHERE NOT finished;
