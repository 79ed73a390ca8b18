package embeddedpg

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Bounds of the wait for leftover processes to exit, per signal.
const leftoverWait = 5 * time.Second

// leftoverProcesses returns the live postgres processes working in pgdata.
// Called once its postmaster is gone, they are the backends and auxiliary
// processes it left behind: killed with SIGKILL, a postmaster cannot tell
// its children, and a backend in the middle of a query runs it to its end
// before it notices.
func leftoverProcesses(pgdata string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if isLivePostgres(pid) && worksIn(pid, pgdata) == yes {
			pids = append(pids, pid)
		}
	}
	return pids
}

// endLeftovers ends the processes a killed postmaster left on pgdata. They
// still hold the old shared memory and may still write: a new server
// started beside them could corrupt the cluster (PostgreSQL refuses to
// start while they live, but only as long as the pid file is kept, and a
// stale pid file is removed before a start). They are told to quit at once
// (SIGQUIT), as a postmaster tells its children after a crash; the new
// server's crash recovery replays the WAL. SIGKILL follows if they linger.
func endLeftovers(l layout, log *slog.Logger) error {
	pids := leftoverProcesses(l.pgdata)
	if len(pids) == 0 {
		return nil
	}
	log.Warn("ending processes a killed postgres left behind", "pids", pids, "pgdata", l.pgdata)
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGKILL} {
		for _, pid := range pids {
			// By PID: they are not our children. Each was checked (name and
			// folder) a moment ago.
			if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH { //nolint:errorlint // a bare errno
				return fmt.Errorf("signal leftover postgres pid %d: %w", pid, err)
			}
		}
		deadline := time.Now().Add(leftoverWait)
		for len(pids) > 0 && time.Now().Before(deadline) {
			time.Sleep(goneCheck)
			pids = leftoverProcesses(l.pgdata)
		}
		if len(pids) == 0 {
			return nil
		}
	}
	return fmt.Errorf("postgres processes %v on %s still running after SIGKILL", pids, l.pgdata)
}
