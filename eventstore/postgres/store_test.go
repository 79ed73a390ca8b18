package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
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
