package embeddedpg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bounds of the wait for a server to accept connections.
const (
	readyTimeout = 30 * time.Second
	readyPoll    = 25 * time.Millisecond
	connTimeout  = 2 * time.Second
)

// waitReady polls until the server accepts a connection, the process exits,
// readyTimeout passes or ctx ends. Its errors quote the server log, where
// PostgreSQL explains why it did not start.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var lastErr error
	for {
		if s.gone() {
			return fmt.Errorf("postgres exited during start (%v); log %s ends with:\n%s",
				s.exitReason(), s.layout.logFile, logTail(s.layout.logFile))
		}
		if lastErr = s.ping(ctx); lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres not accepting connections (%w: %w); log %s ends with:\n%s",
				ctx.Err(), lastErr, s.layout.logFile, logTail(s.layout.logFile))
		case <-time.After(readyPoll):
		}
	}
}

// ping opens and closes one connection to the maintenance database.
func (s *Server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, connTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// exitReason describes how the child ended, for error messages.
func (s *Server) exitReason() string {
	if s.exited == nil {
		return "not our child"
	}
	if s.waitErr == nil {
		return "exit status 0"
	}
	return s.waitErr.Error()
}
