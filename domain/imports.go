package domain

import (
	"context"
	"io"
	"time"
)

// Imports is the Excel import and export service as the adapters that
// serve people (the HTTP API, the console, the command line) use it
// (*spreadsheet.Service is one). Workbooks go in and out as bytes; what
// an import did comes back as an ImportReport, whose rows are read from
// the store a page at a time (a report has as many rows as its file).
type Imports interface {
	// Import reads req's workbook, matches each row to a contact, decides
	// what it changes with the domain's rules and, unless req.DryRun,
	// applies it; it stores and returns the report, without its rows.
	// Errors: EINVALID naming "file" for a workbook refused whole (nothing
	// changed); EUNAVAILABLE while other imports hold every turn (retry
	// after ImportRetryAfter). An import stopped early (its caller left)
	// returns its report, which says where it stopped, with the error.
	Import(ctx context.Context, req ImportRequest) (*ImportReport, error)
	// ImportSummary returns one of a community's import reports, without
	// its rows (ENOTFOUND when the community has none of that ID).
	ImportSummary(ctx context.Context, communityID, id string) (*ImportReport, error)
	// ImportRows calls fn with each row of a report, in sheet order.
	ImportRows(ctx context.Context, rep *ImportReport, fn func(ImportRow) error) error
	// WriteImportReport writes a report as JSON (the shape of ImportReport,
	// "rows" last), its rows streamed. Nothing is written before the first
	// page of rows is read.
	WriteImportReport(ctx context.Context, w io.Writer, rep *ImportReport) error
	// ListImports returns a page of a community's imports, newest first,
	// without their rows; cursor is a previous page's NextCursor ("" for
	// the first). EINVALID naming "cursor" for a cursor it did not make.
	ListImports(ctx context.Context, communityID, cursor string, limit int) (ImportPage, error)
	// RevertImport undoes an import with new events and returns its report
	// with the revert's. ECONFLICT for a dry run or an import reverted
	// already; ENOTFOUND for no such import.
	RevertImport(ctx context.Context, caller Caller, importID string) (*ImportReport, error)
	// Export writes the contacts q selects to w as an .xlsx workbook.
	Export(ctx context.Context, w io.Writer, q ExportQuery) error
	// Template writes a workbook of the community's columns and no
	// contact: what an import of new contacts starts from.
	Template(ctx context.Context, w io.Writer, communityID string) error
}

// ImportRetryAfter is how long a client refused a turn should wait before
// it tries again: a dry run of 10,000 rows takes about a second, one of
// 100,000 rows about seven.
const ImportRetryAfter = 5 * time.Second

// ImportRequest is one workbook to import.
type ImportRequest struct {
	// Caller issues the commands; its CorrelationID is replaced by the
	// import's ID, which every event of the import carries.
	Caller   Caller
	FileName string
	Data     []byte
	// Upload, when Data is nil, reads the file (its name and bytes) once
	// the import has its turn: an upload that waits for it waits in the
	// network, not in memory.
	Upload func() (name string, data []byte, err error)
	// DryRun decides every row and reports, but changes nothing.
	DryRun bool
}

// ExportQuery says which contacts an export writes.
type ExportQuery struct {
	CommunityID string
	Archived    bool   // the archived contacts instead of the active ones
	Search      string // as the lists' q=
	// IDs, when set, limits the export to these contacts of the list (a
	// selection), in their order: at most one page (1000) of them.
	IDs []string
}

// Row outcomes of an import.
const (
	RowCreated   = "created"
	RowUpdated   = "updated"
	RowUnchanged = "unchanged"
	RowRejected  = "rejected"
)

// ImportReport is what an import did (or, for a dry run, would do), row
// by row.
type ImportReport struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"-"`
	DryRun      bool      `json:"dry_run"`
	FileName    string    `json:"file_name"`
	Sheet       string    `json:"sheet"`
	Actor       string    `json:"actor"`
	CreatedAt   time.Time `json:"created_at"`
	// Columns maps each used header to the field key it fills.
	Columns map[string]string `json:"columns"`
	// UnknownColumns are headers that name no field: ignored.
	UnknownColumns []string     `json:"unknown_columns"`
	Counts         ImportCounts `json:"counts"`
	// Rows is what became of each row, in sheet order. The service keeps
	// them in its store, not here: Imports.ImportRows reads them, and
	// Imports.WriteImportReport streams them.
	Rows []ImportRow `json:"rows,omitempty"`
	// Position is the log position of the import's last event: read with
	// after= to see every change it made.
	Position string `json:"position"`
	// StoppedAtRow is, for an import that stopped before its end, the
	// first row it left not applied (that row and the rows to apply after
	// it are rejected as "not applied"); StoppedReason says why ("the
	// client left", a failure of the store).
	StoppedAtRow  int    `json:"stopped_at_row,omitempty"`
	StoppedReason string `json:"stopped_reason,omitempty"`
	// Revert is set once the import has been reverted.
	Revert *ImportRevert `json:"revert,omitempty"`
}

// ImportCounts sums the outcomes of an import's rows.
type ImportCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// ImportRow is what became of one row.
type ImportRow struct {
	Row       int    `json:"row"`
	Outcome   string `json:"outcome"`
	ContactID string `json:"contact_id,omitempty"`
	// Version is the contact's version after the import's change: a revert
	// undoes the change only if the contact is still at it.
	Version int64         `json:"version,omitempty"`
	Changes []FieldChange `json:"changes,omitempty"`
	Errors  []CellError   `json:"errors,omitempty"`
	// Erased is set once the contact was deleted: its changes and errors,
	// which held its values, are gone.
	Erased bool `json:"erased,omitempty"`
}

// FieldChange is one field an update changed, from Old to New ("" = empty).
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// CellError says why a row was rejected: the cell (or just the column, or
// nothing for a rule about the whole row) and the reason.
type CellError struct {
	Cell   string `json:"cell,omitempty"`
	Column string `json:"column,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// ImportRevert is what a revert did, contact by contact.
type ImportRevert struct {
	ID         string          `json:"id"`
	RevertedAt time.Time       `json:"reverted_at"`
	Actor      string          `json:"actor"`
	Reverted   int             `json:"reverted"`
	Archived   int             `json:"archived"`
	Skipped    int             `json:"skipped"`
	Contacts   []RevertOutcome `json:"contacts"`
	Position   string          `json:"position"`
}

// RevertOutcome is what a revert did to one contact.
type RevertOutcome struct {
	Row       int    `json:"row"`
	ContactID string `json:"contact_id"`
	// Outcome is "reverted" (values restored), "archived" (a contact the
	// import created) or "skipped" (Reason says why).
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// ImportPage is one page of a community's imports, newest first.
type ImportPage struct {
	Items []*ImportReport
	// NextCursor reads the next page ("" on the last).
	NextCursor string
}
