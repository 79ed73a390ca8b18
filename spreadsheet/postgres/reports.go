package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

// Reports keeps import reports in PostgreSQL: each report's summary in
// table imports, its rows in import_rows (written while the import runs,
// see staging.go), so no report is ever held whole in memory.
type Reports struct {
	Pool *pgxpool.Pool
	// Sealer seals the personal values reports keep (see sealing.go).
	Sealer Sealer
}

var (
	_ spreadsheet.Store = (*Reports)(nil)
	_ spreadsheet.Run   = (*keyStage)(nil)
)

// rowsPage is how many report rows one query reads.
const rowsPage = 1000

// Summary returns a community's report by ID without its rows (ENOTFOUND
// when it has none).
func (p *Reports) Summary(ctx context.Context, communityID, id string) (*domain.ImportReport, error) {
	if !domain.ValidID(id) {
		return nil, domain.Errorf(domain.ENOTFOUND, "import %s not found", id)
	}
	var raw, revert []byte
	err := p.Pool.QueryRow(ctx, `SELECT report, revert FROM imports WHERE id = $1 AND community_id = $2 AND finished`, id, communityID).Scan(&raw, &revert)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.ENOTFOUND, "import %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read import report: %w", err)
	}
	r := &domain.ImportReport{}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("read import report: %w", err)
	}
	r.CommunityID = communityID
	if revert != nil {
		r.Revert = &domain.ImportRevert{}
		if err := json.Unmarshal(revert, r.Revert); err != nil {
			return nil, fmt.Errorf("read import revert: %w", err)
		}
	}
	return r, nil
}

// domain.ImportReport returns a community's report by ID with all its rows.
func (p *Reports) Report(ctx context.Context, communityID, id string) (*domain.ImportReport, error) {
	r, err := p.Summary(ctx, communityID, id)
	if err != nil {
		return nil, err
	}
	r.Rows = []domain.ImportRow{}
	err = p.EachRow(ctx, id, func(o domain.ImportRow) error {
		r.Rows = append(r.Rows, o)
		return nil
	})
	return r, err
}

// EachRow calls fn with each row of a report, in sheet order, read a page
// at a time.
func (p *Reports) EachRow(ctx context.Context, importID string, fn func(domain.ImportRow) error) error {
	after := 0
	for {
		rows, err := p.Pool.Query(ctx, `
			SELECT sheet_row, outcome, coalesce(contact_id::text, ''), version, changes, errors, erased
			  FROM import_rows
			 WHERE import_id = $1 AND sheet_row > $2
			 ORDER BY sheet_row LIMIT $3`, importID, after, rowsPage)
		if err != nil {
			return fmt.Errorf("read import rows: %w", err)
		}
		var sealed [][]byte
		page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.ImportRow, error) {
			var (
				o               domain.ImportRow
				changes, errors []byte
			)
			if err := r.Scan(&o.Row, &o.Outcome, &o.ContactID, &o.Version, &changes, &errors, &o.Erased); err != nil {
				return o, err
			}
			sealed = append(sealed, changes)
			return o, unmarshalIf(errors, &o.Errors)
		})
		if err != nil {
			return fmt.Errorf("read import rows: %w", err)
		}
		dst := make([]any, len(page))
		for i := range page {
			dst[i] = &page[i].Changes
		}
		erased, err := p.openJSON(ctx, sealed, dst)
		if err != nil {
			return fmt.Errorf("read import rows: %w", err)
		}
		for i := range page {
			if erased[i] {
				page[i].Changes, page[i].Erased = nil, true
			}
		}
		for _, o := range page {
			if err := fn(o); err != nil {
				return err
			}
		}
		if len(page) < rowsPage {
			return nil
		}
		after = page[len(page)-1].Row
	}
}

func unmarshalIf(raw []byte, v any) error {
	if raw == nil {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// SaveRevert records the revert of a report; ECONFLICT when the import was
// reverted already.
func (p *Reports) SaveRevert(ctx context.Context, communityID, id string, revert *domain.ImportRevert) error {
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

// List returns a page of a community's imports (finished, or finished by
// RecoverInterrupted), newest first, without their rows; cursor is a
// previous page's NextCursor ("" for the first page).
func (p *Reports) List(ctx context.Context, communityID, cursor string, limit int) (domain.ImportPage, error) {
	var page domain.ImportPage
	after, err := parseImportCursor(cursor)
	if err != nil {
		return page, err
	}
	rows, err := p.Pool.Query(ctx, `
		SELECT id::text, created_at, report, revert FROM imports
		 WHERE community_id = $1 AND finished AND (created_at, id) < ($2, $3::uuid)
		 ORDER BY created_at DESC, id DESC LIMIT $4`, communityID, after.at, after.id, limit+1)
	if err != nil {
		return page, fmt.Errorf("list imports: %w", err)
	}
	type listed struct {
		id             string
		at             time.Time
		report, revert []byte
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (listed, error) {
		var l listed
		err := r.Scan(&l.id, &l.at, &l.report, &l.revert)
		return l, err
	})
	if err != nil {
		return page, fmt.Errorf("list imports: %w", err)
	}
	for i, l := range found {
		if i == limit {
			page.NextCursor = importCursor{at: found[i-1].at, id: found[i-1].id}.String()
			break
		}
		r := &domain.ImportReport{}
		if err := json.Unmarshal(l.report, r); err != nil {
			return page, fmt.Errorf("list imports: %w", err)
		}
		r.ID, r.CommunityID = l.id, communityID
		if l.revert != nil {
			r.Revert = &domain.ImportRevert{}
			if err := json.Unmarshal(l.revert, r.Revert); err != nil {
				return page, fmt.Errorf("list imports: %w", err)
			}
			r.Revert.Contacts = nil // the list says what a revert did, not to whom
		}
		page.Items = append(page.Items, r)
	}
	return page, nil
}

// importCursor is the position after the last import of a page: its start
// and ID (nothing personal).
type importCursor struct {
	at time.Time
	id string
}

func (c importCursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.at.UTC().Format(time.RFC3339Nano) + " " + c.id))
}

// parseImportCursor reads a cursor; "" is the start of the list.
func parseImportCursor(s string) (importCursor, error) {
	if s == "" {
		return importCursor{at: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), id: "ffffffff-ffff-ffff-ffff-ffffffffffff"}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	at, id, ok := strings.Cut(string(raw), " ")
	t, terr := time.Parse(time.RFC3339Nano, at)
	if err != nil || !ok || terr != nil || !domain.ValidID(id) {
		return importCursor{}, domain.FieldError("cursor", "is not a cursor of the imports' list")
	}
	return importCursor{at: t, id: id}, nil
}
