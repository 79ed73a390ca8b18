package spreadsheet

import (
	"context"
	"encoding/json"
	"io"

	"github.com/assoc/contacts/domain"
)

// The reports of imports, as people read them: a summary, then its rows
// read from the store a page at a time.

var _ domain.Imports = (*Service)(nil)

// ImportSummary returns a community's report by ID without its rows
// (ENOTFOUND when it has none).
func (s *Service) ImportSummary(ctx context.Context, communityID, id string) (*domain.ImportReport, error) {
	return s.Reports.Summary(ctx, communityID, id)
}

// ImportRows calls fn with each row of rep, in sheet order.
func (s *Service) ImportRows(ctx context.Context, rep *domain.ImportReport, fn func(domain.ImportRow) error) error {
	return s.Reports.EachRow(ctx, rep.ID, fn)
}

// ListImports returns a page of a community's imports (finished, or
// finished by RecoverInterrupted), newest first, without their rows.
func (s *Service) ListImports(ctx context.Context, communityID, cursor string, limit int) (domain.ImportPage, error) {
	return s.Reports.List(ctx, communityID, cursor, limit)
}

// WriteImportReport writes a report as JSON, its rows streamed from the table a
// page at a time (the shape of domain.ImportReport, "rows" last). Nothing is written
// before the first page of rows is read, so a failure to read the report
// shows before its answer begins.
func (s *Service) WriteImportReport(ctx context.Context, w io.Writer, r *domain.ImportReport) error {
	head := *r
	head.Rows = nil
	raw, err := json.Marshal(head)
	if err != nil {
		return err
	}
	start := append(raw[:len(raw)-1:len(raw)-1], `,"rows":[`...) // without the summary's closing brace
	n := 0
	err = s.Reports.EachRow(ctx, r.ID, func(o domain.ImportRow) error {
		line, err := json.Marshal(o)
		if err != nil {
			return err
		}
		if n == 0 {
			line = append(start, line...)
		} else {
			line = append([]byte{','}, line...)
		}
		n++
		_, err = w.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := w.Write(start); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}
