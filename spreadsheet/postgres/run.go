package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

// keyStage holds the keys of an import's rows (contact ID, email
// lower-cased, external ID) in a temporary table on a pooled connection
// the import keeps: they never reach the write-ahead log, and a stopped
// process's keys vanish with its sessions. Its methods are for one
// goroutine at a time.
type keyStage struct {
	mu   sync.Mutex // the connection serves the stager and the heartbeat
	conn *pgxpool.Conn
}

// OpenRun opens an import's run on a connection of its own (see keyStage).
func (p *Reports) OpenRun(ctx context.Context) (spreadsheet.Run, error) {
	conn, err := p.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("stage import keys: %w", err)
	}
	k := &keyStage{conn: conn}
	if _, err := conn.Exec(ctx, `CREATE TEMPORARY TABLE import_keys (kind text NOT NULL, key text NOT NULL, sheet_row integer NOT NULL)`); err != nil {
		k.Close()
		return nil, fmt.Errorf("stage import keys: %w", err)
	}
	return k, nil
}

// AddKeys stages the keys of decided rows.
func (k *keyStage) AddKeys(ctx context.Context, plans []*spreadsheet.DecidedRow) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var rows [][]any
	for _, p := range plans {
		for _, key := range [...]struct{ kind, value string }{{spreadsheet.ContactIDKey, p.Keys.ID}, {domain.KeyEmail, p.Keys.Email}, {domain.KeyExternalID, p.Keys.ExternalID}} {
			if key.value != "" {
				rows = append(rows, []any{key.kind, key.value, int32(p.Number)})
			}
		}
	}
	if _, err := k.conn.CopyFrom(ctx, pgx.Identifier{"import_keys"}, []string{"kind", "key", "sheet_row"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("stage import keys: %w", err)
	}
	return nil
}

// SharedKeys finds the contact IDs, emails and external IDs that more than one
// row claims (every row counts, rejected or not).
func (k *keyStage) SharedKeys(ctx context.Context) ([]spreadsheet.SharedKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rows, err := k.conn.Query(ctx, `
		SELECT kind, key, array_agg(sheet_row ORDER BY sheet_row)
		  FROM import_keys GROUP BY kind, key HAVING count(*) > 1
		 ORDER BY CASE kind WHEN $1 THEN 0 WHEN $2 THEN 1 ELSE 2 END, key`, spreadsheet.ContactIDKey, domain.KeyEmail)
	if err != nil {
		return nil, fmt.Errorf("check the rows' keys: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (spreadsheet.SharedKey, error) {
		var s spreadsheet.SharedKey
		err := r.Scan(&s.Kind, &s.Key, &s.Rows)
		return s, err
	})
}

// Hold marks the import as running for as long as this connection's
// session lives: a session lock, which a process that dies (kill -9, OOM)
// loses with its connections, so RecoverInterrupted can tell an import
// whose process died from one that runs, on any node, at once.
func (k *keyStage) Hold(ctx context.Context, importID string) error {
	if _, err := k.conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, importLockClass, importID); err != nil {
		return fmt.Errorf("hold import %s: %w", importID, err)
	}
	return nil
}

// heartbeat is how often a running import says so (imports.heartbeat_at):
// far more often than spreadsheet.RecoverAfter.
const heartbeat = time.Second

// KeepHold beats every second on the connection that holds the import,
// until ctx ends; when a beat fails the import has lost its hold (its
// session may be gone), and stop stops it at once.
func (k *keyStage) KeepHold(ctx context.Context, importID string, stop context.CancelCauseFunc) {
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		k.mu.Lock()
		_, err := k.conn.Exec(ctx, `UPDATE imports SET heartbeat_at = now() WHERE id = $1`, importID)
		k.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			stop(fmt.Errorf("%w: %w", spreadsheet.ErrLostHold, err))
			return
		}
	}
}

// importLockClass is the first key of the imports' session locks.
const importLockClass int32 = 0x696d7074 // "impt"

// Close drops the keys and the import's lock and gives the connection
// back; should that fail, the connection is closed instead, and its
// session's table and lock with it.
func (k *keyStage) Close() {
	ctx := context.Background()
	if _, err := k.conn.Exec(ctx, `DROP TABLE IF EXISTS import_keys; SELECT pg_advisory_unlock_all()`); err != nil {
		k.conn.Conn().Close(ctx) //nolint:errcheck // closing is the fallback; the pool drops a closed connection
	}
	k.conn.Release()
}
