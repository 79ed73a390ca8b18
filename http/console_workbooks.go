package http

import (
	"context"
	"io"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/http/console"
	"github.com/assoc/contacts/spreadsheet"
)

// consoleWorkbooks adapts the spreadsheet service to the console's port:
// the one place that knows both.
type consoleWorkbooks struct{ svc *spreadsheet.Service }

func (w consoleWorkbooks) Export(ctx context.Context, out io.Writer, q console.ExportQuery) error {
	return w.svc.Export(ctx, out, spreadsheet.ExportQuery{CommunityID: q.CommunityID, Archived: q.Archived,
		Search: q.Search, IDs: q.IDs, HeaderOnly: q.HeaderOnly})
}

func (w consoleWorkbooks) Import(ctx context.Context, caller domain.Caller, name string, data []byte, dryRun bool) (console.ImportReport, error) {
	rep, err := w.svc.Import(ctx, spreadsheet.ImportRequest{Caller: caller, FileName: name, Data: data, DryRun: dryRun})
	if err != nil {
		return console.ImportReport{}, err
	}
	return w.withRows(ctx, rep)
}

func (w consoleWorkbooks) Report(ctx context.Context, communityID, id string) (console.ImportReport, error) {
	rep, err := w.svc.Reports.Summary(ctx, communityID, id)
	if err != nil {
		return console.ImportReport{}, err
	}
	return w.withRows(ctx, rep)
}

func (w consoleWorkbooks) Revert(ctx context.Context, caller domain.Caller, id string) (console.ImportReport, error) {
	rep, err := w.svc.Revert(ctx, caller, id)
	if err != nil {
		return console.ImportReport{}, err
	}
	return w.withRows(ctx, rep)
}

// withRows turns a report into the console's, with the first rows that
// change something or are rejected.
func (w consoleWorkbooks) withRows(ctx context.Context, rep *spreadsheet.Report) (console.ImportReport, error) {
	pos, _ := domain.ParsePosition(rep.Position)
	out := console.ImportReport{ID: rep.ID, FileName: rep.FileName, DryRun: rep.DryRun, CreatedAt: rep.CreatedAt,
		Counts:         console.ImportCounts{Created: rep.Counts.Created, Updated: rep.Counts.Updated, Unchanged: rep.Counts.Unchanged, Rejected: rep.Counts.Rejected},
		UnknownColumns: rep.UnknownColumns, Stopped: rep.StoppedReason, Position: pos}
	if r := rep.Revert; r != nil {
		out.Reverted = &console.RevertCounts{At: r.RevertedAt, Reverted: r.Reverted, Archived: r.Archived, Skipped: r.Skipped}
	}
	err := w.svc.Reports.EachRow(ctx, rep.ID, func(o spreadsheet.RowOutcome) error {
		if o.Outcome == spreadsheet.Unchanged {
			return nil
		}
		if len(out.Rows) == console.MaxReportRows {
			out.MoreRows++
			return nil
		}
		row := console.ImportRow{Row: o.Row, Outcome: o.Outcome, ContactID: o.ContactID}
		for _, c := range o.Changes {
			row.Changes = append(row.Changes, console.ImportChange{Field: c.Field, Old: c.Old, New: c.New})
		}
		for _, e := range o.Errors {
			row.Errors = append(row.Errors, console.ImportError{Cell: e.Cell, Column: e.Column, Reason: e.Reason})
		}
		out.Rows = append(out.Rows, row)
		return nil
	})
	return out, err
}
