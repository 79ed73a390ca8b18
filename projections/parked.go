package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// Parked is an event a projector set aside (see parking.go).
type Parked struct {
	Projection string
	Position   domain.Position
	EventID    string
	Stream     string
	Version    int64
	Type       string
	// Error says why it could not be applied, or which earlier event of
	// its stream it waits behind.
	Error    string
	Attempts int
	ParkedAt time.Time
}

// ListParked returns the events set aside by projection ("" for every
// projection), in log order.
func (r *Runner) ListParked(ctx context.Context, projection string) ([]Parked, error) {
	rows, err := r.Pool.Query(ctx, `SELECT projection, commit_pos, prepare_pos, event_id, stream, version, type, error, attempts, parked_at
		FROM projection_parked WHERE $1 = '' OR projection = $1 ORDER BY projection, commit_pos, prepare_pos`, projection)
	if err != nil {
		return nil, fmt.Errorf("list parked events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Parked, error) {
		var p Parked
		var commit, prepare int64
		err := row.Scan(&p.Projection, &commit, &prepare, &p.EventID, &p.Stream, &p.Version, &p.Type, &p.Error, &p.Attempts, &p.ParkedAt)
		p.Position = domain.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list parked events: %w", err)
	}
	return out, nil
}

// ParkedCounts returns how many events each projection has set aside
// (projections with none are absent).
func ParkedCounts(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (map[string]int, error) {
	rows, err := q.Query(ctx, `SELECT projection, count(*) FROM projection_parked GROUP BY projection`)
	if err != nil {
		return nil, fmt.Errorf("count parked events: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("count parked events: %w", err)
		}
		counts[name] = n
	}
	return counts, rows.Err()
}

// RetryParked is Retry for the projector named name, one that Run runs:
// ENOTFOUND for another name.
func (r *Runner) RetryParked(ctx context.Context, name string) (domain.ParkedRetry, error) {
	r.mu.Lock()
	p, ok := r.projectors[name]
	r.mu.Unlock()
	if !ok {
		return domain.ParkedRetry{}, domain.Errorf(domain.ENOTFOUND, "no read model %q runs here", name)
	}
	return r.Retry(ctx, p)
}

// Retry applies again, in log order, the events p set aside, once the
// cause is fixed (a new release, a repaired row). Each stream's events are
// applied in order, each in a savepoint: the first that fails again stays
// set aside with its new error, and so do the later events of its stream.
// It holds p's checkpoint row meanwhile, so the running projector (on any
// node) waits rather than apply a later event of such a stream first.
func (r *Runner) Retry(ctx context.Context, p Projector) (domain.ParkedRetry, error) {
	var res domain.ParkedRetry
	name := p.Name()
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		res = domain.ParkedRetry{}
		if _, _, err := lockCheckpoint(ctx, tx, name); err != nil {
			return err
		}
		parked, err := parkedOf(ctx, tx, name)
		if err != nil {
			return err
		}
		failed := map[string]bool{} // streams whose first parked event failed again
		for _, pe := range parked {
			if failed[pe.Stream] {
				res.StillParked++
				continue
			}
			if err := r.retryOne(ctx, tx, p, pe); err != nil {
				if !cannotApply(ctx, err) {
					return err
				}
				failed[pe.Stream] = true
				res.StillParked++
				if _, err := tx.Exec(ctx, `UPDATE projection_parked SET error = $4, attempts = attempts + 1, parked_at = now()
					WHERE projection = $1 AND commit_pos = $2 AND prepare_pos = $3`,
					name, int64(pe.Position.Commit), int64(pe.Position.Prepare), capBytes(storable(reasonOf(err)), maxParkedError)); err != nil {
					return fmt.Errorf("record retry of %s: %w", pe.Position, err)
				}
				continue
			}
			res.Applied++
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("retry parked events of %s: %w", name, err)
	}
	if res.Applied > 0 {
		r.Logger.Info("parked events applied", "projector", name, "applied", res.Applied, "still_parked", res.StillParked)
	}
	return res, nil
}

// retryOne applies one parked event in a savepoint and, once applied,
// removes it from the parked events.
func (r *Runner) retryOne(ctx context.Context, tx pgx.Tx, p Projector, pe Parked) error {
	events, err := r.Store.ReadStream(ctx, pe.Stream, domain.Forwards, pe.Version, 1)
	if err != nil && !errors.Is(err, domain.ErrStreamNotFound) {
		return fmt.Errorf("read %s@%d: %w", pe.Stream, pe.Version, err)
	}
	return pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		if len(events) == 1 && events[0].ID == pe.EventID {
			if err := p.Apply(ctx, sp, events); err != nil {
				return err
			}
		}
		// An event no longer in its stream (a stream deleted by hand) has
		// nothing left to apply.
		_, err := sp.Exec(ctx, `DELETE FROM projection_parked WHERE projection = $1 AND commit_pos = $2 AND prepare_pos = $3`,
			p.Name(), int64(pe.Position.Commit), int64(pe.Position.Prepare))
		return err
	})
}

// parkedOf reads the events name set aside, in log order, inside tx.
func parkedOf(ctx context.Context, tx pgx.Tx, name string) ([]Parked, error) {
	rows, err := tx.Query(ctx, `SELECT event_id, stream, version, commit_pos, prepare_pos FROM projection_parked
		WHERE projection = $1 ORDER BY commit_pos, prepare_pos`, name)
	if err != nil {
		return nil, fmt.Errorf("read parked events of %s: %w", name, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Parked, error) {
		p := Parked{Projection: name}
		var commit, prepare int64
		err := row.Scan(&p.EventID, &p.Stream, &p.Version, &commit, &prepare)
		p.Position = domain.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read parked events of %s: %w", name, err)
	}
	return out, nil
}
