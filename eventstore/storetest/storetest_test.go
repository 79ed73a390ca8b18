package storetest_test

import (
	"testing"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/storetest"
)

// TestMemStore runs the suite against an in-memory store, to check the suite
// itself.
func TestMemStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.EventStore { return newMemStore() })
}
