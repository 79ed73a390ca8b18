package projections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/assoc/contacts/domain"
)

// Setting events aside. A projector that cannot apply an event (a bug, or
// an event appended before the rules that would have refused it) must not
// stop its read model for good: it tries the event a few times, then
// records it in projection_parked and moves its checkpoint past it, in one
// transaction, and goes on. The later events of that stream are set aside
// behind it, since a read model applies a stream's events in order; every
// other stream goes on. An operator retries them after a fix (Retry).
//
// A database that is down is not an event's fault: those errors stop the
// run, which restarts from its checkpoint (Runner.Run), and nothing is set
// aside. Nor is a fault that every event meets: after maxParkedInARow
// events in a row set aside, the projector stops setting aside and stops,
// as before, rather than empty its read model into the parked table.

// applyAttempts is how often an event is tried before it is set aside.
const applyAttempts = 3

// applyRetryPause is the pause before the second attempt; it doubles.
const applyRetryPause = 100 * time.Millisecond

// maxParkedInARow is how many events in a row, with none applied in
// between, may be set aside before the fault is taken for systemic.
const maxParkedInARow = 10

// maxParkedError bounds the error text kept with a parked event.
const maxParkedError = 2000

// parkedEvent is an event set aside, and why.
type parkedEvent struct {
	event    domain.RecordedEvent
	reason   string
	attempts int
}

// closesStream are the event types that end what a read model shows of
// their stream, whatever came before: a deletion erases the contact from
// the read models (DESIGN: personal data leaves them at once), so it is
// never set aside behind an earlier event of its stream, and the events
// set aside before it have nothing left to apply.
var closesStream = map[string]bool{"ContactDeleted": true}

// splitBehind separates the events of streams that have an event set aside
// (parked: stream → position of its first, updated) from the others. A
// stream's closing event is applied all the same, and settles the stream:
// its events set aside are to be dropped.
func splitBehind(events []domain.RecordedEvent, parked map[string]domain.Position) (apply []domain.RecordedEvent, behind []parkedEvent, settled []string) {
	for _, e := range events {
		first, ok := parked[e.Stream]
		switch {
		case ok && closesStream[e.Type]:
			delete(parked, e.Stream)
			settled = append(settled, e.Stream)
			behind = slices.DeleteFunc(behind, func(b parkedEvent) bool { return b.event.Stream == e.Stream })
		case ok:
			behind = append(behind, parkedEvent{event: e, reason: "waits behind the event of its stream set aside at " + first.String()})
			continue
		}
		apply = append(apply, e)
	}
	return apply, behind, settled
}

// dropSettled removes the events set aside of streams a closing event
// settled.
func dropSettled(ctx context.Context, tx pgx.Tx, projection string, streams []string) error {
	if len(streams) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM projection_parked WHERE projection = $1 AND stream = ANY($2)`, projection, streams); err != nil {
		return fmt.Errorf("drop the events set aside of deleted contacts: %w", err)
	}
	return nil
}

// applyEach applies events one at a time, each tried applyAttempts times,
// and sets aside those that still cannot be applied.
func (run *projectorRun) applyEach(ctx context.Context, events []domain.RecordedEvent) error {
	for _, e := range events {
		var err error
		for attempt := 1; attempt <= applyAttempts; attempt++ {
			if attempt > 1 {
				if werr := sleep(ctx, applyRetryPause<<(attempt-2)); werr != nil {
					return werr
				}
			}
			if err = run.apply(ctx, []domain.RecordedEvent{e}); err == nil || !cannotApply(ctx, err) {
				break
			}
		}
		if err == nil {
			continue // apply resets the count of events set aside in a row
		}
		if !cannotApply(ctx, err) {
			return err
		}
		if n := run.r.parkedInARow(run.p.Name(), 1); n > maxParkedInARow {
			return fmt.Errorf("%d events in a row could not be applied, the fault is not one event's: stopped without setting more aside: %w", n-1, err)
		}
		if err := run.park(ctx, parkedEvent{event: e, reason: reasonOf(err), attempts: applyAttempts}); err != nil {
			return err
		}
	}
	return nil
}

// park records e as set aside and moves the checkpoint past it.
func (run *projectorRun) park(ctx context.Context, p parkedEvent) error {
	name := run.p.Name()
	err := pgx.BeginFunc(ctx, run.r.Pool, func(tx pgx.Tx) error {
		current, _, err := lockCheckpoint(ctx, tx, name)
		if err != nil {
			return err
		}
		if current != run.applied {
			return fmt.Errorf("%w: at %s, not %s", errCheckpointMoved, current, run.applied)
		}
		if err := insertParked(ctx, tx, name, p); err != nil {
			return err
		}
		return saveCheckpoint(ctx, tx, name, p.event.Position)
	})
	if err != nil {
		return fmt.Errorf("set aside the event at %s: %w", p.event.Position, err)
	}
	run.r.Logger.Error("projector could not apply an event: set it aside (contacts parked list; contacts parked retry after a fix)",
		"projector", name, "position", p.event.Position.String(), "stream", p.event.Stream, "type", p.event.Type,
		"attempts", p.attempts, "err", p.reason)
	run.applied = p.event.Position
	run.r.advance(name, p.event.Position)
	return nil
}

// insertParked records an event set aside.
func insertParked(ctx context.Context, tx pgx.Tx, projection string, p parkedEvent) error {
	e := p.event
	_, err := tx.Exec(ctx, `INSERT INTO projection_parked (projection, commit_pos, prepare_pos, event_id, stream, version, type, error, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (projection, commit_pos, prepare_pos) DO UPDATE SET error = excluded.error, attempts = projection_parked.attempts + excluded.attempts, parked_at = now()`,
		projection, int64(e.Position.Commit), int64(e.Position.Prepare), storable(e.ID), storable(e.Stream), e.Version,
		storable(e.Type), capBytes(storable(p.reason), maxParkedError), p.attempts)
	if err != nil {
		return fmt.Errorf("record the event set aside at %s: %w", e.Position, err)
	}
	return nil
}

// parkedInARow adds n to the count of events set aside in a row by
// projector name, or resets it when n is 0, and returns the count. It
// lives on the runner, not the run, so a restart does not reset it.
func (r *Runner) parkedInARow(name string, n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n == 0 {
		delete(r.inARow, name)
		return 0
	}
	r.inARow[name] += n
	return r.inARow[name]
}

// cannotApply reports whether err, met applying events, is the events'
// own fault (a value PostgreSQL refuses, an event that does not decode)
// rather than a database that is down or busy, a cancelled context, or a
// read model swapped by a rebuild, which say nothing about the events.
func cannotApply(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errCheckpointMoved) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", // connection exception
			"40", // transaction rollback: serialization failure, deadlock
			"53", // insufficient resources: disk full, out of memory, too many connections
			"55", // object not in prerequisite state: lock not available
			"57", // operator intervention: shutdown, cancel
			"58", // system error: I/O
			"XX": // internal error
			return false
		}
		return true
	}
	if domain.ErrorCode(err) == domain.EUNAVAILABLE {
		return false
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	if errors.As(err, &netErr) || errors.As(err, &connectErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) {
		return false
	}
	return true
}

// sleep pauses for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// quotedInput matches what PostgreSQL and the decoders quote of the input
// they refuse (`invalid input syntax for type uuid: "…"`).
var quotedInput = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// reasonOf is why an event could not be applied, as kept and logged: the
// error without the input it quotes, which may be a person's data (kept
// in clear and never erased otherwise).
func reasonOf(err error) string {
	return quotedInput.ReplaceAllString(err.Error(), `"…"`)
}
