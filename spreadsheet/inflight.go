package spreadsheet

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// Rows are matched while the sheet is still read, and staged in batches:
// between the reader and the store, an import holds rows in channels and
// batches of up to a thousand. A row to register keeps its values until
// staged: up to 1,000 characters a field, and a community may have many
// fields, so counting rows does not bound their memory. rowsInFlight
// does: the reader waits while the rows between it and the store weigh
// more than rowBudget, and the batches are written once they weigh a
// quarter of it, so the rows ahead always drain.

// rowBudget bounds the bytes of the rows an import holds between reading
// and staging: 16 MB is 10,000 rows of a dozen 100-character values.
const rowBudget = 16 << 20

// batchWeight is the weight at which a batch of rows is sent on.
const batchWeight = rowBudget / 4

type rowsInFlight struct {
	sem *semaphore.Weighted
}

func newRowsInFlight() rowsInFlight {
	return rowsInFlight{sem: semaphore.NewWeighted(rowBudget)}
}

// take waits until the row fits in the budget, and counts it in.
func (f rowsInFlight) take(ctx context.Context, p *sheetRow) error {
	p.weight = min(p.size(), batchWeight)
	return f.sem.Acquire(ctx, p.weight)
}

// give counts the row out, once staged.
func (f rowsInFlight) give(d *DecidedRow) {
	f.sem.Release(d.weight)
	d.weight = 0
}

// size estimates the bytes a parsed row holds: its values and errors, with
// what a map entry and a string cost.
func (p *sheetRow) size() int64 {
	n := 400 + len(p.keys.ID) + len(p.keys.Email) + len(p.keys.ExternalID)
	for k, v := range p.values {
		n += 48 + len(k) + len(v)
	}
	for _, e := range p.errs {
		n += 96 + len(e.Cell) + len(e.Column) + len(e.Field) + len(e.Reason)
	}
	return int64(n)
}
