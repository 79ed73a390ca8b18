package embeddedpg

import "log/slog"

// defaultPort names the socket file when Config.Port is zero. No TCP port is
// opened, so the usual PostgreSQL port is as good as any.
const defaultPort = 5432

// Config says where a private server lives.
type Config struct {
	// DataDir holds everything: the cluster in DataDir/pgdata, the socket
	// folder and the log file.
	DataDir string
	// Logger receives progress messages (initdb, start, stop); nil discards them.
	Logger *slog.Logger
	// BinDir, when set, is the only folder searched for initdb and postgres.
	// Empty means: SearchPath, then the highest /usr/lib/postgresql/*/bin.
	BinDir string
	// SearchPath lists folders to search for initdb and postgres, in the
	// form of PATH (separated by ':'); a program passes its PATH. The
	// package reads no environment variable itself.
	SearchPath string
	// Port is the number in the socket file name (.s.PGSQL.<Port>); 0 means
	// 5432. The server listens on no TCP port, so this never clashes.
	Port int
}

// logger returns the configured logger, or one that discards everything.
func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// port returns the configured port, or the default.
func (c Config) port() int {
	if c.Port == 0 {
		return defaultPort
	}
	return c.Port
}
