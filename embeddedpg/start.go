package embeddedpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// serverSettings suit a private dev/test instance. fsync stays on: data
// written here must survive a crash like in production, and fsync is cheap
// on these machines.
func serverSettings() []string {
	return []string{
		"max_wal_size=4GB", // bulk loads otherwise checkpoint too often
		"max_connections=200",
		fmt.Sprintf("shared_buffers=%dMB", sharedBuffersMB(memTotalMB())),
		// After a crash, recovery first flushes the data folder to disk:
		// one syncfs instead of an fsync per file (1.5 s here) lets a
		// restarted server answer within a second.
		"recovery_init_sync_method=syncfs",
	}
}

// sharedBuffersMB sizes PostgreSQL's own cache: an eighth of the
// machine's memory, from PostgreSQL's default of 128 MB up to 2 GB. At a
// million contacts the contacts table and its name index are ~600 MB; with
// 128 MB every page a search rechecks came from the kernel's cache, and a
// search that rechecks 65,000 candidates took 222 ms instead of 75 ms
// (docs/BENCHMARKS.md). The server is private to the service, which needs
// little memory of its own.
func sharedBuffersMB(memMB int) int {
	return min(max(memMB/8, 128), 2048)
}

// memTotalMB is the machine's memory (0 when unknown: not Linux).
func memTotalMB() int {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

// Start runs a private server on cfg.DataDir, creating the cluster on first
// use, and returns once it accepts connections. The server keeps running
// until Stop, even after ctx ends: ctx bounds only the start. A pid file left
// by a crash is removed; a live server on the folder gives an error matching
// ErrAlreadyRunning (use Attach). Processes that may start the same folder
// at once must take turns (pgtest holds a file lock).
func Start(ctx context.Context, cfg Config) (*Server, error) {
	log := cfg.logger()
	l, err := newLayout(cfg.DataDir, cfg.port())
	if err != nil {
		return nil, err
	}
	bins, err := findBinaries(cfg.BinDir, cfg.SearchPath)
	if err != nil {
		return nil, err
	}
	a, err := serverAccount()
	if err != nil {
		return nil, err
	}
	if err := l.prepare(a); err != nil {
		return nil, err
	}
	if err := clearStalePIDFile(l, log); err != nil {
		return nil, err
	}
	if err := initCluster(ctx, bins, l, a, log); err != nil {
		return nil, err
	}
	s, err := launch(bins, l, a, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.waitReady(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	log.Info("postgres started", "pid", s.PID(), "socket", l.socketFile())
	return s, nil
}

// launch starts postgres as our child, with its output in the log file, and
// reaps it when it exits (an unreaped child stays a zombie).
func launch(bins binaries, l layout, a account, cfg Config) (*Server, error) {
	logFile, err := os.OpenFile(l.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	defer logFile.Close() // the child holds its own copy

	args := []string{"-D", l.pgdata, "-p", strconv.Itoa(l.port),
		"-c", "listen_addresses=", // no TCP: only the private socket
		"-c", "unix_socket_directories=" + quoteListItem(l.socketDir),
	}
	for _, setting := range serverSettings() {
		args = append(args, "-c", setting)
	}
	cmd := exec.Command(bins.postgres, args...)
	cmd.Dir = l.dataDir
	cmd.Env = childEnv()
	cmd.Stdout = logFile // a file, not a pipe: `go test` would wait for a pipe to close
	cmd.Stderr = logFile
	cmd.SysProcAttr = a.sysProcAttr(true)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &Server{
		layout: l, port: l.port, socketDir: l.socketDir, log: cfg.logger(),
		proc: cmd.Process, exited: make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// quoteListItem double-quotes a path for a list setting such as
// unix_socket_directories, so that spaces and commas stay in the path.
func quoteListItem(path string) string {
	return `"` + path + `"`
}
