package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// Every node knows how far each read model has got, whichever node runs
// its projector: a projector notifies the checkpoint it saves, in the
// transaction that saves it (saveCheckpoint), and every node listens
// (Watch). A command answered on a standby node then waits only as long as
// the read model takes, never polling.

// checkpointChannel is the channel checkpoints are notified on.
const checkpointChannel = "contacts_checkpoints"

// Watch keeps this runner's view of every read model's checkpoint current,
// until ctx ends: it listens on a connection of its own, and on each
// (re)connection reads every checkpoint, so nothing notified while it was
// away is missed.
func (r *Runner) Watch(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		started := time.Now()
		err := r.watchOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		r.Logger.Warn("checkpoint watch stopped; listening again", "err", err, "in", backoff)
		if sleep(ctx, backoff) != nil {
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// watchOnce listens until its connection fails or ctx ends.
func (r *Runner) watchOnce(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, r.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("watch checkpoints: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+checkpointChannel); err != nil {
		return fmt.Errorf("watch checkpoints: listen: %w", err)
	}
	if err := r.readCheckpoints(ctx, conn); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("watch checkpoints: %w", err)
		}
		name, raw, ok := strings.Cut(n.Payload, " ")
		pos, perr := domain.ParsePosition(raw)
		if !ok || perr != nil {
			r.Logger.Warn("checkpoint notification not understood", "payload", n.Payload)
			continue
		}
		r.advance(name, pos)
	}
}

// readCheckpoints learns every read model's checkpoint from the table.
func (r *Runner) readCheckpoints(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT name, commit_pos, prepare_pos FROM projection_checkpoints`)
	if err != nil {
		return fmt.Errorf("watch checkpoints: read them: %w", err)
	}
	type seen struct {
		name string
		pos  domain.Position
	}
	all, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (seen, error) {
		var s seen
		var commit, prepare int64
		err := row.Scan(&s.name, &commit, &prepare)
		s.pos = domain.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
		return s, err
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("watch checkpoints: read them: %w", err)
	}
	for _, s := range all {
		r.advance(s.name, s.pos)
	}
	return nil
}
