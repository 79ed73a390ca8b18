package embeddedpg

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrAlreadyRunning is returned by Start when a live server already runs on
// the data dir; Attach connects to it instead.
var ErrAlreadyRunning = errors.New("a postgres server already runs on this data dir")

// ErrNotRunning is returned by Attach when no live server runs on the data dir.
var ErrNotRunning = errors.New("no postgres server runs on this data dir")

// pidFile is what PostgreSQL records in pgdata/postmaster.pid: line 1 the
// server's PID, line 4 its port, line 5 its first socket folder.
type pidFile struct {
	pid       int
	port      int
	socketDir string
}

// pidFilePath is where the server records itself while it runs.
func (l layout) pidFilePath() string { return filepath.Join(l.pgdata, "postmaster.pid") }

// readPIDFile parses postmaster.pid; a missing file gives an error matching
// fs.ErrNotExist. Lines after the first may be missing while the server starts.
func readPIDFile(l layout) (pidFile, error) {
	data, err := os.ReadFile(l.pidFilePath())
	if err != nil {
		return pidFile{}, fmt.Errorf("read pid file: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return pidFile{}, fmt.Errorf("pid file %s: bad first line %q", l.pidFilePath(), lines[0])
	}
	pf := pidFile{pid: pid, port: l.port, socketDir: l.socketDir}
	if len(lines) > 3 {
		if port, err := strconv.Atoi(strings.TrimSpace(lines[3])); err == nil {
			pf.port = port
		}
	}
	if len(lines) > 4 && strings.TrimSpace(lines[4]) != "" {
		pf.socketDir = strings.TrimSpace(lines[4])
	}
	return pf, nil
}

// runningServer returns the pid file of the live server on the data dir, or
// an error matching ErrNotRunning when there is none or the file is stale.
func runningServer(l layout) (pidFile, error) {
	pf, err := readPIDFile(l)
	if errors.Is(err, fs.ErrNotExist) {
		return pidFile{}, fmt.Errorf("%s: %w", l.dataDir, ErrNotRunning)
	}
	if err != nil {
		return pidFile{}, err
	}
	if !isPostgresOn(pf.pid, l.pgdata) {
		return pidFile{}, fmt.Errorf("%s: pid %d is gone: %w", l.dataDir, pf.pid, ErrNotRunning)
	}
	return pf, nil
}

// clearStalePIDFile removes the pid file a crashed server left behind (with
// its socket lock file), since PostgreSQL refuses to start while the PID in
// it belongs to any live process, once the processes the server left
// behind have ended. It returns ErrAlreadyRunning if the server is in fact
// alive.
func clearStalePIDFile(l layout, log *slog.Logger) error {
	pf, err := runningServer(l)
	if err == nil {
		return fmt.Errorf("postgres pid %d on %s: %w", pf.pid, l.dataDir, ErrAlreadyRunning)
	}
	if !errors.Is(err, ErrNotRunning) {
		return err
	}
	if _, statErr := os.Stat(l.pidFilePath()); errors.Is(statErr, fs.ErrNotExist) {
		return nil
	}
	// The server did not shut down: its children may live on.
	if err := endLeftovers(l, log); err != nil {
		return err
	}
	log.Info("removing stale postgres pid file", "path", l.pidFilePath())
	for _, path := range []string{l.pidFilePath(), l.socketFile() + ".lock", l.socketFile()} {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", path, err)
		}
	}
	return nil
}
