package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assoc/contacts/pgtest"
)

// TestMain lets a test re-run this binary as the real command: with
// CONTACTS_RUN_MAIN=1 the process is `contacts` itself.
func TestMain(m *testing.M) {
	if os.Getenv("CONTACTS_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	pgtest.Main(m)
}

// TestServeOnEmbeddedDefault runs `contacts serve` as a user would, with no
// DATABASE_URL: it must start its private PostgreSQL, answer /healthz and
// /readyz, and on SIGTERM stop cleanly with the PostgreSQL it started.
func TestServeOnEmbeddedDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL")
	}
	dataDir := t.TempDir()
	url, cmd, logs := startServe(t, dataDir)

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
		}
	}

	// The first start printed an admin key and saved it: use it as a new
	// user would, with the curl line's request.
	saved, err := os.ReadFile(filepath.Join(dataDir, "secrets", "bootstrap-keys.txt"))
	if err != nil {
		t.Fatalf("bootstrap keys not saved: %v", err)
	}
	m := regexp.MustCompile(`its admin key:\s+(\S+)`).FindSubmatch(saved)
	if m == nil {
		t.Fatalf("no admin key in:\n%s", saved)
	}
	adminKey := string(m[1])
	req, _ := http.NewRequest("POST", url+"/v1/contacts", strings.NewReader(`{"first_name":"Hélène","last_name":"Dupré","email":"helene@example.org"}`))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register with the bootstrap admin key = %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("GET", url+"/v1/contacts?q=helene", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Dupré") {
		t.Fatalf("search helene = %d %s, want Hélène Dupré", resp.StatusCode, body)
	}

	pidFile := filepath.Join(dataDir, "postgres", "pgdata", "postmaster.pid")
	if _, err := os.Stat(pidFile); err != nil {
		t.Fatalf("private PostgreSQL not running under the data folder: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v; logs:\n%s", err, logs.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill() //nolint:errcheck
		t.Fatalf("serve did not stop on SIGTERM; logs:\n%s", logs.String())
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid still there after serve stopped: PostgreSQL was not stopped (err=%v)", err)
	}

	// A second start reuses the data folder.
	url, cmd, logs = startServe(t, dataDir)
	if resp, err := http.Get(url + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("second start not ready: %v; logs:\n%s", err, logs.String())
	}
	cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	if err := cmd.Wait(); err != nil {
		t.Fatalf("second serve exited with %v; logs:\n%s", err, logs.String())
	}
}

// startServe starts `contacts serve` on a free port and returns its URL once
// it logged that it is ready.
func startServe(t *testing.T, dataDir string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	env := []string{"CONTACTS_RUN_MAIN=1", "CONTACTS_DATA=" + dataDir, "CONTACTS_ADDR=127.0.0.1:0"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "EVENTSTORE_URL=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
			cmd.Wait()                          //nolint:errcheck
		}
	})
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`msg=ready url=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteLine(sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
	}()
	select {
	case url := <-ready:
		return url, cmd, logs
	case <-time.After(60 * time.Second):
		t.Fatalf("serve not ready after 60s; logs:\n%s", logs.String())
		return "", nil, nil
	}
}
