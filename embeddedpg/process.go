package embeddedpg

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// isPostgresOn reports whether pid is a live (not zombie) postgres process
// working in pgdata. PIDs are reused after a crash or reboot, so a PID alone
// proves nothing: the process must be named postgres, and when /proc lets us
// see its working folder (the server chdirs into its data dir), that too must
// match.
func isPostgresOn(pid int, pgdata string) bool {
	if !isLivePostgres(pid) {
		return false
	}
	// A process /proc does not let us inspect: trust the name.
	return worksIn(pid, pgdata) != no
}

// answer is yes, no, or unknown.
type answer int

const (
	unknown answer = iota
	yes
	no
)

// worksIn says whether process pid's working folder is dir: unknown when
// /proc does not let us see it (another user's process).
func worksIn(pid int, dir string) answer {
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return unknown
	}
	want, err := filepath.EvalSymlinks(dir)
	if err != nil {
		want = dir
	}
	if cwd == want {
		return yes
	}
	return no
}

// isLivePostgres reports whether pid is a process named postgres that has
// not exited. A zombie (exited, not yet reaped by its parent) counts as gone.
func isLivePostgres(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may hold spaces.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return false
	}
	fields := strings.Fields(string(stat[i+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}
