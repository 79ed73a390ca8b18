package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

// Interrupted lists the unfinished imports whose heartbeat is older than
// spreadsheet.RecoverAfter, oldest first.
func (p *Reports) Interrupted(ctx context.Context) ([]spreadsheet.Unfinished, error) {
	rows, err := p.Pool.Query(ctx, `SELECT id::text, dry_run FROM imports
		WHERE NOT finished AND heartbeat_at < now() - $1::interval ORDER BY created_at`, spreadsheet.RecoverAfter.String())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (spreadsheet.Unfinished, error) {
		var u spreadsheet.Unfinished
		err := r.Scan(&u.ID, &u.DryRun)
		return u, err
	})
}

// ClaimInterrupted takes the session lock of an unfinished import (see
// keyStage.Hold) on a connection of its own, if no live session holds it,
// and returns its summary; release lets the lock and the connection go.
func (p *Reports) ClaimInterrupted(ctx context.Context, id string) (*domain.ImportReport, func(), bool, error) {
	conn, err := p.Pool.Acquire(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	var free bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, importLockClass, id).Scan(&free); err != nil || !free {
		conn.Release()
		return nil, nil, false, err // not free: it runs
	}
	release := func() {
		conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, importLockClass, id) //nolint:errcheck // released with the session anyway
		conn.Release()
	}
	// Another node may have finished it between the list and the lock.
	var raw []byte
	var communityID string
	var finished bool
	err = conn.QueryRow(ctx, `SELECT report, community_id::text, finished FROM imports WHERE id = $1`, id).Scan(&raw, &communityID, &finished)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && finished) {
		release()
		return nil, nil, false, nil
	}
	rep := &domain.ImportReport{}
	if err == nil {
		if err = json.Unmarshal(raw, rep); err != nil {
			err = fmt.Errorf("read its summary: %w", err)
		}
	}
	if err != nil {
		release()
		return nil, nil, false, err
	}
	rep.ID, rep.CommunityID = id, communityID
	return rep, release, true, nil
}
