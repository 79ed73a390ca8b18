package main

// contacts-bench audit: what auditors and analytics consumers wait for, and
// what sealing personal data costs.
//
// On a private bench cluster it measures, through a real HTTP server:
//   - registering contacts with personal data sealed (the service's path)
//     beside the same without sealing, taking turns: the encryption overhead;
//   - GET /v1/contacts/{id}/history of a contact with 1,000 events;
//   - GET /v1/contacts/{id}?as_of= replaying those 1,000 events;
//   - GET /v1/events paged through the whole community by one consumer.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/cmd/internal/seeding"
	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	chttp "github.com/assoc/contacts/http"
)

// Targets.
const (
	baTargetHistory  = 20 * time.Millisecond
	baTargetAsOf     = 20 * time.Millisecond
	baTargetStream   = 50_000.0 // events/s
	baTargetOverhead = 0.15
	baHistoryEvents  = 1000
)

func runBenchAudit(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench audit", flag.ContinueOnError)
	n := fs.Int("n", 20_000, "contacts registered per side (sealed and plain) for the overhead; the stream reads the sealed ones")
	callers := fs.Int("callers", 8, "concurrent callers registering")
	requests := fs.Int("requests", 200, "measured history and as_of requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *callers <= 0 || *requests <= 0 {
		return fmt.Errorf("bench audit: -n, -callers and -requests must be positive")
	}
	if cfg.DatabaseURL != "" {
		return fmt.Errorf("bench audit: DATABASE_URL is set; this bench writes contacts, so it runs on a private bench cluster only: unset it")
	}
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "bench-audit"))
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.PoolConns = dir, 32
	app, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		return fmt.Errorf("bench audit: %w", err)
	}
	defer app.Close() //nolint:errcheck // logged
	plainStore := postgres.New(app.Pool, logger)
	defer plainStore.Close()
	b := &auditBench{app: app, plain: &domain.Handler{Store: plainStore, KeySecret: app.Handler.KeySecret},
		n: *n, callers: *callers, requests: *requests, stamp: time.Now().UnixNano()}
	fmt.Printf("contacts-bench audit\nmachine:    %d CPUs, %s/%s, %s\ndatabase:   private bench cluster in %s\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), dir)
	return b.run(ctx)
}

// auditBench holds what the steps share.
type auditBench struct {
	app                  *wire.App       // the service's wiring: personal data sealed
	plain                *domain.Handler // the same command path on the bare PostgreSQL log
	n, callers, requests int
	stamp                int64 // makes this run's emails unique

	server *chttp.Server
	client *http.Client
}

// auditFigures are what the bench measures.
type auditFigures struct {
	sealedRate, plainRate float64 // contacts/s
	history, asOf         bcLatencies
	streamed              int
	streamRate            float64 // events/s
}

func (b *auditBench) run(ctx context.Context) error {
	var f auditFigures
	sealedCaller, err := b.registerBoth(ctx, &f)
	if err != nil {
		return err
	}
	id, middle, err := b.longHistory(ctx, sealedCaller)
	if err != nil {
		return err
	}
	// The HTTP server, as serve wires it (these routes need no read model).
	b.server = chttp.NewServer("127.0.0.1:0", b.app.Logger)
	b.server.Services = b.app.HTTPServices()
	if err := b.server.Open(); err != nil {
		return err
	}
	defer b.server.Close(context.WithoutCancel(ctx)) //nolint:errcheck
	b.server.SetReady(true)
	b.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	key, _, err := b.app.Keys.Create(ctx, apikeys.RoleAdmin, sealedCaller.CommunityID)
	if err != nil {
		return err
	}
	if f.history, err = b.timeGets(ctx, key, "/v1/contacts/"+id+"/history"); err != nil {
		return err
	}
	if f.asOf, err = b.timeGets(ctx, key, "/v1/contacts/"+id+"?as_of="+url.QueryEscape(middle.UTC().Format(time.RFC3339Nano))); err != nil {
		return err
	}
	if err := b.stream(ctx, &f); err != nil {
		return err
	}
	b.print(f)
	return nil
}

// registerBoth registers n contacts through the sealed store and n through
// the plain one, in turns of n/4 each, and returns the sealed side's caller.
func (b *auditBench) registerBoth(ctx context.Context, f *auditFigures) (domain.Caller, error) {
	sealedCaller, err := benchCommunity(ctx, b.app.Handler, "bench audit sealed")
	if err != nil {
		return sealedCaller, err
	}
	plainCaller, err := benchCommunity(ctx, b.plain, "bench audit plain")
	if err != nil {
		return sealedCaller, err
	}
	var sealedTime, plainTime time.Duration
	for round := range 4 {
		count := b.n / 4
		for _, side := range []struct {
			h      *domain.Handler
			caller domain.Caller
			total  *time.Duration
			name   string
		}{{b.app.Handler, sealedCaller, &sealedTime, "sealed"}, {b.plain, plainCaller, &plainTime, "plain"}} {
			d, err := registerMany(ctx, side.h, side.caller, count, b.callers, fmt.Sprintf("%d-%s-%d", b.stamp, side.name, round))
			if err != nil {
				return sealedCaller, err
			}
			*side.total += d
		}
	}
	total := float64(b.n / 4 * 4)
	f.sealedRate, f.plainRate = total/sealedTime.Seconds(), total/plainTime.Seconds()
	return sealedCaller, nil
}

// longHistory gives a contact baHistoryEvents events, and returns it with
// the time of its middle event.
func (b *auditBench) longHistory(ctx context.Context, caller domain.Caller) (string, time.Time, error) {
	h := b.app.Handler
	res, err := h.RegisterContact(ctx, caller, map[string]string{"first_name": "Audit", "last_name": "Trail", "email": fmt.Sprintf("audit-%d@example.org", b.stamp)})
	if err != nil {
		return "", time.Time{}, err
	}
	var middle time.Time
	for i := 2; i <= baHistoryEvents; i++ {
		if _, err := h.UpdateContact(ctx, caller, res.ID, map[string]string{"last_name": fmt.Sprintf("Trail %d", i)}, 0); err != nil {
			return "", time.Time{}, err
		}
		if i == baHistoryEvents/2 {
			middle = time.Now()
		}
	}
	return res.ID, middle, nil
}

// get reads path with key and returns the size of the answer.
func (b *auditBench) get(ctx context.Context, key, path string) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", b.server.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return io.Copy(io.Discard, resp.Body)
}

// auditWarmup is the number of unmeasured requests before a measurement.
const auditWarmup = 20

// timeGets times b.requests reads of path, after auditWarmup unmeasured.
func (b *auditBench) timeGets(ctx context.Context, key, path string) (bcLatencies, error) {
	var l bcLatencies
	for i := range b.requests + auditWarmup {
		start := time.Now()
		if _, err := b.get(ctx, key, path); err != nil {
			return nil, err
		}
		if i >= auditWarmup {
			l = append(l, time.Since(start))
		}
	}
	return l, nil
}

// stream has one consumer page through a community's events, from where
// its log begins (as a consumer resumes from its last position): a
// community registered at once, so the stretch of log read holds its
// events and their key reservations, which the stream skips.
func (b *auditBench) stream(ctx context.Context, f *auditFigures) error {
	streamStart, err := lastPosition(ctx, b.app.Store)
	if err != nil {
		return err
	}
	caller, err := benchCommunity(ctx, b.app.Handler, "bench audit stream")
	if err != nil {
		return err
	}
	if _, err := registerMany(ctx, b.app.Handler, caller, b.n, b.callers, fmt.Sprintf("%d-stream", b.stamp)); err != nil {
		return err
	}
	key, _, err := b.app.Keys.Create(ctx, apikeys.RoleAnalytics, caller.CommunityID)
	if err != nil {
		return err
	}
	streamed, elapsed, err := readStream(ctx, b.client, b.server.URL(), key, streamStart.String(), b.n+1)
	if err != nil {
		return err
	}
	f.streamed, f.streamRate = streamed, float64(streamed)/elapsed.Seconds()
	return nil
}

// print prints the figures beside their targets.
func (b *auditBench) print(f auditFigures) {
	overhead := 1 - f.sealedRate/f.plainRate
	out := os.Stdout
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s\n", "scenario", "figure", "baseline", "target", "")
	fmt.Fprintln(out, strings.Repeat("-", 92))
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s\n", fmt.Sprintf("register, sealed vs plain (contacts/s, %d callers)", b.callers),
		thousands(f.sealedRate), thousands(f.plainRate), fmt.Sprintf("<= %.0f%%", baTargetOverhead*100),
		fmt.Sprintf("overhead %.1f%% %s", overhead*100, verdict(overhead <= baTargetOverhead)))
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s (p50 %s)\n", "history, 1,000 events (p99)", ms(f.history.pct(99)), "",
		"<= 20 ms", verdict(f.history.pct(99) <= baTargetHistory), ms(f.history.pct(50)))
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s (p50 %s)\n", "as_of, replaying 1,000 events (p99)", ms(f.asOf.pct(99)), "",
		"<= 20 ms", verdict(f.asOf.pct(99) <= baTargetAsOf), ms(f.asOf.pct(50)))
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s\n", fmt.Sprintf("event stream, one consumer (%s events)", thousands(float64(f.streamed))),
		thousands(f.streamRate), "", ">= 50,000", verdict(f.streamRate >= baTargetStream))
}

// lastPosition is the position of the last event of the log.
func lastPosition(ctx context.Context, store domain.EventStore) (domain.Position, error) {
	var last domain.Position
	for {
		page, err := store.ReadAll(ctx, last, 5000)
		if err != nil || len(page) == 0 {
			return last, err
		}
		last = page[len(page)-1].Position
	}
}

// benchCommunity creates a community for one side of the bench.
func benchCommunity(ctx context.Context, h *domain.Handler, name string) (domain.Caller, error) {
	caller := domain.Caller{Actor: "bench", CorrelationID: domain.NewID()}
	res, err := h.CreateCommunity(ctx, caller, name)
	if err != nil {
		return caller, err
	}
	caller.CommunityID = res.ID
	return caller, nil
}

// registerMany registers n contacts with callers goroutines and returns
// how long it took.
func registerMany(ctx context.Context, h *domain.Handler, caller domain.Caller, n, callers int, tag string) (time.Duration, error) {
	_, elapsed, err := seeding.Run(ctx, n, callers, func(ctx context.Context, i int) error {
		_, err := h.RegisterContact(ctx, caller, map[string]string{
			"first_name": "Bench", "last_name": fmt.Sprintf("Audit %d", i), "email": fmt.Sprintf("%s-%d@example.org", tag, i),
		})
		return err
	}, nil)
	return elapsed, err
}

// readStream pages through GET /v1/events from the start, 10,000 at a
// time, resuming from the last position, and counts the events.
func readStream(ctx context.Context, client *http.Client, base, key, from string, want int) (int, time.Duration, error) {
	count := 0
	start := time.Now()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/events?limit=10000&from="+from, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		page := 0
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			// The position is the first member of each line.
			const prefix = `{"position":"`
			if len(line) > len(prefix) {
				end := strings.IndexByte(string(line[len(prefix):]), '"')
				from = string(line[len(prefix) : len(prefix)+end])
			}
			page++
		}
		resp.Body.Close()
		if err := sc.Err(); err != nil {
			return 0, 0, err
		}
		count += page
		if page < 10000 {
			if count < want {
				return 0, 0, fmt.Errorf("the stream gave %d events, want %d", count, want)
			}
			return count, time.Since(start), nil
		}
	}
}
