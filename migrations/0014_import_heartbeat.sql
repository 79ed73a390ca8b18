-- A running import beats every second, on the connection that holds its
-- session lock (spreadsheet/staging.go): an import whose lock is free and
-- whose last beat is old belongs to a process that died, or that lost its
-- connection long enough ago to have stopped applying rows (it stops as
-- soon as a beat fails), so finishing it from the log races with nothing.
ALTER TABLE imports ADD COLUMN heartbeat_at timestamptz NOT NULL DEFAULT now();
