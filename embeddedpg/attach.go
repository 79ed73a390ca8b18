package embeddedpg

import (
	"context"
	"fmt"
	"os"
)

// Attach returns the server another process started on cfg.DataDir, read
// from its postmaster.pid, once it accepts connections. It returns an error
// matching ErrNotRunning when none runs there. Stop on the result shuts that
// server down by signalling its PID and waiting for it to vanish, since only
// its parent can reap it.
func Attach(ctx context.Context, cfg Config) (*Server, error) {
	l, err := newLayout(cfg.DataDir, cfg.port())
	if err != nil {
		return nil, err
	}
	pf, err := runningServer(l)
	if err != nil {
		return nil, err
	}
	proc, err := os.FindProcess(pf.pid)
	if err != nil {
		return nil, fmt.Errorf("find postgres pid %d: %w", pf.pid, err)
	}
	s := &Server{layout: l, port: pf.port, socketDir: pf.socketDir, log: cfg.logger(), proc: proc}
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	return s, nil
}
