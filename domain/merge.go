package domain

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// A merge writes to up to eleven streams, and no store appends to several
// streams at once, so it is a small process recorded in the log:
//
//  1. the survivor records MergeStarted (the duplicates and the choices),
//     once the merge is decided valid on the contacts as they are;
//  2. each duplicate records ContactMerged;
//  3. the survivor records DuplicatesAbsorbed, which closes the merge.
//
// A merge cut short (a crash, a store down) stays started: running it
// again with the same duplicates, or CompleteMerge (which serve runs on
// every started merge it finds), carries it on from where it stopped, on
// the contacts as they are then. A merge that can no longer complete (a
// duplicate deleted or merged elsewhere meanwhile, a survivor archived)
// is rolled back: the duplicates it merged are unmerged and the survivor
// records MergeAbandoned, which closes it. Either way, all or nothing.

// MergeContacts merges duplicates into survivor; take picks, per field key,
// the duplicate whose value wins.
func (h *Handler) MergeContacts(ctx context.Context, caller Caller, survivorID string, duplicateIDs []string, take map[string]string) (Result, error) {
	if len(duplicateIDs) == 0 || len(duplicateIDs) > MaxMergeDuplicates {
		return Result{}, FieldError("duplicates", "give 1 to %d duplicates", MaxMergeDuplicates)
	}
	for attempt := 0; ; attempt++ {
		res, err := h.merge(ctx, caller, survivorID, duplicateIDs, take)
		if IsWrongExpectedVersion(err) && attempt < maxRetries {
			continue // a contact changed meanwhile: decide again
		}
		return res, err
	}
}

// CompleteMerge carries on the merge into survivorID that has started and
// not closed (a crash cut it short): it completes it, or rolls it back
// when it can no longer complete. It does nothing when no merge is open.
func (h *Handler) CompleteMerge(ctx context.Context, caller Caller, survivorID string) (Result, error) {
	survivor, err := LoadContact(ctx, h.Store, caller.CommunityID, survivorID)
	if err != nil {
		return Result{}, err
	}
	if survivor.Merging == nil {
		return Result{ID: survivor.ID, Version: survivor.Version}, nil
	}
	return h.MergeContacts(ctx, caller, survivorID, survivor.Merging.DuplicateIDs, survivor.Merging.Take)
}

// mergePlan is a merge's contacts, loaded.
type mergePlan struct {
	community  *Community
	survivor   *Contact
	duplicates []*Contact
}

func (h *Handler) loadMerge(ctx context.Context, caller Caller, survivorID string, duplicateIDs []string) (mergePlan, error) {
	community, err := h.community(ctx, caller.CommunityID)
	if err != nil {
		return mergePlan{}, err
	}
	survivor, err := LoadContact(ctx, h.Store, caller.CommunityID, survivorID)
	if err != nil {
		return mergePlan{}, err
	}
	duplicates := make([]*Contact, len(duplicateIDs))
	for i, id := range duplicateIDs {
		d, err := LoadContact(ctx, h.Store, caller.CommunityID, id)
		if ErrorCode(err) == ENOTFOUND {
			return mergePlan{}, fieldErrorf(ENOTFOUND, "duplicates", "contact %s not found", id)
		}
		if err != nil {
			return mergePlan{}, fmt.Errorf("load duplicate %s: %w", id, err)
		}
		duplicates[i] = d
	}
	return mergePlan{community: community, survivor: survivor, duplicates: duplicates}, nil
}

func (h *Handler) merge(ctx context.Context, caller Caller, survivorID string, duplicateIDs []string, take map[string]string) (Result, error) {
	plan, err := h.loadMerge(ctx, caller, survivorID, duplicateIDs)
	if err != nil {
		return Result{}, err
	}
	survivor := plan.survivor
	if open := survivor.Merging; open != nil {
		if open.sameAs(duplicateIDs, take) {
			return h.carryOn(ctx, caller, plan, *open, Position{})
		}
		// Another merge into it was cut short: finish that one first.
		if _, err := h.CompleteMerge(ctx, caller, survivorID); err != nil {
			return Result{}, fmt.Errorf("a merge into contact %s was cut short and could not be completed: %w", survivorID, err)
		}
		return h.merge(ctx, caller, survivorID, duplicateIDs, take)
	}
	if survivor.Status == StatusActive && !slices.ContainsFunc(duplicateIDs, func(id string) bool { return !survivor.absorbs(id) }) {
		// Every duplicate is already absorbed: a retry of a completed merge.
		return Result{ID: survivor.ID, Version: survivor.Version}, nil
	}
	started := MergeStarted{ContactID: survivor.ID, MergeID: NewID(), DuplicateIDs: slices.Clone(duplicateIDs), Take: maps.Clone(take)}
	for _, d := range plan.duplicates {
		if d.Status == StatusMerged && d.MergedInto == survivor.ID && !survivor.absorbs(d.ID) {
			started.MergeID = d.MergeID // one cut short before merges were recorded: keep its ID
		}
	}
	// Decide first, on the contacts as they are, so nothing is written
	// unless the whole merge is valid.
	if _, err := survivor.Merge(plan.community, started.MergeID, asUnmerged(plan.duplicates, survivor), take); err != nil {
		return Result{}, err
	}
	res, err := h.commit(ctx, caller, "MergeContacts", survivor, []Event{started})
	if err != nil {
		return Result{}, err
	}
	survivor.Apply(started, res.Version, h.now())
	return h.carryOn(ctx, caller, plan, started, res.Position)
}

// carryOn carries out a started merge from where it stands: the
// duplicates not merged yet, then the survivor. pos is the log position
// reached so far.
func (h *Handler) carryOn(ctx context.Context, caller Caller, plan mergePlan, started MergeStarted, pos Position) (Result, error) {
	survivor := plan.survivor
	absorbed, err := survivor.Merge(plan.community, started.MergeID, asUnmerged(plan.duplicates, survivor), started.Take)
	if err != nil {
		return Result{}, h.abandonMerge(ctx, caller, started, err)
	}
	for _, d := range plan.duplicates {
		events, err := d.MergeInto(survivor.ID, started.MergeID)
		if err != nil {
			return Result{}, h.abandonMerge(ctx, caller, started, err)
		}
		res, err := h.commit(ctx, caller, "MergeContacts", d, events)
		if err != nil {
			return Result{}, h.stopMerge(ctx, caller, started, d.ID, err)
		}
		pos = later(pos, res.Position)
	}
	res, err := h.commit(ctx, caller, "MergeContacts", survivor, absorbed)
	if err != nil {
		return Result{}, h.stopMerge(ctx, caller, started, survivor.ID, err)
	}
	res.Position = later(pos, res.Position)
	res.Changed = true
	return res, nil
}

// stopMerge decides what an append that failed means for a started merge.
// A concurrent change is returned as is: MergeContacts decides again and
// carries on. A refusal (a key the survivor cannot take, a contact that
// changed state) rolls the merge back. A store that failed leaves the
// merge started, to be carried on later.
func (h *Handler) stopMerge(ctx context.Context, caller Caller, started MergeStarted, id string, err error) error {
	switch code := ErrorCode(err); {
	case IsWrongExpectedVersion(err):
		return err
	case code == EINTERNAL || code == EUNAVAILABLE:
		return fmt.Errorf("merge %s stopped at contact %s; it is carried on when the service can (run it again, or it completes by itself): %w",
			started.MergeID, id, err)
	}
	return h.abandonMerge(ctx, caller, started, err)
}

// abandonMerge rolls back a started merge that cannot complete, because of
// cause: each duplicate it merged records ContactUnmerged, then the
// survivor records MergeAbandoned. It returns cause, wrapped, so the
// caller sees why (with its code). A rollback that fails leaves the merge
// started: it is rolled back the next time it is carried on.
func (h *Handler) abandonMerge(ctx context.Context, caller Caller, started MergeStarted, cause error) error {
	ctx = context.WithoutCancel(ctx) // a rollback must not stop half-way because the client left
	var undoErr error
	for _, id := range started.DuplicateIDs {
		_, err := h.runContact(ctx, caller, "MergeContacts", id, 0, func(c *Contact, _ *Community) ([]Event, error) {
			if c.Status != StatusMerged || c.MergedInto != started.ContactID || c.MergeID != started.MergeID {
				return nil, nil // not merged by this merge: nothing to undo
			}
			// The survivor may have claimed this duplicate's keys already
			// (it claims them just before recording what it takes): they
			// go back to the duplicate before it comes back with them.
			for _, k := range uniqueKeys {
				if v := c.Values[k]; v != "" {
					if _, _, err := h.handOver(ctx, caller, k, v, started.ContactID, c.ID, c.Version); err != nil {
						return nil, err
					}
				}
			}
			return c.UnmergeFrom(started.ContactID, started.MergeID)
		})
		if err != nil && ErrorCode(err) != ENOTFOUND && undoErr == nil {
			undoErr = fmt.Errorf("unmerge %s: %w", id, err)
		}
	}
	if undoErr == nil {
		_, undoErr = h.runContact(ctx, caller, "MergeContacts", started.ContactID, 0, func(c *Contact, _ *Community) ([]Event, error) {
			if c.Merging == nil || c.Merging.MergeID != started.MergeID {
				return nil, nil
			}
			return []Event{MergeAbandoned{ContactID: c.ID, MergeID: started.MergeID, Reason: ErrorMessage(cause)}}, nil
		})
	}
	if undoErr != nil {
		return errors.Join(fmt.Errorf("the merge could not complete: %w", cause),
			fmt.Errorf("rolling it back failed too; it is rolled back when it is carried on next: %w", undoErr))
	}
	return fmt.Errorf("the merge could not complete and was rolled back: %w", cause)
}

// sameAs reports whether a merge with these duplicates and choices is the
// started one (run again after it was cut short).
func (m *MergeStarted) sameAs(duplicateIDs []string, take map[string]string) bool {
	return slices.Equal(m.DuplicateIDs, duplicateIDs) && maps.Equal(m.Take, take)
}

// asUnmerged presents duplicates already merged into survivor by an earlier,
// interrupted run of the same merge (merged, not yet absorbed) as they were
// before, so the merge decides as the first run did. Duplicates the
// survivor already absorbed stay merged, so a merge listing them is refused.
func asUnmerged(duplicates []*Contact, survivor *Contact) []*Contact {
	out := make([]*Contact, len(duplicates))
	for i, d := range duplicates {
		if d.Status == StatusMerged && d.MergedInto == survivor.ID && !survivor.absorbs(d.ID) {
			d = d.clone()
			d.Status = d.StatusBeforeMerge
		}
		out[i] = d
	}
	return out
}
