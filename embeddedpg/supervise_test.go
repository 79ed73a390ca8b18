package embeddedpg

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// patience bounds the waits for what must happen.
const patience = time.Minute

// A server killed with SIGKILL in the middle of a query is started again,
// with what was committed, once the backend it left behind has ended.
func TestSupervisorRestartsAKilledServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sup, err := Supervise(t.Context(), testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sup.Stop() }) //nolint:errcheck // checked below
	conn, err := pgx.Connect(t.Context(), sup.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var busy int
	if err := conn.QueryRow(t.Context(), "SELECT pg_backend_pid()").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	// A query that never looks whether its postmaster lives (pg_sleep
	// would): it would run for minutes.
	queryDone := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "SELECT count(*) FROM generate_series(1, 10000000000)")
		queryDone <- err
	}()
	t.Cleanup(func() {
		if isLivePostgres(busy) {
			syscall.Kill(busy, syscall.SIGKILL) //nolint:errcheck // the test failed; do not leave it spinning
		}
	})
	watcher, err := pgx.Connect(t.Context(), sup.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the query to start", func() bool {
		var active bool
		err := watcher.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active')", busy).Scan(&active)
		return err == nil && active
	})

	killed := sup.PID()
	if err := syscall.Kill(killed, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the server to run again", func() bool {
		if pid := sup.PID(); pid == 0 || pid == killed {
			return false
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, sup.ConnString("postgres"))
		if err != nil {
			return false
		}
		return c.Close(ctx) == nil
	})
	if isLivePostgres(busy) {
		t.Errorf("the backend of the killed server (pid %d) still runs beside the new server", busy)
	}
	if err := <-queryDone; err == nil {
		t.Error("the query of the killed server succeeded")
	}
	again, err := pgx.Connect(t.Context(), sup.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(context.Background())
	var n int
	if err := again.QueryRow(t.Context(), "SELECT count(*) FROM kept").Scan(&n); err != nil || n != 1 {
		t.Fatalf("committed row after the restart: %d, %v", n, err)
	}
	if sup.Restarts() != 1 {
		t.Errorf("restarts = %d, want 1", sup.Restarts())
	}
	again.Close(context.Background())

	if err := sup.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file after Stop: %v; want it gone (server stopped)", err)
	}
	if err := sup.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestStopLeftover(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if pid, err := StopLeftover(testConfig(dir)); pid != 0 || err != nil {
		t.Fatalf("StopLeftover with no server = %d, %v; want 0, nil", pid, err)
	}
	s, err := Start(t.Context(), testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() }) //nolint:errcheck // stopped by then
	pid, err := StopLeftover(testConfig(dir))
	if pid != s.PID() || err != nil {
		t.Fatalf("StopLeftover = %d, %v; want %d, nil", pid, err, s.PID())
	}
	select {
	case <-s.exited:
	case <-time.After(patience):
		t.Fatal("server still running after StopLeftover")
	}
	if s.waitErr != nil {
		t.Errorf("server exit after StopLeftover: %v; want a clean (fast) shutdown", s.waitErr)
	}
}

// waitFor polls cond until it holds, failing the test after patience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", patience, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
