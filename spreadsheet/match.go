package spreadsheet

import (
	"context"
	"fmt"

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
