package embeddedpg

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// Server is a running private PostgreSQL: one Start made (its child
// process), or one Attach found (started by another process).
type Server struct {
	layout    layout
	port      int
	socketDir string
	log       *slog.Logger
	proc      *os.Process
	// exited is closed once the child has been reaped, with waitErr set;
	// nil for an attached server, which is not our child.
	exited  chan struct{}
	waitErr error

	stopOnce sync.Once
	stopErr  error
}

// ConnString returns a keyword/value connection string for the database
// dbname, as superuser postgres over the server's unix socket.
func (s *Server) ConnString(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable",
		quoteValue(s.socketDir), s.port, quoteValue(dbname))
}

// PID returns the server's process id.
func (s *Server) PID() int { return s.proc.Pid }

// DataDir returns the absolute folder that holds the instance.
func (s *Server) DataDir() string { return s.layout.dataDir }

// quoteValue quotes a connection string value, so that spaces, quotes and
// backslashes survive.
func quoteValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// gone reports whether the server process has ended.
func (s *Server) gone() bool {
	if s.exited == nil {
		return !isPostgresOn(s.proc.Pid, s.layout.pgdata)
	}
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}
