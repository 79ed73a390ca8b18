package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
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
// stream, %[1]s the number of events appended, $7 the exact version. Each
// returns the stream's version before the append as "current", and records
// the appending transaction as the stream's last writer (last_xid).
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
	claimAny = `INSERT INTO streams AS s (stream, version, last_xid) VALUES ($1, %[1]s, pg_current_xact_id())
		ON CONFLICT (stream) DO UPDATE SET version = s.version + %[1]s, last_xid = pg_current_xact_id()
		WHERE s.last_xid <= pg_current_xact_id()
		RETURNING s.version - %[1]s AS current`
	claimNoStream = `INSERT INTO streams (stream, version, last_xid) VALUES ($1, %[1]s, pg_current_xact_id())
		ON CONFLICT (stream) DO NOTHING
		RETURNING 0::bigint AS current`
	claimExists = `UPDATE streams s SET version = s.version + %[1]s, last_xid = pg_current_xact_id()
		WHERE s.stream = $1 AND s.version > 0 AND s.last_xid <= pg_current_xact_id()
		RETURNING s.version - %[1]s AS current`
	claimExact = `UPDATE streams s SET version = s.version + %[1]s, last_xid = pg_current_xact_id()
		WHERE s.stream = $1 AND s.version = $7
		RETURNING s.version - %[1]s AS current`
)

// maxAttempts bounds the statements one Append runs while its transaction
// keeps losing the race described above to younger ones.
const maxAttempts = 10

// appendTail inserts the events, %[2]s, numbered after the claim's current
// version.
const appendTail = `, written AS (
	INSERT INTO events (event_id, stream, version, type, data, metadata, community_id)
	SELECT u.id, $1, claim.current + u.ord, u.type, u.data, u.metadata, u.community
	  FROM claim, %[2]s
	 ORDER BY u.ord
	RETURNING version, transaction_id, id
)
SELECT version, transaction_id, id FROM written ORDER BY version DESC LIMIT 1`

// The events come as arrays ($2 to $6, one element per event) or, for the
// most common append, one event, as plain values: encoding four
// one-element arrays costs the client more CPU than the rest of the call.
const (
	batchCount  = `cardinality($2::uuid[])`
	batchEvents = `unnest($2::uuid[], $3::text[], $4::json[], $5::json[], $6::uuid[]) WITH ORDINALITY AS u (id, type, data, metadata, community, ord)`
	oneCount    = `1::bigint`
	oneEvent    = `(VALUES ($2::uuid, $3::text, $4::json, $5::json, $6::uuid, 1::bigint)) AS u (id, type, data, metadata, community, ord)`
)

// appendStatements holds the statement for each kind of expected version,
// for one event or a batch.
type appendStatements struct{ any, noStream, exists, exact string }

func newAppendStatements(count, events string) appendStatements {
	statement := func(claim string) string {
		return fmt.Sprintf("WITH claim AS ("+claim+")"+appendTail, count, events)
	}
	return appendStatements{
		any:      statement(claimAny),
		noStream: statement(claimNoStream),
		exists:   statement(claimExists),
		exact:    statement(claimExact),
	}
}

var (
	appendOne   = newAppendStatements(oneCount, oneEvent)
	appendBatch = newAppendStatements(batchCount, batchEvents)
)

// appendArgs returns the statements and arguments $1 to $6 for events:
// event IDs as 16-byte arrays, which pgx sends in binary (as strings, each
// uuid[] would first fail to encode in binary and then go as text).
func appendArgs(stream string, events []domain.EventData) (appendStatements, []any, error) {
	ids := make([][16]byte, len(events))
	types := make([]string, len(events))
	data := make([][]byte, len(events))
	metadata := make([][]byte, len(events))
	communities := make([]*[16]byte, len(events))
	for i, e := range events {
		id, err := uuid.Parse(e.ID)
		if err != nil {
			return appendStatements{}, nil, domain.Errorf(domain.EINVALID, "append to %s: event ID %q is not a UUID", stream, e.ID)
		}
		ids[i], types[i], data[i], metadata[i] = id, e.Type, e.Data, e.Metadata
		if metadata[i] == nil {
			metadata[i] = []byte("{}")
		}
		communities[i] = communityOf(metadata[i])
	}
	if len(events) == 1 {
		return appendOne, []any{stream, ids[0], types[0], data[0], metadata[0], communities[0]}, nil
	}
	return appendBatch, []any{stream, ids, types, data, metadata, communities}, nil
}

// Append implements domain.EventStore.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	if len(events) == 0 {
		return domain.AppendResult{}, domain.Errorf(domain.EINVALID, "append to %s: no events", stream)
	}
	statements, args, err := appendArgs(stream, events)
	if err != nil {
		return domain.AppendResult{}, err
	}
	sql := statements.any
	switch v, isExact := expected.ExactVersion(); {
	case expected.IsNoStream():
		sql = statements.noStream
	case expected.IsStreamExists():
		sql = statements.exists
	case isExact:
		sql, args = statements.exact, append(args, v)
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
			if result, raced, err = s.afterMismatch(ctx, stream, expected, events); !raced {
				return result, err
			}
		case errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "events_event_id_key":
			result, _, err = s.afterMismatch(ctx, stream, expected, events)
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
func (s *Store) afterMismatch(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (_ domain.AppendResult, raced bool, _ error) {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
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
