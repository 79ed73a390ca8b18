package spreadsheet

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
)

// ExportQuery says which contacts an export writes.
type ExportQuery struct {
	CommunityID string
	Archived    bool   // the archived contacts instead of the active ones
	Search      string // as the lists' q=
	// IDs, when set, limits the export to these contacts (a selection),
	// in the list's order: at most one page of them.
	IDs []string
	// HeaderOnly writes the header row alone: an empty template of the
	// community's columns, for a person to fill in and import.
	HeaderOnly bool
}

// exportPage is how many contacts an export reads per query: pages follow
// keyset cursors, so memory stays flat whatever the community's size.
const exportPage = 1000

// sheetName is the name of the one sheet an export writes.
const sheetName = "Contacts"

// Export writes the contacts q selects to w as an .xlsx workbook: one
// sheet, a frozen header row (the contact ID, then every field of the
// community by label), one row per contact, typed cells. Rows go through
// excelize's StreamWriter, which spills them to a temporary file rather
// than holding them, and the workbook is zipped straight into w.
func (s *Service) Export(ctx context.Context, w io.Writer, q ExportQuery) error {
	fields, err := s.Queries.Fields(ctx, q.CommunityID)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14, CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	headStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	columns := append([]domain.Field{{Key: idColumn, Label: idLabel}}, fields...)
	for i, c := range columns {
		if err := sw.SetColWidth(i+1, i+1, columnWidth(c)); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	head := make([]any, len(columns))
	for i, c := range columns {
		head[i] = excelize.Cell{StyleID: headStyle, Value: neutralise(c.Label)}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	status := domain.StatusActive
	if q.Archived {
		status = domain.StatusArchived
	}
	lq := projections.ListQuery{CommunityID: q.CommunityID, Status: status, Search: q.Search, Limit: exportPage}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the page reader if a row fails
	pages, errc := s.pages(ctx, lq, q)
	row := 2
	values := make([]any, len(columns))
	for page := range pages {
		for _, c := range page {
			values[0] = c.ID
			for i, fd := range fields {
				v := viewValue(c, fd.Key)
				switch x := exportValue(fd, v).(type) {
				case nil:
					values[i+1] = nil
				case string:
					values[i+1] = neutralise(x)
				case time.Time:
					values[i+1] = excelize.Cell{StyleID: dateStyle, Value: x}
				default:
					values[i+1] = x
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(cell, values); err != nil {
				return fmt.Errorf("export row %d: %w", row, err)
			}
			row++
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

// pages reads the list lq names page after page, one page ahead of the
// caller: the next page's query runs while the rows of the last one are
// written (the two took about as long each; in turn they took twice as
// long). The error channel gives the reading's outcome once pages closes;
// the reader stops when ctx ends.
func (s *Service) pages(ctx context.Context, lq projections.ListQuery, q ExportQuery) (<-chan []projections.ContactView, <-chan error) {
	pages := make(chan []projections.ContactView, 1)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		defer close(errc)
		defer close(pages)
		if q.HeaderOnly {
			return
		}
		if len(q.IDs) > 0 {
			page, err := s.selection(ctx, lq, q.IDs)
			if err != nil {
				errc <- err
				return
			}
			pages <- page
			return
		}
		for {
			page, err := s.Queries.ListContacts(ctx, lq)
			if err != nil {
				errc <- err
				return
			}
			select {
			case pages <- page.Items:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
			if page.NextCursor == "" {
				return
			}
			lq.Cursor = page.NextCursor
		}
	}()
	return pages, errc
}

// selection reads the contacts ids names that the list lq holds (a
// selection exports only contacts of its list), in the order of ids.
func (s *Service) selection(ctx context.Context, lq projections.ListQuery, ids []string) ([]projections.ContactView, error) {
	if len(ids) > exportPage {
		return nil, domain.FieldError("ids", "select at most %d contacts to export", exportPage)
	}
	found, err := s.Queries.ContactsByID(ctx, lq.CommunityID, ids)
	if err != nil {
		return nil, err
	}
	page := make([]projections.ContactView, 0, len(ids))
	for _, id := range ids {
		if c, ok := found[id]; ok && c.Status == string(lq.Status) {
			page = append(page, c)
		}
	}
	return page, nil
}

// viewValue is a contact's value for a field key.
func viewValue(c projections.ContactView, key string) string {
	switch key {
	case domain.KeyEmail:
		return c.Email
	case domain.KeyFirstName:
		return c.FirstName
	case domain.KeyLastName:
		return c.LastName
	case domain.KeyExternalID:
		return c.ExternalID
	}
	return c.Fields[key]
}

func ptr[T any](v T) *T { return &v }
