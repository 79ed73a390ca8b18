-- Deleting a contact erases it from the import reports too: this index
-- finds the reports whose rows name it (rows @> [{"contact_id": …}]).
CREATE INDEX imports_rows ON imports USING gin ((report -> 'rows') jsonb_path_ops);
