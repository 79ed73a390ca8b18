package pgtest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// teardownTimeout bounds the sweep of leftover databases.
const teardownTimeout = time.Minute

// teardown closes the admin pool and, if this process is the last user of
// the shared server, sweeps it and stops it.
func (in *instance) teardown() error {
	in.mu.Lock()
	if in.admin != nil {
		in.admin.Close()
	}
	in.mu.Unlock()
	if in.server == nil {
		return nil
	}
	start, err := lockFile(filepath.Join(in.dir, startLockName), syscall.LOCK_EX)
	if err != nil {
		in.usersLock.Close()
		return err
	}
	// Release users.lock before start.lock, so a process waiting to join
	// finds the outcome settled.
	defer start.Close()
	defer in.usersLock.Close()
	// Turn our shared lock into an exclusive one: this only succeeds when no
	// other process holds users.lock, and no one can join while we hold
	// start.lock.
	err = flock(in.usersLock, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil // others still use the server: the last one stops it
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", usersLockName, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
	defer cancel()
	sweepErr := in.dropLeftovers(ctx)
	if err := in.server.Stop(); err != nil {
		return errors.Join(sweepErr, fmt.Errorf("stop shared server: %w", err))
	}
	return sweepErr
}

// dropLeftovers drops what no one can be using once the last user leaves:
// test databases of crashed processes (which never ran their cleanups), and
// templates of other migration sets. Without this they pile up in the shared
// server's folder from run to run.
func (in *instance) dropLeftovers(ctx context.Context) error {
	keep, err := templateName()
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, in.adminConnString)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database
		WHERE datname LIKE 'test\_%' OR (datname LIKE 'pgtest\_tmpl\_%' AND datname <> $1)`, keep)
	if err != nil {
		return fmt.Errorf("sweep: list databases: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("sweep: list databases: %w", err)
	}
	for _, name := range names {
		db := pgx.Identifier{name}.Sanitize()
		// A template cannot be dropped until unmarked.
		for _, sql := range []string{
			"ALTER DATABASE " + db + " WITH IS_TEMPLATE false",
			"DROP DATABASE " + db + " WITH (FORCE)",
		} {
			if _, err := conn.Exec(ctx, sql); err != nil {
				return fmt.Errorf("sweep: %s: %w", sql, err)
			}
		}
	}
	return nil
}
