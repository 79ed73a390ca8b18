// Package esdb is the EventStoreDB/KurrentDB backend of the domain.EventStore
// port, on the v4 gRPC client (which speaks to KurrentDB too).
//
// Stream names are the domain's own ("contact-<uuid>", "community-<uuid>",
// "key-<hmac>"), optionally behind a namespace prefix, so a stream reads the
// same in the EventStoreDB UI as in the project's docs. The global log is
// $all restricted to the streams whose names start with the namespace and
// one of the project's prefixes (Prefixes): system events and $-streams, and
// other applications' streams sharing the server, are never returned.
//
// Versions: the port numbers a stream's events from 1, EventStoreDB from 0
// (revisions), so version = revision + 1 everywhere. Positions are $all's
// (commit, prepare) pair, which orders the log just as the port's Position.
package esdb

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/assoc/contacts/domain"
)

// Prefixes are the starts of the stream names the domain writes (see
// domain.ContactStream, domain.CommunityStream and the key reservations).
// The log is the events of these streams only: a new kind of stream must be
// added here, or ReadAll and Subscribe will not see it.
var Prefixes = []string{"contact-", "community-", "key-"}

// Options configure a Store.
type Options struct {
	// Namespace is put before every stream name on the server, and only the
	// streams under it make up the log. Empty in production; tests use one
	// per store to share a real server.
	Namespace string
	// Logger receives the client's and the store's messages; nil discards.
	Logger *slog.Logger
}

// Store is the EventStoreDB event store. It is safe for concurrent use.
type Store struct {
	client   *esdb.Client
	ns       string
	prefixes []string // Prefixes under the namespace
	logger   *slog.Logger
}

var _ domain.EventStore = (*Store)(nil)

// Open connects to the server at url (an esdb:// connection string, such as
// "esdb://localhost:2113?tls=false") and checks that it answers.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	conf, err := esdb.ParseConnectionString(url)
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "EventStoreDB URL: %v", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The client's default logger prints to the console.
	conf.Logger = slogLogging(logger)
	client, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("EventStoreDB client: %w", err)
	}
	s := New(client, opts)
	if err := s.ping(ctx); err != nil {
		client.Close()
		return nil, err
	}
	return s, nil
}

// New returns a store on client. Close closes the client.
func New(client *esdb.Client, opts Options) *Store {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	prefixes := make([]string, len(Prefixes))
	for i, p := range Prefixes {
		prefixes[i] = opts.Namespace + p
	}
	return &Store{client: client, ns: opts.Namespace, prefixes: prefixes, logger: logger}
}

// Close closes the client's connection.
func (s *Store) Close() error { return s.client.Close() }

// pingTimeout bounds the connection check of Open: the client otherwise
// retries discovery for a long while before a wrong URL shows up.
const pingTimeout = 10 * time.Second

// ping reads a stream that does not exist: any answer from the server
// (normally "not found") proves the connection works.
func (s *Store) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	_, err := s.ReadStream(ctx, "contact-ping", domain.Forwards, 1, 1)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return fmt.Errorf("connect to EventStoreDB: %w", err)
	}
	return nil
}

// serverName is stream's name on the server.
func (s *Store) serverName(stream string) string { return s.ns + stream }

// owns reports whether a stream of the server belongs to the log.
func (s *Store) owns(serverName string) bool {
	for _, p := range s.prefixes {
		if strings.HasPrefix(serverName, p) {
			return true
		}
	}
	return false
}

// slogLogging adapts the client's logging to slog. The client logs at its
// error level what the store reports itself as errors (a failed call, a
// dropped subscription), so those are warnings here; and a subscription
// ended by its context (a projector stopping) is no news at all.
func slogLogging(logger *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		l := slog.LevelDebug
		switch level {
		case esdb.LogInfo:
			l = slog.LevelInfo
		case esdb.LogWarn, esdb.LogError:
			l = slog.LevelWarn
		}
		msg := fmt.Sprintf(format, args...)
		if strings.Contains(msg, "context canceled") {
			l = slog.LevelDebug
		}
		if logger.Enabled(context.Background(), l) {
			logger.Log(context.Background(), l, "eventstoredb client: "+msg)
		}
	}
}
