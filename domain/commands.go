package domain

import (
	"context"
	"fmt"
	"strconv"
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

// DeleteContact deletes an archived contact and frees its keys, and with it
// every duplicate it absorbed by a merge (they live on in it only): their
// data and keys go too.
//
// The survivor is deleted first, then each duplicate (and, in turn, any
// contact a duplicate had absorbed). If that stops half-way, deleting the
// survivor again completes it: a deleted survivor still lists the
// duplicates it absorbed, and Delete of a deleted contact records nothing
// and goes on with those not deleted yet. Meanwhile the keys of a duplicate
// merged into a deleted survivor are free (see Handler.holdsKey).
func (h *Handler) DeleteContact(ctx context.Context, caller Caller, id string) (Result, error) {
	res, err := h.runContact(ctx, caller, "DeleteContact", id, 0, func(c *Contact, _ *Community) ([]Event, error) {
		return c.Delete()
	})
	if err != nil {
		return Result{}, err
	}
	// The survivor is deleted: its duplicates must follow, even if the
	// caller has gone away.
	pos, changed, err := h.deleteAbsorbed(context.WithoutCancel(ctx), caller, id, 0)
	res.Position = later(res.Position, pos)
	res.Changed = res.Changed || changed
	if err != nil {
		return res, fmt.Errorf("contact %s is deleted, but not every duplicate merged into it (delete it again to finish): %w", id, err)
	}
	return res, nil
}

// deleteAbsorbed deletes the duplicates a deleted survivor absorbed, and
// the ones they had absorbed, depth merges down. It goes on after a
// failure, returning the first.
func (h *Handler) deleteAbsorbed(ctx context.Context, caller Caller, survivorID string, depth int) (Position, bool, error) {
	survivor, err := LoadContact(ctx, h.Store, caller.CommunityID, survivorID)
	if err != nil {
		return Position{}, false, err
	}
	if survivor.Status != StatusDeleted || depth >= maxMergeChain {
		return Position{}, false, nil
	}
	var pos Position
	var changed bool
	var first error
	// The survivor's deletion causes each duplicate's: say so, naming
	// that event by its stream and version.
	caller.CausationID = ContactStream(survivorID) + "@" + strconv.FormatInt(survivor.Version, 10)
	for _, dupID := range survivor.absorbedIDs() {
		res, err := h.runContact(ctx, caller, "DeleteContact", dupID, 0, func(d *Contact, _ *Community) ([]Event, error) {
			return d.DeleteWithSurvivor(survivor)
		})
		if err == nil {
			pos, changed = later(pos, res.Position), changed || res.Changed
			var p Position
			var ch bool
			p, ch, err = h.deleteAbsorbed(ctx, caller, dupID, depth+1)
			pos, changed = later(pos, p), changed || ch
		}
		if err != nil && first == nil {
			first = fmt.Errorf("duplicate %s: %w", dupID, err)
		}
	}
	return pos, changed, first
}

// UnmergeContact undoes the merge of duplicateID into survivorID: the
// survivor gives back the values it took from it (those not changed since;
// the others are listed in the survivor's DuplicateReleased event), then the
// duplicate comes back as it was, with its keys.
func (h *Handler) UnmergeContact(ctx context.Context, caller Caller, survivorID, duplicateID string) (Result, error) {
	// A merge into the survivor cut short is carried on first: the
	// duplicate is then merged and absorbed (or not merged at all).
	if _, err := h.CompleteMerge(ctx, caller, survivorID); err != nil {
		return Result{}, err
	}
	var mergeID string
	res, err := h.decideOnContact(ctx, caller, "UnmergeContact", survivorID, 0, func(s *Contact, _ *Community) (contactDecision, error) {
		events, id, err := s.Unmerge(duplicateID)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return contactDecision{}, err
		}
		d, derr := LoadContact(ctx, h.Store, caller.CommunityID, duplicateID)
		if derr != nil && ErrorCode(derr) != ENOTFOUND {
			return contactDecision{}, derr
		}
		if err != nil {
			// An interrupted merge or unmerge: the duplicate points here
			// but the survivor does not absorb it. Only the duplicate's
			// side is left.
			if derr == nil && d.Status == StatusMerged && d.MergedInto == survivorID {
				mergeID = d.MergeID
				return contactDecision{}, nil
			}
			return contactDecision{}, err
		}
		mergeID = id
		// A key value the survivor gives back that the duplicate holds
		// passes straight to the duplicate: released, another contact
		// could take it before the duplicate claims it back.
		var handovers []keyHandover
		if derr == nil {
			for _, k := range uniqueKeys {
				if v := d.Values[k]; v != "" {
					handovers = append(handovers, keyHandover{kind: k, value: v, to: d.ID, version: d.Version})
				}
			}
		}
		return contactDecision{events: events, handovers: handovers}, nil
	})
	if err != nil {
		return Result{}, err
	}
	dupRes, err := h.runContact(ctx, caller, "UnmergeContact", duplicateID, 0, func(d *Contact, _ *Community) ([]Event, error) {
		events, err := d.UnmergeFrom(survivorID, mergeID)
		if err != nil {
			return nil, err
		}
		// The duplicate's keys may have passed to the survivor: claim them
		// back. Those the survivor handed over are already its own, at
		// this version: reserve finds them so and appends nothing.
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
