package domain

import (
	"maps"
	"slices"
)

// MaxMergeDuplicates is the most duplicates one merge absorbs.
const MaxMergeDuplicates = 10

// normalizeValues checks raw values (field key → value, "" = empty) against
// the community's fields and returns them by slot, normalised, in the
// community's field order.
func normalizeValues(community *Community, raw map[string]string) ([]Value, error) {
	for key := range raw {
		if _, ok := community.Field(key); !ok {
			return nil, FieldError(key, "is not a field of this community")
		}
	}
	var values []Value
	for _, f := range community.Fields() {
		v, ok := raw[f.Key]
		if !ok {
			continue
		}
		n, err := f.Normalize(v)
		if err != nil {
			return nil, err
		}
		values = append(values, Value{Field: f.Key, FieldID: f.ID, Value: n})
	}
	return values, nil
}

// RegisterContact decides the registration of a new contact with id.
func RegisterContact(community *Community, id string, raw map[string]string) ([]Event, error) {
	if !community.Exists() {
		return nil, Errorf(ENOTFOUND, "community not found")
	}
	values, err := normalizeValues(community, raw)
	if err != nil {
		return nil, err
	}
	byslot := map[string]string{}
	var kept []Value
	for _, v := range values {
		if v.Value != "" {
			kept = append(kept, v)
			byslot[v.Field] = v.Value
		}
	}
	if !hasIdentity(byslot) {
		return nil, FieldError("", "a contact needs a first name, a last name or an email")
	}
	return []Event{ContactRegistered{ContactID: id, CommunityID: community.ID, Values: kept}}, nil
}

// Update decides a profile update: raw maps field keys to new values ("" =
// clear); fields not in raw keep their value. Setting the same values
// records nothing.
func (c *Contact) Update(community *Community, raw map[string]string) ([]Event, error) {
	if err := c.mustBe(StatusActive, "edit"); err != nil {
		return nil, err
	}
	values, err := normalizeValues(community, raw)
	if err != nil {
		return nil, err
	}
	var changes []Change
	after := c.clone()
	for _, v := range values {
		slot := v.Field
		if v.FieldID != "" {
			slot = v.FieldID
		}
		if old := c.Values[slot]; old != v.Value {
			changes = append(changes, Change{Field: v.Field, FieldID: v.FieldID, Old: old, New: v.Value})
			after.set(v.FieldID, v.Field, v.Value)
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if !hasIdentity(after.Values) {
		return nil, FieldError("", "a contact needs a first name, a last name or an email")
	}
	return []Event{ContactUpdated{ContactID: c.ID, Changes: changes}}, nil
}

// Archive decides archiving; archiving an archived contact records nothing.
func (c *Contact) Archive() ([]Event, error) {
	if c.Status == StatusArchived {
		return nil, nil
	}
	if err := c.mustBe(StatusActive, "archive"); err != nil {
		return nil, err
	}
	return []Event{ContactArchived{ContactID: c.ID}}, nil
}

// Restore decides restoring; restoring an active contact records nothing.
func (c *Contact) Restore() ([]Event, error) {
	if c.Status == StatusActive {
		return nil, nil
	}
	if err := c.mustBe(StatusArchived, "restore"); err != nil {
		return nil, err
	}
	return []Event{ContactRestored{ContactID: c.ID}}, nil
}

// Delete decides deletion, allowed only for an archived contact; deleting a
// deleted contact records nothing.
func (c *Contact) Delete() ([]Event, error) {
	if c.Status == StatusDeleted {
		return nil, nil
	}
	if c.Status == StatusActive {
		return nil, Errorf(ECONFLICT, "contact %s is active: archive it before deleting it", c.ID)
	}
	if err := c.mustBe(StatusArchived, "delete"); err != nil {
		return nil, err
	}
	return []Event{ContactDeleted{ContactID: c.ID}}, nil
}

// DeleteWithSurvivor decides deleting a merged duplicate together with the
// survivor it was merged into, which was deleted: the person lives on in
// the survivor only, so its data and keys must go with it. It is allowed
// only for a contact merged into survivor and still absorbed by it (Delete
// keeps refusing merged contacts); deleting a deleted contact records nothing.
func (c *Contact) DeleteWithSurvivor(survivor *Contact) ([]Event, error) {
	if c.Status == StatusDeleted {
		return nil, nil
	}
	if c.Status != StatusMerged || c.MergedInto != survivor.ID || !survivor.absorbs(c.ID) {
		return nil, Errorf(ECONFLICT, "cannot delete contact %s with %s: it is not merged into it", c.ID, survivor.ID)
	}
	if survivor.Status != StatusDeleted {
		return nil, Errorf(ECONFLICT, "cannot delete contact %s with %s: %s is not deleted", c.ID, survivor.ID, survivor.ID)
	}
	return []Event{ContactDeleted{ContactID: c.ID}}, nil
}

// absorbedIDs lists the duplicates the contact absorbed and still holds, in
// merge order within each merge (merges in ID order).
func (c *Contact) absorbedIDs() []string {
	var ids []string
	for _, m := range slices.Sorted(maps.Keys(c.MergeOf)) {
		ids = append(ids, c.MergeOf[m]...)
	}
	return ids
}

// mustBe refuses an action on a contact that is not in the wanted status,
// saying why in terms an admin understands.
func (c *Contact) mustBe(want ContactStatus, action string) error {
	if c.Status == want {
		return nil
	}
	switch c.Status {
	case StatusMerged:
		return Errorf(ECONFLICT, "cannot %s contact %s: it was merged into %s", action, c.ID, c.MergedInto)
	case StatusDeleted:
		return Errorf(ECONFLICT, "cannot %s contact %s: it was deleted", action, c.ID)
	case StatusArchived:
		return Errorf(ECONFLICT, "cannot %s contact %s: it is archived; restore it first", action, c.ID)
	case StatusActive:
		return Errorf(ECONFLICT, "cannot %s contact %s: it is active", action, c.ID)
	}
	return Errorf(ENOTFOUND, "contact %s not found", c.ID)
}

// Merge decides what a survivor takes from its duplicates. For each field,
// the survivor keeps its value unless it is empty (then the first duplicate,
// in the given order, that has one gives it) or take names a duplicate for
// that field key (then that duplicate's value wins, even an empty one).
// It returns the survivor's event; each duplicate records ContactMerged.
func (c *Contact) Merge(community *Community, mergeID string, duplicates []*Contact, take map[string]string) ([]Event, error) {
	if err := c.mustBe(StatusActive, "merge into"); err != nil {
		return nil, err
	}
	if len(duplicates) == 0 || len(duplicates) > MaxMergeDuplicates {
		return nil, FieldError("duplicates", "give 1 to %d duplicates", MaxMergeDuplicates)
	}
	ids := make([]string, len(duplicates))
	for i, d := range duplicates {
		if d.ID == c.ID {
			return nil, FieldError("duplicates", "contact %s cannot be merged into itself", d.ID)
		}
		if slices.Contains(ids[:i], d.ID) {
			return nil, FieldError("duplicates", "contact %s is listed twice", d.ID)
		}
		if d.CommunityID != c.CommunityID || !d.Exists() {
			return nil, fieldErrorf(ENOTFOUND, "duplicates", "contact %s not found", d.ID)
		}
		if d.Status != StatusActive && d.Status != StatusArchived {
			return nil, d.mustBe(StatusActive, "merge")
		}
		ids[i] = d.ID
	}
	for key, dupID := range take {
		if _, ok := community.Field(key); !ok {
			return nil, FieldError("take."+key, "is not a field of this community")
		}
		if !slices.Contains(ids, dupID) {
			return nil, FieldError("take."+key, "%s is not one of the duplicates", dupID)
		}
	}
	var changes []Change
	for _, f := range community.Fields() {
		slot, current := f.Slot(), c.Values[f.Slot()]
		value, from := current, ""
		if dupID, ok := take[f.Key]; ok {
			d := duplicates[slices.Index(ids, dupID)]
			value, from = d.Values[slot], d.ID
		} else if current == "" {
			for _, d := range duplicates {
				if d.Values[slot] != "" {
					value, from = d.Values[slot], d.ID
					break
				}
			}
		}
		if value != current {
			changes = append(changes, Change{Field: f.Key, FieldID: f.ID, Old: current, New: value, From: from})
		}
	}
	after := c.clone()
	after.applyChanges(changes)
	if !hasIdentity(after.Values) {
		return nil, FieldError("take", "the survivor would have no first name, last name or email")
	}
	return []Event{DuplicatesAbsorbed{ContactID: c.ID, MergeID: mergeID, DuplicateIDs: ids, Changes: changes}}, nil
}

// MergeInto decides a duplicate's side of a merge.
func (c *Contact) MergeInto(survivorID, mergeID string) ([]Event, error) {
	if c.Status == StatusMerged && c.MergedInto == survivorID {
		return nil, nil // already done: a retried merge
	}
	if c.Status != StatusActive && c.Status != StatusArchived {
		return nil, c.mustBe(StatusActive, "merge")
	}
	return []Event{ContactMerged{ContactID: c.ID, SurvivorID: survivorID, MergeID: mergeID}}, nil
}

// Unmerge decides the survivor's side of undoing a merge for one duplicate:
// it gives back each value it took from the duplicate, unless the value has
// changed since (those are listed in Kept).
func (c *Contact) Unmerge(duplicateID string) ([]Event, string, error) {
	if err := c.mustBe(StatusActive, "unmerge"); err != nil {
		return nil, "", err
	}
	for mergeID, dups := range c.MergeOf {
		if !slices.Contains(dups, duplicateID) {
			continue
		}
		var changes []Change
		var kept []string
		for _, ch := range c.Absorbed[mergeID] {
			if ch.From != duplicateID {
				continue
			}
			if c.Values[ch.Slot()] != ch.New {
				kept = append(kept, ch.Field)
				continue
			}
			changes = append(changes, Change{Field: ch.Field, FieldID: ch.FieldID, Old: ch.New, New: ch.Old, From: duplicateID})
		}
		after := c.clone()
		after.applyChanges(changes)
		if !hasIdentity(after.Values) {
			return nil, "", Errorf(ECONFLICT, "giving back %s's values would leave the survivor with no name or email", duplicateID)
		}
		return []Event{DuplicateReleased{ContactID: c.ID, MergeID: mergeID, DuplicateID: duplicateID, Changes: changes, Kept: kept}}, mergeID, nil
	}
	return nil, "", fieldErrorf(ENOTFOUND, "duplicate", "contact %s was not merged into %s", duplicateID, c.ID)
}

// UnmergeFrom decides a duplicate's side of undoing its merge.
func (c *Contact) UnmergeFrom(survivorID, mergeID string) ([]Event, error) {
	if c.Status != StatusMerged || c.MergedInto != survivorID {
		return nil, fieldErrorf(ECONFLICT, "duplicate", "contact %s is not merged into %s", c.ID, survivorID)
	}
	return []Event{ContactUnmerged{ContactID: c.ID, SurvivorID: survivorID, MergeID: mergeID}}, nil
}
