package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

// An import's summary goes to imports when it starts (unfinished: not
// served, but found by Interrupted should its process die), again once its
// file is read, and a last time when it finishes; an import that fails
// before its rows are applied is discarded whole.

// FinishRows ends an import's staging. It writes the outcomes of applied
// rows that could not be written before (unrecorded), rejects as not
// applied the rows still pending when the import stopped early (stopped
// says why) and returns the first of them, erases the rows of contacts
// deleted meanwhile, clears the values a dry run left pending, and counts
// the outcomes.
func (p *Reports) FinishRows(ctx context.Context, importID string, dryRun bool, stopped string, unrecorded []spreadsheet.AppliedRow) (domain.ImportCounts, int, error) {
	var counts domain.ImportCounts
	// Rows applied whose outcome could not be written (the write failed):
	// a second try, before the rows still pending are called not applied.
	if err := p.AppliedRows(ctx, importID, unrecorded); err != nil {
		return counts, 0, err
	}
	var stoppedAt int
	if stopped != "" && !dryRun {
		err := p.Pool.QueryRow(ctx, `SELECT coalesce(min(sheet_row), 0) FROM import_rows WHERE import_id = $1 AND pending IS NOT NULL`, importID).Scan(&stoppedAt)
		if err != nil {
			return counts, 0, fmt.Errorf("finish import rows: %w", err)
		}
		notApplied, err := json.Marshal([]domain.CellError{{Reason: fmt.Sprintf("not applied: the import stopped at row %d (%s)", stoppedAt, stopped)}})
		if err != nil {
			return counts, 0, err
		}
		if _, err := p.Pool.Exec(ctx, `
			UPDATE import_rows r SET `+rejectSet+`$2
			 WHERE import_id = $1 AND pending IS NOT NULL`, importID, notApplied); err != nil {
			return counts, 0, fmt.Errorf("finish import rows: %w", err)
		}
	}
	// A contact deleted while the import ran was erased from the rows
	// staged by then (EraseContact); rows staged after are erased here,
	// once the contacts read model shows the deletion.
	if _, err := p.Pool.Exec(ctx, `
		UPDATE import_rows r SET changes = NULL, errors = NULL, erased = true
		  FROM contacts c
		 WHERE r.import_id = $1 AND c.id = r.contact_id AND c.status = 'deleted' AND NOT r.erased`, importID); err != nil {
		return counts, 0, fmt.Errorf("finish import rows: %w", err)
	}
	if _, err := p.Pool.Exec(ctx, `UPDATE import_rows SET pending = NULL WHERE import_id = $1 AND pending IS NOT NULL`, importID); err != nil {
		return counts, 0, fmt.Errorf("finish import rows: %w", err)
	}
	if dryRun {
		// A dry run registers nobody: the IDs its rows to create were
		// given are no contact's, and never will be (the import draws new
		// ones). A report shows only contacts that exist.
		if _, err := p.Pool.Exec(ctx, `UPDATE import_rows SET contact_id = NULL WHERE import_id = $1 AND outcome = 'created'`, importID); err != nil {
			return counts, 0, fmt.Errorf("finish import rows: %w", err)
		}
	}
	err := p.Pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE outcome = 'created'), count(*) FILTER (WHERE outcome = 'updated'),
		       count(*) FILTER (WHERE outcome = 'unchanged'), count(*) FILTER (WHERE outcome = 'rejected')
		  FROM import_rows WHERE import_id = $1`, importID).
		Scan(&counts.Created, &counts.Updated, &counts.Unchanged, &counts.Rejected)
	if err != nil {
		return counts, 0, fmt.Errorf("count import rows: %w", err)
	}
	return counts, stoppedAt, nil
}

// BeginImport stores the summary of an import that starts, unfinished:
// not served, but found by RecoverInterrupted should its process die.
func (p *Reports) BeginImport(ctx context.Context, r *domain.ImportReport) error {
	raw, err := summaryJSON(r)
	if err != nil {
		return err
	}
	_, err = p.Pool.Exec(ctx, `INSERT INTO imports (id, community_id, dry_run, created_at, report, finished) VALUES ($1, $2, $3, $4, $5, false)`,
		r.ID, r.CommunityID, r.DryRun, r.CreatedAt, raw)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	return nil
}

// SaveSummary stores the summary of a running import as it stands (its
// columns, once read), for RecoverInterrupted.
func (p *Reports) SaveSummary(ctx context.Context, r *domain.ImportReport) error {
	raw, err := summaryJSON(r)
	if err != nil {
		return err
	}
	if _, err := p.Pool.Exec(ctx, `UPDATE imports SET report = $2 WHERE id = $1 AND NOT finished`, r.ID, raw); err != nil {
		return fmt.Errorf("save import summary: %w", err)
	}
	return nil
}

// summaryJSON is a report without its rows, as imports.report keeps it.
func summaryJSON(r *domain.ImportReport) ([]byte, error) {
	head := *r
	head.Rows = nil
	raw, err := json.Marshal(head)
	if err != nil {
		return nil, fmt.Errorf("import summary: %w", err)
	}
	return raw, nil
}

// DiscardImport removes an unfinished import, its summary and rows, in
// one statement; nothing of an import that has finished.
func (p *Reports) DiscardImport(ctx context.Context, importID string) error {
	_, err := p.Pool.Exec(ctx, `
		WITH summary AS (DELETE FROM imports WHERE id = $1 AND NOT finished)
		DELETE FROM import_rows WHERE import_id = $1 AND NOT EXISTS (SELECT 1 FROM imports WHERE id = $1 AND finished)`, importID)
	if err != nil {
		return fmt.Errorf("discard import: %w", err)
	}
	return p.forgetPending(ctx, importID)
}

// forgetPending destroys the key of an import's values to apply: once it
// ends they are in the log, or belong to no one.
func (p *Reports) forgetPending(ctx context.Context, importID string) error {
	if p.Sealer == nil {
		return nil
	}
	return p.Sealer.DestroyOwned(ctx, importID)
}

// FinishImport stores the summary of an import that ended (its rows are in
// import_rows already): from now on it is served.
func (p *Reports) FinishImport(ctx context.Context, r *domain.ImportReport) error {
	raw, err := summaryJSON(r)
	if err != nil {
		return err
	}
	tag, err := p.Pool.Exec(ctx, `UPDATE imports SET report = $2, finished = true WHERE id = $1 AND NOT finished`, r.ID, raw)
	if err != nil {
		return fmt.Errorf("save import report: %w", err)
	}
	if err := p.forgetPending(ctx, r.ID); err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		// Finished by RecoverInterrupted (this process lost its hold on the
		// import: its connection to the database died, and another took it
		// for interrupted; that report stands), or its summary is gone:
		// then its rows have nothing to be found by, and go too.
		return errors.Join(domain.Errorf(domain.EINTERNAL, "import %s was recovered as interrupted, or removed, while it ran", r.ID),
			p.DiscardImport(ctx, r.ID))
	}
	return nil
}
