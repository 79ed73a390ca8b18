package migrations_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/migrations"
	"github.com/assoc/contacts/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// emptyDatabase returns a pool on a database with no migration applied.
func emptyDatabase(t *testing.T) *pgxpool.Pool {
	t.Helper()
	admin := pgtest.NewPool(t)
	name := "mig_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec(t.Context(), "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	cfg := admin.Config().Copy()
	cfg.ConnConfig.Database = name
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck
	})
	return pool
}

// TestApplyOnceUnderConcurrency: two processes starting together (here two
// pools) apply each migration exactly once, and a later start applies none.
func TestApplyOnceUnderConcurrency(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	pool := emptyDatabase(t)
	other, err := pgxpool.NewWithConfig(t.Context(), pool.Config().Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	var wg sync.WaitGroup
	applied := make([][]int, 2)
	errs := make([]error, 2)
	for i, p := range []*pgxpool.Pool{pool, other} {
		wg.Go(func() { applied[i], errs[i] = migrations.Apply(t.Context(), p) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Apply: %v", err)
		}
	}
	both := slices.Concat(applied[0], applied[1])
	slices.Sort(both)
	var want []int
	for _, m := range all {
		want = append(want, m.Version)
	}
	if !slices.Equal(both, want) {
		t.Fatalf("the two starts applied %v and %v; want each of %v exactly once", applied[0], applied[1], want)
	}
	var recorded int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&recorded); err != nil || recorded != len(all) {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", recorded, err, len(all))
	}
	again, err := migrations.Apply(t.Context(), pool)
	if err != nil || len(again) != 0 {
		t.Fatalf("a later start applied %v (%v), want nothing", again, err)
	}
}

func TestAllIsOrderedAndNumbered(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range all {
		if m.Version != i+1 {
			t.Fatalf("migration %d is numbered %d: numbers must run 1, 2, 3… without gaps", i, m.Version)
		}
		if m.SQL == "" {
			t.Fatalf("migration %04d_%s is empty", m.Version, m.Name)
		}
	}
}
