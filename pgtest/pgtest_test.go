package pgtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { Main(m) }

// query scans one value of the query's single row.
func query[T any](t *testing.T, pool *pgxpool.Pool, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func TestPoolsAreIsolated(t *testing.T) {
	a, b := NewPool(t), NewPool(t)
	dbA := query[string](t, a, "SELECT current_database()")
	dbB := query[string](t, b, "SELECT current_database()")
	if dbA == dbB {
		t.Fatalf("both pools on database %s", dbA)
	}
	for _, pool := range []*pgxpool.Pool{a, b} {
		if !query[bool](t, pool, "SELECT to_regclass('events') IS NOT NULL") {
			t.Error("events table missing: migrations not applied")
		}
	}
	if _, err := a.Exec(t.Context(), "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	if query[bool](t, b, "SELECT to_regclass('only_in_a') IS NOT NULL") {
		t.Error("table made in one database shows in the other")
	}
}

func TestDatabaseDroppedAtCleanup(t *testing.T) {
	var name string
	t.Run("user", func(t *testing.T) {
		conn, err := pgx.Connect(t.Context(), NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	other := NewPool(t)
	if query[bool](t, other, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name) {
		t.Errorf("database %s still there after its test ended", name)
	}
}

func TestParallelDatabases(t *testing.T) {
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			pool := NewPool(t)
			if _, err := pool.Exec(t.Context(), "INSERT INTO streams (stream, version) VALUES ('s', 0)"); err != nil {
				t.Fatal(err)
			}
			if n := query[int](t, pool, "SELECT count(*) FROM streams"); n != 1 {
				t.Errorf("streams has %d rows, want 1: databases share data", n)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	for base, want := range map[string]string{
		"postgres://u:p@h:5/old?sslmode=disable": "postgres://u:p@h:5/new?sslmode=disable",
		"host=/s port=5 dbname=old":              "host=/s port=5 dbname=old dbname='new'",
	} {
		got, err := withDatabase(base, "new")
		if err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", base, got, err, want)
		}
	}
}
