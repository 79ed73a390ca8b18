package spreadsheet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/assoc/contacts/domain"
)

// An import whose process died (kill -9, OOM, a power cut) leaves its
// summary unfinished, its rows staged, and some of them applied: the log
// has their events, the report does not say so yet. RecoverInterrupted
// finishes such an import from the log, so that whatever it applied can
// be listed and reverted like any other import's changes.

// interruptedReason is the stop reason of an import whose process died.
const interruptedReason = "the service stopped during the import"

// RecoverInterrupted finishes the imports whose process died: a real
// import's rows are matched with the log (a row applied has its
// contact's event caused by it) and the import is stored finished,
// stopped at the first row it did not apply; a dry run is discarded. An
// import that runs, here or on another node, holds its session lock
// (Run.Hold) and is left alone. It returns how many it finished or
// discarded.
func (s *Service) RecoverInterrupted(ctx context.Context) (int, error) {
	found, err := s.Reports.Interrupted(ctx)
	if err != nil {
		return 0, fmt.Errorf("find interrupted imports: %w", err)
	}
	n := 0
	var errs []error
	for _, u := range found {
		done, err := s.recoverIfDead(ctx, u)
		if err != nil {
			errs = append(errs, fmt.Errorf("recover import %s: %w", u.ID, err)) // the others go on
		}
		if done {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// recoverIfDead finishes (or, a dry run, discards) one unfinished import
// when no live session holds it, holding it meanwhile.
func (s *Service) recoverIfDead(ctx context.Context, u Unfinished) (bool, error) {
	rep, release, claimed, err := s.Reports.ClaimInterrupted(ctx, u.ID)
	if err != nil || !claimed {
		return false, err // it runs, or another node finished it
	}
	defer release()
	if u.DryRun {
		return true, s.Reports.DiscardImport(ctx, u.ID)
	}
	return true, s.finishInterrupted(ctx, rep)
}

// finishInterrupted records, for each row of the import still pending,
// whether the log says it was applied, then finishes the import.
func (s *Service) finishInterrupted(ctx context.Context, rep *domain.ImportReport) error {
	id := rep.ID
	var last domain.Position
	for after := 0; ; {
		page, err := s.Reports.PendingRows(ctx, id, after)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		applied := make([]AppliedRow, len(page))
		for i, p := range page {
			version, pos, err := s.appliedByImport(ctx, id, p)
			if err != nil {
				return err
			}
			if version > 0 {
				applied[i] = AppliedRow{Number: p.Number, Applied: true, Version: version}
				last = last.Max(pos)
			}
		}
		if err := s.Reports.AppliedRows(ctx, id, applied); err != nil {
			return err
		}
		after = page[len(page)-1].Number
	}
	counts, stoppedAt, err := s.Reports.FinishRows(ctx, id, false, interruptedReason, nil)
	if err != nil {
		return err
	}
	rep.Counts, rep.Position = counts, last.String()
	if stoppedAt > 0 {
		rep.StoppedAtRow, rep.StoppedReason = stoppedAt, interruptedReason
	}
	return s.Reports.FinishImport(ctx, rep)
}

// appliedByImport looks in the row's contact's stream for the event the
// import caused for the row (its causation names the row), and returns its
// version and position; version 0 when there is none (not applied).
func (s *Service) appliedByImport(ctx context.Context, importID string, p PendingRow) (int64, domain.Position, error) {
	if p.ContactID == "" {
		return 0, domain.Position{}, nil
	}
	cause := "import:" + importID + ":row:" + strconv.Itoa(p.Number)
	stream := domain.ContactStream(p.ContactID)
	var version int64
	var pos domain.Position
	for from := int64(1); ; {
		events, err := s.Handler.Store.ReadStream(ctx, stream, domain.Forwards, from, 1000)
		if errors.Is(err, domain.ErrStreamNotFound) {
			return 0, domain.Position{}, nil
		}
		if err != nil {
			return 0, domain.Position{}, err
		}
		for _, e := range events {
			var meta domain.Metadata
			if json.Unmarshal(e.Metadata, &meta) == nil && meta.CorrelationID == importID && meta.CausationID == cause {
				version, pos = e.Version, e.Position
			}
		}
		if len(events) < 1000 {
			return version, pos, nil
		}
		from = events[len(events)-1].Version + 1
	}
}
