package spreadsheet

import (
	"context"
	"fmt"
	"maps"

	"github.com/assoc/contacts/domain"
)

// match finds the row's contact: by its contact ID, then by the contact
// holding its email, then its external ID (the key reservations say who).
// Keys pointing at different contacts make the row ambiguous: it comes
// back rejected, as does a row naming no contact that exists. A key the
// matched contact already has needs no lookup: re-importing an export
// costs one read per row.
func (s *Service) match(ctx context.Context, communityID string, r *sheetRow) (matchedRow, *domain.CellError, error) {
	m := matchedRow{sheetRow: r}
	if r.keys == (RowKeys{}) {
		// Registered, it could never be matched again: importing the same
		// file twice would register it twice.
		return m, &domain.CellError{Reason: "no contact ID, email or external ID: the row cannot be matched (a second import would register it again)"}, nil
	}
	if r.keys.ID != "" {
		c, err := domain.LoadContact(ctx, s.Handler.Store, communityID, r.keys.ID)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return m, &domain.CellError{Field: idColumn, Reason: fmt.Sprintf("no contact has the ID %s", r.keys.ID)}, nil
		}
		if err != nil {
			return m, nil, err
		}
		m.contact = c
	}
	for _, key := range []string{domain.KeyEmail, domain.KeyExternalID} {
		v := r.values[key]
		if v == "" || (m.contact != nil && sameKey(key, m.contact.Value(key), v)) {
			continue
		}
		holder, err := s.Handler.KeyHolder(ctx, communityID, key, v)
		if err != nil {
			return m, nil, err
		}
		switch {
		case holder == "":
		case m.contact == nil:
			c, err := domain.LoadContact(ctx, s.Handler.Store, communityID, holder)
			if err != nil {
				return m, nil, err
			}
			m.contact = c
		case holder != m.contact.ID:
			return m, &domain.CellError{Field: key, Reason: fmt.Sprintf("ambiguous: the row matches contact %s, but its %s belongs to contact %s", m.contact.ID, key, holder)}, nil
		}
	}
	return m, nil, nil
}

func sameKey(kind, a, b string) bool {
	if kind == domain.KeyEmail {
		return equalFold(a, b)
	}
	return a == b
}

// decide works out what the row does, with the domain's own decisions (the
// same rules as the JSON API), without writing anything.
func decide(community *domain.Community, h header, m matchedRow) *DecidedRow {
	c := m.contact
	if c == nil {
		values := map[string]string{}
		for k, v := range m.values {
			if v != "" {
				values[k] = v // #CLEAR on a new contact: nothing to clear
			}
		}
		id := domain.NewID()
		if _, err := domain.RegisterContact(community, id, values); err != nil {
			return rejected(m.sheetRow, "", domainError(err, h, m.number))
		}
		return &DecidedRow{Number: m.number, Keys: m.keys, Outcome: domain.RowCreated, ContactID: id, Values: values, weight: m.weight}
	}
	switch c.Status {
	case domain.StatusArchived:
		return rejected(m.sheetRow, c.ID, domain.CellError{Reason: "archived: restore it first"})
	case domain.StatusMerged:
		return rejected(m.sheetRow, c.ID, domain.CellError{Reason: fmt.Sprintf("merged into contact %s: edit that one", c.MergedInto)})
	case domain.StatusDeleted:
		return rejected(m.sheetRow, c.ID, domain.CellError{Reason: "deleted"})
	}
	events, err := c.Update(community, m.values)
	if err != nil {
		return rejected(m.sheetRow, c.ID, domainError(err, h, m.number))
	}
	d := &DecidedRow{Number: m.number, Keys: m.keys, Outcome: domain.RowUnchanged, ContactID: c.ID, Version: c.Version, weight: m.weight}
	for _, e := range events {
		if u, ok := e.(domain.ContactUpdated); ok {
			for _, ch := range u.Changes {
				d.Changes = append(d.Changes, domain.FieldChange{Field: ch.Field, Old: ch.Old, New: ch.New})
			}
		}
	}
	if len(d.Changes) > 0 {
		d.Outcome, d.Values = domain.RowUpdated, m.values
	}
	return d
}

// apply issues the row's command. The update is pinned to the version it
// was decided on, so the report says exactly what changed; a contact
// changed meanwhile rejects the row (import the file again).
func (s *Service) apply(ctx context.Context, caller domain.Caller, importID string, p PendingRow, h header) (AppliedRow, error) {
	caller.CausationID = fmt.Sprintf("import:%s:row:%d", importID, p.Number)
	var res domain.Result
	var err error
	switch p.Outcome {
	case domain.RowCreated:
		res, err = s.Handler.RegisterContactWithID(ctx, caller, p.ContactID, maps.Clone(p.Values))
	case domain.RowUpdated:
		res, err = s.Handler.UpdateContact(ctx, caller, p.ContactID, p.Values, p.Version)
	default:
		return AppliedRow{Number: p.Number}, nil
	}
	switch code := domain.ErrorCode(err); {
	case err == nil:
		return AppliedRow{Number: p.Number, Applied: true, Version: res.Version, Position: res.Position}, nil
	case code == domain.EINTERNAL || code == domain.EUNAVAILABLE || ctx.Err() != nil:
		return AppliedRow{Number: p.Number}, err // not the row's fault: the import stops
	}
	return AppliedRow{Number: p.Number, Applied: true, Errors: []domain.CellError{domainError(err, h, p.Number)}}, nil
}
