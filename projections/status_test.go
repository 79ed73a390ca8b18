package projections_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/projections"
)

// The PostgreSQL store reports events ReadAll holds back, which Status asks
// for through this method (projections' pendingReader).
var _ interface {
	OldestAfter(ctx context.Context, from domain.Position) (time.Time, bool, error)
} = (*postgres.Store)(nil)

// TestStatusShowsStalledLog: while a long transaction holds the log back, a
// running projector cannot apply the events committed after it began; Status
// must report it behind, with a lag, not up to date. Once the transaction
// ends, the projector catches up and Status says so.
func TestStatusShowsStalledLog(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	first := b.register(t, map[string]string{"last_name": "Avant"})
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, first.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// A transaction with an id, left open: every event committed after it
	// is above the snapshots' xmin, so ReadAll holds it back.
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	long, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer long.Rollback(context.Background()) //nolint:errcheck
	if _, err := long.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}

	second := b.register(t, map[string]string{"last_name": "Pendant"})
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, second.Position, 100*time.Millisecond); !errors.Is(err, projections.ErrNotYet) {
		t.Fatalf("WaitFor the event committed behind the open transaction = %v, want ErrNotYet (the projector is stalled)", err)
	}
	st, err := runner.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || !st[0].Behind || st[0].LagSeconds < 0.05 {
		t.Fatalf("status of a projector stalled behind an open transaction = %+v, want behind with a lag of at least 0.05s (it waited 0.1s)", st)
	}
	if st[0].Position != runner.Reached(projections.ContactsReadModel) || st[0].Position.Compare(second.Position) >= 0 {
		t.Fatalf("status position %s, want the projector's, before %s", st[0].Position, second.Position)
	}

	if err := long.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, second.Position, 10*time.Second); err != nil {
		t.Fatalf("projector after the transaction ended: %v", err)
	}
	st, err = runner.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Behind || st[0].LagSeconds != 0 {
		t.Fatalf("status of a caught-up projector = %+v, want not behind, lag 0", st)
	}
}
