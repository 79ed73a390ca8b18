package projections

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// TestStatusMovesRunOncePerContact: one UPDATE changes a row once, so a
// contact moved twice must start a second run (else PostgreSQL would keep
// one of its moves, whichever it met first).
func TestStatusMovesRunOncePerContact(t *testing.T) {
	b := &pgx.Batch{}
	var m statusMoves
	r := domain.RecordedEvent{RecordedAt: time.Now()}
	m.add(b, "a", domain.StatusArchived, domain.Metadata{}, r)
	m.add(b, "b", domain.StatusArchived, domain.Metadata{}, r)
	if b.Len() != 0 {
		t.Fatalf("%d statements queued for two contacts, want none yet", b.Len())
	}
	m.add(b, "a", domain.StatusActive, domain.Metadata{}, r)
	m.flush(b)
	if b.Len() != 2 {
		t.Fatalf("%d statements for a, b, then a again, want 2", b.Len())
	}
	if got := b.QueuedQueries[1].Arguments[0].([]string); len(got) != 1 || got[0] != "a" {
		t.Fatalf("second run %v, want [a]", got)
	}
}
