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
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
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

// readStreamQuery reads a page of one stream and, in the same round trip,
// whether the stream exists: the stream's row joined to its events, so a
// missing stream gives no row and an exhausted one a row without an event.
const readStreamQuery = `SELECT e.id IS NOT NULL,
	coalesce(e.transaction_id, '0'::xid8), coalesce(e.id, 0), coalesce(e.event_id, '00000000-0000-0000-0000-000000000000'::uuid),
	s.stream, coalesce(e.version, 0), coalesce(e.type, ''), coalesce(e.data, '{}'::json), coalesce(e.metadata, '{}'::json),
	coalesce(e.recorded_at, 'epoch'::timestamptz)
FROM streams s LEFT JOIN LATERAL (
	SELECT * FROM events e WHERE e.stream = s.stream AND %s
) e ON true
WHERE s.stream = $1 AND s.version > 0`

var (
	readStreamForwards  = fmt.Sprintf(readStreamQuery, `e.version >= $2 ORDER BY e.version LIMIT $3`) + ` ORDER BY e.version`
	readStreamBackwards = fmt.Sprintf(readStreamQuery, `e.version <= $2 ORDER BY e.version DESC LIMIT $3`) + ` ORDER BY e.version DESC`
)

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, dir domain.Direction, from int64, limit int) ([]domain.RecordedEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := readStreamForwards
	if dir == domain.Backwards {
		query = readStreamBackwards
		if from <= 0 {
			from = 1<<63 - 1
		}
	}
	rows, err := s.pool.Query(ctx, query, stream, from, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	defer rows.Close()
	exists := false
	events := []domain.RecordedEvent{}
	for rows.Next() {
		exists = true
		var (
			e       domain.RecordedEvent
			prepare int64
			isEvent bool
		)
		if err := rows.Scan(&isEvent, &e.Position.Commit, &prepare, &e.ID, &e.Stream, &e.Version, &e.Type, &e.Data, &e.Metadata, &e.RecordedAt); err != nil {
			return nil, fmt.Errorf("read stream %s: %w", stream, err)
		}
		if isEvent {
			e.Position.Prepare = uint64(prepare)
			events = append(events, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	if !exists {
		return nil, domain.ErrStreamNotFound
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

// OldestAfter returns when the first event after from, in log order, was
// recorded, and false when the log has none. Unlike ReadAll it counts the
// committed events held back behind an older open transaction, so a reader
// stalled by such a transaction shows a growing lag rather than none. (The
// first event in log order is the oldest not yet read, give or take the
// length of a transaction: positions follow transaction ids, not commit
// times.)
func (s *Store) OldestAfter(ctx context.Context, from domain.Position) (time.Time, bool, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT recorded_at FROM events
		WHERE (transaction_id, id) > ($1::xid8, $2)
		ORDER BY transaction_id, id
		LIMIT 1`, from.Commit, int64(from.Prepare)).Scan(&at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("oldest event after %s: %w", from, err)
	}
	return at, true, nil
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
