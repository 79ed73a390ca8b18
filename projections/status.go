package projections

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/assoc/contacts/domain"
)

// pendingReader is implemented by stores whose ReadAll may hold committed
// events back (the PostgreSQL store, behind an older open transaction). It
// returns when the first event after from was recorded, whether ReadAll
// returns it yet or not, and false when there is none.
type pendingReader interface {
	OldestAfter(ctx context.Context, from domain.Position) (time.Time, bool, error)
}

// oldestAfter returns when the first event after pos was recorded, and
// whether there is one. It asks the store's pendingReader when it has one:
// ReadAll alone would report a projector stalled behind a long transaction
// as up to date, since the events it waits for are the ones ReadAll holds
// back.
func (r *Runner) oldestAfter(ctx context.Context, pos domain.Position) (time.Time, bool, error) {
	if p, ok := r.Store.(pendingReader); ok {
		return p.OldestAfter(ctx, pos)
	}
	next, err := r.Store.ReadAll(ctx, pos, 1)
	if err != nil || len(next) == 0 {
		return time.Time{}, false, err
	}
	return next[0].RecordedAt, true, nil
}

// Status reports, for each read model this runner runs, its position and
// its lag behind the log.
func (r *Runner) Status(ctx context.Context) ([]domain.ReadModelStatus, error) {
	r.mu.Lock()
	// The read models this runner runs, holding their lock or standing by,
	// and any it has followed (a runner used only to wait).
	names := make([]string, 0, len(r.reached)+len(r.projectors))
	for name := range r.projectors {
		names = append(names, name)
	}
	for name := range r.reached {
		if _, ok := r.projectors[name]; !ok {
			names = append(names, name)
		}
	}
	r.mu.Unlock()
	slices.Sort(names)
	parked, err := ParkedCounts(ctx, r.Pool)
	if err != nil {
		return nil, err
	}
	out := make([]domain.ReadModelStatus, 0, len(names))
	for _, name := range names {
		pos, err := Checkpoint(ctx, r.Pool, name) // the shared checkpoint: right on a standby too
		if err != nil {
			return nil, err
		}
		st := domain.ReadModelStatus{Name: name, Position: pos, Parked: parked[name]}
		at, behind, err := r.oldestAfter(ctx, st.Position)
		if err != nil {
			return nil, fmt.Errorf("projection status %s: %w", name, err)
		}
		if behind {
			st.Behind = true
			st.LagSeconds = max(0, time.Since(at).Seconds())
		}
		out = append(out, st)
	}
	return out, nil
}

// Parked returns how many events each read model has set aside (absent:
// none): the degraded read models, for /readyz, at the cost of one query.
func (r *Runner) Parked(ctx context.Context) (map[string]int, error) {
	return ParkedCounts(ctx, r.Pool)
}
