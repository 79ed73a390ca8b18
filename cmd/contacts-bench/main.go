// Command contacts-bench measures the contacts service, wired as it runs
// (cmd/internal/wire), beside raw PostgreSQL baselines. docs/BENCHMARKS.md
// holds the figures and the command that reproduces each.
//
//	contacts-bench store      event store appends and reads beside raw PostgreSQL inserts
//	contacts-bench contacts   registering, the read model's rebuild, list pages, search and the console's list pages at 100,000 contacts
//	contacts-bench audit      history and as_of of a 1,000-event contact, the event stream, the cost of sealing
//	contacts-bench excel      Excel export, dry run and import at 10,000 and 100,000 contacts
//	contacts-bench bombs      the workbook bombs of spreadsheet/testdata: time and peak RSS
//	contacts-bench feed       one analytics consumer's read of its community in a log of 1,000,000 events
//	contacts-bench load       32 concurrent clients on the API: list pages, search, registering
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/assoc/contacts/cmd/internal/wire"
)

const usage = `usage: contacts-bench <target> [flags]   (go run ./cmd/contacts-bench <target>; -h after a target lists its flags)

targets:
  store      measure event store appends and reads beside raw PostgreSQL inserts (cluster of its own: <data>/bench)
  contacts   measure registering, the read model's rebuild, list pages, search and the console's pages at 100,000 contacts
             (cluster of its own: <data>/bench-contacts, or bench-contacts-<n> for -n other than 100000, reused by later runs)
  audit      measure history and as_of of a 1,000-event contact, the event stream, and the cost of sealing
             personal data (cluster of its own: <data>/bench-audit)
  excel      measure Excel export, dry run and import at 10,000 and 100,000 contacts (on the data folder's database)
  bombs      import the workbook bombs of spreadsheet/testdata, alone then six at once: time and peak RSS
             (on the data folder's database; run from the repository's root)
  feed       one analytics consumer reading its community (1,000, 10,000, 100,000 events) in a log of
             1,000,000 events: by the log's index by community, beside the whole log filtered
             (cluster of its own: <data>/bench-feed, reused by later runs)
  load       32 concurrent clients on the API (loopback): the active page, search, the archived page of 1000,
             registering, each beside raw PostgreSQL under the same clients (the cluster of contacts -n N)

The environment configures it as it does contacts (go run ./cmd/contacts help); the
store target always measures the PostgreSQL log.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, wire.FromEnv(os.Getenv), os.Args[1:], logger); err != nil {
		fmt.Fprintln(os.Stderr, "contacts-bench:", err)
		stop()
		os.Exit(1)
	}
}

// run runs the bench args names with the configuration cfg.
func run(ctx context.Context, cfg wire.Config, args []string, logger *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("want a target: store, contacts, audit, excel, bombs, feed or load")
	}
	// Named so in the data folder's lock, for a contacts command that
	// finds the folder taken.
	cfg.Command = "bench"
	targets := map[string]func(context.Context, wire.Config, *slog.Logger, []string) error{
		"store":    runBenchStore,
		"contacts": runBenchContacts,
		"audit":    runBenchAudit,
		"excel":    runBenchExcel,
		"bombs":    runBenchBombs,
		"feed":     runBenchFeed,
		"load":     runBenchLoad,
	}
	if target, ok := targets[args[0]]; ok {
		return target(ctx, cfg, logger, args[1:])
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown target %q (want store, contacts, audit, excel, bombs, feed or load)", args[0])
}
