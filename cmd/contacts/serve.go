package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	chttp "github.com/assoc/contacts/http"
	"github.com/assoc/contacts/projections"
	"github.com/assoc/contacts/spreadsheet"
)

// runServe runs the service until ctx ends (SIGINT or SIGTERM, or the exit
// of the `go run` that started it), then stops it cleanly: HTTP first,
// then the projectors, the store and the database (the private PostgreSQL
// included).
func runServe(ctx context.Context, cfg Config, logger *slog.Logger) error {
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

	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, err := keySecret(ctx, db.Pool)
	if err != nil {
		return err
	}

	store, closeStore, err := openEventStore(ctx, cfg, db.Pool, logger)
	if err != nil {
		return err
	}
	defer closeStore()
	handler := &domain.Handler{Store: store, KeySecret: secret}
	keys := apikeys.New(db.Pool)
	if err := bootstrap(ctx, cfg, db.Pool, keys, handler, os.Stdout); err != nil {
		return err
	}

	reports := &spreadsheet.PGReports{Pool: db.Pool, Sealer: store.Keyring()}
	cursors, err := cursorKey(cfg)
	if err != nil {
		return err
	}
	queries := &projections.Queries{Pool: db.Pool, CursorKey: cursors}
	excel := &spreadsheet.Service{Handler: handler, Queries: queries,
		Reports: reports, Fresh: spreadsheet.CaughtUp(db.Pool, store, time.Second)}

	runner := projections.NewRunner(db.Pool, store, logger)
	projectorCtx, stopProjectors := context.WithCancel(context.WithoutCancel(ctx))
	var projectors sync.WaitGroup
	projectors.Go(func() {
		runner.Run(projectorCtx, readModels(store)...)
	})
	projectors.Go(func() { recoverImports(projectorCtx, excel, logger) })
	projectors.Go(func() {
		carryOnMerges(projectorCtx, queries, handler, logger, openMergeAge, openMergeAge)
	})
	defer func() { stopProjectors(); projectors.Wait() }()

	server.Services = chttp.Services{
		Commands:    handler,
		Contacts:    &domain.Reader{Queries: queries, ReadModels: runner, Store: store},
		Events:      &domain.Feed{Store: store},
		Keys:        keys,
		Projections: runner,
		Excel:       excel,
		Database:    db.Reachable(),
	}
	if err := server.Open(); err != nil {
		return err
	}
	serving = true
	// Deferred last, so it runs first: no request reaches a stopped service.
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
