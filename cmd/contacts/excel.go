package main

// contacts export FILE / contacts import FILE: the Excel service from the
// command line, on the same database and command path as the API.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/sealed"
	"github.com/assoc/contacts/projections"
	"github.com/assoc/contacts/spreadsheet"
)

// excelEnv is what the Excel verbs run on.
type excelEnv struct {
	db      *database
	store   *sealed.Store
	handler *domain.Handler
	runner  *projections.Runner
	service *spreadsheet.Service
	stop    func()
}

func openExcel(ctx context.Context, cfg Config, logger *slog.Logger) (*excelEnv, error) {
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	secret, err := keySecret(ctx, db.Pool)
	if err != nil {
		db.Close()
		return nil, err
	}
	// The same store as serve's: the log the configuration selects, with
	// personal values sealed (an import from the command line is as
	// erasable as one over HTTP).
	store, closeStore, err := openEventStore(ctx, cfg, db.Pool, logger)
	if err != nil {
		db.Close()
		return nil, err
	}
	handler := &domain.Handler{Store: store, KeySecret: secret}
	// The read model the export lists from must be up to date: run its
	// projector here (a standby when a server runs it already).
	runner := projections.NewRunner(db.Pool, store, logger)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { runner.Run(runCtx, projections.ContactsProjector{}) })
	env := &excelEnv{db: db, store: store, handler: handler, runner: runner,
		service: &spreadsheet.Service{Handler: handler, Queries: &projections.Queries{Pool: db.Pool}, Reports: &spreadsheet.PGReports{Pool: db.Pool, Sealer: store.Keyring()},
			Fresh: spreadsheet.CaughtUp(db.Pool, store, time.Second)}}
	env.stop = func() { cancel(); wg.Wait(); closeStore(); db.Close() }
	return env, nil
}

// caughtUp waits until the contacts read model has applied the whole log,
// whichever process projects it (its checkpoint is in the database).
func (e *excelEnv) caughtUp(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pos, err := projections.Checkpoint(ctx, e.db.Pool, projections.ContactsReadModel)
		if err != nil {
			return err
		}
		_, pending, err := e.store.OldestAfter(ctx, pos)
		if err != nil {
			return err
		}
		if !pending {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the contacts read model is still behind the log after %s", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// communityID returns the community a verb works on: the one given, else
// the only one, else the one named "default" (the first start's).
func communityID(ctx context.Context, pool *pgxpool.Pool, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	var id string
	err := pool.QueryRow(ctx, `SELECT id::text FROM communities
		WHERE (SELECT count(*) FROM communities) = 1 OR name = 'default' ORDER BY created_at LIMIT 1`).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("no community to use (none, or several and none named default): give -community ID")
	}
	return id, nil
}

func runExport(ctx context.Context, cfg Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	community := fs.String("community", "", "community ID (default: the only one, or the one named default)")
	archived := fs.Bool("archived", false, "export the archived contacts")
	search := fs.String("q", "", "export the contacts this search finds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: contacts export [-community ID] [-archived] [-q TEXT] FILE.xlsx")
	}
	env, err := openExcel(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer env.stop()
	if err := env.caughtUp(ctx, time.Minute); err != nil {
		return err
	}
	id, err := communityID(ctx, env.db.Pool, *community)
	if err != nil {
		return err
	}
	out, err := os.Create(fs.Arg(0))
	if err != nil {
		return err
	}
	start := time.Now()
	err = env.service.Export(ctx, out, spreadsheet.ExportQuery{CommunityID: id, Archived: *archived, Search: *search})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(fs.Arg(0))
		return err
	}
	logger.Info("exported", "file", fs.Arg(0), "community", id, "in", time.Since(start).Round(time.Millisecond))
	return nil
}

func runImport(ctx context.Context, cfg Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	community := fs.String("community", "", "community ID (default: the only one, or the one named default)")
	dryRun := fs.Bool("dry-run", false, "report what the import would do, change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: contacts import [-community ID] [-dry-run] FILE.xlsx")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, 256<<20))
	f.Close()
	if err != nil {
		return err
	}
	env, err := openExcel(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer env.stop()
	if *community == "" {
		// The communities read model names the default community.
		if err := env.caughtUp(ctx, time.Minute); err != nil {
			return err
		}
	}
	id, err := communityID(ctx, env.db.Pool, *community)
	if err != nil {
		return err
	}
	caller := domain.Caller{CommunityID: id, Actor: "cli:import"}
	rep, err := env.service.Import(ctx, spreadsheet.ImportRequest{Caller: caller, FileName: fs.Arg(0), Data: data, DryRun: *dryRun})
	if rep != nil {
		if werr := env.service.Reports.WriteJSON(context.WithoutCancel(ctx), os.Stdout, rep); werr != nil {
			err = errors.Join(err, werr)
		}
		fmt.Fprintf(os.Stderr, "import %s: %d created, %d updated, %d unchanged, %d rejected (dry run: %v)\n",
			rep.ID, rep.Counts.Created, rep.Counts.Updated, rep.Counts.Unchanged, rep.Counts.Rejected, rep.DryRun)
	}
	return err
}
