package spreadsheet

import (
	"context"
	"errors"
	"time"

	"github.com/assoc/contacts/domain"
)

// Store keeps import reports, and the rows of an import while it runs:
// each row staged as soon as it is decided (a row to apply with its
// values), its keys in the import's Run, so that the checks across rows
// are queries, the rows to apply are read back a page at a time, and the
// import's memory is its rows in flight, however long the file. The store
// seals the personal values it keeps, so that deleting a contact erases
// them. (spreadsheet/postgres.Reports is one.)
type Store interface {
	// OpenRun opens the store's side of one running import.
	OpenRun(ctx context.Context) (Run, error)
	// BeginImport stores the summary of an import that starts, unfinished:
	// not served, but found by Interrupted should its process die.
	BeginImport(ctx context.Context, r *domain.ImportReport) error
	// SaveSummary stores the summary of a running import as it stands.
	SaveSummary(ctx context.Context, r *domain.ImportReport) error
	// StageRows writes decided rows (a dry run keeps no values to apply).
	StageRows(ctx context.Context, importID string, dryRun bool, rows []*DecidedRow) error
	// SharedContacts finds the contacts more than one accepted row matched.
	SharedContacts(ctx context.Context, importID string) ([]SharedKey, error)
	// RejectRows rejects rows with more errors (row number → errors).
	RejectRows(ctx context.Context, importID string, errs map[int][]domain.CellError) error
	// PendingRows reads the next page of rows still to apply, after row.
	PendingRows(ctx context.Context, importID string, after int) ([]PendingRow, error)
	// AppliedRows records what applying rows did; their values go.
	AppliedRows(ctx context.Context, importID string, rows []AppliedRow) error
	// FinishRows ends an import's staging: it records unrecorded (applied,
	// their outcome not written yet), rejects as not applied the rows
	// still pending when the import stopped early (stopped says why, ""
	// when it did not) and returns the first of them, and counts the
	// outcomes.
	FinishRows(ctx context.Context, importID string, dryRun bool, stopped string, unrecorded []AppliedRow) (domain.ImportCounts, int, error)
	// FinishImport stores the summary of an import that ended: from now
	// on it is served. EINTERNAL when it was recovered as interrupted, or
	// removed, meanwhile.
	FinishImport(ctx context.Context, r *domain.ImportReport) error
	// DiscardImport removes an unfinished import, its summary and rows.
	DiscardImport(ctx context.Context, importID string) error

	// Summary returns a community's finished report without its rows
	// (ENOTFOUND when it has none of that ID).
	Summary(ctx context.Context, communityID, id string) (*domain.ImportReport, error)
	// EachRow calls fn with each row of a report, in sheet order.
	EachRow(ctx context.Context, importID string, fn func(domain.ImportRow) error) error
	// List returns a page of a community's finished imports, newest first.
	List(ctx context.Context, communityID, cursor string, limit int) (domain.ImportPage, error)
	// SaveRevert records the revert of a report (ECONFLICT when it was
	// reverted already).
	SaveRevert(ctx context.Context, communityID, id string, revert *domain.ImportRevert) error

	// Interrupted lists the unfinished imports whose last heartbeat is
	// older than RecoverAfter, oldest first.
	Interrupted(ctx context.Context) ([]Unfinished, error)
	// ClaimInterrupted holds an unfinished import that no running import
	// holds (its process died), until release; claimed is false when it
	// runs, or was finished meanwhile. Its summary comes back.
	ClaimInterrupted(ctx context.Context, id string) (rep *domain.ImportReport, release func(), claimed bool, err error)
}

// Run is the store's side of one running import, on a connection of its
// own. Its methods are safe for the stager and the heartbeat at once.
type Run interface {
	// Hold marks the import as running for as long as the run lives, on
	// any node: a process that dies loses its hold at once.
	Hold(ctx context.Context, importID string) error
	// KeepHold says the import runs, every second, until ctx ends; when
	// it cannot, the import has lost its hold, and stop stops it with
	// ErrLostHold.
	KeepHold(ctx context.Context, importID string, stop context.CancelCauseFunc)
	// AddKeys stages the keys of decided rows.
	AddKeys(ctx context.Context, rows []*DecidedRow) error
	// SharedKeys finds the keys more than one row claims (every row
	// counts, rejected or not): contact IDs first, then emails, then
	// external IDs.
	SharedKeys(ctx context.Context) ([]SharedKey, error)
	// Close lets the run go: its keys and its hold.
	Close()
}

// SharedKey is a key that several rows of one file claim, or a contact
// that several rows matched (then Kind is "").
type SharedKey struct {
	Kind string // ContactIDKey, domain.KeyEmail or domain.KeyExternalID
	Key  string
	Rows []int
}

// ContactIDKey is the kind of a contact ID among a row's keys (and the
// pseudo-field key of the contact ID column).
const ContactIDKey = idColumn

// Unfinished is an import its process left unfinished.
type Unfinished struct {
	ID     string
	DryRun bool
}

// RecoverAfter is how old a running import's last heartbeat must be for
// RecoverInterrupted to take it for dead: far longer than a beat (a
// second), and than the rows in flight take to finish once a beat fails.
const RecoverAfter = 10 * time.Second

// ErrLostHold stops an import whose connection, and with it its hold on
// the import, is gone: another process may take it for interrupted.
var ErrLostHold = errors.New("the import lost its connection to the database, and with it its hold on the import")
