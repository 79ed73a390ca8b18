package domain

import (
	"context"
	"sync"
)

// Bulk commands: one command on each of many contacts (archive, restore,
// delete the ticked rows), as the API's bulk routes and the console run
// them.

// MaxBulk is the most contacts one bulk command takes.
const MaxBulk = 1000

// bulkWorkers is how many contacts of one bulk command are handled at once:
// each is a few round trips that wait on the store, not the CPU.
const bulkWorkers = 8

// BulkOutcome is what a bulk command did to one contact: its result, or
// the error that refused it.
type BulkOutcome struct {
	ID     string
	Result Result
	Err    error
}

// RunBulk runs command on each of ids, a few at a time. Each ID is its own
// command: a refusal is that ID's outcome and stops no other. It returns
// the outcomes in the order of ids, and the last log position the commands
// appended (Start when none did), which the answer waits for.
func RunBulk(ctx context.Context, ids []string, command func(context.Context, string) (Result, error)) ([]BulkOutcome, Position) {
	outcomes := make([]BulkOutcome, len(ids))
	turns := make(chan struct{}, bulkWorkers)
	var wg sync.WaitGroup
	for i, id := range ids {
		turns <- struct{}{}
		wg.Go(func() {
			defer func() { <-turns }()
			res, err := command(ctx, id)
			outcomes[i] = BulkOutcome{ID: id, Result: res, Err: err}
		})
	}
	wg.Wait()
	last := Start
	for _, o := range outcomes {
		if o.Err == nil && o.Result.Position.Compare(last) > 0 {
			last = o.Result.Position
		}
	}
	return outcomes, last
}
