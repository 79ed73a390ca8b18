package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

// While an import runs, each row goes to import_rows as soon as it is
// decided (with, for a row to apply, its values), and its keys go to a
// temporary table of the import's own connection (keyStage, run.go); the checks
// across rows are queries on them, and the rows to apply are read back a
// page at a time. The import's memory is then the rows in flight, however
// long the file. The keys vanish with the connection; FinishRows clears
// the values still pending.

var stagedColumns = []string{"import_id", "sheet_row", "outcome", "contact_id", "version", "changes", "errors", "pending"}

// StageRows writes decided rows, their personal values sealed (see
// sealing.go). A dry run keeps no values to apply: it applies nothing.
func (p *Reports) StageRows(ctx context.Context, importID string, dryRun bool, plans []*spreadsheet.DecidedRow) error {
	id, err := uuid.Parse(importID)
	if err != nil {
		return fmt.Errorf("stage import rows: %w", err)
	}
	rows := make([][]any, 0, len(plans))
	owners := make([]string, 0, 2*len(plans))
	personal := make([]any, 0, 2*len(plans)) // per row: its changes, then its values to apply
	for _, pl := range plans {
		o := pl.Result()
		contact, err := uuidOrNull(o.ContactID)
		if err != nil {
			return fmt.Errorf("stage import row %d: %w", pl.Number, err)
		}
		errs, err := jsonOrNull(len(o.Errors) > 0, scrubbed(o.Errors))
		if err != nil {
			return err
		}
		var changes, pending any
		if len(o.Changes) > 0 && o.ContactID != "" {
			changes = o.Changes
		}
		if !dryRun && (o.Outcome == domain.RowCreated || o.Outcome == domain.RowUpdated) && o.ContactID != "" {
			pending = pl.Values
		}
		owners, personal = append(owners, o.ContactID, importID), append(personal, changes, pending)
		rows = append(rows, []any{[16]byte(id), int32(pl.Number), o.Outcome, contact, o.Version, nil, errs, nil})
	}
	sealed, err := p.sealJSON(ctx, owners, personal)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i][5], rows[i][7] = sealed[2*i], sealed[2*i+1]
	}
	if _, err := p.Pool.CopyFrom(ctx, pgx.Identifier{"import_rows"}, stagedColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("stage import rows: %w", err)
	}
	return nil
}

func uuidOrNull(s string) (pgtype.UUID, error) {
	if s == "" {
		return pgtype.UUID{}, nil
	}
	u, err := uuid.Parse(s)
	return pgtype.UUID{Bytes: u, Valid: err == nil}, err
}

func jsonOrNull(present bool, v any) (any, error) {
	if !present {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("stage import row: %w", err)
	}
	return raw, nil
}

// SharedContacts finds the contacts more than one accepted row matched.
func (p *Reports) SharedContacts(ctx context.Context, importID string) ([]spreadsheet.SharedKey, error) {
	rows, err := p.Pool.Query(ctx, `
		SELECT contact_id::text, array_agg(sheet_row ORDER BY sheet_row)
		  FROM import_rows
		 WHERE import_id = $1 AND outcome <> 'rejected' AND contact_id IS NOT NULL
		 GROUP BY contact_id HAVING count(*) > 1
		 ORDER BY contact_id`, importID)
	if err != nil {
		return nil, fmt.Errorf("check the rows' contacts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (spreadsheet.SharedKey, error) {
		var k spreadsheet.SharedKey
		err := r.Scan(&k.Key, &k.Rows)
		return k, err
	})
}

// rejectSet is what rejecting a row sets, followed by the errors to add:
// a rejected row applies nothing, and reports no changes and no version,
// and only a contact it really matched (not the ID a new contact would
// have had).
const rejectSet = `outcome = 'rejected', changes = NULL, pending = NULL, version = 0,
	contact_id = CASE WHEN r.outcome = 'created' THEN NULL ELSE r.contact_id END,
	errors = coalesce(r.errors, '[]'::jsonb) || `

// RejectRows rejects rows with more errors (row number → errors).
func (p *Reports) RejectRows(ctx context.Context, importID string, errs map[int][]domain.CellError) error {
	if len(errs) == 0 {
		return nil
	}
	numbers := make([]int32, 0, len(errs))
	lists := make([][]byte, 0, len(errs))
	for n, e := range errs {
		raw, err := json.Marshal(scrubbed(e))
		if err != nil {
			return err
		}
		numbers, lists = append(numbers, int32(n)), append(lists, raw)
	}
	_, err := p.Pool.Exec(ctx, `
		UPDATE import_rows r SET `+rejectSet+`e.errors
		  FROM unnest($2::int[], $3::jsonb[]) AS e (sheet_row, errors)
		 WHERE r.import_id = $1 AND r.sheet_row = e.sheet_row`, importID, numbers, lists)
	if err != nil {
		return fmt.Errorf("reject import rows: %w", err)
	}
	return nil
}

// PendingRows reads the next page of rows still to apply, after row.
func (p *Reports) PendingRows(ctx context.Context, importID string, after int) ([]spreadsheet.PendingRow, error) {
	rows, err := p.Pool.Query(ctx, `
		SELECT sheet_row, outcome, coalesce(contact_id::text, ''), version, pending
		  FROM import_rows
		 WHERE import_id = $1 AND sheet_row > $2 AND pending IS NOT NULL
		 ORDER BY sheet_row LIMIT $3`, importID, after, rowsPage)
	if err != nil {
		return nil, fmt.Errorf("read the rows to apply: %w", err)
	}
	var sealed [][]byte
	page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (spreadsheet.PendingRow, error) {
		var pr spreadsheet.PendingRow
		var values []byte
		err := r.Scan(&pr.Number, &pr.Outcome, &pr.ContactID, &pr.Version, &values)
		sealed = append(sealed, values)
		return pr, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the rows to apply: %w", err)
	}
	dst := make([]any, len(page))
	for i := range page {
		dst[i] = &page[i].Values
	}
	erased, err := p.openJSON(ctx, sealed, dst)
	if err != nil {
		return nil, fmt.Errorf("read the rows to apply: %w", err)
	}
	for i := range page {
		if erased[i] { // its contact was deleted meanwhile: nothing to apply
			page[i].Values = map[string]string{}
		}
	}
	return page, nil
}

// AppliedRows records what applying rows did: the contact's new version,
// or the rejection; their values are no longer kept.
func (p *Reports) AppliedRows(ctx context.Context, importID string, applied []spreadsheet.AppliedRow) error {
	if len(applied) == 0 {
		return nil
	}
	var (
		numbers  []int32
		versions []int64
		rejected = map[int][]domain.CellError{}
	)
	for _, a := range applied {
		switch {
		case !a.Applied:
		case len(a.Errors) > 0:
			rejected[a.Number] = a.Errors
		default:
			numbers, versions = append(numbers, int32(a.Number)), append(versions, a.Version)
		}
	}
	_, err := p.Pool.Exec(ctx, `
		UPDATE import_rows r SET version = a.version, pending = NULL
		  FROM unnest($2::int[], $3::bigint[]) AS a (sheet_row, version)
		 WHERE r.import_id = $1 AND r.sheet_row = a.sheet_row`, importID, numbers, versions)
	if err != nil {
		return fmt.Errorf("record applied import rows: %w", err)
	}
	return p.RejectRows(ctx, importID, rejected)
}
