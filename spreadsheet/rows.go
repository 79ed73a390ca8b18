package spreadsheet

import (
	"errors"
	"strconv"
	"strings"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// A row goes through an import as one type per stage: read and parsed
// (sheetRow), matched to its contact (matchedRow), decided (DecidedRow,
// which the store stages); then, for a real import, read back from the
// store (PendingRow) and applied (AppliedRow). Each holds what its stage
// needs and nothing more: every row of the file is decided before any is
// applied, so what a decided row keeps is small.

// RowKeys are the keys a row claims: its contact ID, its email
// (lower-cased) and its external ID ("" when it has none). No two rows of
// one file may claim one key.
type RowKeys struct {
	ID, Email, ExternalID string
}

// sheetRow is one data row as read: its values by field key, normalised
// ("" for a #CLEAR cell), and what is wrong with its cells.
type sheetRow struct {
	number int
	keys   RowKeys
	values map[string]string
	errs   []domain.CellError
	weight int64 // what the row counts for in its import's rowsInFlight
}

// matchedRow is a row with the contact it names, nil for a new one.
type matchedRow struct {
	*sheetRow
	contact *domain.Contact
}

// DecidedRow is what a row does, as the import stages it.
type DecidedRow struct {
	Number int
	Keys   RowKeys
	// Outcome is domain.RowCreated, RowUpdated, RowUnchanged or
	// RowRejected (then Errors says why).
	Outcome   string
	ContactID string // the contact it matched, or the ID a new one gets
	// Version is the contact's version the row was decided at: an update
	// applies only to it.
	Version int64
	Changes []domain.FieldChange
	Errors  []domain.CellError
	// Values are what a row to create or update applies (nil otherwise).
	Values map[string]string
	weight int64
}

// PendingRow is a row still to apply, read back from the store.
type PendingRow struct {
	Number    int
	Outcome   string // domain.RowCreated or RowUpdated
	ContactID string
	Version   int64 // decided at (updates)
	Values    map[string]string
}

// AppliedRow is what applying a row did.
type AppliedRow struct {
	Number int
	// Applied is set once its command ran: then Version and Position are
	// the contact's, or Errors says why the command refused it.
	Applied  bool
	Version  int64
	Position domain.Position
	Errors   []domain.CellError
}

// rejected decides a row that is not to apply: its errors, and the
// contact it matched ("" when none).
func rejected(r *sheetRow, contactID string, errs ...domain.CellError) *DecidedRow {
	return &DecidedRow{Number: r.number, Keys: r.keys, Outcome: domain.RowRejected, ContactID: contactID,
		Errors: append(r.errs, errs...), weight: r.weight}
}

// Result is the row's outcome for the report.
func (d *DecidedRow) Result() domain.ImportRow {
	o := domain.ImportRow{Row: d.Number, Outcome: d.Outcome, ContactID: d.ContactID, Changes: d.Changes, Errors: d.Errors}
	if d.Outcome == domain.RowCreated || d.Outcome == domain.RowUpdated {
		o.Version = d.Version
	}
	return o
}

// domainError is a domain decision's refusal as a row's error, naming
// the column (and cell) of the field at fault.
func domainError(err error, h header, row int) domain.CellError {
	e := domain.CellError{Reason: domain.ErrorMessage(err)}
	var de *domain.Error
	if errors.As(err, &de) && de.Field != "" {
		e.Field = de.Field
		if i, ok := h.byKey[de.Field]; ok {
			col := h.columns[i]
			e.Column, e.Cell = col.header, xlsx.CellName(col.index, row)
		}
	}
	return e
}

// otherRows lists the row numbers of rows other than n.
func otherRows(rows []int, n int) string {
	var others []string
	for _, o := range rows {
		if o != n {
			others = append(others, strconv.Itoa(o))
		}
	}
	return strings.Join(others, ", ")
}
