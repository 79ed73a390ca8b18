package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/assoc/contacts/embeddedpg"
	"github.com/jackc/pgx/v5/pgxpool"
)

// instance is the server this test process makes databases on.
type instance struct {
	// err says why there is no server; NewDatabase fails tests with it.
	err error
	// adminConnString reaches a database that is always there, from which
	// test databases are created and dropped.
	adminConnString string
	// baseConnString is pointed at each test database by connString.
	baseConnString string

	// Set only for the shared embedded server.
	server    *embeddedpg.Server
	dir       string   // its folder, holding the lock files
	usersLock *os.File // shared flock held for the life of the process

	mu       sync.Mutex // guards the fields below
	admin    *pgxpool.Pool
	template string // name of the migrated template, once made
}

// Lock files in the shared folder. start.lock is held exclusively while a
// process starts or attaches to the server, and while one decides to stop
// it; users.lock is held shared by every process using the server, so an
// exclusive lock on it succeeds only when no one else is left.
const (
	startLockName = "start.lock"
	usersLockName = "users.lock"
)

// sharedDir is where the shared server lives: a fixed folder per OS user, so
// every test process of a run (and the next run, if one crashed) finds it.
func sharedDir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("contacts-pgtest-%d", os.Geteuid()))
}

// setup picks the server: DATABASE_URL's, or the shared embedded one.
func setup(ctx context.Context) *instance {
	if url := os.Getenv("DATABASE_URL"); url != "" {
		// Check the URL once here, so every test fails with the same clear error.
		if _, err := withDatabase(url, "x"); err != nil {
			return &instance{err: err}
		}
		return &instance{adminConnString: url, baseConnString: url}
	}
	in, err := attachShared(ctx, sharedDir())
	if err != nil {
		return &instance{err: err}
	}
	return in
}

// attachShared registers this process as a user of the shared server in
// dir, starting the server if none runs.
func attachShared(ctx context.Context, dir string) (*instance, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := checkOwnDir(dir); err != nil {
		return nil, err
	}
	start, err := lockFile(filepath.Join(dir, startLockName), syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer start.Close()
	// Taken under start.lock, so a process deciding to stop the server
	// (which holds start.lock) cannot miss us.
	users, err := lockFile(filepath.Join(dir, usersLockName), syscall.LOCK_SH)
	if err != nil {
		return nil, err
	}
	cfg := embeddedpg.Config{DataDir: dir, SearchPath: os.Getenv("PATH")}
	srv, err := embeddedpg.Attach(ctx, cfg)
	if errors.Is(err, embeddedpg.ErrNotRunning) {
		srv, err = embeddedpg.Start(ctx, cfg)
	}
	if err != nil {
		users.Close()
		return nil, fmt.Errorf("shared server in %s: %w", dir, err)
	}
	return &instance{
		adminConnString: srv.ConnString("postgres"),
		baseConnString:  srv.ConnString("postgres"),
		server:          srv,
		dir:             dir,
		usersLock:       users,
	}, nil
}

// checkOwnDir refuses a shared folder that is a symlink or that another
// user made: os.TempDir() is writable by all, and whoever owns the folder
// controls the server our tests trust.
func checkOwnDir(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check %s: %w", dir, err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !info.IsDir() || !ok || int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s is not a folder of ours: remove it", dir)
	}
	return nil
}

// connString points the server's connection string at database db.
func (in *instance) connString(db string) (string, error) {
	return withDatabase(in.baseConnString, db)
}

// adminPool returns the pool on the admin database, opening it on first
// use. The caller holds in.mu.
func (in *instance) adminPool(ctx context.Context) (*pgxpool.Pool, error) {
	if in.admin != nil {
		return in.admin, nil
	}
	pool, err := pgxpool.New(ctx, in.adminConnString)
	if err != nil {
		return nil, fmt.Errorf("open admin pool: %w", err)
	}
	in.admin = pool
	return pool, nil
}
