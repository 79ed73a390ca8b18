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

// TestImportRowsMoveOutOfReports: 0009 moves the rows of the reports stored
// before it into import_rows, unchanged, and leaves the reports without them.
func TestImportRowsMoveOutOfReports(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	pool := emptyDatabase(t)
	ctx := t.Context()
	i := slices.IndexFunc(all, func(m migrations.Migration) bool { return m.Version == 9 })
	for _, m := range all[:i] {
		if _, err := pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("migration %d: %v", m.Version, err)
		}
	}
	const report = `{"id":"01a215c2-b020-7c81-8e6c-a9a411d80e15","counts":{"updated":1,"rejected":1},"rows":[
		{"row":2,"outcome":"updated","contact_id":"01a215c2-af68-77d5-ace5-1dbd4d92970b","version":3,"changes":[{"field":"first_name","old":"Ada","new":"Augusta"}]},
		{"row":5,"outcome":"rejected","errors":[{"cell":"B5","reason":"bad"}]},
		{"row":7,"outcome":"updated","contact_id":"01a215c2-af68-77d5-ace5-1dbd4d92970c","version":2,"erased":true}]}`
	if _, err := pool.Exec(ctx, `INSERT INTO imports (id, community_id, dry_run, created_at, report)
		VALUES ('01a215c2-b020-7c81-8e6c-a9a411d80e15', '01a215c2-b020-7c81-8e6c-a9a411d80e16', false, now(), $1)`, report); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, all[i].SQL); err != nil {
		t.Fatalf("migration 9: %v", err)
	}
	var got string
	err = pool.QueryRow(ctx, `SELECT string_agg(concat_ws('|', sheet_row, outcome, contact_id, version, changes, errors, erased), E'\n' ORDER BY sheet_row) FROM import_rows`).Scan(&got)
	want := `2|updated|01a215c2-af68-77d5-ace5-1dbd4d92970b|3|[{"new": "Augusta", "old": "Ada", "field": "first_name"}]|f
5|rejected|0|[{"cell": "B5", "reason": "bad"}]|f
7|updated|01a215c2-af68-77d5-ace5-1dbd4d92970c|2|t`
	if err != nil || got != want {
		t.Errorf("import_rows after 0009 (%v):\n%s\nwant:\n%s", err, got, want)
	}
	var left, finished bool
	if err := pool.QueryRow(ctx, `SELECT report ? 'rows', finished FROM imports`).Scan(&left, &finished); err != nil || left || !finished {
		t.Errorf("the report still has its rows (%v), or is not finished (%v)", left, finished)
	}
}
