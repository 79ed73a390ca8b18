package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/embeddedpg"
	"github.com/assoc/contacts/migrations"
)

// database is the PostgreSQL the service uses: the configured one, or a
// private instance it started and must stop.
type database struct {
	Pool    *pgxpool.Pool
	private *embeddedpg.Server
}

// openDatabase connects to DATABASE_URL or, when it is unset, starts the
// private PostgreSQL under the data folder; then it applies the migrations.
// defaultPoolConns is the service's PostgreSQL connection pool size.
const defaultPoolConns = 16

func openDatabase(ctx context.Context, cfg Config, logger *slog.Logger) (*database, error) {
	db := &database{}
	url := cfg.DatabaseURL
	if url == "" {
		dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "postgres"))
		if err != nil {
			return nil, err
		}
		logger.Info("starting private PostgreSQL", "dir", dir)
		srv, err := embeddedpg.Start(ctx, embeddedpg.Config{DataDir: dir, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("start private PostgreSQL: %w", err)
		}
		db.private = srv
		url = srv.ConnString("postgres")
	}
	poolCfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	// pgx's default (4 on this machine) is too few for a server: each
	// projector holds one connection for its advisory lock, the store one
	// to listen, and a projector's batch may need a second while it holds
	// its transaction. pool_max_conns in the URL still wins.
	if !strings.Contains(url, "pool_max_conns") {
		poolCfg.MaxConns = defaultPoolConns
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

// Close closes the pool and stops the private PostgreSQL, if any.
func (db *database) Close() {
	if db.Pool != nil {
		db.Pool.Close()
	}
	if db.private != nil {
		if err := db.private.Stop(); err != nil {
			slog.Error("stop private PostgreSQL", "err", err)
		}
	}
}
