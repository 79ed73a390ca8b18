package domain

// Event is a fact recorded in the log. Each type has a past-tense name and a
// schema version (see schemaVersion: all are at 1; bumping one will need an
// upcaster in Decode).
type Event interface {
	EventType() string
}

// Value is one field's value in an event. Field is the field's key (for
// people and for built-ins); FieldID is set for admin-defined fields, whose
// values belong to that definition of the field.
type Value struct {
	Field   string `json:"field"`
	FieldID string `json:"field_id,omitempty"`
	Value   string `json:"value"`
}

// Change is one field's change in an event: from Old to New ("" = empty).
type Change struct {
	Field   string `json:"field"`
	FieldID string `json:"field_id,omitempty"`
	Old     string `json:"old"`
	New     string `json:"new"`
	// From is the duplicate a merged value was taken from.
	From string `json:"from,omitempty"`
}

// Slot is where the value lives in a contact (see Field.Slot).
func (c Change) Slot() string {
	if c.FieldID != "" {
		return c.FieldID
	}
	return c.Field
}

// Community events, in stream "community-<id>".

// CommunityCreated opens a community.
type CommunityCreated struct {
	CommunityID string `json:"community_id"`
	Name        string `json:"name"`
}

// FieldDefined adds an admin-defined profile field to the community.
type FieldDefined struct {
	CommunityID string `json:"community_id"`
	Field       Field  `json:"field"`
}

// FieldRemoved removes a field; its values are no longer shown.
type FieldRemoved struct {
	CommunityID string `json:"community_id"`
	FieldID     string `json:"field_id"`
	Key         string `json:"key"`
}

// Contact events, in stream "contact-<id>".

// ContactRegistered creates a contact with its first values.
type ContactRegistered struct {
	ContactID   string  `json:"contact_id"`
	CommunityID string  `json:"community_id"`
	Values      []Value `json:"values"`
}

// ContactUpdated changes some of a contact's values.
type ContactUpdated struct {
	ContactID string   `json:"contact_id"`
	Changes   []Change `json:"changes"`
}

// ContactArchived moves a contact to the archive; it keeps every value.
type ContactArchived struct {
	ContactID string `json:"contact_id"`
}

// ContactRestored brings an archived contact back, as it was.
type ContactRestored struct {
	ContactID string `json:"contact_id"`
}

// ContactDeleted erases an archived contact for good.
type ContactDeleted struct {
	ContactID string `json:"contact_id"`
}

// MergeStarted, in the survivor's stream, records a merge before any of its
// duplicates is touched: the merge's own log, so that a merge cut short
// by a crash is completed (or rolled back) by whichever process finds it,
// with the same duplicates and choices. DuplicatesAbsorbed or
// MergeAbandoned with the same MergeID closes it.
type MergeStarted struct {
	ContactID    string   `json:"contact_id"`
	MergeID      string   `json:"merge_id"`
	DuplicateIDs []string `json:"duplicate_ids"`
	// Take names, per field key, the duplicate whose value wins.
	Take map[string]string `json:"take,omitempty"`
}

// MergeAbandoned, in the survivor's stream, closes a merge that could not
// complete: the duplicates it had merged were unmerged (each records
// ContactUnmerged) and the survivor took nothing.
type MergeAbandoned struct {
	ContactID string `json:"contact_id"`
	MergeID   string `json:"merge_id"`
	Reason    string `json:"reason"`
}

// ContactMerged, in a duplicate's stream, says it now lives on in Survivor.
type ContactMerged struct {
	ContactID  string `json:"contact_id"`
	SurvivorID string `json:"survivor_id"`
	MergeID    string `json:"merge_id"`
}

// DuplicatesAbsorbed, in the survivor's stream, records the values it took
// from the duplicates of a merge.
type DuplicatesAbsorbed struct {
	ContactID    string   `json:"contact_id"`
	MergeID      string   `json:"merge_id"`
	DuplicateIDs []string `json:"duplicate_ids"`
	Changes      []Change `json:"changes"`
}

// ContactUnmerged, in a duplicate's stream, brings it back as it was before
// the merge.
type ContactUnmerged struct {
	ContactID  string `json:"contact_id"`
	SurvivorID string `json:"survivor_id"`
	MergeID    string `json:"merge_id"`
}

// DuplicateReleased, in the survivor's stream, undoes a merge for one
// duplicate: the survivor gives back the values it took from it (Changes),
// except those changed since (Kept).
type DuplicateReleased struct {
	ContactID   string   `json:"contact_id"`
	MergeID     string   `json:"merge_id"`
	DuplicateID string   `json:"duplicate_id"`
	Changes     []Change `json:"changes"`
	Kept        []string `json:"kept,omitempty"`
}

// Key reservation events, in stream "key-<keyed hash>": they make email and
// external ID unique inside a community.

// KeyReserved says the key belongs to ContactID. HolderVersion is the
// holder's version when it claimed the key: until the holder moves past it,
// the command that claimed the key may still be in flight.
type KeyReserved struct {
	ContactID     string `json:"contact_id"`
	HolderVersion int64  `json:"holder_version"`
}

// KeyReleased says ContactID gave the key up.
type KeyReleased struct {
	ContactID string `json:"contact_id"`
}

func (CommunityCreated) EventType() string   { return "CommunityCreated" }
func (FieldDefined) EventType() string       { return "FieldDefined" }
func (FieldRemoved) EventType() string       { return "FieldRemoved" }
func (ContactRegistered) EventType() string  { return "ContactRegistered" }
func (ContactUpdated) EventType() string     { return "ContactUpdated" }
func (ContactArchived) EventType() string    { return "ContactArchived" }
func (ContactRestored) EventType() string    { return "ContactRestored" }
func (ContactDeleted) EventType() string     { return "ContactDeleted" }
func (MergeStarted) EventType() string       { return "MergeStarted" }
func (MergeAbandoned) EventType() string     { return "MergeAbandoned" }
func (ContactMerged) EventType() string      { return "ContactMerged" }
func (DuplicatesAbsorbed) EventType() string { return "DuplicatesAbsorbed" }
func (ContactUnmerged) EventType() string    { return "ContactUnmerged" }
func (DuplicateReleased) EventType() string  { return "DuplicateReleased" }
func (KeyReserved) EventType() string        { return "KeyReserved" }
func (KeyReleased) EventType() string        { return "KeyReleased" }
