package esdb_test

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/esdb"
	"github.com/assoc/contacts/eventstore/esdb/esdbtest"
	"github.com/assoc/contacts/eventstore/storetest"
)

// noIDIndex is the one case of the contract EventStoreDB cannot keep.
var noIDIndex = storetest.Except("Idempotency/IDsStoredInAnotherStream",
	"EventStoreDB keeps no index of event IDs across streams: a batch whose IDs are stored in another stream is written (see README)")

// TestContractOnFake runs the contract suite through the real client, over
// a real gRPC connection, against the in-process fake server: a fresh
// server, hence an empty log, for each case.
func TestContractOnFake(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.EventStore {
		return open(t, esdbtest.New(t).URL(), "")
	}, noIDIndex)
}

// TestContractOnServer runs the suite against a real EventStoreDB or
// KurrentDB at EVENTSTORE_TEST_URL. The server's log is shared, so each
// case works under a namespace of its own, which is its whole log.
func TestContractOnServer(t *testing.T) {
	url := os.Getenv("EVENTSTORE_TEST_URL")
	if url == "" {
		t.Skip("EVENTSTORE_TEST_URL not set (such as esdb://localhost:2113?tls=false): no real EventStoreDB to test against")
	}
	storetest.Run(t, func(t *testing.T) domain.EventStore {
		return open(t, url, "t"+strings.ReplaceAll(uuid.NewString(), "-", "")[:12]+"_")
	}, noIDIndex)
}

func open(t *testing.T, url, namespace string) *esdb.Store {
	t.Helper()
	s, err := esdb.Open(t.Context(), url, esdb.Options{Namespace: namespace, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testLogger shows warnings and errors in the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}
