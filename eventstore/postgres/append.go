package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/assoc/contacts/domain"
)

// An append is one statement, in one round trip and one implicit
// transaction: a data-modifying CTE claims the versions on the stream's row
// (the claim's WHERE clause is the expected-version check), and the events
// are inserted only when the claim returned a row. PostgreSQL's row lock and
// re-check under READ COMMITTED make concurrent appends to one stream queue
// up, and exactly one wins each version.
//
// The fast path never looks event IDs up: a retried batch shows up as a
// claim that matched nothing, or as a unique violation on event_id, and only
// then does the slow path (retried) check whether the batch is already
// stored.

// claims are the first CTE for each kind of expected version; $1 is the
// stream, $2 the event IDs, $6 the exact version. Each returns the
// stream's version before the append as "current", and records the
// appending transaction as the stream's last writer (last_xid).
//
// Stream order must agree with log order, (transaction_id, id): an event's
// transaction id must be above those of its stream's earlier events. But a
// transaction's id is assigned at its first write, before it is granted the
// stream's row lock, so an older transaction can wait on the lock of a
// younger one and, once the younger commits version v, claim v+1 under the
// older id: v+1 would come before v in the log. Hence the condition
// last_xid <= pg_current_xact_id() in the claims that can wait on a writer
// and then still match (Any, StreamExists): re-checked on the row's latest
// version once the lock is granted, it makes the older transaction's claim
// match nothing, and Append retries the statement in a new transaction,
// whose id is younger. (<=, not <, so that a caller running two appends to
// one stream in one transaction is not refused; Append never does.)
//
// NoStream never waits and then matches (the row exists: nothing to do), and
// neither does Exact: its claim matches only the version its statement's
// snapshot saw, written by a transaction that committed before this one got
// its id (so the id is younger), and a writer it waits on changes the version.
// Both still set last_xid, which the other claims rely on.
const (
	claimAny = `INSERT INTO streams AS s (stream, version, last_xid) VALUES ($1, cardinality($2::uuid[]), pg_current_xact_id())
		ON CONFLICT (stream) DO UPDATE SET version = s.version + cardinality($2::uuid[]), last_xid = pg_current_xact_id()
		WHERE s.last_xid <= pg_current_xact_id()
		RETURNING s.version - cardinality($2::uuid[]) AS current`
	claimNoStream = `INSERT INTO streams (stream, version, last_xid) VALUES ($1, cardinality($2::uuid[]), pg_current_xact_id())
		ON CONFLICT (stream) DO NOTHING
		RETURNING 0::bigint AS current`
	claimExists = `UPDATE streams s SET version = s.version + cardinality($2::uuid[]), last_xid = pg_current_xact_id()
		WHERE s.stream = $1 AND s.version > 0 AND s.last_xid <= pg_current_xact_id()
		RETURNING s.version - cardinality($2::uuid[]) AS current`
	claimExact = `UPDATE streams s SET version = s.version + cardinality($2::uuid[]), last_xid = pg_current_xact_id()
		WHERE s.stream = $1 AND s.version = $6
		RETURNING s.version - cardinality($2::uuid[]) AS current`
)

// maxAttempts bounds the statements one Append runs while its transaction
// keeps losing the race described above to younger ones.
const maxAttempts = 10

const appendTail = `, written AS (
	INSERT INTO events (event_id, stream, version, type, data, metadata)
	SELECT u.id, $1, claim.current + u.ord, u.type, u.data, u.metadata
	  FROM claim, unnest($2::uuid[], $3::text[], $4::json[], $5::json[]) WITH ORDINALITY AS u (id, type, data, metadata, ord)
	 ORDER BY u.ord
	RETURNING version, transaction_id, id
)
SELECT version, transaction_id, id FROM written ORDER BY version DESC LIMIT 1`

var (
	appendAny      = "WITH claim AS (" + claimAny + ")" + appendTail
	appendNoStream = "WITH claim AS (" + claimNoStream + ")" + appendTail
	appendExists   = "WITH claim AS (" + claimExists + ")" + appendTail
	appendExact    = "WITH claim AS (" + claimExact + ")" + appendTail
)

// Append implements domain.EventStore.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	if len(events) == 0 {
		return domain.AppendResult{}, domain.Errorf(domain.EINVALID, "append to %s: no events", stream)
	}
	ids := make([]string, len(events))
	types := make([]string, len(events))
	data := make([][]byte, len(events))
	metadata := make([][]byte, len(events))
	for i, e := range events {
		ids[i], types[i], data[i], metadata[i] = e.ID, e.Type, e.Data, e.Metadata
		if metadata[i] == nil {
			metadata[i] = []byte("{}")
		}
	}
	sql, args := appendAny, []any{stream, ids, types, data, metadata}
	switch v, isExact := expected.ExactVersion(); {
	case expected.IsNoStream():
		sql = appendNoStream
	case expected.IsStreamExists():
		sql = appendExists
	case isExact:
		sql, args = appendExact, append(args, v)
	}
	for attempt := 1; ; attempt++ {
		result, err := s.appendOnce(ctx, sql, args)
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			s.wake.signal()
			return result, nil
		case errors.Is(err, pgx.ErrNoRows) && expected.IsAny():
			// Any's claim inserts or updates, unless its transaction is
			// older than the stream's last writer: it lost the race. Try
			// again: whether the batch is stored shows up on the next try.
		case errors.Is(err, pgx.ErrNoRows):
			// The claim matched nothing: a version mismatch, a retry, or
			// (StreamExists) a lost race.
			var raced bool
			if result, raced, err = s.afterMismatch(ctx, stream, expected, ids); !raced {
				return result, err
			}
		case errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "events_event_id_key":
			result, _, err = s.afterMismatch(ctx, stream, expected, ids)
			return result, err
		case errors.As(err, &pgErr) && pgErr.Code == "22P02":
			return domain.AppendResult{}, domain.Errorf(domain.EINVALID, "append to %s: %s", stream, pgErr.Message)
		default:
			return domain.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
		}
		// Lost the race: the next statement is a new, younger transaction.
		if attempt == maxAttempts {
			return domain.AppendResult{}, domain.Errorf(domain.EUNAVAILABLE,
				"append to %s: overtaken by younger transactions %d times; try again", stream, maxAttempts)
		}
	}
}

// appendOnce runs the append statement, in a transaction of its own.
func (s *Store) appendOnce(ctx context.Context, sql string, args []any) (domain.AppendResult, error) {
	var (
		result  domain.AppendResult
		prepare int64
	)
	err := s.pool.QueryRow(ctx, sql, args...).Scan(&result.Version, &result.Position.Commit, &prepare)
	result.Position.Prepare = uint64(prepare)
	return result, err
}

// afterMismatch tells an idempotent retry (the whole batch is stored in this
// stream at consecutive versions: success, nothing written) from a conflict.
// It reports raced, with no result, when StreamExists's claim matched
// nothing although the stream exists and none of the batch is stored: the
// append lost the race to a younger transaction and must run again.
func (s *Store) afterMismatch(ctx context.Context, stream string, expected domain.ExpectedVersion, ids []string) (_ domain.AppendResult, raced bool, _ error) {
	rows, err := s.pool.Query(ctx, `SELECT stream, version, transaction_id, id FROM events WHERE event_id = ANY ($1::uuid[]) ORDER BY version`, ids)
	if err != nil {
		return domain.AppendResult{}, false, fmt.Errorf("append to %s: %w", stream, err)
	}
	type stored struct {
		stream   string
		version  int64
		commit   uint64
		prepared int64
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stored, error) {
		var e stored
		err := r.Scan(&e.stream, &e.version, &e.commit, &e.prepared)
		return e, err
	})
	if err != nil {
		return domain.AppendResult{}, false, fmt.Errorf("append to %s: %w", stream, err)
	}
	var actual int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT version FROM streams WHERE stream = $1), 0)`, stream).Scan(&actual); err != nil {
		return domain.AppendResult{}, false, fmt.Errorf("append to %s: %w", stream, err)
	}
	if len(found) == 0 {
		if expected.IsStreamExists() && actual > 0 {
			return domain.AppendResult{}, true, nil
		}
		return domain.AppendResult{}, false, &domain.WrongExpectedVersionError{Stream: stream, Expected: expected, Actual: actual}
	}
	retry := len(found) == len(ids) && found[len(found)-1].version-found[0].version+1 == int64(len(ids))
	for _, e := range found {
		retry = retry && e.stream == stream
	}
	if !retry {
		return domain.AppendResult{}, false, &domain.WrongExpectedVersionError{Stream: stream, Expected: expected, Actual: actual,
			Reason: "event IDs already stored elsewhere"}
	}
	last := found[len(found)-1]
	return domain.AppendResult{Version: last.version, Position: domain.Position{Commit: last.commit, Prepare: uint64(last.prepared)}}, false, nil
}
