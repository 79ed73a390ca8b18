package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/esdb"
	"github.com/assoc/contacts/eventstore/postgres"
)

// Backends of the event log, as recorded in settings.
const (
	backendPostgres = "postgres"
	backendESDB     = "eventstoredb"
)

// openLog returns the event log the configuration selects:
// EventStoreDB/KurrentDB when EVENTSTORE_URL is set, else PostgreSQL. Read
// models and checkpoints stay in PostgreSQL either way. It refuses a
// backend other than the one the database was started with. close releases
// the store.
func openLog(ctx context.Context, cfg Config, pool *pgxpool.Pool, logger *slog.Logger) (_ domain.EventStore, close func(), _ error) {
	kind := backendPostgres
	if cfg.EventStoreURL != "" {
		kind = backendESDB
	}
	if err := checkBackend(ctx, pool, kind); err != nil {
		return nil, nil, err
	}
	if kind == backendPostgres {
		s := postgres.New(pool, logger)
		return s, s.Close, nil
	}
	s, err := esdb.Open(ctx, cfg.EventStoreURL, esdb.Options{Logger: logger})
	if err != nil {
		return nil, nil, fmt.Errorf("EVENTSTORE_URL: %w", err)
	}
	logger.Info("event log in EventStoreDB/KurrentDB; read models in PostgreSQL")
	return s, func() { s.Close() }, nil //nolint:errcheck // closing a client only releases it
}

// checkBackend records at first start which backend holds the log, and
// refuses to start on another one later. Read models and checkpoints
// describe one log: on another backend's (empty or foreign) log the
// projectors would wait for positions that never come, and new events
// would be numbered in a space the checkpoints do not belong to.
func checkBackend(ctx context.Context, pool *pgxpool.Pool, kind string) error {
	var recorded []byte
	err := pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'event_store'`).Scan(&recorded)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// A database from before this setting existed kept its log in
		// PostgreSQL: its events table says so.
		var hasEvents bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events)`).Scan(&hasEvents); err != nil {
			return fmt.Errorf("check event log backend: %w", err)
		}
		if hasEvents {
			recorded = []byte(backendPostgres)
		} else {
			recorded = []byte(kind)
		}
		// Whichever node records first wins; read back what was stored.
		if _, err := pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('event_store', $1) ON CONFLICT (name) DO NOTHING`, recorded); err != nil {
			return fmt.Errorf("record event log backend: %w", err)
		}
		if err := pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'event_store'`).Scan(&recorded); err != nil {
			return fmt.Errorf("check event log backend: %w", err)
		}
	case err != nil:
		return fmt.Errorf("check event log backend: %w", err)
	}
	if string(recorded) == kind {
		return nil
	}
	if string(recorded) == backendPostgres {
		return fmt.Errorf("this database's event log is in PostgreSQL, but EVENTSTORE_URL selects EventStoreDB/KurrentDB: " +
			"its read models describe the PostgreSQL log, so switching would lose it; unset EVENTSTORE_URL, or use a new database (DATABASE_URL or CONTACTS_DATA) for EventStoreDB")
	}
	return fmt.Errorf("this database's event log is in EventStoreDB/KurrentDB, but EVENTSTORE_URL is not set: " +
		"its read models describe that log, so starting on PostgreSQL would lose it; set EVENTSTORE_URL, or use a new database for PostgreSQL")
}
