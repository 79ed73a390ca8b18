package http

import (
	"context"
	"io"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/http/console"
)

// consoleWorkbooks adapts the domain's import and export port to the
// console's: the one place that knows both.
type consoleWorkbooks struct{ svc domain.Imports }

func (w consoleWorkbooks) Export(ctx context.Context, out io.Writer, q console.ExportQuery) error {
	if q.HeaderOnly {
		return w.svc.Template(ctx, out, q.CommunityID)
	}
	return w.svc.Export(ctx, out, domain.ExportQuery{CommunityID: q.CommunityID, Archived: q.Archived, Search: q.Search, IDs: q.IDs})
}

func (w consoleWorkbooks) Import(ctx context.Context, caller domain.Caller, name string, data []byte, dryRun bool) (console.ImportReport, error) {
	rep, err := w.svc.Import(ctx, domain.ImportRequest{Caller: caller, FileName: name, Data: data, DryRun: dryRun})
	if err != nil {
		return console.ImportReport{}, err
	}
	return w.withRows(ctx, rep, rep.Position)
}

func (w consoleWorkbooks) Report(ctx context.Context, communityID, id string) (console.ImportReport, error) {
	rep, err := w.svc.ImportSummary(ctx, communityID, id)
	if err != nil {
		return console.ImportReport{}, err
	}
	return w.withRows(ctx, rep, rep.Position)
}

// Revert answers with the revert's position, the one its next page read
// waits for.
func (w consoleWorkbooks) Revert(ctx context.Context, caller domain.Caller, id string) (console.ImportReport, error) {
	rep, err := w.svc.RevertImport(ctx, caller, id)
	if err != nil {
		return console.ImportReport{}, err
	}
	at := rep.Position
	if rep.Revert != nil {
		at = rep.Revert.Position
	}
	return w.withRows(ctx, rep, at)
}

// withRows turns a report into the console's, with the first rows that
// change something or are rejected; at is the position the console's
// next read waits for.
func (w consoleWorkbooks) withRows(ctx context.Context, rep *domain.ImportReport, at string) (console.ImportReport, error) {
	pos, _ := domain.ParsePosition(at)
	out := console.ImportReport{ID: rep.ID, FileName: rep.FileName, DryRun: rep.DryRun, CreatedAt: rep.CreatedAt,
		Counts:         console.ImportCounts{Created: rep.Counts.Created, Updated: rep.Counts.Updated, Unchanged: rep.Counts.Unchanged, Rejected: rep.Counts.Rejected},
		UnknownColumns: rep.UnknownColumns, Stopped: rep.StoppedReason, Position: pos}
	if r := rep.Revert; r != nil {
		out.Reverted = &console.RevertCounts{At: r.RevertedAt, Reverted: r.Reverted, Archived: r.Archived, Skipped: r.Skipped}
	}
	err := w.svc.ImportRows(ctx, rep, func(o domain.ImportRow) error {
		if o.Outcome == domain.RowUnchanged {
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
