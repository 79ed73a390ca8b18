package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/projections"
)

// runParked lists the events the read models set aside (they could not
// apply them), or with "retry" applies them again once the cause is fixed.
func runParked(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("parked", flag.ContinueOnError)
	only := fs.String("projection", "", "only this read model (contacts, erasure)")
	retry := len(args) > 0 && args[0] == "retry"
	if retry {
		args = args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("usage: contacts parked [retry] [-projection NAME]")
	}
	return withLog(ctx, cfg, logger, func(app *wire.App) error {
		runner := app.Runner
		if !retry {
			return printParked(ctx, runner, *only)
		}
		found := false
		for _, p := range app.ReadModels() {
			if *only != "" && p.Name() != *only {
				continue
			}
			found = true
			res, err := runner.Retry(ctx, p)
			if err != nil {
				return err
			}
			fmt.Printf("%s: %d applied, %d still set aside\n", p.Name(), res.Applied, res.StillParked)
		}
		if !found {
			return fmt.Errorf("no read model %q (contacts, erasure)", *only)
		}
		return nil
	})
}

// printParked prints the events set aside as a table.
func printParked(ctx context.Context, runner *projections.Runner, only string) error {
	parked, err := runner.ListParked(ctx, only)
	if err != nil {
		return err
	}
	if len(parked) == 0 {
		fmt.Println("no event set aside")
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "READ MODEL\tPOSITION\tSTREAM\tVERSION\tTYPE\tATTEMPTS\tSET ASIDE\tERROR")
	for _, p := range parked {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", p.Projection, p.Position, p.Stream, p.Version, p.Type, p.Attempts,
			p.ParkedAt.UTC().Format("2006-01-02 15:04:05"), p.Error)
	}
	return w.Flush()
}
