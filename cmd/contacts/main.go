// Command contacts runs the contacts service and its command-line verbs.
//
//	contacts serve            run the HTTP API (starts a private PostgreSQL when DATABASE_URL is unset)
//	contacts migrate          apply database migrations and exit
//	contacts seed N           register N contacts through the real command path
//	contacts export FILE      write the contacts to an Excel workbook
//	contacts import FILE      apply an Excel workbook (-dry-run to preview)
//
// The benchmarks are a command of their own: cmd/contacts-bench.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/assoc/contacts/cmd/internal/wire"
)

const usage = `usage: contacts <command> [arguments]

commands:
  serve          run the HTTP API; with no DATABASE_URL, on a private PostgreSQL under CONTACTS_DATA (default ./data),
                 one serve per data folder; the other commands use that serve's PostgreSQL while it runs
  migrate        apply the database migrations and exit
  seed N         register N contacts through the command path (flags: -community ID, -callers 8)
  history ID     a contact's history, oldest first: who did what, when, why, old → new (-json: one object per event)
  replay ID      a contact as it was at an instant, replayed from the log (-as-of 2026-01-31T12:00:00Z; default now)
  rebuild        rebuild the contacts read model from the log aside, while the service serves, and swap it in
  parked         list the events the read models could not apply and set aside; "parked retry" applies them
                 again once the cause is fixed (flag: -projection NAME)
  export FILE    write a community's contacts to an .xlsx workbook (flags: -community ID, -archived, -q TEXT)
  import FILE    import an .xlsx workbook, print the report as JSON (flags: -community ID, -dry-run)

The benchmarks are a command of their own: go run ./cmd/contacts-bench help

environment:
  DATABASE_URL   PostgreSQL connection string (default: private PostgreSQL)
  CONTACTS_DATA  data folder (default ./data)
  CONTACTS_ADDR  HTTP listen address (default 127.0.0.1:8080)
  CONTACTS_MASTER_KEY  32 bytes (base64 or hex) wrapping the contacts' keys (default: CONTACTS_DATA/secrets/master.key, made on first use)
  CONTACTS_BOOTSTRAP_KEY  the operator key the first start creates (default: random)
  EVENTSTORE_URL keep the event log in EventStoreDB/KurrentDB (esdb://host:2113?tls=false); read models stay
                 in PostgreSQL. A database keeps the backend it was first started with.
  PATH           where the private PostgreSQL's programs are looked for, before /usr/lib/postgresql/*/bin
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, wire.FromEnv(os.Getenv), os.Args[1:], logger); err != nil {
		fmt.Fprintln(os.Stderr, "contacts:", err)
		stop()
		os.Exit(1)
	}
}

// run runs the command args name with the configuration cfg.
func run(ctx context.Context, cfg wire.Config, args []string, logger *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("no command given")
	}
	cfg.Command = args[0]
	verbs := map[string]func(context.Context, wire.Config, *slog.Logger, []string) error{
		"serve":   runServe,
		"migrate": runMigrate,
		"seed":    runSeed,
		"history": runHistory,
		"replay":  runReplay,
		"rebuild": runRebuild,
		"parked":  runParked,
		"export":  runExport,
		"import":  runImport,
	}
	if verb, ok := verbs[args[0]]; ok {
		return verb(ctx, cfg, logger, args[1:])
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	case "bench":
		return fmt.Errorf("the benchmarks are a command of their own: go run ./cmd/contacts-bench %s", strings.Join(args[1:], " "))
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
