package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/assoc/contacts/eventstore/postgres"
	chttp "github.com/assoc/contacts/http"
)

// runServe runs the service until ctx ends (SIGINT or SIGTERM), then stops it
// cleanly: HTTP first, then the store, then the database (the private
// PostgreSQL included).
func runServe(ctx context.Context, cfg Config, logger *slog.Logger) error {
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	store := postgres.New(db.Pool, logger)
	defer store.Close()

	server := chttp.NewServer(cfg.Addr, logger)
	if err := server.Open(); err != nil {
		return err
	}
	// Deferred last, so it runs first: no request reaches a closed store.
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := server.Close(shutdownCtx); err != nil {
			logger.Error("stop http server", "err", err)
		}
	}()
	server.SetReady(true)
	logger.Info("ready", "url", server.URL())

	<-ctx.Done()
	logger.Info("shutting down")
	server.SetReady(false)
	return nil
}

// runMigrate applies the migrations and exits.
func runMigrate(ctx context.Context, cfg Config, logger *slog.Logger) error {
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	db.Close()
	logger.Info("database is up to date")
	return nil
}
