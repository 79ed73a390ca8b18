package embeddedpg

import (
	"errors"
	"fmt"
	"os"
)

// StopLeftover stops the server running on cfg.DataDir, if one does, with
// a fast shutdown (open transactions roll back; everything committed
// stays), and waits for it to exit. It is for a server whose owner is gone
// (a crash left it orphaned): the caller must know that nobody uses it,
// which embeddedpg cannot tell. It returns the server's PID, or 0 when none
// ran.
func StopLeftover(cfg Config) (int, error) {
	l, err := newLayout(cfg.DataDir, cfg.port())
	if err != nil {
		return 0, err
	}
	pf, err := runningServer(l)
	if errors.Is(err, ErrNotRunning) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	proc, err := os.FindProcess(pf.pid)
	if err != nil {
		return 0, fmt.Errorf("find postgres pid %d: %w", pf.pid, err)
	}
	s := &Server{layout: l, port: pf.port, socketDir: pf.socketDir, log: cfg.logger(), proc: proc}
	if err := s.Stop(); err != nil {
		return pf.pid, fmt.Errorf("stop the postgres left running on %s: %w", l.dataDir, err)
	}
	return pf.pid, nil
}
