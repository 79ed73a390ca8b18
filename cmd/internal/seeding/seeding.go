// Package seeding registers made-up contacts in bulk, for `contacts seed`
// and the benchmarks: names with accents, so that seeded data exercises the
// French collation and the accent-blind search, and a pool of concurrent
// callers.
package seeding

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Names with accents.
var (
	FirstNames = []string{"Hélène", "Élodie", "Zoé", "Jérôme", "François", "Anaïs", "Noël", "Chloé", "Léa", "Mathéo", "Inès", "Loïc", "Agnès", "Bérénice", "Gaël", "Maëlle", "Océane", "Raphaël", "Séverine", "Thaïs"}
	LastNames  = []string{"Dupré", "Lefèvre", "Bécaud", "Mégret", "Girard", "Roussel", "Éluard", "Fabre", "Noël", "Gauthier", "Lemaître", "Périer", "Benoît", "Chénier", "Dubœuf", "Hébert", "Laurent", "Moreau", "Ségal", "Vérany"}
)

// ProgressEvery is how many calls pass between two calls of a progress
// function.
const ProgressEvery = 10_000

// Run calls do for each i in [0, n) from callers goroutines at once and
// returns how many calls succeeded and how long they all took. The first
// error stops every caller and is returned. progress, when not nil, is
// called after every ProgressEvery successful calls.
func Run(ctx context.Context, n, callers int, do func(ctx context.Context, i int) error, progress func(done int, elapsed time.Duration)) (int, time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		once       sync.Once
		firstErr   error
		wg         sync.WaitGroup
	)
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := do(ctx, i); err != nil {
					once.Do(func() {
						firstErr = err
						cancel()
					})
					return
				}
				if d := done.Add(1); d%ProgressEvery == 0 && progress != nil {
					progress(int(d), time.Since(start))
				}
			}
		})
	}
	wg.Wait()
	return int(done.Load()), time.Since(start), firstErr
}
