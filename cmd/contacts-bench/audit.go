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
	"sync"
	"sync/atomic"
	"time"

	"github.com/assoc/contacts/apikeys"
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
	pool, sealedStore, sealed := app.Pool, app.Store, app.Handler
	plainStore := postgres.New(pool, logger)
	defer plainStore.Close()
	plain := &domain.Handler{Store: plainStore, KeySecret: sealed.KeySecret}

	out := os.Stdout
	fmt.Fprintf(out, "contacts-bench audit\nmachine:    %d CPUs, %s/%s, %s\ndatabase:   private bench cluster in %s\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), dir)

	// 1. Registering, sealed and plain, in turns of n/4 each.
	sealedCaller, err := benchCommunity(ctx, sealed, "bench audit sealed")
	if err != nil {
		return err
	}
	plainCaller, err := benchCommunity(ctx, plain, "bench audit plain")
	if err != nil {
		return err
	}
	var sealedTime, plainTime time.Duration
	stamp := time.Now().UnixNano()
	for round := range 4 {
		count := *n / 4
		for _, side := range []struct {
			h      *domain.Handler
			caller domain.Caller
			total  *time.Duration
			name   string
		}{{sealed, sealedCaller, &sealedTime, "sealed"}, {plain, plainCaller, &plainTime, "plain"}} {
			d, err := registerMany(ctx, side.h, side.caller, count, *callers, fmt.Sprintf("%d-%s-%d", stamp, side.name, round))
			if err != nil {
				return err
			}
			*side.total += d
		}
	}
	total := float64(*n / 4 * 4)
	sealedRate, plainRate := total/sealedTime.Seconds(), total/plainTime.Seconds()
	overhead := 1 - sealedRate/plainRate

	// 2. A contact with 1,000 events.
	res, err := sealed.RegisterContact(ctx, sealedCaller, map[string]string{"first_name": "Audit", "last_name": "Trail", "email": fmt.Sprintf("audit-%d@example.org", stamp)})
	if err != nil {
		return err
	}
	var middle time.Time
	for i := 2; i <= baHistoryEvents; i++ {
		if _, err := sealed.UpdateContact(ctx, sealedCaller, res.ID, map[string]string{"last_name": fmt.Sprintf("Trail %d", i)}, 0); err != nil {
			return err
		}
		if i == baHistoryEvents/2 {
			middle = time.Now()
		}
	}

	// The HTTP server, as serve wires it (these routes need no read model).
	keys := app.Keys
	key, _, err := keys.Create(ctx, apikeys.RoleAdmin, sealedCaller.CommunityID)
	if err != nil {
		return err
	}
	server := chttp.NewServer("127.0.0.1:0", logger)
	server.Services = app.HTTPServices()
	if err := server.Open(); err != nil {
		return err
	}
	defer server.Close(context.WithoutCancel(ctx)) //nolint:errcheck
	server.SetReady(true)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(path string) (int64, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", server.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
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
	timeIt := func(path string) (bcLatencies, error) {
		var l bcLatencies
		for i := range *requests + 20 {
			start := time.Now()
			if _, err := get(path); err != nil {
				return nil, err
			}
			if i >= 20 { // warm-up
				l = append(l, time.Since(start))
			}
		}
		return l, nil
	}
	history, err := timeIt("/v1/contacts/" + res.ID + "/history")
	if err != nil {
		return err
	}
	asOf, err := timeIt("/v1/contacts/" + res.ID + "?as_of=" + url.QueryEscape(middle.UTC().Format(time.RFC3339Nano)))
	if err != nil {
		return err
	}

	// 3. One consumer pages through a community's events, from where its
	// log begins (as a consumer resumes from its last position): a
	// community registered at once, so the stretch of log read holds its
	// events and their key reservations, which the stream skips.
	streamStart, err := lastPosition(ctx, sealedStore)
	if err != nil {
		return err
	}
	streamCaller, err := benchCommunity(ctx, sealed, "bench audit stream")
	if err != nil {
		return err
	}
	if _, err := registerMany(ctx, sealed, streamCaller, *n, *callers, fmt.Sprintf("%d-stream", stamp)); err != nil {
		return err
	}
	streamKey, _, err := keys.Create(ctx, apikeys.RoleAnalytics, streamCaller.CommunityID)
	if err != nil {
		return err
	}
	streamed, elapsed, err := readStream(ctx, client, server.URL(), streamKey, streamStart.String(), *n+1)
	if err != nil {
		return err
	}
	streamRate := float64(streamed) / elapsed.Seconds()

	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s\n", "scenario", "figure", "baseline", "target", "")
	fmt.Fprintln(out, strings.Repeat("-", 92))
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s\n", fmt.Sprintf("register, sealed vs plain (contacts/s, %d callers)", *callers),
		thousands(sealedRate), thousands(plainRate), fmt.Sprintf("<= %.0f%%", baTargetOverhead*100),
		fmt.Sprintf("overhead %.1f%% %s", overhead*100, verdict(overhead <= baTargetOverhead)))
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s (p50 %s)\n", "history, 1,000 events (p99)", ms(history.pct(99)), "",
		"<= 20 ms", verdict(history.pct(99) <= baTargetHistory), ms(history.pct(50)))
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s (p50 %s)\n", "as_of, replaying 1,000 events (p99)", ms(asOf.pct(99)), "",
		"<= 20 ms", verdict(asOf.pct(99) <= baTargetAsOf), ms(asOf.pct(50)))
	fmt.Fprintf(out, "%-44s %12s %12s %10s  %s\n", fmt.Sprintf("event stream, one consumer (%s events)", thousands(float64(streamed))),
		thousands(streamRate), "", ">= 50,000", verdict(streamRate >= baTargetStream))
	return nil
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
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				_, err := h.RegisterContact(ctx, caller, map[string]string{
					"first_name": "Bench", "last_name": fmt.Sprintf("Audit %d", i), "email": fmt.Sprintf("%s-%d@example.org", tag, i),
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return time.Since(start), <-errs
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
