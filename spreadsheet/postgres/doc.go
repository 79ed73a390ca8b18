// Package postgres is the import service's store (spreadsheet.Store) in
// PostgreSQL: each import's summary in table imports, its rows in
// import_rows, written while the import runs and read back a page at a
// time, their personal values sealed under their contact's key; the keys
// of a running import's rows and its hold on the import on a connection
// of its own (run.go); the recovery of imports whose process died.
package postgres
