package spreadsheet

import "time"

// Row outcomes.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
	Rejected  = "rejected"
)

// Report is what an import did (or, for a dry run, would do), row by row.
type Report struct {
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
	UnknownColumns []string `json:"unknown_columns"`
	Counts         Counts   `json:"counts"`
	// Rows is what became of each row, in sheet order. The service keeps
	// them in PostgreSQL, not here: PGReports.Report loads them, and
	// PGReports.WriteJSON streams them.
	Rows []RowOutcome `json:"rows,omitempty"`
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
	Revert *RevertReport `json:"revert,omitempty"`
}

// Counts sums the outcomes of the rows.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// RowOutcome is what became of one row.
type RowOutcome struct {
	Row       int    `json:"row"`
	Outcome   string `json:"outcome"`
	ContactID string `json:"contact_id,omitempty"`
	// Version is the contact's version after the import's change: a revert
	// undoes the change only if the contact is still at it.
	Version int64         `json:"version,omitempty"`
	Changes []FieldChange `json:"changes,omitempty"`
	Errors  []CellError   `json:"errors,omitempty"`
	// Erased is set once the contact was deleted: its changes and errors,
	// which held its values, are gone (see EraseContact).
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

// RevertReport is what a revert did, contact by contact.
type RevertReport struct {
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
