package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
	"github.com/assoc/contacts/spreadsheet"
)

// logTail is what CaughtUp asks the store (*postgres.Store is one).
type logTail interface {
	// OldestAfter returns when the first event after from was recorded,
	// and whether there is one.
	OldestAfter(ctx context.Context, from domain.Position) (time.Time, bool, error)
}

// CaughtUp returns a CaughtUpCheck that compares the contacts read model's
// checkpoint with the log, waiting up to wait for it to catch up.
func CaughtUp(pool *pgxpool.Pool, store logTail, wait time.Duration) spreadsheet.CaughtUpCheck {
	return func(ctx context.Context) (bool, error) {
		deadline := time.Now().Add(wait)
		for {
			pos, err := projections.Checkpoint(ctx, pool, projections.ContactsReadModel)
			if err != nil {
				return false, err
			}
			_, pending, err := store.OldestAfter(ctx, pos)
			if err != nil || !pending {
				return !pending, err
			}
			if time.Now().After(deadline) {
				return false, nil
			}
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}
