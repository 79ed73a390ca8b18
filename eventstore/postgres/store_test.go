package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/eventstore/storetest"
	"github.com/assoc/contacts/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newStore(t *testing.T) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewPool(t)
	store := postgres.New(pool, nil)
	t.Cleanup(store.Close)
	return store, pool
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.EventStore {
		store, _ := newStore(t)
		return store
	})
}

func event(typ string) domain.EventData {
	return domain.EventData{ID: uuid.NewString(), Type: typ, Data: []byte(`{}`), Metadata: []byte(`{}`)}
}

// TestReadAllHoldsBackLaterCommits is the sequence-gap trap: transaction A
// takes its place in the log first but commits last. A reader must not
// return B's event before A has ended, or a reader that checkpointed B's
// position would never see A's.
func TestReadAllHoldsBackLaterCommits(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t)

	txA, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx) //nolint:errcheck
	a := event("A")
	if _, err := txA.Exec(ctx, `INSERT INTO streams (stream, version) VALUES ('slow', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := txA.Exec(ctx, `INSERT INTO events (event_id, stream, version, type, data, metadata) VALUES ($1, 'slow', 1, 'A', '{}', '{}')`,
		a.ID); err != nil {
		t.Fatal(err)
	}

	if _, err := store.Append(ctx, "fast", domain.Any, []domain.EventData{event("B")}); err != nil {
		t.Fatal(err)
	}
	events, err := store.ReadAll(ctx, domain.Start, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Fatalf("ReadAll returned %s while an older transaction was open; want nothing yet", events[0].Type)
	}

	// A live subscriber must get both, A first, once A commits.
	got := make(chan string, 2)
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go store.Subscribe(subCtx, domain.Start, func(_ context.Context, evs []domain.RecordedEvent) error { //nolint:errcheck
		for _, e := range evs {
			got <- e.Type
		}
		return nil
	})
	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A", "B"} {
		select {
		case typ := <-got:
			if typ != want {
				t.Fatalf("subscriber got %s, want %s (A's transaction began first)", typ, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("subscriber did not get %s", want)
		}
	}
}

// TestAppendKeepsStreamOrderInTheLog is the xid-before-lock trap: an append's
// transaction id is assigned at its first write, before it gets its stream's
// row lock. Writer X takes its id, then writer Y (a younger id) takes the
// lock and appends version 2; X waits for the lock and, after Y commits,
// must not append version 3 under its older id, or the log (ordered by
// transaction id) would list version 3 before version 2. X must retry under
// a new id instead.
//
// A statement trigger makes the interleaving deterministic: it gives X's
// statement its transaction id, then holds it on an advisory lock until Y
// has appended.
func TestAppendKeepsStreamOrderInTheLog(t *testing.T) {
	for _, tc := range []struct {
		name     string
		expected domain.ExpectedVersion
	}{
		{"Any", domain.Any},
		{"StreamExists", domain.StreamExists},
		// Exact needs no case: its claim only matches the version its
		// statement's snapshot saw, committed before X's id was assigned, and
		// any writer X waits for changes that version.
	} {
		t.Run(tc.name, func(t *testing.T) {
			testAppendKeepsStreamOrder(t, tc.expected)
		})
	}
}

func testAppendKeepsStreamOrder(t *testing.T, expected domain.ExpectedVersion) {
	ctx := t.Context()
	store, pool := newStore(t)
	const stream = "contact-race"
	e1, ex, ey := event("First"), event("X"), event("Y")
	if _, err := store.Append(ctx, stream, domain.NoStream, []domain.EventData{e1}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		CREATE FUNCTION hold_append() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF current_setting('test.hold', true) IS DISTINCT FROM 'off' THEN
				PERFORM pg_current_xact_id();             -- take a transaction id now
				PERFORM pg_advisory_xact_lock_shared(42); -- and wait for the gate
			END IF;
			RETURN NULL;
		END $$;
		CREATE TRIGGER hold_append BEFORE INSERT OR UPDATE ON streams
			FOR EACH STATEMENT EXECUTE FUNCTION hold_append();`); err != nil {
		t.Fatal(err)
	}
	connect := func() *pgx.Conn {
		conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return conn
	}
	pid := func(conn *pgx.Conn) (pid int32) {
		if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		return pid
	}
	// blockedBy waits until a backend is blocked by blocker and returns it.
	blockedBy := func(blocker int32, waiter int32) int32 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var found *int32
			if err := pool.QueryRow(ctx, `SELECT min(pid) FROM pg_stat_activity
				WHERE $1::int = ANY (pg_blocking_pids(pid)) AND ($2::int = 0 OR pid = $2)`, blocker, waiter).Scan(&found); err != nil {
				t.Fatal(err)
			}
			if found != nil {
				return *found
			}
			if time.Now().After(deadline) {
				t.Fatalf("no backend blocked by %d", blocker)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	gate := connect()
	if _, err := gate.Exec(ctx, `SELECT pg_advisory_lock(42)`); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		res domain.AppendResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := store.Append(ctx, stream, expected, []domain.EventData{ex})
		done <- outcome{res, err}
	}()
	x := blockedBy(pid(gate), 0) // X has its transaction id and waits at the gate

	y := connect()
	txY, err := y.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txY.Rollback(ctx) //nolint:errcheck
	if _, err := txY.Exec(ctx, `SET LOCAL test.hold = 'off'`); err != nil {
		t.Fatal(err)
	}
	var yVersion int64
	var yCommit uint64
	var yPrepare int64
	if err := txY.QueryRow(ctx, postgres.AppendAny, stream, []string{ey.ID}, []string{ey.Type},
		[][]byte{ey.Data}, [][]byte{ey.Metadata}, []*[16]byte{nil}).Scan(&yVersion, &yCommit, &yPrepare); err != nil {
		t.Fatal(err)
	}
	if yVersion != 2 {
		t.Fatalf("Y appended version %d, want 2", yVersion)
	}

	if _, err := gate.Exec(ctx, `SELECT pg_advisory_unlock(42)`); err != nil {
		t.Fatal(err)
	}
	blockedBy(pid(y), x) // X now waits for Y's row lock
	if err := txY.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var got outcome
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("X's append did not return")
	}
	if got.err != nil {
		t.Fatalf("X's append (expected %s) after Y's: %v", expected, got.err)
	}
	if got.res.Version != 3 {
		t.Fatalf("X's append returned version %d, want 3", got.res.Version)
	}

	// The log may hold events back behind other tests' transactions (the
	// server is shared): wait until all three show.
	var log []domain.RecordedEvent
	for deadline := time.Now().Add(30 * time.Second); ; {
		if log, err = store.ReadAll(ctx, domain.Start, 10); err != nil {
			t.Fatal(err)
		}
		if len(log) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(log) != 3 {
		t.Fatalf("ReadAll returned %d events, want 3", len(log))
	}
	for i, e := range log {
		if e.Version != int64(i+1) {
			var order []string
			for _, e := range log {
				order = append(order, fmt.Sprintf("%s (version %d at %s)", e.Type, e.Version, e.Position))
			}
			t.Fatalf("the log lists stream %s out of version order: %v", stream, order)
		}
	}
	if log[2].ID != ex.ID || log[2].Position != got.res.Position {
		t.Fatalf("last event in the log is %s at %s; want X's, at %s as its append returned", log[2].Type, log[2].Position, got.res.Position)
	}
}

// TestPendingFindsTheNextEventByIndex: a subscriber with nothing to read
// asks whether events are held back, on every idle poll. Its statement is
// prepared, so PostgreSQL soon plans it once for any position; that plan
// must look the next event up by the primary key, not scan the log for
// one (it did, through an EXISTS: 60-100 ms a poll at 330,000 events).
func TestPendingFindsTheNextEventByIndex(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t)
	for range 5 { // a log the size of a small community's: big enough for a planner to weigh an index
		batch := make([]domain.EventData, 1000)
		for i := range batch {
			batch[i] = event("E")
		}
		if _, err := store.Append(ctx, "s-"+uuid.NewString(), domain.Any, batch); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, sql := range []string{`SET enable_seqscan = on`, `SET plan_cache_mode = force_generic_plan`, `ANALYZE events`} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	defer conn.Exec(ctx, `RESET plan_cache_mode`) //nolint:errcheck
	if _, err := conn.Exec(ctx, `PREPARE pending_plan(xid8, bigint) AS `+postgres.PendingQuery); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, `DEALLOCATE pending_plan`) //nolint:errcheck
	rows, err := conn.Query(ctx, `EXPLAIN EXECUTE pending_plan('1', 0)`)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprint(plan)
	if !strings.Contains(text, "events_pkey") || strings.Contains(text, "Seq Scan") {
		t.Fatalf("the generic plan of the pending query does not look the next event up by the primary key:\n%s", strings.Join(plan, "\n"))
	}
}
