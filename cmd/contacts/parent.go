package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// parentPoll is how often serve looks whether the `go run` that started it
// is still there.
const parentPoll = time.Second

// stopWithGoRun returns a context that also ends when the `go run` that
// started this process exits. On SIGTERM, `go run` exits without passing
// the signal on, and the built program it started would run on, orphaned,
// holding the port and its PostgreSQL. Only the go tool is watched: a
// serve started from a shell that then exits (nohup, &) is meant to run
// on. The parent is polled (its PID changes once it dies): a parent-death
// signal (PR_SET_PDEATHSIG) fires when the thread that started us ends,
// which in the go tool may be any time.
func stopWithGoRun(ctx context.Context, logger *slog.Logger) context.Context {
	parent := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", parent))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return ctx
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		tick := time.NewTicker(parentPoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if os.Getppid() != parent {
				logger.Warn("the go run that started serve exited; shutting down", "go_pid", parent)
				return
			}
		}
	}()
	return ctx
}
