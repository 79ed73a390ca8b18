package spreadsheet

import (
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
)

// Service exports contacts to workbooks and imports workbooks as commands.
type Service struct {
	// Handler runs the commands an import issues.
	Handler *domain.Handler
	// Queries lists the contacts an export writes.
	Queries *projections.Queries
	// Reports keeps import reports.
	Reports ReportStore
	// Fresh, when set, lets an import trust the contacts read model while
	// it has applied the whole log (see fastpath.go). Without it every row
	// is loaded from the log.
	Fresh Freshness
	// Workers bounds how many rows an import applies at once (default 8):
	// each row is a few round trips to the store, and rows are independent.
	Workers int
	// Now stamps reports (time.Now when nil).
	Now func() time.Time
}

func (s *Service) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return 8
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
