package main

import (
	"os"
)

// Config is the service's configuration, read from the environment in main.
type Config struct {
	// DatabaseURL is the PostgreSQL to use; empty starts the private one.
	DatabaseURL string
	// DataDir holds the private PostgreSQL and the generated secrets.
	DataDir string
	// Addr is the HTTP listen address.
	Addr string
	// EventStoreURL selects the log's backend; empty keeps it in PostgreSQL.
	EventStoreURL string
	// SearchPath is where the private PostgreSQL's programs are looked
	// for (PATH's form), before /usr/lib/postgresql/*/bin.
	SearchPath string
	// Command is the verb this process runs (serve, migrate, ...): it
	// decides how the private PostgreSQL is shared (see openPrivate) and
	// names this process to others that find the data folder taken.
	Command string
}

// ConfigFromEnv reads the configuration from environment variables.
func ConfigFromEnv() Config {
	return Config{
		DatabaseURL:   os.Getenv("DATABASE_URL"),
		DataDir:       envOr("CONTACTS_DATA", "./data"),
		Addr:          envOr("CONTACTS_ADDR", "127.0.0.1:8080"),
		EventStoreURL: os.Getenv("EVENTSTORE_URL"),
		SearchPath:    os.Getenv("PATH"),
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
