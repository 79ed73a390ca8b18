package memory_test

import (
	"testing"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/memory"
	"github.com/assoc/contacts/eventstore/storetest"
)

// TestContract: the store in memory keeps the contract of every backend
// (and checks the suite itself).
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.EventStore { return memory.New() })
}
