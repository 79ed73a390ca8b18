package domain

import (
	"context"
	"fmt"
	"slices"
)

// CreateCommunity creates a community named name.
func (h *Handler) CreateCommunity(ctx context.Context, caller Caller, name string) (Result, error) {
	id := NewID()
	events, err := CreateCommunity(id, name)
	if err != nil {
		return Result{}, err
	}
	caller.CommunityID = id
	return h.appendCommunity(ctx, caller, "CreateCommunity", &Community{ID: id}, events)
}

// DefineField adds an admin-defined field to the caller's community.
func (h *Handler) DefineField(ctx context.Context, caller Caller, f Field) (Field, Result, error) {
	var defined Field
	res, err := h.runCommunity(ctx, caller, "DefineField", func(c *Community) ([]Event, error) {
		events, err := c.DefineField(f, NewID())
		if err == nil && len(events) == 0 {
			defined, _ = c.Field(f.Key)
		}
		for _, e := range events {
			defined = e.(FieldDefined).Field
		}
		return events, err
	})
	return defined, res, err
}

// RemoveField removes an admin-defined field from the caller's community.
func (h *Handler) RemoveField(ctx context.Context, caller Caller, key string) (Result, error) {
	return h.runCommunity(ctx, caller, "RemoveField", func(c *Community) ([]Event, error) {
		return c.RemoveField(key)
	})
}

func (h *Handler) runCommunity(ctx context.Context, caller Caller, command string, decide func(*Community) ([]Event, error)) (Result, error) {
	for attempt := 0; ; attempt++ {
		c, err := LoadCommunity(ctx, h.Store, caller.CommunityID)
		if err != nil {
			return Result{}, err
		}
		events, err := decide(c)
		if err != nil {
			return Result{}, err
		}
		res, err := h.appendCommunity(ctx, caller, command, c, events)
		h.forgetCommunity(caller.CommunityID)
		if IsWrongExpectedVersion(err) && attempt < maxRetries {
			continue
		}
		return res, err
	}
}

func (h *Handler) appendCommunity(ctx context.Context, caller Caller, command string, c *Community, events []Event) (Result, error) {
	if len(events) == 0 {
		return Result{ID: c.ID, Version: c.Version}, nil
	}
	data, err := h.encode(caller, command, events)
	if err != nil {
		return Result{}, err
	}
	res, err := h.Store.Append(ctx, CommunityStream(c.ID), Exact(c.Version), data)
	if err != nil {
		return Result{}, err
	}
	return Result{ID: c.ID, Version: res.Version, Position: res.Position, Changed: true}, nil
}

// RegisterContact registers a new contact with values (field key → value).
func (h *Handler) RegisterContact(ctx context.Context, caller Caller, values map[string]string) (Result, error) {
	return h.RegisterContactWithID(ctx, caller, NewID(), values)
}

// RegisterContactWithID registers a new contact under a caller-chosen ID
// (an import that must be replayable chooses its IDs).
func (h *Handler) RegisterContactWithID(ctx context.Context, caller Caller, id string, values map[string]string) (Result, error) {
	community, err := h.community(ctx, caller.CommunityID)
	if err != nil {
		return Result{}, err
	}
	events, err := RegisterContact(community, id, values)
	if err != nil {
		return Result{}, err
	}
	res, err := h.commit(ctx, caller, "RegisterContact", &Contact{ID: id, CommunityID: caller.CommunityID}, events)
	if IsWrongExpectedVersion(err) {
		return Result{}, Errorf(ECONFLICT, "contact %s already exists", id)
	}
	return res, err
}

// UpdateContact changes a contact's values (field key → value, "" clears).
// ifVersion > 0 requires the contact to be at that version (If-Match).
func (h *Handler) UpdateContact(ctx context.Context, caller Caller, id string, values map[string]string, ifVersion int64) (Result, error) {
	return h.runContact(ctx, caller, "UpdateContact", id, ifVersion, func(c *Contact, community *Community) ([]Event, error) {
		return c.Update(community, values)
	})
}

// ArchiveContact archives an active contact.
func (h *Handler) ArchiveContact(ctx context.Context, caller Caller, id string) (Result, error) {
	return h.runContact(ctx, caller, "ArchiveContact", id, 0, func(c *Contact, _ *Community) ([]Event, error) {
		return c.Archive()
	})
}

// RestoreContact brings an archived contact back to the active list.
func (h *Handler) RestoreContact(ctx context.Context, caller Caller, id string) (Result, error) {
	return h.runContact(ctx, caller, "RestoreContact", id, 0, func(c *Contact, _ *Community) ([]Event, error) {
		return c.Restore()
	})
}

// DeleteContact deletes an archived contact and frees its keys.
func (h *Handler) DeleteContact(ctx context.Context, caller Caller, id string) (Result, error) {
	return h.runContact(ctx, caller, "DeleteContact", id, 0, func(c *Contact, _ *Community) ([]Event, error) {
		return c.Delete()
	})
}

// MergeContacts merges duplicates into survivor; take picks, per field key,
// the duplicate whose value wins.
//
// The appends are ordered so that a crash anywhere is completed by running
// the same merge again: first each duplicate records ContactMerged (it leaves
// the lists; its data stays in its stream), then the survivor records what it
// takes. Running it again skips the duplicates already merged into the
// survivor and completes the survivor's side.
func (h *Handler) MergeContacts(ctx context.Context, caller Caller, survivorID string, duplicateIDs []string, take map[string]string) (Result, error) {
	if len(duplicateIDs) == 0 || len(duplicateIDs) > MaxMergeDuplicates {
		return Result{}, FieldError("duplicates", "give 1 to %d duplicates", MaxMergeDuplicates)
	}
	for attempt := 0; ; attempt++ {
		res, err := h.merge(ctx, caller, survivorID, duplicateIDs, take)
		if IsWrongExpectedVersion(err) && attempt < maxRetries {
			continue
		}
		return res, err
	}
}

func (h *Handler) merge(ctx context.Context, caller Caller, survivorID string, duplicateIDs []string, take map[string]string) (Result, error) {
	community, err := h.community(ctx, caller.CommunityID)
	if err != nil {
		return Result{}, err
	}
	survivor, err := LoadContact(ctx, h.Store, caller.CommunityID, survivorID)
	if err != nil {
		return Result{}, err
	}
	duplicates := make([]*Contact, len(duplicateIDs))
	for i, id := range duplicateIDs {
		d, err := LoadContact(ctx, h.Store, caller.CommunityID, id)
		if err != nil {
			return Result{}, &Error{Code: ENOTFOUND, Field: "duplicates", Message: fmt.Sprintf("contact %s not found", id)}
		}
		duplicates[i] = d
	}
	if survivor.Status == StatusActive && !slices.ContainsFunc(duplicateIDs, func(id string) bool { return !survivor.absorbs(id) }) {
		// Every duplicate is already absorbed: a retry of a completed merge.
		return Result{ID: survivor.ID, Version: survivor.Version}, nil
	}
	mergeID := NewID()
	for _, d := range duplicates {
		if d.Status == StatusMerged && d.MergedInto == survivor.ID && !survivor.absorbs(d.ID) {
			mergeID = d.MergeID // completing an interrupted merge: keep its ID
		}
	}
	// Decide first, on the duplicates as they are, so nothing is written
	// unless the whole merge is valid.
	absorbed, err := survivor.Merge(community, mergeID, asUnmerged(duplicates, survivor), take)
	if err != nil {
		return Result{}, err
	}
	var pos Position
	for _, d := range duplicates {
		events, err := d.MergeInto(survivorID, mergeID)
		if err != nil {
			return Result{}, err
		}
		res, err := h.commit(ctx, caller, "MergeContacts", d, events)
		if err != nil {
			return Result{}, err
		}
		pos = later(pos, res.Position)
	}
	res, err := h.commit(ctx, caller, "MergeContacts", survivor, absorbed)
	if err != nil {
		return Result{}, err
	}
	res.Position = later(pos, res.Position)
	res.Changed = true
	return res, nil
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

// UnmergeContact undoes the merge of duplicateID into survivorID: the
// survivor gives back the values it took from it (those not changed since;
// the others are listed in the survivor's DuplicateReleased event), then the
// duplicate comes back as it was, with its keys.
func (h *Handler) UnmergeContact(ctx context.Context, caller Caller, survivorID, duplicateID string) (Result, error) {
	var mergeID string
	res, err := h.runContact(ctx, caller, "UnmergeContact", survivorID, 0, func(s *Contact, _ *Community) ([]Event, error) {
		events, id, err := s.Unmerge(duplicateID)
		if ErrorCode(err) == ENOTFOUND {
			// An interrupted merge: the duplicate points here but the
			// survivor never absorbed it. Only the duplicate's side is left.
			if d, derr := LoadContact(ctx, h.Store, caller.CommunityID, duplicateID); derr == nil &&
				d.Status == StatusMerged && d.MergedInto == survivorID {
				return nil, nil
			}
		}
		mergeID = id
		return events, err
	})
	if err != nil {
		return Result{}, err
	}
	dupRes, err := h.runContact(ctx, caller, "UnmergeContact", duplicateID, 0, func(d *Contact, _ *Community) ([]Event, error) {
		events, err := d.UnmergeFrom(survivorID, mergeID)
		if err != nil {
			return nil, err
		}
		// The duplicate's keys may have passed to the survivor: claim them back.
		for _, k := range uniqueKeys {
			if v := d.Values[k]; v != "" {
				if _, _, err := h.reserve(ctx, caller, k, v, d.ID, d.Version); err != nil {
					return nil, err
				}
			}
		}
		return events, nil
	})
	if err != nil {
		return Result{}, err
	}
	dupRes.Position = later(res.Position, dupRes.Position)
	return dupRes, nil
}
