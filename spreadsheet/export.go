package spreadsheet

import (
	"context"
	"fmt"
	"io"

	"github.com/assoc/contacts/xlsx"

	"github.com/assoc/contacts/domain"
)

// exportPage is how many contacts an export reads per query: pages follow
// keyset cursors, so memory stays flat whatever the community's size.
const exportPage = 1000

// sheetName is the name of the one sheet an export writes.
const sheetName = "Contacts"

// Export writes the contacts q selects to w as an .xlsx workbook: one
// sheet, a frozen header row (the contact ID, then every field of the
// community by label), one row per contact, typed cells (xlsx.Writer
// spills rows to a temporary file rather than holding them).
func (s *Service) Export(ctx context.Context, w io.Writer, q domain.ExportQuery) error {
	status := domain.StatusActive
	if q.Archived {
		status = domain.StatusArchived
	}
	lq := domain.ListQuery{CommunityID: q.CommunityID, Status: status, Search: q.Search, Limit: exportPage}
	if len(q.IDs) > exportPage {
		return domain.FieldError("ids", "select at most %d contacts to export", exportPage)
	}
	return s.export(ctx, w, q.CommunityID, &listed{query: lq, ids: q.IDs})
}

// listed is what an export writes: the contacts a list query lists, or
// only those of ids it holds (a selection), in the order of ids.
type listed struct {
	query domain.ListQuery
	ids   []string
}

// Template writes the workbook an export of no contact would: the header
// row alone, for an import of new contacts to start from.
func (s *Service) Template(ctx context.Context, w io.Writer, communityID string) error {
	return s.export(ctx, w, communityID, nil)
}

// export writes the community's columns, then the contacts of list (none
// when list is nil).
func (s *Service) export(ctx context.Context, w io.Writer, communityID string, list *listed) error {
	fields, err := s.Queries.Fields(ctx, communityID)
	if err != nil {
		return err
	}
	columns := make([]xlsx.Column, 0, len(fields)+1)
	for _, f := range append([]domain.Field{{Key: idColumn, Label: idLabel}}, fields...) {
		columns = append(columns, xlsx.Column{Header: f.Label, Width: columnWidth(f)})
	}
	sheet, err := xlsx.NewWriter(sheetName, columns)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer sheet.Close()
	if list != nil {
		if err := s.writeContacts(ctx, sheet, fields, *list); err != nil {
			return err
		}
	}
	if _, err := sheet.WriteTo(w); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// writeContacts writes a row for each contact of list, its pages read
// one ahead of the rows written.
func (s *Service) writeContacts(ctx context.Context, sheet *xlsx.Writer, fields []domain.Field, list listed) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the page reader if a row fails
	var pages <-chan []domain.ContactView
	var errc <-chan error
	if len(list.ids) > 0 {
		pages, errc = s.selection(ctx, list.query, list.ids)
	} else {
		pages, errc = s.pages(ctx, list.query)
	}
	values := make([]any, len(fields)+1)
	for page := range pages {
		for _, c := range page {
			values[0] = c.ID
			for i, fd := range fields {
				values[i+1] = exportValue(fd, viewValue(c, fd.Key))
			}
			if err := sheet.WriteRow(values); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
	}
	return <-errc
}

// pages reads the list lq names page after page, one page ahead of the
// caller: the next page's query runs while the rows of the last one are
// written (the two took about as long each; in turn they took twice as
// long). The error channel gives the reading's outcome once pages closes;
// the reader stops when ctx ends.
func (s *Service) pages(ctx context.Context, lq domain.ListQuery) (<-chan []domain.ContactView, <-chan error) {
	pages := make(chan []domain.ContactView, 1)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		defer close(errc)
		defer close(pages)
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

// selection reads, as one page, the contacts of ids that the list lq
// holds (a selection exports only contacts of its list), in the order of
// ids.
func (s *Service) selection(ctx context.Context, lq domain.ListQuery, ids []string) (<-chan []domain.ContactView, <-chan error) {
	pages := make(chan []domain.ContactView, 1)
	errc := make(chan error, 1)
	defer close(errc)
	defer close(pages)
	found, err := s.Queries.ContactsByID(ctx, lq.CommunityID, ids)
	if err != nil {
		errc <- err
		return pages, errc
	}
	page := make([]domain.ContactView, 0, len(ids))
	for _, id := range ids {
		if c, ok := found[id]; ok && c.Status == string(lq.Status) {
			page = append(page, c)
		}
	}
	pages <- page
	return pages, errc
}

// viewValue is a contact's value for a field key.
func viewValue(c domain.ContactView, key string) string {
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
