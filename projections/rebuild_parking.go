package projections

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// rebuildParking sets aside, during a rebuild, the events the new tables
// cannot take, as the running projector does; the swap replaces the read
// model's parked events with these. A fault every event meets fails the
// rebuild before anything is swapped in.
type rebuildParking struct {
	streams map[string]domain.Position // streams with an event set aside → its position
	events  []parkedEvent
	inARow  int // events set aside in a row, none applied between
}

// applyPage applies a page of the log to the tables of schema inside tx,
// each event that cannot be applied set aside (and its stream's later
// events behind it). Setting aside happens in savepoints, so the page's
// other events stay applied.
func (rp *rebuildParking) applyPage(ctx context.Context, tx pgx.Tx, p Projector, schema string, events []domain.RecordedEvent) error {
	apply, behind, settled := splitBehind(events, rp.streams)
	rp.settle(settled)
	rp.events = append(rp.events, behind...)
	if len(apply) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error { return applyIn(ctx, sp, p, schema, apply) })
	if err == nil {
		rp.inARow = 0
		return nil
	}
	if !cannotApply(ctx, err) {
		return err
	}
	for _, e := range apply {
		if first, ok := rp.streams[e.Stream]; ok && !closesStream[e.Type] {
			rp.events = append(rp.events, parkedEvent{event: e, reason: "waits behind the event of its stream set aside at " + first.String()})
			continue
		}
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error { return applyIn(ctx, sp, p, schema, []domain.RecordedEvent{e}) })
		if err == nil {
			rp.inARow = 0
			if closesStream[e.Type] {
				rp.settle([]string{e.Stream})
			}
			continue
		}
		if !cannotApply(ctx, err) {
			return err
		}
		if rp.inARow++; rp.inARow > maxParkedInARow {
			return fmt.Errorf("%d events in a row could not be applied, the fault is not one event's: the rebuild stops, nothing is swapped in: %w", rp.inARow, err)
		}
		rp.streams[e.Stream] = e.Position
		rp.events = append(rp.events, parkedEvent{event: e, reason: reasonOf(err), attempts: 1})
	}
	return nil
}

// settle forgets what was set aside of streams a closing event settled.
func (rp *rebuildParking) settle(streams []string) {
	for _, s := range streams {
		delete(rp.streams, s)
		rp.events = slices.DeleteFunc(rp.events, func(pe parkedEvent) bool { return pe.event.Stream == s })
	}
}

// replace makes the events this rebuild set aside the read model's parked
// events, inside the swap's transaction.
func (rp *rebuildParking) replace(ctx context.Context, tx pgx.Tx, projection string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM projection_parked WHERE projection = $1`, projection); err != nil {
		return fmt.Errorf("replace parked events: %w", err)
	}
	for _, pe := range rp.events {
		if err := insertParked(ctx, tx, projection, pe); err != nil {
			return err
		}
	}
	return nil
}
