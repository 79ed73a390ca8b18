package main

// contacts-bench feed: what one analytics consumer pays to read its
// community's events in a log mostly of other communities', by the size of
// its community: through the log's index by community (ReadCommunity, what
// /v1/events does), beside the whole log read and filtered (what it did
// before).

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/uuid"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
)

func runBenchFeed(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench feed", flag.ContinueOnError)
	total := fs.Int("events", 1_000_000, "events in the log, all communities together")
	sizes := fs.String("sizes", "1000,10000,100000", "comma-separated sizes of the communities measured (their events are part of -events)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	communitySizes, err := parseInts(*sizes)
	if err != nil {
		return fmt.Errorf("bench feed: -sizes: %w", err)
	}
	if cfg.DatabaseURL == "" {
		if cfg.DataDir, err = filepath.Abs(filepath.Join(cfg.DataDir, "bench-feed")); err != nil {
			return err
		}
	}
	app, err := wire.Open(ctx, cfg, wire.Database, logger)
	if err != nil {
		return fmt.Errorf("bench feed: %w", err)
	}
	defer app.Close() //nolint:errcheck // logged
	store := postgres.New(app.Pool, logger)
	defer store.Close()
	fmt.Printf("contacts-bench feed\nmachine: %d CPUs, %s\n", runtime.NumCPU(), runtime.Version())
	communities, err := seedFeedLog(ctx, store, *total, communitySizes)
	if err != nil {
		return err
	}
	if err := waitLogVisible(ctx, app.Pool); err != nil {
		return err
	}
	fmt.Printf("log: %d events; one consumer reads its whole community, pages of 2000\n\n", *total)
	fmt.Printf("%-12s %14s %14s %14s\n", "community", "by its index", "whole log", "ratio")
	for i, size := range communitySizes {
		indexed, err := timeFeed(ctx, &domain.Feed{Store: store}, communities[i], size)
		if err != nil {
			return err
		}
		scanned, err := timeFeed(ctx, &domain.Feed{Store: struct{ domain.EventStore }{store}}, communities[i], size)
		if err != nil {
			return err
		}
		fmt.Printf("%-12s %14s %14s %13.0fx\n", thousands(float64(size)), indexed.Round(time.Millisecond), scanned.Round(time.Millisecond),
			scanned.Seconds()/indexed.Seconds())
	}
	return nil
}

// seedFeedLog appends total events, of which sizes[i] belong to community
// i (spread evenly through the log) and the rest to other communities, in
// batches of 100 to as many streams; a log seeded before is reused. It
// returns the measured communities' IDs.
func seedFeedLog(ctx context.Context, store *postgres.Store, total int, sizes []int) ([]string, error) {
	communities := make([]string, len(sizes))
	for i := range communities {
		communities[i] = fmt.Sprintf("00000000-0000-7000-8000-%012d", i+1) // the same at every run
	}
	if head, err := store.ReadAll(ctx, domain.Start, 1); err != nil || len(head) > 0 {
		return communities, err // seeded by an earlier run
	}
	start := time.Now()
	const batch = 100
	for n := 0; n < total; n += batch {
		events := make([]domain.EventData, 0, batch)
		for k := n; k < min(n+batch, total); k++ {
			community := uuid.NewString()
			for i, size := range sizes {
				if size > 0 && k%(total/size) == i {
					community = communities[i]
				}
			}
			events = append(events, domain.EventData{ID: uuid.NewString(), Type: "ContactUpdated", Data: []byte(`{"contact_id":"x","changes":[]}`),
				Metadata: fmt.Appendf(nil, `{"community_id":%q,"actor":"bench","schema":1}`, community)})
		}
		if _, err := store.Append(ctx, fmt.Sprintf("contact-%d", n/batch), domain.NoStream, events); err != nil {
			return nil, fmt.Errorf("seed the log: %w", err)
		}
	}
	fmt.Printf("seeded %d events in %s\n", total, time.Since(start).Round(time.Second))
	return communities, nil
}

// timeFeed times reading a community's whole feed through f, and checks
// it read want events.
func timeFeed(ctx context.Context, f *domain.Feed, community string, want int) (time.Duration, error) {
	start := time.Now()
	got := 0
	err := f.Read(ctx, domain.FeedQuery{CommunityID: community}, func(events []domain.FeedEvent, _ domain.Position) error {
		got += len(events)
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	if got != want {
		return 0, fmt.Errorf("bench feed: read %d events of community %s, want %d", got, community, want)
	}
	return elapsed, nil
}
