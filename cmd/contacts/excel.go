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
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
)

// openExcel opens the program for the Excel verbs: the same store as
// serve's (the log the configuration selects, with personal values sealed:
// an import from the command line is as erasable as one over HTTP), and the
// contacts projector running, since the read model the export lists from
// must be up to date (a standby when a server runs it already).
func openExcel(ctx context.Context, cfg wire.Config, logger *slog.Logger) (*wire.App, error) {
	app, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		return nil, err
	}
	app.Background(app.ProjectContacts)
	return app, nil
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

func runExport(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
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
	app, err := openExcel(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close() //nolint:errcheck // logged
	if err := app.CaughtUp(ctx, time.Minute); err != nil {
		return err
	}
	id, err := communityID(ctx, app.Pool, *community)
	if err != nil {
		return err
	}
	out, err := os.Create(fs.Arg(0))
	if err != nil {
		return err
	}
	start := time.Now()
	err = app.Excel.Export(ctx, out, domain.ExportQuery{CommunityID: id, Archived: *archived, Search: *search})
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

func runImport(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
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
	app, err := openExcel(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close() //nolint:errcheck // logged
	if *community == "" {
		// The communities read model names the default community.
		if err := app.CaughtUp(ctx, time.Minute); err != nil {
			return err
		}
	}
	id, err := communityID(ctx, app.Pool, *community)
	if err != nil {
		return err
	}
	caller := domain.Caller{CommunityID: id, Actor: "cli:import"}
	rep, err := app.Excel.Import(ctx, domain.ImportRequest{Caller: caller, FileName: fs.Arg(0), Data: data, DryRun: *dryRun})
	if rep != nil {
		if werr := app.Excel.WriteImportReport(context.WithoutCancel(ctx), os.Stdout, rep); werr != nil {
			err = errors.Join(err, werr)
		}
		fmt.Fprintf(os.Stderr, "import %s: %d created, %d updated, %d unchanged, %d rejected (dry run: %v)\n",
			rep.ID, rep.Counts.Created, rep.Counts.Updated, rep.Counts.Unchanged, rep.Counts.Rejected, rep.DryRun)
	}
	if err != nil || *dryRun {
		return err
	}
	// One rule of consistency, as over HTTP: the verb ends once the read
	// models show the import, so an export that follows lists its changes.
	if err := app.CaughtUp(ctx, time.Minute); err != nil {
		return fmt.Errorf("the import is in the log, but %w", err)
	}
	return nil
}
