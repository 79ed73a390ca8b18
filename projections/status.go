package projections

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/assoc/contacts/domain"
)

// Status is how far one read model is behind the log.
type Status struct {
	Name string
	// Position is the last event it applied.
	Position domain.Position
	// Behind is true when the log has events it has not applied yet.
	Behind bool
	// LagSeconds is the age of the oldest event it has not applied (0 when
	// it is up to date).
	LagSeconds float64
}

// Status reports, for each read model this runner runs, its position and
// its lag behind the log.
func (r *Runner) Status(ctx context.Context) ([]Status, error) {
	r.mu.Lock()
	names := make([]string, 0, len(r.reached))
	for name := range r.reached {
		names = append(names, name)
	}
	r.mu.Unlock()
	slices.Sort(names)
	out := make([]Status, 0, len(names))
	for _, name := range names {
		st := Status{Name: name, Position: r.Reached(name)}
		next, err := r.Store.ReadAll(ctx, st.Position, 1)
		if err != nil {
			return nil, fmt.Errorf("projection status %s: %w", name, err)
		}
		if len(next) > 0 {
			st.Behind = true
			st.LagSeconds = max(0, time.Since(next[0].RecordedAt).Seconds())
		}
		out = append(out, st)
	}
	return out, nil
}
