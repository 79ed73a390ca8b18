package postgres_test

import (
	"testing"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/eventstore/storetest"
	"github.com/assoc/contacts/pgtest"
)

// BenchmarkStore measures the backend on a fresh pgtest database, with the
// workload the EventStoreDB backend is measured with.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) domain.EventStore {
		s := postgres.New(pgtest.NewPool(b), nil)
		b.Cleanup(s.Close)
		return s
	})
}
