-- The rows of imports still running (or cut short by a crash) are the only
-- ones with keys or pending values: this small index finds them, so that
-- the staged personal data of an import that never finished is removed
-- (spreadsheet.PGReports.DiscardAbandoned, at start-up).
CREATE INDEX import_rows_staged ON import_rows (import_id)
    WHERE id_key IS NOT NULL OR email_key IS NOT NULL OR external_key IS NOT NULL OR pending IS NOT NULL;
