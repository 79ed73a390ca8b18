package embeddedpg

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// goneCheck is how often Stop looks whether an attached server has exited.
const goneCheck = 20 * time.Millisecond

// Stop shuts the server down and waits for it to exit. For a server Start
// made, it also reaps the child. Later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

// stop signals the server with ever stronger signals until it is gone.
func (s *Server) stop() error {
	if s.gone() {
		if s.waitErr != nil {
			return fmt.Errorf("postgres had already exited: %w", s.waitErr)
		}
		return nil
	}
	// SIGINT is PostgreSQL's fast shutdown (rolls back open transactions,
	// checkpoints, exits); SIGQUIT its immediate shutdown (crash recovery at
	// the next start); SIGKILL is for when even that hangs.
	steps := []struct {
		signal syscall.Signal
		wait   time.Duration
	}{
		{syscall.SIGINT, 30 * time.Second},
		{syscall.SIGQUIT, 5 * time.Second},
		{syscall.SIGKILL, 5 * time.Second},
	}
	for _, step := range steps {
		// os.Process signals through a pidfd on Linux: it cannot hit another
		// process that reused the PID.
		if err := s.proc.Signal(step.signal); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("signal postgres pid %d: %w", s.proc.Pid, err)
		}
		if s.waitGone(step.wait) {
			s.log.Info("postgres stopped", "pid", s.proc.Pid, "signal", step.signal.String())
			return nil
		}
	}
	return fmt.Errorf("postgres pid %d still running after SIGKILL", s.proc.Pid)
}

// waitGone waits up to d for the server to exit.
func (s *Server) waitGone(d time.Duration) bool {
	if s.exited != nil {
		select {
		case <-s.exited:
			return true
		case <-time.After(d):
			return false
		}
	}
	deadline := time.Now().Add(d)
	for !s.gone() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(goneCheck)
	}
	return true
}
