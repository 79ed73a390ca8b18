package projections

import (
	"context"
	"fmt"

	"github.com/assoc/contacts/domain"
)

// ContactsByID returns the contacts of a community among ids, in any state,
// by ID (IDs it does not hold are absent). It reads many rows in one query,
// for bulk work such as an import that compares its rows with the
// contacts they name.
func (q *Queries) ContactsByID(ctx context.Context, communityID string, ids []string) (map[string]domain.ContactView, error) {
	keys, err := q.fieldKeys(ctx, communityID)
	if err != nil {
		return nil, err
	}
	items, err := q.scanContacts(ctx, keys, `SELECT `+contactColumns+` FROM contacts WHERE community_id = $1 AND id = ANY($2::uuid[])`, communityID, ids)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	out := make(map[string]domain.ContactView, len(items))
	for _, c := range items {
		out[c.ID] = c
	}
	return out, nil
}
