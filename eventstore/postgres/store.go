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

// readCommunityQuery returns a community's events after a position, below
// the snapshot's xmin as readAllQuery, and, in the same snapshot, the log's
// last such event: where a reader of the community resumes when fewer than
// its limit came (nothing of its community lies before that).
const readCommunityQuery = `WITH head AS (
	SELECT transaction_id, id FROM events
	 WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
	 ORDER BY transaction_id DESC, id DESC LIMIT 1)
SELECT ` + eventColumns + `, (SELECT transaction_id FROM head), (SELECT id FROM head) FROM (
	SELECT ` + eventColumns + ` FROM events
	 WHERE community_id = $1 AND (transaction_id, id) > ($2::xid8, $3)
	   AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
	 ORDER BY transaction_id, id
	 LIMIT $4) page
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, (SELECT transaction_id FROM head), (SELECT id FROM head)
ORDER BY 1 NULLS LAST, 2`

// ReadCommunity implements domain.CommunityLog: through the index of the
// log by community, a reader's cost follows its community's events.
func (s *Store) ReadCommunity(ctx context.Context, communityID string, from domain.Position, limit int) ([]domain.RecordedEvent, domain.Position, error) {
	if limit <= 0 {
		return nil, from, nil
	}
	if !domain.ValidID(communityID) {
		return nil, from, nil // no such community: no event of it
	}
	rows, err := s.pool.Query(ctx, readCommunityQuery, communityID, from.Commit, int64(from.Prepare), limit)
	if err != nil {
		return nil, from, fmt.Errorf("read community %s after %s: %w", communityID, from, err)
	}
	defer rows.Close()
	var events []domain.RecordedEvent
	head := from
	for rows.Next() {
		var e domain.RecordedEvent
		var commit, headCommit *uint64
		var id, headID *int64
		var eventID, stream, typ *string
		var version *int64
		var data, metadata []byte
		var at *time.Time
		if err := rows.Scan(&commit, &id, &eventID, &stream, &version, &typ, &data, &metadata, &at, &headCommit, &headID); err != nil {
			return nil, from, fmt.Errorf("read community %s: %w", communityID, err)
		}
		if headCommit != nil && headID != nil {
			head = later(head, domain.Position{Commit: *headCommit, Prepare: uint64(*headID)})
		}
		if commit == nil {
			continue // the row that only carries the head
		}
		e = domain.RecordedEvent{ID: *eventID, Stream: *stream, Version: *version, Type: *typ, Data: data, Metadata: metadata,
			Position: domain.Position{Commit: *commit, Prepare: uint64(*id)}, RecordedAt: *at}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, from, fmt.Errorf("read community %s: %w", communityID, err)
	}
	if len(events) == limit {
		return events, events[len(events)-1].Position, nil
	}
	return events, head, nil
}

// later returns the later of two positions.
func later(a, b domain.Position) domain.Position { return a.Max(b) }

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
// yet, because an older transaction is still open. It asks for the first
// such event in log order, which the primary key finds at once: an EXISTS
// lets the planner drop the order, and its generic plan (prepared, after
// five runs) then scanned the whole table for a row past from, of which
// there are few: 60-100 ms at 330,000 events, on every idle poll of every
// subscriber, which held every command's answer back by as much
// (docs/BENCHMARKS.md).
const pendingQuery = `SELECT transaction_id FROM events WHERE (transaction_id, id) > ($1::xid8, $2) ORDER BY transaction_id, id LIMIT 1`

func (s *Store) pending(ctx context.Context, from domain.Position) (bool, error) {
	var next uint64
	err := s.pool.QueryRow(ctx, pendingQuery, from.Commit, int64(from.Prepare)).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
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
