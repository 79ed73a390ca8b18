package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/assoc/contacts/cmd/internal/seeding"
	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
)

// runSeed registers N contacts through the real command path (the domain
// handler, key reservations and all) with concurrent callers, and prints
// the rate.
func runSeed(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	community := fs.String("community", "", "community ID to seed (default: the community \"default\" of the first start, which its admin key sees)")
	callers := fs.Int("callers", 8, "concurrent callers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: contacts seed [-community ID] [-callers 8] N")
	}
	var n int
	if _, err := fmt.Sscan(fs.Arg(0), &n); err != nil || n <= 0 {
		return fmt.Errorf("seed: N must be a positive number, not %q", fs.Arg(0))
	}
	app, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		return err
	}
	defer app.Close() //nolint:errcheck // logged
	caller := domain.Caller{CommunityID: *community, Actor: "seed", CorrelationID: domain.NewID()}
	if caller.CommunityID == "" {
		if caller.CommunityID, err = defaultCommunity(ctx, app.Pool); err != nil {
			return err
		}
	}
	stamp := time.Now().UnixNano()
	first, last := seeding.FirstNames, seeding.LastNames
	done, elapsed, err := seeding.Run(ctx, n, *callers, func(ctx context.Context, i int) error {
		_, err := app.Handler.RegisterContact(ctx, caller, map[string]string{
			"first_name": first[i%len(first)], "last_name": last[(i/len(first))%len(last)],
			"email":       fmt.Sprintf("contact%d.%d@example.org", stamp, i),
			"external_id": fmt.Sprintf("seed-%d-%d", stamp, i),
		})
		return err
	}, func(done int, elapsed time.Duration) {
		logger.Info("seeding", "registered", done, "per_second", int(float64(done)/elapsed.Seconds()))
	})
	fmt.Printf("registered %d contacts in community %s in %s: %.0f contacts/s with %d callers\n",
		done, caller.CommunityID, elapsed.Round(time.Millisecond), float64(done)/elapsed.Seconds(), *callers)
	return err
}
