package wire

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/eventstore/sealed"
	importstore "github.com/assoc/contacts/spreadsheet/postgres"
)

// openEventStore returns the event log the configuration selects (see
// openLog), wrapped so that contacts' personal data is sealed under
// per-contact keys wrapped by master (deleting a contact destroys them).
// close releases it.
func openEventStore(ctx context.Context, cfg Config, pool *pgxpool.Pool, master []byte, logger *slog.Logger) (store *sealed.Store, close func(), err error) {
	keys, err := sealed.NewKeyring(ctx, pool, master)
	if err != nil {
		return nil, nil, err
	}
	log, closeLog, err := openLog(ctx, cfg, pool, logger)
	if err != nil {
		return nil, nil, err
	}
	return sealed.New(log, keys, sealed.WithLogger(logger)), closeLog, nil
}

// eraseElsewhere erases a deleted contact from the tables beyond the log
// and the read models that hold its data (see sealed.Erasure).
var eraseElsewhere = []func(context.Context, pgx.Tx, string) error{importstore.EraseContact}
