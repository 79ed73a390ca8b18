package main

// contacts-bench load: the service under concurrent clients.
//
// It serves the API on loopback, as `contacts serve` does (the read models
// running, every command answering once they have applied it), and has
// -clients clients call one route at a time for -duration each, as fast
// as they can: the active page of 50, a search of the active and of the
// archived contacts (random terms of every kind), the archived page of 1000
// and registering a contact. Beside each, the same work on raw PostgreSQL
// with the same number of clients: the plain query on the scratch table of
// `contacts`, and for registering, one INSERT of the contact's row into a
// plain table with unique email and external ID.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
)

// Targets: throughput as a share of the active page's.
const (
	loadTargetSearch   = 0.5
	loadTargetArchived = 0.2
	loadTargetRegister = 0.4
)

// loadRegisterTable is the raw baseline's table of registered contacts.
const loadRegisterTable = `CREATE TABLE bench_plain_registered (id uuid PRIMARY KEY, community_id uuid NOT NULL,
	email text NOT NULL, first_name text NOT NULL, last_name text NOT NULL, external_id text NOT NULL,
	UNIQUE (community_id, email), UNIQUE (community_id, external_id))`

// runBenchLoad implements "contacts-bench load".
func runBenchLoad(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	n := fs.Int("n", 100_000, "contacts in the bench community (the cluster of `contacts -n N`, seeded if need be)")
	clients := fs.Int("clients", 32, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, "measured time per route and side")
	only := fs.String("only", "", "measure only the routes whose name contains this")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole process (server and clients) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *clients <= 0 || *duration <= 0 {
		return fmt.Errorf("bench load: -n, -clients and -duration must be positive")
	}
	if cfg.DatabaseURL != "" {
		return fmt.Errorf("bench load: DATABASE_URL is set; the bench runs on a private cluster of its own: unset it")
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, bcFolder(*n)))
	if err != nil {
		return fmt.Errorf("bench load: %w", err)
	}
	cfg.DataDir = dir
	cfg.PoolConns = max(bcPoolConns, *clients+8)
	app, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		return fmt.Errorf("bench load: %w", err)
	}
	defer app.Close() //nolint:errcheck // logged
	b := &contactsBench{pool: app.Pool, store: app.Store, logger: logger, handler: app.Handler, queries: app.Queries,
		out: os.Stdout, n: *n, callers: *clients, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2)), app: app}
	if err := b.prepareLoad(ctx); err != nil {
		return err
	}
	l, err := b.openLoad(ctx, *clients, *duration)
	if err != nil {
		return err
	}
	defer l.close()
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return fmt.Errorf("bench load: %w", err)
	}
	defer stop()
	return l.run(ctx, *only)
}

// prepareLoad makes sure the community holds its contacts and the read
// models have applied the whole log, then starts every read model as the
// service runs them.
func (b *contactsBench) prepareLoad(ctx context.Context) error {
	if err := b.ensureSeeded(ctx); err != nil {
		return err
	}
	b.app.Background(func(ctx context.Context) { b.app.Runner.Run(ctx, b.app.ReadModels()...) })
	if err := b.app.CaughtUp(ctx, bcCatchUpTimeout); err != nil {
		return fmt.Errorf("bench load: %w", err)
	}
	_, err := b.pool.Exec(ctx, `VACUUM ANALYZE contacts`)
	return err
}

// benchLoad is the API on loopback and its clients.
type benchLoad struct {
	b        *contactsBench
	url      string
	key      string
	client   *http.Client
	clients  int
	duration time.Duration
	close    func()
	// registered numbers the contacts the register route adds.
	registered atomic.Int64
}

func (b *contactsBench) openLoad(ctx context.Context, clients int, duration time.Duration) (*benchLoad, error) {
	ts, key, _, err := b.serveLoopback(ctx, b.app)
	if err != nil {
		return nil, err
	}
	transport := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}
	l := &benchLoad{b: b, url: ts.URL, key: key, client: &http.Client{Transport: transport}, clients: clients, duration: duration,
		close: func() { transport.CloseIdleConnections(); ts.Close() }}
	l.registered.Store(time.Now().UnixNano() % 1_000_000_000)
	return l, nil
}

// loadRoute is one measured route: the request a client sends, and the
// raw baseline's equivalent.
type loadRoute struct {
	name   string
	target float64 // share of the active page's throughput; 0 for the active page itself
	call   func(ctx context.Context, rng *rand.Rand) error
	raw    func(ctx context.Context, rng *rand.Rand) error
}

// loadResult is one side of a route, measured.
type loadResult struct {
	calls, errors int
	firstErr      error
	elapsed       time.Duration
	latencies     bcLatencies
}

func (r loadResult) perSecond() float64 { return float64(r.calls) / r.elapsed.Seconds() }

func (l *benchLoad) run(ctx context.Context, only string) error {
	drop, err := l.b.makePlain(ctx)
	if err != nil {
		return err
	}
	defer drop()
	routes := l.routes()
	fmt.Fprintf(l.b.out, "\nload: %d clients, %s per route and side, API on loopback (every read model running)\n", l.clients, l.duration)
	fmt.Fprintf(l.b.out, "%-28s %10s %8s %8s %7s %10s %8s %8s %8s  %s\n", "route", "req/s", "p50", "p99", "errors", "raw req/s", "raw p99", "× active", "target", "")
	fmt.Fprintln(l.b.out, strings.Repeat("-", 120))
	var (
		activeRate float64
		failed     []string
	)
	for _, r := range routes {
		if only != "" && r.target > 0 && !strings.Contains(r.name, only) {
			continue
		}
		service := l.measure(ctx, r.call)
		raw := l.measure(ctx, r.raw)
		rate := service.perSecond()
		if r.target == 0 {
			activeRate = rate
		}
		share, target, ok := rate/activeRate, "", service.errors == 0
		if r.target > 0 {
			target = fmt.Sprintf(">= %.1f×", r.target)
			ok = ok && share >= r.target
		}
		fmt.Fprintf(l.b.out, "%-28s %10s %8s %8s %7d %10s %8s %7.2f× %8s  %s\n", r.name, thousands(rate), ms(service.latencies.pct(50)),
			ms(service.latencies.pct(99)), service.errors, thousands(raw.perSecond()), ms(raw.latencies.pct(99)), share, target, verdict(ok))
		for _, e := range []error{service.firstErr, raw.firstErr} {
			if e != nil {
				fmt.Fprintf(l.b.out, "  first error: %v\n", e)
			}
		}
		if service.errors > 0 || raw.errors > 0 {
			failed = append(failed, r.name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("bench load: calls failed (routes %s): see the first errors above", strings.Join(failed, ", "))
	}
	return nil
}

// measure has l.clients clients call do for a tenth of l.duration (at most
// a second) unmeasured, then for l.duration.
func (l *benchLoad) measure(ctx context.Context, do func(context.Context, *rand.Rand) error) loadResult {
	var (
		mu     sync.Mutex
		result loadResult
		wg     sync.WaitGroup
	)
	warm := time.Now().Add(min(l.duration/10, time.Second))
	end := warm.Add(l.duration)
	for i := range l.clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
			var mine loadResult
			for now := time.Now(); now.Before(end) && ctx.Err() == nil; now = time.Now() {
				err := do(ctx, rng)
				if now.Before(warm) {
					continue
				}
				mine.latencies = append(mine.latencies, time.Since(now))
				if err != nil {
					mine.errors++
					if mine.firstErr == nil {
						mine.firstErr = err
					}
					continue
				}
				mine.calls++
			}
			mu.Lock()
			defer mu.Unlock()
			result.calls += mine.calls
			result.errors += mine.errors
			result.latencies = append(result.latencies, mine.latencies...)
			if result.firstErr == nil {
				result.firstErr = mine.firstErr
			}
		})
	}
	wg.Wait()
	result.elapsed = l.duration
	return result
}

// routes are the measured routes, the active page first (the others are
// compared with it).
func (l *benchLoad) routes() []loadRoute {
	b := l.b
	var terms []string
	for _, s := range bcSearches {
		if !s.slow { // measured alone by contacts (a few a second would be all this route measures)
			terms = append(terms, s.fragments...)
		}
	}
	term := func(rng *rand.Rand) string { return terms[rng.IntN(len(terms))] }
	plain := func(ctx context.Context, sql string, args ...any) error {
		_, err := b.plainRows(ctx, sql, args...)
		return err
	}
	return []loadRoute{
		{name: "active page of 50",
			call: func(ctx context.Context, _ *rand.Rand) error { return l.get(ctx, "/v1/contacts?limit=50") },
			raw: func(ctx context.Context, _ *rand.Rand) error {
				return plain(ctx, bcPlainFirstPage, b.community, string(domain.StatusActive), bcActivePage+1)
			}},
		{name: "search, active", target: loadTargetSearch,
			call: func(ctx context.Context, rng *rand.Rand) error {
				return l.get(ctx, "/v1/contacts?limit=50&q="+url.QueryEscape(term(rng)))
			},
			raw: func(ctx context.Context, rng *rand.Rand) error {
				return plain(ctx, bcPlainSearchPage, b.community, string(domain.StatusActive), term(rng), bcActivePage+1)
			}},
		{name: "search, archived", target: loadTargetSearch,
			call: func(ctx context.Context, rng *rand.Rand) error {
				return l.get(ctx, "/v1/archived-contacts?limit=50&q="+url.QueryEscape(term(rng)))
			},
			raw: func(ctx context.Context, rng *rand.Rand) error {
				return plain(ctx, bcPlainSearchPage, b.community, string(domain.StatusArchived), term(rng), bcActivePage+1)
			}},
		{name: "archived page of 1000", target: loadTargetArchived,
			call: func(ctx context.Context, _ *rand.Rand) error { return l.get(ctx, "/v1/archived-contacts?limit=1000") },
			raw: func(ctx context.Context, _ *rand.Rand) error {
				return plain(ctx, bcPlainFirstPage, b.community, string(domain.StatusArchived), bcArchivedPage+1)
			}},
		{name: "register a contact", target: loadTargetRegister,
			call: func(ctx context.Context, _ *rand.Rand) error { return l.register(ctx) },
			raw:  func(ctx context.Context, _ *rand.Rand) error { return l.registerRaw(ctx) }},
	}
}

// get reads path whole and wants 200.
func (l *benchLoad) get(ctx context.Context, path string) error {
	return l.do(ctx, http.MethodGet, path, nil, http.StatusOK)
}

// register registers a new contact with an email and an external ID.
func (l *benchLoad) register(ctx context.Context) error {
	values := bcContactValues(int(l.registered.Add(1)))
	values[domain.KeyExternalID] = "L" + values[domain.KeyExternalID]
	body, err := json.Marshal(values)
	if err != nil {
		return err
	}
	return l.do(ctx, http.MethodPost, "/v1/contacts", body, http.StatusCreated)
}

func (l *benchLoad) registerRaw(ctx context.Context) error {
	v := bcContactValues(int(l.registered.Add(1)))
	_, err := l.b.pool.Exec(ctx, `INSERT INTO bench_plain_registered (id, community_id, email, first_name, last_name, external_id)
		VALUES ($1, $2, $3, $4, $5, $6)`, domain.NewID(), l.b.community, v[domain.KeyEmail], v[domain.KeyFirstName],
		v[domain.KeyLastName], "L"+v[domain.KeyExternalID])
	return err
}

func (l *benchLoad) do(ctx context.Context, method, path string, body []byte, want int) error {
	req, err := http.NewRequestWithContext(ctx, method, l.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d: %.200s", method, path, resp.StatusCode, data)
	}
	return nil
}

// startCPUProfile profiles the whole process into path (nothing when path
// is empty) until the function it returns is called.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
