// Package postgres is the PostgreSQL backend of the domain.EventStore port,
// the project's default event log.
//
// The log's global order is (committing transaction id, row id), read only
// below the snapshot's xmin: see migrations/0001_event_store.sql for why a
// plain sequence is not safe and why this is. Appends lock only their own
// stream's row, so appends to different streams commit concurrently.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
)

// Store is the PostgreSQL event store. It is safe for concurrent use. Close
// it to stop its background goroutines.
type Store struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	wake   *wakeup

	ctx    context.Context // ends at Close; bounds the background goroutines
	cancel context.CancelFunc
	once   sync.Once // starts the listener on first Subscribe
	wg     sync.WaitGroup
}

var _ domain.EventStore = (*Store)(nil)

// New returns a store on pool, whose database must have the migrations
// applied. logger may be nil.
func New(pool *pgxpool.Pool, logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{pool: pool, logger: logger, wake: newWakeup(), ctx: ctx, cancel: cancel}
	s.wg.Add(1)
	go s.runNotifier()
	return s
}

// Close stops the store's background goroutines. It does not close the pool.
func (s *Store) Close() {
	s.cancel()
	s.wg.Wait()
}

const eventColumns = `transaction_id, id, event_id, stream, version, type, data, metadata, recorded_at`

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, dir domain.Direction, from int64, limit int) ([]domain.RecordedEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	var query string
	switch dir {
	case domain.Backwards:
		if from <= 0 {
			from = 1<<63 - 1
		}
		query = `SELECT ` + eventColumns + ` FROM events WHERE stream = $1 AND version <= $2 ORDER BY version DESC LIMIT $3`
	default:
		query = `SELECT ` + eventColumns + ` FROM events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3`
	}
	events, err := s.query(ctx, query, stream, from, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	if len(events) == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM streams WHERE stream = $1 AND version > 0)`, stream).Scan(&exists); err != nil {
			return nil, fmt.Errorf("read stream %s: %w", stream, err)
		}
		if !exists {
			return nil, domain.ErrStreamNotFound
		}
	}
	return events, nil
}

// readAllQuery returns the events after a position whose transaction is below
// the current snapshot's xmin: all such transactions have ended, so nothing
// can later appear before what this query returns.
const readAllQuery = `SELECT ` + eventColumns + ` FROM events
WHERE (transaction_id, id) > ($1::xid8, $2)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY transaction_id, id
LIMIT $3`

// ReadAll implements domain.EventStore.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, limit int) ([]domain.RecordedEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	events, err := s.query(ctx, readAllQuery, from.Commit, int64(from.Prepare), limit)
	if err != nil {
		return nil, fmt.Errorf("read log after %s: %w", from, err)
	}
	return events, nil
}

// pending reports whether events exist after from that ReadAll cannot return
// yet, because an older transaction is still open.
func (s *Store) pending(ctx context.Context, from domain.Position) (bool, error) {
	var exists bool
	err := s.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM events WHERE (transaction_id, id) > ($1::xid8, $2))`,
		from.Commit, int64(from.Prepare)).Scan(&exists)
	return exists, err
}

func (s *Store) query(ctx context.Context, sql string, args ...any) ([]domain.RecordedEvent, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []domain.RecordedEvent
	for rows.Next() {
		var (
			e       domain.RecordedEvent
			prepare int64
		)
		if err := rows.Scan(&e.Position.Commit, &prepare, &e.ID, &e.Stream, &e.Version, &e.Type, &e.Data, &e.Metadata, &e.RecordedAt); err != nil {
			return nil, err
		}
		e.Position.Prepare = uint64(prepare)
		events = append(events, e)
	}
	return events, rows.Err()
}
