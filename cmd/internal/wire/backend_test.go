package wire

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/pgtest"
)

// TestCheckBackend checks that a database keeps the log backend it was
// first started with, including a database from before the backend was
// recorded, whose log is in PostgreSQL.
func TestCheckBackend(t *testing.T) {
	for _, tc := range []struct {
		name    string
		legacy  bool     // events in PostgreSQL, no backend recorded
		starts  []string // backends of successive starts
		refused string   // the last start's error, "" when accepted
	}{
		{name: "PostgreSQLAgain", starts: []string{backendPostgres, backendPostgres}},
		{name: "ESDBAgain", starts: []string{backendESDB, backendESDB}},
		{name: "PostgreSQLThenESDB", starts: []string{backendPostgres, backendESDB}, refused: "event log is in PostgreSQL, but EVENTSTORE_URL selects"},
		{name: "ESDBThenPostgreSQL", starts: []string{backendESDB, backendPostgres}, refused: "event log is in EventStoreDB/KurrentDB, but EVENTSTORE_URL is not set"},
		{name: "LegacyThenESDB", legacy: true, starts: []string{backendESDB}, refused: "event log is in PostgreSQL"},
		{name: "LegacyThenPostgreSQL", legacy: true, starts: []string{backendPostgres}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := pgtest.NewPool(t)
			if tc.legacy {
				store := postgres.New(pool, nil)
				_, err := store.Append(t.Context(), domain.ContactStream(uuid.NewString()), domain.NoStream,
					[]domain.EventData{{ID: uuid.NewString(), Type: "ContactRegistered", Data: []byte(`{}`)}})
				store.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			var err error
			for i, kind := range tc.starts {
				err = checkBackend(t.Context(), pool, kind)
				if err != nil && i < len(tc.starts)-1 {
					t.Fatalf("start %d on %s: %v", i+1, kind, err)
				}
			}
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("last start refused: %v", err)
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Fatalf("last start: %v, want a refusal saying %q", err, tc.refused)
			}
		})
	}
}
