package domain

import "time"

// Read types: what the read side shows of contacts. Queries return them,
// never the aggregates commands decide on.

// ContactView is a contact as a reader sees it, in any state.
type ContactView struct {
	ID          string
	CommunityID string
	Status      string
	Email       string
	FirstName   string
	LastName    string
	ExternalID  string
	// Fields maps the community's current field keys to values.
	Fields     map[string]string
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ArchivedAt *time.Time
	MergedInto *string
}

// ListQuery asks for one page of a contact list.
type ListQuery struct {
	CommunityID string
	Status      ContactStatus // active or archived
	Search      string        // case- and accent-blind fragment of names, email, external ID
	Sort        string        // a sort key (last_name, first_name, email, created, updated, archived), "-" prefix for descending
	Cursor      string        // from the previous page's NextCursor
	Limit       int
}

// ContactPage is one page of a list; NextCursor is "" on the last page.
type ContactPage struct {
	Items      []ContactView
	NextCursor string
}

// ViewOf shows a contact, folded from its events, as a reader sees it,
// with the values of its community's current fields (times to the
// microsecond, as the read model keeps them).
func ViewOf(c *Contact, community *Community) ContactView {
	micro := func(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
	v := ContactView{
		ID: c.ID, CommunityID: c.CommunityID, Status: string(c.Status),
		Email: c.Email(), FirstName: c.FirstName(), LastName: c.LastName(), ExternalID: c.ExternalID(),
		Fields: c.FieldValues(community), Version: c.Version,
		CreatedAt: micro(c.CreatedAt), UpdatedAt: micro(c.UpdatedAt),
	}
	if !c.ArchivedAt.IsZero() && c.Status != StatusDeleted {
		at := micro(c.ArchivedAt)
		v.ArchivedAt = &at
	}
	if c.MergedInto != "" {
		into := c.MergedInto
		v.MergedInto = &into
	}
	return v
}
