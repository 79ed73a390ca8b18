// Package projections turns the event log into the read models that serve
// the admins' screens, and answers queries on them.
//
// Each projector applies batches of events in one PostgreSQL transaction
// together with its checkpoint (the position of the last event applied), so
// after a crash nothing is applied twice or lost. Projectors never append
// events.
package projections

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
)

// Projector builds one read model.
type Projector interface {
	// Name identifies the read model and its checkpoint.
	Name() string
	// Apply applies events, in log order, inside tx.
	Apply(ctx context.Context, tx pgx.Tx, events []domain.RecordedEvent) error
}

// Runner runs projectors: each follows the log from its checkpoint.
type Runner struct {
	Pool   *pgxpool.Pool
	Store  domain.EventStore
	Logger *slog.Logger

	mu       sync.Mutex
	reached  map[string]domain.Position
	advanced chan struct{}  // closed and replaced whenever a checkpoint moves
	inARow   map[string]int // events set aside in a row, by projector (parking.go)
	// projectors are those Run runs, by name, for RetryParked.
	projectors map[string]Projector
}

// NewRunner returns a runner; call Run to start it.
func NewRunner(pool *pgxpool.Pool, store domain.EventStore, logger *slog.Logger) *Runner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{Pool: pool, Store: store, Logger: logger, reached: map[string]domain.Position{}, advanced: make(chan struct{}), inARow: map[string]int{},
		projectors: map[string]Projector{}}
}

// Run runs every projector until ctx ends, restarting one that fails after
// a pause (its checkpoint says where to resume).
func (r *Runner) Run(ctx context.Context, projectors ...Projector) {
	r.mu.Lock()
	for _, p := range projectors {
		r.projectors[p.Name()] = p
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { r.Watch(ctx) })
	for _, p := range projectors {
		wg.Go(func() {
			backoff := 100 * time.Millisecond
			for ctx.Err() == nil {
				started := time.Now()
				err := r.RunOnce(ctx, p)
				if time.Since(started) > time.Minute {
					backoff = 100 * time.Millisecond // it ran well for a while: a new failure starts over
				}
				if ctx.Err() != nil {
					return
				}
				r.Logger.Error("projector stopped; restarting", "projector", p.Name(), "err", err, "in", backoff)
				select {
				case <-ctx.Done():
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 10*time.Second)
			}
		})
	}
	wg.Wait()
}

// RunOnce runs one projector from its checkpoint until ctx ends or an error.
// Across processes only one runs a given read model at a time: it holds a
// PostgreSQL advisory lock named after the read model, and the others wait
// on it as standbys.
func (r *Runner) RunOnce(ctx context.Context, p Projector) error {
	conn, err := r.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("projector %s: %w", p.Name(), err)
	}
	defer conn.Release()
	// A node that vanishes without closing its connections (power lost, its
	// network cut) keeps the lock until PostgreSQL notices; the kernel's
	// default keepalive would take two hours. Probes every 5 s after 10 s of
	// silence, given up after 3, free the lock within about 25 s. (Ignored
	// on a Unix socket, where a dead peer is known at once.)
	if _, err := conn.Exec(ctx, `SELECT set_config('tcp_keepalives_idle', '10', false),
		set_config('tcp_keepalives_interval', '5', false), set_config('tcp_keepalives_count', '3', false)`); err != nil {
		return fmt.Errorf("projector %s: keepalives: %w", p.Name(), err)
	}
	key := projectorLockKey(p.Name())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, projectorLockClass, key); err != nil {
		return fmt.Errorf("projector %s: wait for the lock: %w", p.Name(), err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, projectorLockClass, key) //nolint:errcheck // the session's end frees it anyway

	from, err := Checkpoint(ctx, r.Pool, p.Name())
	if err != nil {
		return err
	}
	r.advance(p.Name(), from)
	run := &projectorRun{r: r, p: p, applied: from}
	return r.Store.Subscribe(ctx, from, run.handle)
}

// projectorRun is one run of a projector, from its checkpoint on.
type projectorRun struct {
	r *Runner
	p Projector
	// applied is the checkpoint this run saved last (or started from).
	applied domain.Position
}

// handle applies a batch of events with its checkpoint, in one
// transaction. When the batch cannot be applied for a reason of its own
// (not a database that is down), it is applied again event by event, and
// the events that still cannot be applied are set aside (see parking.go):
// one event never stops a read model for good.
func (run *projectorRun) handle(ctx context.Context, events []domain.RecordedEvent) error {
	err := run.apply(ctx, events)
	if err != nil && cannotApply(ctx, err) {
		err = run.applyEach(ctx, events)
	}
	if err != nil {
		return fmt.Errorf("projector %s at %s: %w", run.p.Name(), events[0].Position, err)
	}
	return nil
}

// apply applies events and moves the checkpoint past them, in one
// transaction. The events of a stream that has an event set aside are set
// aside behind it rather than applied: a read model applies each stream's
// events in order.
func (run *projectorRun) apply(ctx context.Context, events []domain.RecordedEvent) error {
	name, last := run.p.Name(), events[len(events)-1].Position
	var behind []parkedEvent
	var settled []string
	err := pgx.BeginFunc(ctx, run.r.Pool, func(tx pgx.Tx) error {
		// The checkpoint must still be where this run left it: a rebuild
		// swapped in meanwhile moves it, and then this run must restart
		// from there rather than apply events twice.
		current, parked, err := lockCheckpoint(ctx, tx, name)
		if err != nil {
			return err
		}
		if current != run.applied {
			return fmt.Errorf("%w: at %s, not %s", errCheckpointMoved, current, run.applied)
		}
		apply := events
		if len(parked) > 0 {
			apply, behind, settled = splitBehind(events, parked)
		}
		if len(apply) > 0 {
			if err := run.p.Apply(ctx, tx, apply); err != nil {
				return err
			}
		}
		if err := dropSettled(ctx, tx, name, settled); err != nil {
			return err
		}
		for _, b := range behind {
			if err := insertParked(ctx, tx, name, b); err != nil {
				return err
			}
		}
		return saveCheckpoint(ctx, tx, name, last)
	})
	if err != nil {
		return err
	}
	for _, b := range behind {
		run.r.Logger.Warn("projector set an event aside behind an earlier one of its stream",
			"projector", name, "position", b.event.Position.String(), "stream", b.event.Stream, "type", b.event.Type)
	}
	if len(settled) > 0 {
		run.r.Logger.Info("projector dropped the events it had set aside of contacts since deleted", "projector", name, "streams", len(settled))
	}
	run.applied = last
	run.r.advance(name, last)
	if len(behind) < len(events) {
		run.r.parkedInARow(name, 0) // an event applied: the faults met before were not systemic
	}
	return nil
}

// errCheckpointMoved stops a runner whose read model was swapped under it.
var errCheckpointMoved = errors.New("the checkpoint moved (a rebuild was swapped in): restarting")

// lockCheckpoint reads a checkpoint and locks its row until the transaction
// ends (the start of the log when there is none yet), and returns the
// streams that have events set aside, each with its first such event's
// position, in the same round trip.
func lockCheckpoint(ctx context.Context, tx pgx.Tx, name string) (domain.Position, map[string]domain.Position, error) {
	var commit, prepare int64
	var streams []string
	var commits, prepares []int64
	err := tx.QueryRow(ctx, `SELECT c.commit_pos, c.prepare_pos, p.streams, p.commits, p.prepares
		FROM projection_checkpoints c,
		LATERAL (SELECT array_agg(stream) AS streams, array_agg(commit_pos) AS commits, array_agg(prepare_pos) AS prepares
		           FROM (SELECT DISTINCT ON (stream) stream, commit_pos, prepare_pos FROM projection_parked
		                  WHERE projection = $1 ORDER BY stream, commit_pos, prepare_pos) first) p
		WHERE c.name = $1 FOR UPDATE OF c`, name).
		Scan(&commit, &prepare, &streams, &commits, &prepares)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Start, nil, nil
	}
	if err != nil {
		return domain.Start, nil, fmt.Errorf("lock checkpoint %s: %w", name, err)
	}
	var parked map[string]domain.Position
	if len(streams) > 0 {
		parked = make(map[string]domain.Position, len(streams))
		for i, s := range streams {
			parked[s] = domain.Position{Commit: uint64(commits[i]), Prepare: uint64(prepares[i])}
		}
	}
	return domain.Position{Commit: uint64(commit), Prepare: uint64(prepare)}, parked, nil
}

// projectorLockClass is the first key of the projectors' advisory locks
// (the migrations use 0x636f6e74).
const projectorLockClass int32 = 0x636f6e75

// projectorLockKey is the second key: a hash of the read model's name.
func projectorLockKey(name string) int32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int32(h.Sum32())
}

// advance records that a projector reached pos and wakes waiters.
// A checkpoint only moves forward (a rebuild swaps one in further on), so
// of two sightings of it, from this process's projector and from another
// node's notification, the later one stands.
func (r *Runner) advance(name string, pos domain.Position) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if pos.Compare(r.reached[name]) < 0 {
		return
	}
	r.reached[name] = pos
	close(r.advanced)
	r.advanced = make(chan struct{})
}

// Reached returns the position a read model has applied up to, as this
// process knows it (its own projector's, or any node's: Watch).
func (r *Runner) Reached(name string) domain.Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reached[name]
}

// ErrNotYet is returned by WaitFor when the read model did not reach the
// position in time.
var ErrNotYet = &domain.Error{Code: domain.EUNAVAILABLE, Message: "the read model has not caught up with that position yet; try again"}

// WaitFor waits until read model name has applied pos, whichever node
// applies it, or until timeout passes (ErrNotYet), so that a client reads
// its own writes.
func (r *Runner) WaitFor(ctx context.Context, name string, pos domain.Position, timeout time.Duration) error {
	return r.waitUntil(ctx, timeout, func() bool { return r.reached[name].Compare(pos) >= 0 })
}

// WaitForAll waits until every read model this runner runs has applied
// pos: a command's answer waits so for all the read models its events may
// change (each applies the whole log in order, so each passes pos).
func (r *Runner) WaitForAll(ctx context.Context, pos domain.Position, timeout time.Duration) error {
	return r.waitUntil(ctx, timeout, func() bool {
		for name := range r.projectors {
			if r.reached[name].Compare(pos) < 0 {
				return false
			}
		}
		return true
	})
}

// Behind lists the read models this runner runs that have not applied pos.
func (r *Runner) Behind(pos domain.Position) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var behind []string
	for name := range r.projectors {
		if r.reached[name].Compare(pos) < 0 {
			behind = append(behind, name)
		}
	}
	slices.Sort(behind)
	return behind
}

// waitUntil waits until done, checked under the runner's lock at each
// advance, holds, or until timeout passes (ErrNotYet).
func (r *Runner) waitUntil(ctx context.Context, timeout time.Duration, done func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok, advanced := done(), r.advanced
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return ErrNotYet
		case <-advanced:
		}
	}
}

// Checkpoint reads a projector's checkpoint (the start of the log if none).
func Checkpoint(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, name string) (domain.Position, error) {
	var commit, prepare int64
	err := q.QueryRow(ctx, `SELECT commit_pos, prepare_pos FROM projection_checkpoints WHERE name = $1`, name).
		Scan(&commit, &prepare)
	pos := domain.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Start, nil
	}
	if err != nil {
		return pos, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	return pos, nil
}

// saveCheckpoint moves a checkpoint, in the transaction that applied its
// events, and notifies every node watching (Watch) on commit, in the same
// round trip.
func saveCheckpoint(ctx context.Context, tx pgx.Tx, name string, pos domain.Position) error {
	_, err := tx.Exec(ctx, `WITH saved AS (
			INSERT INTO projection_checkpoints (name, commit_pos, prepare_pos, updated_at)
			VALUES ($1, $2, $3, now())
			ON CONFLICT (name) DO UPDATE SET commit_pos = $2, prepare_pos = $3, updated_at = now()
			RETURNING name)
		SELECT pg_notify($4, $1 || ' ' || $5) FROM saved`,
		name, int64(pos.Commit), int64(pos.Prepare), checkpointChannel, pos.String())
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, err)
	}
	return nil
}
