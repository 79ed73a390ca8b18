package wire

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dataLockName is the data folder's lock file. Its holder owns the private
// PostgreSQL under the folder: `serve` for its whole life, or a verb that
// runs its own PostgreSQL while no serve runs. The lock is a flock: the
// kernel releases it when its holder dies, however it dies, so a crash
// never leaves the folder locked.
const dataLockName = "contacts.lock"

// dataLock is the data folder's lock, held.
type dataLock struct{ f *os.File }

// lockedError says that another process holds the data folder's lock.
type lockedError struct {
	dir     string
	pid     int    // 0 when unknown
	command string // the holder's verb: serve, migrate, ...; "" when unknown
}

func (e *lockedError) Error() string {
	who := "another contacts process"
	if e.command != "" {
		who = "contacts " + e.command
	}
	if e.pid != 0 {
		who += fmt.Sprintf(" (pid %d)", e.pid)
	}
	return fmt.Sprintf("%s holds the data folder %s", who, e.dir)
}

// lockDataDir takes the data folder's lock for command without waiting,
// and writes down who holds it: "<pid> <command>". It returns a
// *lockedError when another process holds it.
func lockDataDir(dir, command string) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(abs, dataLockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		defer f.Close()
		return nil, holderOf(f, abs)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(fmt.Sprintf("%d %s\n", os.Getpid(), command)), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &dataLock{f: f}, nil
}

// holderReadTries bound the wait for a new holder to write its name: it
// takes the lock first, and the file may still name the previous one.
const (
	holderReadTries = 20
	holderReadPause = 25 * time.Millisecond
)

// holderOf reads who holds the lock on f.
func holderOf(f *os.File, dir string) *lockedError {
	e := &lockedError{dir: dir}
	for range holderReadTries {
		data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<10))
		if err == nil {
			pidText, command, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
			if pid, err := strconv.Atoi(pidText); err == nil && pid > 0 && alive(pid) {
				e.pid, e.command = pid, command
				return e
			}
		}
		time.Sleep(holderReadPause)
	}
	return e
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Release empties the lock file, so that it never names a process that
// left, and releases the lock.
func (l *dataLock) Release() {
	if l == nil {
		return
	}
	l.f.Truncate(0) //nolint:errcheck // a stale name is checked against live PIDs anyway
	l.f.Close()
}

// flock takes a lock on an open file, retrying when a signal interrupts.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
