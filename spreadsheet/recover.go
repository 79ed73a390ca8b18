package spreadsheet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

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
// (keyStage.hold) and is left alone. It returns how many it finished or
// discarded.
func (s *Service) RecoverInterrupted(ctx context.Context) (int, error) {
	rows, err := s.Reports.Pool.Query(ctx, `SELECT id::text, dry_run FROM imports
		WHERE NOT finished AND heartbeat_at < now() - $1::interval ORDER BY created_at`, RecoverAfter.String())
	if err != nil {
		return 0, fmt.Errorf("find interrupted imports: %w", err)
	}
	type unfinished struct {
		id  string
		dry bool
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (unfinished, error) {
		var u unfinished
		err := r.Scan(&u.id, &u.dry)
		return u, err
	})
	if err != nil {
		return 0, fmt.Errorf("find interrupted imports: %w", err)
	}
	n := 0
	var errs []error
	for _, u := range found {
		done, err := s.recoverIfDead(ctx, u.id, u.dry)
		if err != nil {
			errs = append(errs, fmt.Errorf("recover import %s: %w", u.id, err)) // the others go on
		}
		if done {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// recoverIfDead finishes (or, a dry run, discards) one unfinished import
// when no live session holds it, holding it meanwhile.
func (s *Service) recoverIfDead(ctx context.Context, id string, dry bool) (bool, error) {
	conn, err := s.Reports.Pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Release()
	var free bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, importLockClass, id).Scan(&free); err != nil {
		return false, err
	}
	if !free {
		return false, nil // it runs
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext($2))`, importLockClass, id) //nolint:errcheck // released with the session anyway
	// Another node may have finished it between the list and the lock.
	var finished bool
	err = conn.QueryRow(ctx, `SELECT finished FROM imports WHERE id = $1`, id).Scan(&finished)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && finished) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if dry {
		return true, s.Reports.discardImport(ctx, id)
	}
	return true, s.finishInterrupted(ctx, id)
}

// finishInterrupted records, for each row of the import still pending,
// whether the log says it was applied, then finishes the import.
func (s *Service) finishInterrupted(ctx context.Context, id string) error {
	var raw []byte
	var communityID string
	if err := s.Reports.Pool.QueryRow(ctx, `SELECT report, community_id::text FROM imports WHERE id = $1`, id).Scan(&raw, &communityID); err != nil {
		return err
	}
	rep := &domain.ImportReport{}
	if err := json.Unmarshal(raw, rep); err != nil {
		return fmt.Errorf("read its summary: %w", err)
	}
	rep.ID, rep.CommunityID = id, communityID
	var last domain.Position
	for after := 0; ; {
		page, err := s.Reports.pendingRows(ctx, id, after)
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
		if err := s.Reports.appliedRows(ctx, id, applied); err != nil {
			return err
		}
		after = page[len(page)-1].Number
	}
	counts, stoppedAt, err := s.Reports.finishRows(ctx, id, false, interruptedReason, nil)
	if err != nil {
		return err
	}
	rep.Counts, rep.Position = counts, last.String()
	if stoppedAt > 0 {
		rep.StoppedAtRow, rep.StoppedReason = stoppedAt, interruptedReason
	}
	return s.Reports.finishImport(ctx, rep)
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
