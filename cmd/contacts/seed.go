package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assoc/contacts/domain"
)

// Names with accents, so seeded data exercises the French collation and the
// accent-blind search.
var (
	seedFirstNames = []string{"Hélène", "Élodie", "Zoé", "Jérôme", "François", "Anaïs", "Noël", "Chloé", "Léa", "Mathéo", "Inès", "Loïc", "Agnès", "Bérénice", "Gaël", "Maëlle", "Océane", "Raphaël", "Séverine", "Thaïs"}
	seedLastNames  = []string{"Dupré", "Lefèvre", "Bécaud", "Mégret", "Girard", "Roussel", "Éluard", "Fabre", "Noël", "Gauthier", "Lemaître", "Périer", "Benoît", "Chénier", "Dubœuf", "Hébert", "Laurent", "Moreau", "Ségal", "Vérany"}
)

// runSeed registers N contacts through the real command path (the domain
// handler, key reservations and all) with concurrent callers, and prints
// the rate.
func runSeed(ctx context.Context, cfg Config, logger *slog.Logger, args []string) error {
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
	caller := domain.Caller{CommunityID: *community, Actor: "seed", CorrelationID: domain.NewID()}
	if caller.CommunityID == "" {
		if caller.CommunityID, err = defaultCommunity(ctx, db.Pool); err != nil {
			return err
		}
	}
	stamp := time.Now().UnixNano()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	start := time.Now()
	for range *callers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				first, last := seedFirstNames[i%int64(len(seedFirstNames))], seedLastNames[(i/int64(len(seedFirstNames)))%int64(len(seedLastNames))]
				_, err := handler.RegisterContact(ctx, caller, map[string]string{
					"first_name": first, "last_name": last,
					"email":       fmt.Sprintf("contact%d.%d@example.org", stamp, i),
					"external_id": fmt.Sprintf("seed-%d-%d", stamp, i),
				})
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if d := done.Add(1); d%10000 == 0 {
					logger.Info("seeding", "registered", d, "per_second", int(float64(d)/time.Since(start).Seconds()))
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("registered %d contacts in community %s in %s: %.0f contacts/s with %d callers\n",
		done.Load(), caller.CommunityID, elapsed.Round(time.Millisecond), float64(done.Load())/elapsed.Seconds(), *callers)
	return firstErr
}
