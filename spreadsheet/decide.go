package spreadsheet

import (
	"fmt"

	"github.com/assoc/contacts/domain"
)

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
