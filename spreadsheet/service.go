package spreadsheet

import (
	"context"
	"sync"
	"time"

	"github.com/assoc/contacts/domain"
)

// Service exports contacts to workbooks and imports workbooks as commands.
type Service struct {
	// Handler runs the commands an import issues.
	Handler *domain.Handler
	// Queries lists the contacts an export writes, and the contacts an
	// import may settle without loading them (see fastpath.go).
	Queries ContactLister
	// Reports keeps import reports, and the rows of an import while it runs.
	Reports Store
	// CaughtUp, when set, lets an import trust the contacts read model while
	// it has applied the whole log (see fastpath.go). Without it every row
	// is loaded from the log.
	CaughtUp CaughtUpCheck
	// Workers bounds how many rows an import handles at once (default 16):
	// each row is a few round trips to the store that wait on the disk,
	// not the CPU, and rows are independent (docs/BENCHMARKS.md, "Settings
	// chosen from measurements"); the pool's size bounds the connections
	// they use anyway.
	Workers int
	// MaxImports bounds the imports, dry runs included, that read and
	// match their file at once (default 2: reading a sheet is one core's
	// work, and the service's machine has 2; a file being read is most of
	// an import's memory). The others wait their turn, up to ImportWait.
	MaxImports int
	// ImportWait is how long an import waits for its turn before it is
	// refused with EUNAVAILABLE (default 5 s).
	ImportWait time.Duration
	// Now stamps reports (time.Now when nil).
	Now func() time.Time

	turns     chan struct{} // one token per import reading at once
	turnsOnce sync.Once
}

// ContactLister is what the service reads of the contacts read model
// (*projections.Queries is one).
type ContactLister interface {
	// Fields returns the community's fields, built-ins first.
	Fields(ctx context.Context, communityID string) ([]domain.Field, error)
	// ListContacts returns a page of a contact list.
	ListContacts(ctx context.Context, q domain.ListQuery) (domain.ContactPage, error)
	// ContactsByID returns the community's contacts of ids, by ID (those
	// it has).
	ContactsByID(ctx context.Context, communityID string, ids []string) (map[string]domain.ContactView, error)
}

func (s *Service) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return 16
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
