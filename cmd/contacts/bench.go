package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/assoc/contacts/cmd/internal/wire"
)

// runBench dispatches the bench sub-commands.
func runBench(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("bench: want a target: store, contacts, audit, excel or bombs")
	}
	switch args[0] {
	case "store":
		return runBenchStore(ctx, cfg, logger, args[1:])
	case "contacts":
		return runBenchContacts(ctx, cfg, logger, args[1:])
	case "audit":
		return runBenchAudit(ctx, cfg, logger, args[1:])
	case "excel":
		return runBenchExcel(ctx, cfg, logger, args[1:])
	case "bombs":
		return runBenchBombs(ctx, cfg, logger, args[1:])
	}
	return fmt.Errorf("bench: unknown target %q (want store, contacts, audit, excel or bombs)", args[0])
}
