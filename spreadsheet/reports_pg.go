package spreadsheet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
)

// PGReports keeps import reports in PostgreSQL (table imports).
type PGReports struct {
	Pool *pgxpool.Pool
}

// Save implements ReportStore.
func (p *PGReports) Save(ctx context.Context, r *Report) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save import report: %w", err)
	}
	_, err = p.Pool.Exec(ctx, `INSERT INTO imports (id, community_id, dry_run, created_at, report) VALUES ($1, $2, $3, $4, $5)`,
		r.ID, r.CommunityID, r.DryRun, r.CreatedAt, raw)
	if err != nil {
		return fmt.Errorf("save import report: %w", err)
	}
	return nil
}

// Report implements ReportStore.
func (p *PGReports) Report(ctx context.Context, communityID, id string) (*Report, error) {
	if !domain.ValidID(id) {
		return nil, domain.Errorf(domain.ENOTFOUND, "import %s not found", id)
	}
	var raw, revert []byte
	err := p.Pool.QueryRow(ctx, `SELECT report, revert FROM imports WHERE id = $1 AND community_id = $2`, id, communityID).Scan(&raw, &revert)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "import %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read import report: %w", err)
	}
	r := &Report{}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("read import report: %w", err)
	}
	r.CommunityID = communityID
	if revert != nil {
		r.Revert = &RevertReport{}
		if err := json.Unmarshal(revert, r.Revert); err != nil {
			return nil, fmt.Errorf("read import revert: %w", err)
		}
	}
	return r, nil
}

// SaveRevert implements ReportStore.
func (p *PGReports) SaveRevert(ctx context.Context, communityID, id string, revert *RevertReport) error {
	raw, err := json.Marshal(revert)
	if err != nil {
		return fmt.Errorf("save import revert: %w", err)
	}
	tag, err := p.Pool.Exec(ctx, `UPDATE imports SET revert = $3, reverted_at = $4 WHERE id = $1 AND community_id = $2 AND revert IS NULL`,
		id, communityID, raw, revert.RevertedAt)
	if err != nil {
		return fmt.Errorf("save import revert: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return domain.Errorf(domain.ECONFLICT, "import %s was reverted already", id)
	}
	return nil
}
