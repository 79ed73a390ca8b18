package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/embeddedpg"
	"github.com/assoc/contacts/migrations"
)

// database is the PostgreSQL the service uses: the configured one, the
// private one of a running serve, or a private one this process started
// and must stop.
type database struct {
	Pool *pgxpool.Pool
	// private is the private PostgreSQL this process started: nil on
	// DATABASE_URL, or when attached to the one a serve runs.
	private interface{ Stop() error }
	// lock is held while this process owns the private PostgreSQL.
	lock   *dataLock
	logger *slog.Logger
}

// DefaultPoolConns is the service's PostgreSQL connection pool size.
const DefaultPoolConns = 16

// openDatabase connects to DATABASE_URL or, when it is unset, to the
// private PostgreSQL under the data folder (see openPrivate); then it
// applies the migrations.
func openDatabase(ctx context.Context, cfg Config, logger *slog.Logger) (*database, error) {
	db := &database{logger: logger}
	url := cfg.DatabaseURL
	if url == "" {
		var err error
		if url, err = db.openPrivate(ctx, cfg, logger); err != nil {
			db.Close()
			return nil, err
		}
	}
	poolCfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	// pgx's default (the number of CPUs, at least 4: see
	// docs/BENCHMARKS.md, "Settings chosen from measurements") is too few
	// for a server: each projector holds one connection for its advisory
	// lock, the store one to listen, and a projector's batch may need a
	// second while it holds its transaction. pool_max_conns in the URL
	// still wins over the default, and cfg.PoolConns over both.
	switch {
	case cfg.PoolConns > 0:
		poolCfg.MaxConns = int32(cfg.PoolConns)
	case !strings.Contains(url, "pool_max_conns"):
		poolCfg.MaxConns = DefaultPoolConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	db.Pool = pool
	if err := pool.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	applied, err := migrations.Apply(ctx, pool)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		logger.Info("applied migrations", "versions", applied)
	}
	return db, nil
}

// Bounds of the wait for the PostgreSQL of a running serve (starting, or
// being started again after a crash) and for a verb that holds the folder.
const (
	attachTimeout = time.Minute
	lockPoll      = 200 * time.Millisecond
)

// openPrivate returns the connection string of the private PostgreSQL
// under the data folder. Whoever holds the data folder's lock owns it:
//   - serve takes the lock for its life and runs the PostgreSQL under a
//     supervisor; a second serve, or a serve while a verb owns the
//     PostgreSQL, is refused;
//   - a verb attaches to the PostgreSQL of a running serve, waits for
//     another verb that owns it to finish, or else takes the lock and runs
//     its own PostgreSQL until it ends.
//
// The owner first stops a PostgreSQL found running with no one holding the
// lock: its owner crashed, and nobody else may use it.
func (db *database) openPrivate(ctx context.Context, cfg Config, logger *slog.Logger) (string, error) {
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "postgres"))
	if err != nil {
		return "", err
	}
	pg := embeddedpg.Config{DataDir: dir, Logger: logger, SearchPath: cfg.SearchPath}
	waiting := false
	for {
		lock, err := lockDataDir(cfg.DataDir, cfg.Command)
		var held *lockedError
		switch {
		case err == nil:
			db.lock = lock
			return db.startPrivate(ctx, cfg, pg, logger)
		case !errors.As(err, &held):
			return "", err
		case cfg.Command == "serve" && held.command == "serve":
			return "", fmt.Errorf("%w: another serve runs on it; stop it first, or give this one a data folder of its own (CONTACTS_DATA)", err)
		case cfg.Command == "serve":
			return "", fmt.Errorf("%w, with its own PostgreSQL: start serve once it ends", err)
		case held.command == "serve":
			logger.Info("attaching to the PostgreSQL of the running serve", "serve_pid", held.pid)
			return attachServe(ctx, pg, held)
		}
		if !waiting {
			logger.Info("waiting for another contacts command to finish with the data folder", "holder", held.Error())
			waiting = true
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w: %w", err, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// startPrivate starts the private PostgreSQL this process now owns: under
// a supervisor for serve, which restarts it should it die; for the time of
// the verb otherwise.
func (db *database) startPrivate(ctx context.Context, cfg Config, pg embeddedpg.Config, logger *slog.Logger) (string, error) {
	// Adopting the leftover would leave us a server we cannot supervise
	// (not our child: its death goes unseen until a query fails) and that
	// runs with its old settings; a fast shutdown keeps all it committed.
	pid, err := embeddedpg.StopLeftover(pg)
	if err != nil {
		return "", err
	}
	if pid != 0 {
		logger.Warn("stopped the PostgreSQL a crashed contacts process left running", "pid", pid, "dir", pg.DataDir)
	}
	logger.Info("starting private PostgreSQL", "dir", pg.DataDir)
	if cfg.Command == "serve" {
		sup, err := embeddedpg.Supervise(ctx, pg)
		if err != nil {
			return "", fmt.Errorf("start private PostgreSQL: %w", err)
		}
		db.private = sup
		return sup.ConnString("postgres"), nil
	}
	srv, err := embeddedpg.Start(ctx, pg)
	if err != nil {
		return "", fmt.Errorf("start private PostgreSQL: %w", err)
	}
	db.private = srv
	return srv.ConnString("postgres"), nil
}

// attachServe returns the connection string of the PostgreSQL the running
// serve holds, waiting while it starts it (or starts it again).
func attachServe(ctx context.Context, pg embeddedpg.Config, held *lockedError) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, attachTimeout)
	defer cancel()
	for {
		srv, err := embeddedpg.Attach(ctx, pg)
		if err == nil {
			// Not ours: Close leaves it running.
			return srv.ConnString("postgres"), nil
		}
		if !errors.Is(err, embeddedpg.ErrNotRunning) {
			return "", fmt.Errorf("attach to the PostgreSQL of %s: %w", held, err)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%s, but its PostgreSQL does not run: %w", held, err)
		case <-time.After(lockPoll):
		}
	}
}

// Reachable is /readyz's check of the database: it opens a connection of
// its own, rather than ping on one from the pool, so that a pool busy under
// load is not taken for a database down, nor a pooled connection to a
// server that died for a server still down once it is back.
func (db *database) Reachable() connectCheck {
	return connectCheck{config: db.Pool.Config().ConnConfig}
}

// connectCheck checks that the database accepts a new connection.
type connectCheck struct{ config *pgx.ConnConfig }

func (c connectCheck) Ping(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, c.config)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// Close closes the pool, stops the private PostgreSQL if this process
// started it, and releases the data folder. A failure to stop is logged
// and returned.
func (db *database) Close() error {
	if db.Pool != nil {
		db.Pool.Close()
	}
	var err error
	if db.private != nil {
		if err = db.private.Stop(); err != nil {
			db.logger.Error("stop private PostgreSQL", "err", err)
			err = fmt.Errorf("stop private PostgreSQL: %w", err)
		}
	}
	db.lock.Release()
	return err
}
