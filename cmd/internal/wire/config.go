package wire

import "strings"

// Config is the whole configuration of the program. main fills it from the
// environment (FromEnv) and the command line; nothing else reads either.
type Config struct {
	// DatabaseURL is the PostgreSQL to use; empty starts the private one
	// under DataDir (DATABASE_URL).
	DatabaseURL string
	// DataDir holds the private PostgreSQL and the generated secrets
	// (CONTACTS_DATA, default ./data).
	DataDir string
	// Addr is the HTTP listen address (CONTACTS_ADDR, default
	// 127.0.0.1:8080).
	Addr string
	// EventStoreURL selects the log's backend; empty keeps it in PostgreSQL
	// (EVENTSTORE_URL).
	EventStoreURL string
	// MasterKey wraps the contacts' keys: 32 bytes in base64 or hex; empty
	// reads (or makes) DataDir/secrets/master.key (CONTACTS_MASTER_KEY).
	MasterKey string
	// BootstrapKey is the operator key the first start creates; empty makes
	// a random one (CONTACTS_BOOTSTRAP_KEY).
	BootstrapKey string
	// SearchPath is where the private PostgreSQL's programs are looked
	// for, in PATH's form, before /usr/lib/postgresql/*/bin (PATH).
	SearchPath string
	// PoolConns is the size of the PostgreSQL connection pool; 0 takes
	// pool_max_conns from DatabaseURL, else DefaultPoolConns.
	PoolConns int
	// Command is the verb this process runs (serve, migrate, ...): it
	// decides how the private PostgreSQL is shared (see openPrivate) and
	// names this process to others that find the data folder taken.
	Command string
}

// Defaults of the settings the environment leaves unset.
const (
	DefaultDataDir = "./data"
	DefaultAddr    = "127.0.0.1:8080"
)

// FromEnv reads the configuration from environment variables through
// getenv (os.Getenv in main). Command and PoolConns are left to the
// caller.
func FromEnv(getenv func(string) string) Config {
	or := func(name, fallback string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return fallback
	}
	return Config{
		DatabaseURL:   getenv("DATABASE_URL"),
		DataDir:       or("CONTACTS_DATA", DefaultDataDir),
		Addr:          or("CONTACTS_ADDR", DefaultAddr),
		EventStoreURL: getenv("EVENTSTORE_URL"),
		MasterKey:     strings.TrimSpace(getenv("CONTACTS_MASTER_KEY")),
		BootstrapKey:  getenv("CONTACTS_BOOTSTRAP_KEY"),
		SearchPath:    getenv("PATH"),
	}
}
