// Package pgtest gives tests PostgreSQL databases of their own, freshly
// migrated and dropped when the test ends.
//
// With DATABASE_URL set, databases are made on that server (its user needs
// CREATEDB). Otherwise every test process of a `go test` run shares one
// private embeddedpg instance in os.TempDir()/contacts-pgtest-<uid>, started
// by the first process that needs it and stopped by the last one to finish.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// shared is this test process's server; Main sets it before any test runs.
var shared *instance

// setupTimeout bounds starting or attaching to the server.
const setupTimeout = 2 * time.Minute

// Main runs the package's tests; call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// If no server can be had, tests that ask for a database fail with the reason;
// the others still run.
func Main(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	shared = setup(ctx)
	cancel()
	code := m.Run()
	if err := shared.teardown(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// NewPool returns a pool on a fresh database of its own for this test, with
// every migration applied. The pool is closed and the database dropped when
// the test ends.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	connString := NewDatabase(t)
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// As the service's pool (cmd/contacts): pgx's default of 4 is too
	// few for projectors that hold connections while they run.
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	// Cleanups run last-in first-out: the pool closes before the drop.
	t.Cleanup(pool.Close)
	return pool
}

// NewDatabase creates a fresh migrated database for this test and returns
// its connection string; the database is dropped when the test ends (close
// your connections first, or they are cut).
func NewDatabase(t testing.TB) string {
	t.Helper()
	in := shared
	if in == nil {
		t.Fatal("pgtest: call pgtest.Main(m) from TestMain first")
	}
	if in.err != nil {
		t.Fatalf("pgtest: no PostgreSQL server: %v", in.err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	name, err := in.createDatabase(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		// t.Context() has ended by now: use a fresh one.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := in.dropDatabase(ctx, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	connString, err := in.connString(name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return connString
}
