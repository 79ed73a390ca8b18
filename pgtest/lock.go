package pgtest

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile opens path, creating it, and takes a flock on it (how is
// syscall.LOCK_SH or LOCK_EX, maybe with LOCK_NB). Closing the file, or the
// process ending, releases the lock: a crashed process never leaves one held.
func lockFile(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := flock(f, how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// flock takes or converts a lock on an open file, retrying when a signal
// interrupts the wait.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
