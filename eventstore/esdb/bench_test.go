package esdb_test

import (
	"testing"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/esdb"
	"github.com/assoc/contacts/eventstore/esdb/esdbtest"
	"github.com/assoc/contacts/eventstore/storetest"
)

// BenchmarkStore measures the backend through the real client and a real
// gRPC connection on the in-process fake: the client's and the
// connection's costs, not a real server's (whose disk writes come on top).
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) domain.EventStore {
		s, err := esdb.Open(b.Context(), esdbtest.New(b).URL(), esdb.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
