package spreadsheet

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"golang.org/x/sync/errgroup"

	"github.com/assoc/contacts/domain"
)

// applyRows applies the rows to apply, a page at a time and in sheet
// order, and returns the position of the last event. An error stops it
// (the store is down, the caller left); the rows not applied stay pending.
// Rows are handed to the workers in order and none starts once the caller
// has left, so the rows applied then are the ones before a row. When
// writing a page's outcomes fails, that page is returned, to be written
// again: its rows were applied.
func (s *Service) applyRows(ctx context.Context, caller domain.Caller, importID string, h header) (domain.Position, []AppliedRow, error) {
	var last domain.Position
	for after := 0; ; {
		page, err := s.Reports.PendingRows(ctx, importID, after)
		if err != nil || len(page) == 0 {
			return last, nil, err
		}
		applied := make([]AppliedRow, len(page))
		err = inOrder(ctx, s.workers(), len(page), func(i int) error {
			// A row boundary: once the caller has left, no row starts.
			// A row started goes to its end (its command is one append,
			// and the report must say for sure whether it was applied).
			if err := ctx.Err(); err != nil {
				return err
			}
			var err error
			applied[i], err = s.apply(context.WithoutCancel(ctx), caller, importID, page[i], h)
			return err
		})
		for _, a := range applied {
			if a.Applied && a.Position.Compare(last) > 0 {
				last = a.Position
			}
		}
		if rerr := s.Reports.AppliedRows(context.WithoutCancel(ctx), importID, applied); rerr != nil {
			return last, applied, errors.Join(err, rerr)
		}
		if err != nil {
			return last, nil, err
		}
		after = page[len(page)-1].Number
	}
}

// inOrder runs fn(0) to fn(n-1), at most workers at once, started in
// order. fn records an item's own failures on the item; an error it
// returns (the store is down, the caller left) stops the run: no item
// starts after it, and inOrder returns it once the items started end.
func inOrder(ctx context.Context, workers, n int, fn func(i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// apply issues the row's command. The update is pinned to the version it
// was decided on, so the report says exactly what changed; a contact
// changed meanwhile rejects the row (import the file again).
func (s *Service) apply(ctx context.Context, caller domain.Caller, importID string, p PendingRow, h header) (AppliedRow, error) {
	caller.CausationID = fmt.Sprintf("import:%s:row:%d", importID, p.Number)
	var res domain.Result
	var err error
	switch p.Outcome {
	case domain.RowCreated:
		res, err = s.Handler.RegisterContactWithID(ctx, caller, p.ContactID, maps.Clone(p.Values))
	case domain.RowUpdated:
		res, err = s.Handler.UpdateContact(ctx, caller, p.ContactID, p.Values, p.Version)
	default:
		return AppliedRow{Number: p.Number}, nil
	}
	switch code := domain.ErrorCode(err); {
	case err == nil:
		return AppliedRow{Number: p.Number, Applied: true, Version: res.Version, Position: res.Position}, nil
	case code == domain.EINTERNAL || code == domain.EUNAVAILABLE || ctx.Err() != nil:
		return AppliedRow{Number: p.Number}, err // not the row's fault: the import stops
	}
	return AppliedRow{Number: p.Number, Applied: true, Errors: []domain.CellError{domainError(err, h, p.Number)}}, nil
}
