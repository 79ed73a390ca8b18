package console

import (
	"context"
	"io"
	"time"

	"github.com/assoc/contacts/domain"
)

// Workbooks imports and exports .xlsx workbooks for the console: a port of
// its own, so that the service behind it (today *spreadsheet.Service,
// through an adapter in package http) can change without the pages.
type Workbooks interface {
	// Export writes the contacts q selects as an .xlsx workbook.
	Export(ctx context.Context, w io.Writer, q ExportQuery) error
	// Import reads a workbook and applies it, or only reports what it
	// would do (dryRun). EINVALID (field "file") for a file that is not a
	// workbook; EUNAVAILABLE when other imports hold every turn.
	Import(ctx context.Context, caller domain.Caller, fileName string, data []byte, dryRun bool) (ImportReport, error)
	// Report reads a stored import report (ENOTFOUND for another
	// community's).
	Report(ctx context.Context, communityID, id string) (ImportReport, error)
	// Revert undoes an import's changes where the contacts have not
	// changed since.
	Revert(ctx context.Context, caller domain.Caller, id string) (ImportReport, error)
}

// ExportQuery selects the contacts an export writes.
type ExportQuery struct {
	CommunityID string
	Archived    bool
	Search      string
	// IDs limits the export to a selection.
	IDs []string
	// HeaderOnly writes an empty template of the community's columns.
	HeaderOnly bool
}

// ImportReport is what an import did, or would do (a dry run).
type ImportReport struct {
	ID        string
	FileName  string
	DryRun    bool
	CreatedAt time.Time
	Counts    ImportCounts
	// Rows are the rows that change something or are rejected, in sheet
	// order, at most maxReportRows of them; MoreRows counts the others.
	Rows     []ImportRow
	MoreRows int
	// UnknownColumns are headers that name no field (ignored).
	UnknownColumns []string
	// Stopped says why an import stopped before its end ("" when it did
	// not).
	Stopped string
	// Reverted is set once the import was reverted, with its counts.
	Reverted *RevertCounts
	Position domain.Position
}

// ImportCounts sums the rows' outcomes.
type ImportCounts struct {
	Created, Updated, Unchanged, Rejected int
}

// RevertCounts sums what a revert did.
type RevertCounts struct {
	At                          time.Time
	Reverted, Archived, Skipped int
}

// ImportRow is one row of a report: what became of it, its changes (old →
// new) or the reasons it was rejected.
type ImportRow struct {
	Row       int
	Outcome   string
	ContactID string
	Changes   []ImportChange
	Errors    []ImportError
}

// ImportChange is one field a row changes.
type ImportChange struct {
	Field, Old, New string
}

// ImportError is why a row was rejected: its cell or column, and why.
type ImportError struct {
	Cell, Column, Reason string
}

// MaxReportRows is how many rows of a report a page shows.
const MaxReportRows = 500
