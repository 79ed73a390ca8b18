package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/assoc/contacts/cmd/internal/wire"
	chttp "github.com/assoc/contacts/http"
	"github.com/assoc/contacts/spreadsheet"
)

// shutdownGrace is how long requests in flight get when serve stops.
const shutdownGrace = 10 * time.Second

// runServe runs the service until ctx ends (SIGINT or SIGTERM, or the exit
// of the `go run` that started it), then stops it cleanly: HTTP first,
// then the projectors, the store and the database (the private PostgreSQL
// included).
func runServe(ctx context.Context, cfg wire.Config, logger *slog.Logger, _ []string) error {
	// The address first: when it is taken, nothing else is started, made
	// or printed.
	server := chttp.NewServer(cfg.Addr, logger)
	if err := server.Listen(); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w: another program (another contacts serve?) listens there; stop it, or set CONTACTS_ADDR to a free address", err)
		}
		return err
	}
	serving := false
	defer func() {
		if !serving {
			server.Close(context.Background()) //nolint:errcheck // only the listener to close
		}
	}()
	ctx = stopWithGoRun(ctx, logger)

	app, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		return err
	}
	defer app.Close() //nolint:errcheck // logged
	if err := bootstrap(ctx, cfg, app.Pool, app.Keys, app.Handler, os.Stdout); err != nil {
		return err
	}
	app.Background(func(ctx context.Context) { app.Runner.Run(ctx, app.ReadModels()...) })
	app.Background(func(ctx context.Context) { recoverImports(ctx, app.Excel, logger) })
	app.Background(func(ctx context.Context) {
		carryOnMerges(ctx, app.Queries, app.Handler, logger, openMergeAge, openMergeAge)
	})

	server.Services = app.HTTPServices()
	if err := server.Open(); err != nil {
		return err
	}
	serving = true
	// Deferred last, so it runs first: no request reaches a stopped service.
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := server.Close(shutdownCtx); err != nil {
			logger.Error("stop http server", "err", err)
		}
	}()
	server.SetReady(true)
	logger.Info("ready", "url", server.URL(), "console", server.URL()+"/console/")
	fmt.Fprintf(os.Stdout, "contacts is serving: the console is at %s/console/ (sign in with an admin or auditor key)\n", server.URL())

	<-ctx.Done()
	logger.Info("shutting down")
	server.SetReady(false)
	return nil
}

// runMigrate applies the migrations and exits.
func runMigrate(ctx context.Context, cfg wire.Config, logger *slog.Logger, _ []string) error {
	app, err := wire.Open(ctx, cfg, wire.Database, logger)
	if err != nil {
		return err
	}
	app.Close() //nolint:errcheck // logged
	logger.Info("database is up to date")
	return nil
}

// recoverImports finishes, at start and then as often as an import can
// be taken for dead (spreadsheet.RecoverAfter), the imports whose process
// died while they ran (spreadsheet.Service.RecoverInterrupted): what they
// applied can then be listed and reverted.
func recoverImports(ctx context.Context, excel *spreadsheet.Service, logger *slog.Logger) {
	tick := time.NewTicker(spreadsheet.RecoverAfter)
	defer tick.Stop()
	for {
		if n, err := excel.RecoverInterrupted(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("recover interrupted imports", "err", err)
		} else if n > 0 {
			logger.Info("recovered imports a stopped process left unfinished", "imports", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
