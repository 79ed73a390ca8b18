package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// patience bounds every wait for what must happen.
const patience = 60 * time.Second

// TestServeSurvivesCrashes runs `contacts serve` on one data folder
// through what issue 11 found from outside: a second serve and a verb
// while it runs; its PostgreSQL killed under it while clients register
// contacts (every acknowledged contact must stay, every failed call must
// answer 503); serve itself killed with SIGKILL, leaving its PostgreSQL
// orphaned, then started again.
func TestServeSurvivesCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL and kills it")
	}
	t.Parallel()
	dataDir := t.TempDir()
	url, serve, logs := startServe(t, dataDir)
	api := newAPIClient(t, url, dataDir)

	// A second serve on the folder is refused, and says why.
	out, err := serveCommand(dataDir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another serve runs on it") {
		t.Fatalf("a second serve on the data folder: %v\n%s\nwant a refusal naming the running serve", err, out)
	}
	// A verb uses the running serve's PostgreSQL and leaves it running.
	pgPID := postmasterPID(t, dataDir)
	if out := runVerb(t, dataDir, "migrate"); !strings.Contains(out, "attaching to the PostgreSQL of the running serve") {
		t.Fatalf("contacts migrate while serve runs printed:\n%s\nwant it to attach", out)
	}
	if pid := postmasterPID(t, dataDir); pid != pgPID || !isLive(pid) {
		t.Fatalf("after the verb, the PostgreSQL is pid %d (live: %v), want serve's %d still running", pid, isLive(pid), pgPID)
	}

	// PostgreSQL killed under load.
	acked, statuses := registerThroughOutage(t, api, dataDir)
	t.Logf("PostgreSQL killed under 8 writers: %d contacts acknowledged; answers: %v", len(acked), statuses)
	for status, n := range statuses {
		if status != http.StatusCreated && status != http.StatusServiceUnavailable {
			t.Errorf("%d answers %d during the outage: want only 201 and 503; logs:\n%s", n, status, logs.String())
		}
	}
	api.checkReadable(t, acked)
	if m := regexp.MustCompile(`postgres started again.*down_for=(\S+)`).FindStringSubmatch(logs.String()); m != nil {
		t.Logf("PostgreSQL was down for %s", m[1])
	} else {
		t.Errorf("no restart of PostgreSQL in the logs:\n%s", logs.String())
	}

	// serve killed: its PostgreSQL lives on, orphaned; the next start
	// stops it and starts its own.
	serve.Process.Kill() //nolint:errcheck
	serve.Wait()         //nolint:errcheck
	orphan := postmasterPID(t, dataDir)
	if !isLive(orphan) {
		t.Fatalf("no orphaned PostgreSQL after serve was killed (pid %d)", orphan)
	}
	url, serve, logs = startServe(t, dataDir)
	if !strings.Contains(logs.String(), "stopped the PostgreSQL a crashed contacts process left running") {
		t.Errorf("the second start did not say it stopped the orphan; logs:\n%s", logs.String())
	}
	if isLive(orphan) {
		t.Errorf("the orphaned PostgreSQL (pid %d) still runs", orphan)
	}
	api.url = url
	api.checkReadable(t, acked)
	api.register(t, "after-crash@example.org")

	serve.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve exited with %v; logs:\n%s", err, logs.String())
	}
	// With no serve, a verb runs its own PostgreSQL and stops it.
	runVerb(t, dataDir, "migrate")
	if _, err := os.Stat(filepath.Join(dataDir, "postgres", "pgdata", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("PostgreSQL still running after the verb that started it ended (err=%v)", err)
	}
}

// ack is an acknowledged registration.
type ack struct{ id, position, email string }

// registerThroughOutage registers contacts from 8 goroutines, kills the
// private PostgreSQL's postmaster once some are acknowledged, and goes on
// until as many more are acknowledged by calls made after the kill. It
// returns the acknowledged contacts and the count of each status.
func registerThroughOutage(t *testing.T, api *apiClient, dataDir string) ([]ack, map[int]int) {
	t.Helper()
	const writers, before, after = 8, 40, 40
	var (
		mu        sync.Mutex
		acked     []ack
		statuses  = map[int]int{}
		killedAt  atomic.Pointer[time.Time]
		ackedLate atomic.Int64
		firstLate atomic.Int64 // ns from the kill to the first acknowledged call made after it
		n         atomic.Int64
		wg        sync.WaitGroup
	)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	for range writers {
		wg.Go(func() {
			for ctx.Err() == nil {
				email := fmt.Sprintf("c%d@example.org", n.Add(1))
				started := time.Now()
				status, a, err := api.tryRegister(ctx, email)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("register %s: %v", email, err)
					}
					return
				}
				mu.Lock()
				statuses[status]++
				if status == http.StatusCreated {
					acked = append(acked, a)
				}
				mu.Unlock()
				if k := killedAt.Load(); status == http.StatusCreated && k != nil && started.After(*k) {
					firstLate.CompareAndSwap(0, int64(time.Since(*k)))
					ackedLate.Add(1)
				}
				if status == http.StatusServiceUnavailable {
					// As a client would, rather than spin on two cores
					// that PostgreSQL needs to recover (Retry-After says
					// 1 s; a shorter pause keeps the test short).
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	// /readyz, probed throughout: 503 while PostgreSQL is down.
	readiness := map[int]int{}
	wg.Go(func() {
		for ctx.Err() == nil {
			if status, _, err := api.do(ctx, "GET", "/readyz", ""); err == nil {
				mu.Lock()
				readiness[status]++
				mu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitUntil(t, "acknowledged registrations before the kill", func() bool { return count() >= before })
	pid := postmasterPID(t, dataDir)
	now := time.Now()
	killedAt.Store(&now)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "acknowledged registrations after the kill", func() bool { return ackedLate.Load() >= after })
	stop()
	wg.Wait()
	t.Logf("first acknowledged registration made after the kill: %s after it", time.Duration(firstLate.Load()).Round(time.Millisecond))
	t.Logf("/readyz answers: %v", readiness)
	for status := range readiness {
		if status != http.StatusOK && status != http.StatusServiceUnavailable {
			t.Errorf("/readyz answered %d: want 200 or 503", status)
		}
	}
	return acked, statuses
}

// apiClient calls the API with the bootstrap admin key.
type apiClient struct {
	url, key string
	client   *http.Client
}

func newAPIClient(t *testing.T, url, dataDir string) *apiClient {
	t.Helper()
	saved, err := os.ReadFile(filepath.Join(dataDir, "secrets", "bootstrap-keys.txt"))
	if err != nil {
		t.Fatalf("bootstrap keys not saved: %v", err)
	}
	m := regexp.MustCompile(`its admin key:\s+(\S+)`).FindSubmatch(saved)
	if m == nil {
		t.Fatalf("no admin key in:\n%s", saved)
	}
	return &apiClient{url: url, key: string(m[1]), client: &http.Client{Timeout: patience}}
}

func (a *apiClient) do(ctx context.Context, method, path, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.url+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		return resp.StatusCode, b, fmt.Errorf("503 without Retry-After: %s", b)
	}
	return resp.StatusCode, b, err
}

// tryRegister registers a contact with email; the ack is set on 201.
func (a *apiClient) tryRegister(ctx context.Context, email string) (int, ack, error) {
	status, body, err := a.do(ctx, "POST", "/v1/contacts", `{"first_name":"Crash","email":"`+email+`"}`)
	if err != nil || status != http.StatusCreated {
		return status, ack{}, err
	}
	var c struct{ ID, Position string }
	if err := json.Unmarshal(body, &c); err != nil || c.ID == "" {
		return status, ack{}, fmt.Errorf("201 with %s (%v)", body, err)
	}
	return status, ack{id: c.ID, position: c.Position, email: email}, nil
}

func (a *apiClient) register(t *testing.T, email string) {
	t.Helper()
	status, _, err := a.tryRegister(t.Context(), email)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("register %s = %d, %v", email, status, err)
	}
}

// checkReadable reads back every acknowledged contact, waiting while the
// service answers 503.
func (a *apiClient) checkReadable(t *testing.T, acked []ack) {
	t.Helper()
	for _, c := range acked {
		var status int
		var body []byte
		waitUntil(t, "contact "+c.id, func() bool {
			var err error
			status, body, err = a.do(t.Context(), "GET", "/v1/contacts/"+c.id+"?after="+c.position, "")
			return err == nil && status != http.StatusServiceUnavailable
		})
		if status != http.StatusOK || !strings.Contains(string(body), c.email) {
			t.Fatalf("acknowledged contact %s (%s) reads %d %s", c.id, c.email, status, body)
		}
	}
}

// postmasterPID reads the private PostgreSQL's PID from its pid file.
func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, "postgres", "pgdata", "postmaster.pid"))
	if err != nil {
		t.Fatalf("private PostgreSQL not running: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// isLive reports whether pid is a process that has not exited (a zombie
// has).
func isLive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	fields := strings.Fields(string(stat[i+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// waitUntil polls cond until it holds, failing the test after patience.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", patience, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
