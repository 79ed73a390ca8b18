package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// waitLogVisible waits until readers see the whole log: the store hands out
// an event only once every transaction older than its own has ended, in
// any database of the server, so another client's open transaction (in CI,
// another package's test) can hold back the tail just seeded.
func waitLogVisible(ctx context.Context, pool *pgxpool.Pool) error {
	for {
		var held bool
		err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events
			WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot()))`).Scan(&held)
		if err != nil || !held {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
