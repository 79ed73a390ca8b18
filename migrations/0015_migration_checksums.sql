-- Each applied migration's SHA-256 (hex, of its file), so that a start
-- refuses a database whose landed migrations were edited since they ran
-- (migrations/migrations.go). The rows of the migrations applied before
-- this one are filled in from the files of the binary that applies it.
ALTER TABLE schema_migrations ADD COLUMN checksum text;
