package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// With its address taken, serve fails at once and says so, before it
// makes anything: no PostgreSQL, no keys, no curl lines for someone
// else's port.
func TestServeRefusesATakenAddress(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dataDir := filepath.Join(t.TempDir(), "data")
	cmd := serveCommand(dataDir, "CONTACTS_ADDR="+taken.Addr().String())
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "address already in use") || !strings.Contains(string(out), "CONTACTS_ADDR") {
		t.Fatalf("serve on a taken address: %v\n%s\nwant a refusal naming CONTACTS_ADDR", err, out)
	}
	if strings.Contains(string(out), "curl") || strings.Contains(string(out), "postgres") {
		t.Errorf("serve on a taken address went on:\n%s", out)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("serve on a taken address made the data folder (err=%v)", err)
	}
}

// `go run ./cmd/contacts serve` then SIGTERM: go run exits without passing
// the signal on. serve, whose parent was the go tool, must then stop (and
// stop its PostgreSQL) rather than run on, orphaned. The go tool is played
// by a shell named go.
func TestServeStopsWithGoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL")
	}
	t.Parallel()
	shell, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to play the go tool")
	}
	goTool := filepath.Join(t.TempDir(), "go")
	data, err := os.ReadFile(shell)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goTool, data, 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	serve := serveCommand(dataDir)
	parent := exec.Command(goTool, "-c", `"$0" serve & echo $!; wait`, os.Args[0])
	parent.Env = serve.Env
	stdout, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := parent.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	servePID, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("serve's pid: %q", line)
	}
	t.Cleanup(func() {
		if isLive(servePID) {
			syscall.Kill(servePID, syscall.SIGTERM) //nolint:errcheck // the test failed: do not leave it running
		}
	})
	logs := &syncBuffer{}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteLine(sc.Text())
			if regexp.MustCompile(`msg=ready url=`).MatchString(sc.Text()) {
				close(ready)
			}
		}
	}()
	waitUntil(t, "serve to be ready", func() bool {
		select {
		case <-ready:
			return true
		default:
			return false
		}
	})
	pgPID := postmasterPID(t, dataDir)

	// As go run exits on SIGTERM. Reaped only once serve is gone: Wait
	// closes the pipes serve writes its logs to.
	parent.Process.Kill() //nolint:errcheck
	waitUntil(t, "serve to stop once go run is gone", func() bool { return !isLive(servePID) })
	parent.Wait() //nolint:errcheck
	if isLive(pgPID) {
		t.Errorf("serve stopped, but its PostgreSQL (pid %d) runs on; logs:\n%s", pgPID, logs.String())
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("serve did not shut down cleanly; logs:\n%s", logs.String())
	}
}
