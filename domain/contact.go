package domain

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// ContactStatus is where a contact is in its life:
// active → archived → deleted, archived → active, and merged (final).
type ContactStatus string

// The contact statuses.
const (
	StatusActive   ContactStatus = "active"
	StatusArchived ContactStatus = "archived"
	StatusDeleted  ContactStatus = "deleted"
	StatusMerged   ContactStatus = "merged"
)

// ContactStream names a contact's stream.
func ContactStream(id string) string { return "contact-" + id }

// Contact is a contact's state, folded from its events. The zero Contact
// (Version 0) does not exist yet.
type Contact struct {
	ID          string
	CommunityID string
	Status      ContactStatus
	// Values holds every value by slot (built-in key, or field ID).
	Values     map[string]string
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ArchivedAt time.Time
	// MergedInto is the survivor of a merged contact.
	MergedInto string
	// StatusBeforeMerge is what an unmerge brings a merged contact back to.
	StatusBeforeMerge ContactStatus
	// MergeID is the merge that merged this contact.
	MergeID string
	// Absorbed records, per merge ID, what this survivor took in each merge,
	// so an unmerge can give it back.
	Absorbed map[string][]Change
	// MergeOf maps a merge ID to the duplicates still absorbed by it.
	MergeOf map[string][]string
	// Merging is the merge into this contact that has started and not
	// closed yet (nil when none): a crash cut it short, or it is running.
	Merging *MergeStarted
}

// Exists reports whether the contact has been registered.
func (c *Contact) Exists() bool { return c.Version > 0 }

// Value returns the value in a slot ("" when empty).
func (c *Contact) Value(slot string) string { return c.Values[slot] }

// Email, FirstName, LastName and ExternalID return the built-in values.
func (c *Contact) Email() string      { return c.Values[KeyEmail] }
func (c *Contact) FirstName() string  { return c.Values[KeyFirstName] }
func (c *Contact) LastName() string   { return c.Values[KeyLastName] }
func (c *Contact) ExternalID() string { return c.Values[KeyExternalID] }

// FieldValues returns the contact's values of the community's current
// admin-defined fields, by key (a removed field's values are not shown).
func (c *Contact) FieldValues(community *Community) map[string]string {
	values := map[string]string{}
	for _, f := range community.Fields() {
		if v, ok := c.Values[f.ID]; ok && f.ID != "" {
			values[f.Key] = v
		}
	}
	return values
}

// Apply folds one event into the state. at is when it was recorded.
func (c *Contact) Apply(e Event, version int64, at time.Time) {
	c.Version = version
	switch e := e.(type) {
	case ContactRegistered:
		c.ID, c.CommunityID, c.Status = e.ContactID, e.CommunityID, StatusActive
		c.Values = map[string]string{}
		for _, v := range e.Values {
			c.set(v.FieldID, v.Field, v.Value)
		}
		c.CreatedAt, c.UpdatedAt = at, at
	case ContactUpdated:
		c.applyChanges(e.Changes)
		c.UpdatedAt = at
	case ContactArchived:
		c.Status, c.ArchivedAt, c.UpdatedAt = StatusArchived, at, at
	case ContactRestored:
		c.Status, c.ArchivedAt, c.UpdatedAt = StatusActive, time.Time{}, at
	case ContactDeleted:
		c.Status, c.Values, c.UpdatedAt = StatusDeleted, map[string]string{}, at
		// Absorbed holds values (personal data): gone. MergeOf holds only
		// IDs and stays, so a delete interrupted before the duplicates it
		// absorbed were deleted too is completed by deleting it again.
		c.Absorbed = nil
	case ContactMerged:
		c.StatusBeforeMerge, c.Status, c.MergedInto, c.UpdatedAt = c.Status, StatusMerged, e.SurvivorID, at
		c.MergeID = e.MergeID
	case ContactUnmerged:
		c.Status, c.MergedInto, c.UpdatedAt = c.StatusBeforeMerge, "", at
		c.StatusBeforeMerge, c.MergeID = "", ""
	case MergeStarted:
		c.Merging = &e
	case MergeAbandoned:
		if c.Merging != nil && c.Merging.MergeID == e.MergeID {
			c.Merging = nil
		}
	case DuplicatesAbsorbed:
		if c.Merging != nil && c.Merging.MergeID == e.MergeID {
			c.Merging = nil
		}
		c.applyChanges(e.Changes)
		if c.Absorbed == nil {
			c.Absorbed, c.MergeOf = map[string][]Change{}, map[string][]string{}
		}
		c.Absorbed[e.MergeID] = append(c.Absorbed[e.MergeID], e.Changes...)
		c.MergeOf[e.MergeID] = append(c.MergeOf[e.MergeID], e.DuplicateIDs...)
		c.UpdatedAt = at
	case DuplicateReleased:
		c.applyChanges(e.Changes)
		// What it took from this duplicate is settled (given back or kept):
		// the values it gave up for it are no longer held for an unmerge.
		c.Absorbed[e.MergeID] = slices.DeleteFunc(slices.Clone(c.Absorbed[e.MergeID]), func(ch Change) bool { return ch.From == e.DuplicateID })
		c.MergeOf[e.MergeID] = remove(c.MergeOf[e.MergeID], e.DuplicateID)
		if len(c.MergeOf[e.MergeID]) == 0 {
			delete(c.MergeOf, e.MergeID)
			delete(c.Absorbed, e.MergeID)
		}
		c.UpdatedAt = at
	}
}

func (c *Contact) applyChanges(changes []Change) {
	for _, ch := range changes {
		c.set(ch.FieldID, ch.Field, ch.New)
	}
}

func (c *Contact) set(fieldID, key, value string) {
	slot := key
	if fieldID != "" {
		slot = fieldID
	}
	if value == "" {
		delete(c.Values, slot)
		return
	}
	c.Values[slot] = value
}

// after is the contact as it would be once events are recorded (at now).
func (c *Contact) after(events []Event, now time.Time) *Contact {
	a := c.clone()
	if a.Values == nil {
		a.Values = map[string]string{}
	}
	for i, e := range events {
		a.Apply(e, c.Version+int64(i)+1, now)
	}
	return a
}

// clone returns a deep copy, for deciding on a state without touching it.
func (c *Contact) clone() *Contact {
	d := *c
	d.Values = maps.Clone(c.Values)
	if c.Absorbed != nil {
		d.Absorbed = make(map[string][]Change, len(c.Absorbed))
		for id, changes := range c.Absorbed {
			d.Absorbed[id] = slices.Clone(changes)
		}
		d.MergeOf = make(map[string][]string, len(c.MergeOf))
		for id, dups := range c.MergeOf {
			d.MergeOf[id] = slices.Clone(dups)
		}
	}
	return &d
}

// absorbs reports whether a merge into this survivor absorbed duplicate id
// (and no unmerge has released it since).
func (c *Contact) absorbs(id string) bool {
	for _, dups := range c.MergeOf {
		if slices.Contains(dups, id) {
			return true
		}
	}
	return false
}

// hasIdentity reports whether the contact can be told apart: a first or last
// name, or an email.
func hasIdentity(values map[string]string) bool {
	return values[KeyFirstName] != "" || values[KeyLastName] != "" || values[KeyEmail] != ""
}

// holdsKey reports whether the contact holds the unique key kind=value: it
// is active, archived or merged (a merged duplicate's keys stay reserved,
// passing to its survivor) and has that value. For a merged contact this is
// only half the answer: its survivor must still live on (Handler.holdsKey).
func (c *Contact) holdsKey(kind, normalized string) bool {
	switch c.Status {
	case StatusActive, StatusArchived, StatusMerged:
		return slices.Contains(c.keysHeld(kind), normalized)
	}
	return false
}

// keysHeld returns the values of unique key kind the contact holds,
// normalised: its own, and, while a merge can be undone, both sides of
// each key value it changed in that merge: its own it gave up, and the
// duplicate's it took, even once it has changed it since. An unmerge then
// always finds both free to give back: the survivor its own, the
// duplicate its.
func (c *Contact) keysHeld(kind string) []string {
	var held []string
	add := func(value string) {
		if v := normalizeKey(kind, value); v != "" && !slices.Contains(held, v) {
			held = append(held, v)
		}
	}
	add(c.Values[kind])
	for _, mergeID := range slices.Sorted(maps.Keys(c.Absorbed)) {
		for _, ch := range c.Absorbed[mergeID] {
			if ch.FieldID == "" && ch.Field == kind {
				add(ch.Old)
				add(ch.New)
			}
		}
	}
	return held
}

// normalizeKey returns the form in which a unique key is compared: emails
// case-insensitively, external IDs exactly (trimmed).
func normalizeKey(kind, value string) string {
	value = strings.TrimSpace(value)
	if kind == KeyEmail {
		return strings.ToLower(value)
	}
	return value
}

func remove(ids []string, id string) []string {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}
