package spreadsheet

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// Import reads the workbook, matches each row to a contact, decides what
// it changes and, unless it is a dry run, applies it; it stores and returns
// the report (its rows stay in the store: see Store). A file refused
// whole returns an EINVALID error naming "file" and changes nothing; a bad
// row is reported and the others go on.
//
// At most MaxImports imports read and match at once; another waits its
// turn up to ImportWait, then is refused with EUNAVAILABLE. When ctx ends
// (the client left), a dry run stops at once and leaves nothing; so does
// an import that has applied no row yet. An import applying its rows stops
// at a row boundary: the rows applied stay applied, the rows left are
// rejected as not applied, and the report, stored, says where it stopped
// (StoppedAtRow) and why; Import returns it with the error.
func (s *Service) Import(ctx context.Context, req domain.ImportRequest) (*domain.ImportReport, error) {
	endTurn, err := s.takeTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer endTurn()
	if req.Data == nil && req.Upload != nil {
		if req.FileName, req.Data, err = req.Upload(); err != nil {
			return nil, err
		}
	}
	community, err := domain.LoadCommunity(ctx, s.Handler.Store, req.Caller.CommunityID)
	if err != nil {
		return nil, err
	}
	caughtUp, err := s.readModelCaughtUp(ctx)
	if err != nil {
		return nil, err
	}
	rep := &domain.ImportReport{
		ID: domain.NewID(), CommunityID: req.Caller.CommunityID, DryRun: req.DryRun, FileName: req.FileName,
		Actor: req.Caller.Actor, CreatedAt: s.now(), Columns: map[string]string{},
	}
	keys, err := s.Reports.OpenRun(ctx)
	if err != nil {
		return nil, err
	}
	defer keys.Close()
	if err := keys.Hold(ctx, rep.ID); err != nil {
		return nil, err
	}
	if err := s.Reports.BeginImport(ctx, rep); err != nil {
		return nil, err
	}
	// Whatever happens, the import is finished (or discarded), even if the
	// caller has left.
	keep := context.WithoutCancel(ctx)
	// It runs for as long as its caller stays and it holds the import.
	ctx, stop := context.WithCancelCause(ctx)
	var holding sync.WaitGroup
	holding.Go(func() { keys.KeepHold(ctx, rep.ID, stop) })
	defer func() { stop(nil); holding.Wait() }()
	h, err := s.decideRows(ctx, req.Data, community, caughtUp, rep, keys, endTurn)
	if err != nil {
		return nil, errors.Join(err, s.Reports.DiscardImport(keep, rep.ID)) // nothing written but its rows
	}
	caller := req.Caller
	caller.CorrelationID = rep.ID
	return s.applyAndFinish(ctx, caller, rep, h)
}

// decideRows reads and decides every row of the file, staged, then
// rejects the rows at odds with others, and saves the report's summary as
// it stands. endTurn ends the import's turn once the file is read.
func (s *Service) decideRows(ctx context.Context, data []byte, community *domain.Community, caughtUp bool, rep *domain.ImportReport, keys Run, endTurn func()) (header, error) {
	h, err := s.readAndMatch(ctx, data, community, caughtUp, rep, keys)
	endTurn() // the file is read: the next import may read its own
	if err != nil {
		return h, err
	}
	if err := s.checkAcrossRows(ctx, rep.ID, h, keys); err != nil {
		return h, err
	}
	if rep.DryRun && ctx.Err() != nil {
		return h, ctx.Err() // a dry run whose caller left is of no use to anyone
	}
	rep.UnknownColumns = h.unknown
	for _, c := range h.columns {
		rep.Columns[c.header] = c.field.Key
	}
	return h, s.Reports.SaveSummary(ctx, rep)
}

// applyAndFinish applies the decided rows (none for a dry run) and
// finishes the import: its rows' outcomes counted, the report stored, and
// where it stopped, should it stop early. It finishes even once ctx has
// ended.
func (s *Service) applyAndFinish(ctx context.Context, caller domain.Caller, rep *domain.ImportReport, h header) (*domain.ImportReport, error) {
	keep := context.WithoutCancel(ctx)
	var (
		last       domain.Position
		unrecorded []AppliedRow
		err        error
	)
	if !rep.DryRun {
		last, unrecorded, err = s.applyRows(ctx, caller, rep.ID, h)
	}
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, ErrLostHold) {
		err = cause
	}
	rep.Position = last.String()
	counts, stoppedAt, ferr := s.Reports.FinishRows(keep, rep.ID, rep.DryRun, stopReason(err), unrecorded)
	rep.Counts = counts
	switch {
	case ferr != nil:
	case stoppedAt > 0:
		rep.StoppedAtRow, rep.StoppedReason = stoppedAt, stopReason(err)
	case callerLeft(err) && len(unrecorded) == 0:
		err = nil // the caller left once every row was applied
	}
	if ferr == nil {
		ferr = s.Reports.FinishImport(keep, rep)
	}
	if ferr != nil {
		return nil, errors.Join(err, ferr)
	}
	if err != nil {
		return rep, fmt.Errorf("import %s stopped early: %w", rep.ID, err)
	}
	return rep, nil
}

// callerLeft reports whether err is the caller's leaving (its context
// ended), not a failure.
func callerLeft(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// stopReason says why an import stopped early ("" when it did not).
func stopReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "the client left"
	case errors.Is(err, context.DeadlineExceeded):
		return "it ran out of time"
	case errors.Is(err, ErrLostHold):
		return "it lost its connection to the database"
	}
	return domain.ErrorMessage(err)
}

// checkAcrossRows rejects the rows that claim the same contact ID, email
// or external ID as another row of the file (which one should win is a
// guess, so neither does), then the rows matched to the same contact as
// another (by different keys: one by ID, one by external ID), which would
// let the last one win silently.
func (s *Service) checkAcrossRows(ctx context.Context, importID string, h header, keys Run) error {
	shared, err := keys.SharedKeys(ctx)
	if err != nil {
		return err
	}
	rejected := map[int][]domain.CellError{}
	for _, k := range shared {
		col := h.columns[h.byKey[k.Kind]]
		for _, n := range k.Rows {
			rejected[n] = append(rejected[n], domain.CellError{Cell: xlsx.CellName(col.index, n), Column: col.header, Field: k.Kind,
				Reason: fmt.Sprintf("%q is also in row %s: each contact once per file", k.Key, otherRows(k.Rows, n))})
		}
	}
	if err := s.Reports.RejectRows(ctx, importID, rejected); err != nil {
		return err
	}
	shared, err = s.Reports.SharedContacts(ctx, importID)
	if err != nil {
		return err
	}
	rejected = map[int][]domain.CellError{}
	for _, k := range shared {
		for _, n := range k.Rows {
			rejected[n] = append(rejected[n], domain.CellError{
				Reason: fmt.Sprintf("contact %s is also matched by row %s: each contact once per file", k.Key, otherRows(k.Rows, n))})
		}
	}
	return s.Reports.RejectRows(ctx, importID, rejected)
}
