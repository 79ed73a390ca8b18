package domain

import (
	"context"
	"time"
)

// HistoryEntry is one event of a contact's history, told in plain terms for
// auditors: who did what, when, why (the correlation: a request or an
// import), and what changed.
type HistoryEntry struct {
	Version       int64
	Position      Position
	Type          string
	Schema        int
	Time          time.Time
	Actor         string
	Command       string
	CorrelationID string
	CausationID   string
	// Changes are the fields the event changed, old → new (status changes
	// included, as field "status").
	Changes []Change
	// Related are the other contacts the event ties this one to: the
	// survivor of a merge, the duplicates it absorbed or gave back, so an
	// auditor can follow their histories.
	Related []string
	// Erased is true when the event's personal values were erased with the
	// contact (its key destroyed): the changes name the fields, not values.
	Erased bool
}

// StatusField is the pseudo-field under which history reports status changes.
const StatusField = "status"

// ContactHistory returns every event of a contact, oldest first. A
// contact of another community is ENOTFOUND, as an unknown one.
func ContactHistory(ctx context.Context, store EventStore, communityID, id string) ([]HistoryEntry, error) {
	if !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "contact %s not found", id)
	}
	var (
		entries []HistoryEntry
		state   = &Contact{ID: id}
	)
	err := foldStream(ctx, store, ContactStream(id), func(e Event, meta Metadata, r RecordedEvent) {
		before := state.Status
		state.Apply(e, r.Version, meta.Time)
		entry := HistoryEntry{
			Version: r.Version, Position: r.Position, Type: r.Type, Schema: meta.Schema,
			Time: meta.Time, Actor: meta.Actor, Command: meta.Command,
			CorrelationID: meta.CorrelationID, CausationID: meta.CausationID,
			Changes: describe(e), Related: related(e), Erased: r.Erased,
		}
		if state.Status != before {
			entry.Changes = append([]Change{{Field: StatusField, Old: string(before), New: string(state.Status)}}, entry.Changes...)
		}
		entries = append(entries, entry)
	})
	if err != nil {
		return nil, err
	}
	if !state.Exists() || state.CommunityID != communityID {
		return nil, Errorf(ENOTFOUND, "contact %s not found", id)
	}
	return entries, nil
}

// describe lists the field changes an event made.
func describe(e Event) []Change {
	switch e := e.(type) {
	case ContactRegistered:
		changes := make([]Change, 0, len(e.Values))
		for _, v := range e.Values {
			changes = append(changes, Change{Field: v.Field, FieldID: v.FieldID, New: v.Value})
		}
		return changes
	case ContactUpdated:
		return e.Changes
	case DuplicatesAbsorbed:
		return e.Changes
	case DuplicateReleased:
		return e.Changes
	}
	return nil
}

// related lists the contacts an event links this one to.
func related(e Event) []string {
	switch e := e.(type) {
	case ContactMerged:
		return []string{e.SurvivorID}
	case ContactUnmerged:
		return []string{e.SurvivorID}
	case MergeStarted:
		return e.DuplicateIDs
	case DuplicatesAbsorbed:
		return e.DuplicateIDs
	case DuplicateReleased:
		return []string{e.DuplicateID}
	}
	return nil
}
