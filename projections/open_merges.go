package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OpenMerge is a merge that started and has not closed (see
// domain.MergeStarted): running, or cut short by a crash.
type OpenMerge struct {
	MergeID     string
	SurvivorID  string
	CommunityID string
	StartedAt   time.Time
}

// OpenMerges returns the merges that started before startedBefore and have
// not closed, oldest first.
func (q *Queries) OpenMerges(ctx context.Context, startedBefore time.Time) ([]OpenMerge, error) {
	rows, err := q.Pool.Query(ctx, `SELECT merge_id, survivor_id, community_id, started_at FROM open_merges
		WHERE started_at < $1 ORDER BY started_at`, startedBefore)
	if err != nil {
		return nil, fmt.Errorf("open merges: %w", err)
	}
	merges, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OpenMerge, error) {
		var m OpenMerge
		err := row.Scan(&m.MergeID, &m.SurvivorID, &m.CommunityID, &m.StartedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("open merges: %w", err)
	}
	return merges, nil
}
