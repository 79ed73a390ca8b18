package embeddedpg

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Bounds of the wait between two attempts to start a server again.
const (
	restartBackoffMin = 100 * time.Millisecond
	restartBackoffMax = 5 * time.Second
)

// Supervisor keeps a private server running until Stop: when the server
// exits unasked (a crash, the OOM killer, kill -9), it starts it again on
// the same data dir, at once and then after longer and longer pauses while
// starting fails. The server's connection string stays the same, so pools
// reconnect by themselves once it is back.
type Supervisor struct {
	cfg   Config
	log   *slog.Logger
	first *Server // names the socket, the same for every start

	stopping chan struct{} // closed by Stop
	done     chan struct{} // closed when watch returns
	stopOnce sync.Once
	stopErr  error

	mu       sync.Mutex
	current  *Server // nil while down
	restarts int
}

// Supervise starts a server on cfg.DataDir as Start does, and keeps it
// running until Stop. ctx bounds the first start only.
func Supervise(ctx context.Context, cfg Config) (*Supervisor, error) {
	srv, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Supervisor{
		cfg: cfg, log: cfg.logger(), first: srv, current: srv,
		stopping: make(chan struct{}), done: make(chan struct{}),
	}
	go s.watch(srv)
	return s, nil
}

// ConnString returns the connection string of the server, whichever start
// it is.
func (s *Supervisor) ConnString(dbname string) string { return s.first.ConnString(dbname) }

// PID returns the process id of the server now running, 0 while it is down.
func (s *Supervisor) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil {
		return 0
	}
	return s.current.PID()
}

// Restarts returns how many times the server was started again.
func (s *Supervisor) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// Stop stops supervising, then stops the server. Later calls return the
// first call's result.
func (s *Supervisor) Stop() error {
	s.stopOnce.Do(func() {
		close(s.stopping)
		<-s.done
		s.mu.Lock()
		srv := s.current
		s.mu.Unlock()
		if srv != nil {
			s.stopErr = srv.Stop()
		}
	})
	return s.stopErr
}

// watch waits for the server to exit and starts it again, until Stop.
func (s *Supervisor) watch(srv *Server) {
	defer close(s.done)
	for {
		select {
		case <-s.stopping:
			return
		case <-srv.exited:
		}
		died := time.Now()
		s.mu.Lock()
		s.current = nil
		s.mu.Unlock()
		s.log.Error("postgres exited unexpectedly; starting it again",
			"pid", srv.PID(), "exit", srv.exitReason(), "log", srv.layout.logFile)
		if srv = s.restart(died); srv == nil {
			return
		}
	}
}

// restart starts the server until it runs, or returns nil once Stop is
// called.
func (s *Supervisor) restart(died time.Time) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	delay := restartBackoffMin
	for attempt := 1; ; attempt++ {
		srv, err := Start(ctx, s.cfg)
		if err == nil {
			s.mu.Lock()
			s.current = srv
			s.restarts++
			s.mu.Unlock()
			s.log.Info("postgres started again", "pid", srv.PID(), "attempt", attempt,
				"down_for", time.Since(died).Round(time.Millisecond))
			return srv
		}
		if ctx.Err() != nil {
			return nil
		}
		s.log.Error("start postgres again", "attempt", attempt, "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(2*delay, restartBackoffMax)
	}
}
