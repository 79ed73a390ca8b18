package spreadsheet

import (
	"context"

	"github.com/assoc/contacts/domain"
)

// Re-importing an export is the common case, and most of its rows change
// nothing. Loading each row's contact from the log to find that out is
// what costs most (100,000 loads). When the contacts read model has applied
// the whole log, its rows are the contacts' state as of now, as a load
// would see them: a row that names its contact by ID and whose every value
// equals that contact's is unchanged without a load. Any other row (a
// change, no ID, a contact not active) takes the full path: loaded from
// the log, keys checked against their reservations. A read model that lags
// is never trusted: then every row takes the full path.

// CaughtUpCheck reports whether the contacts read model has applied the whole
// log (spreadsheet/postgres.CaughtUp is one).
type CaughtUpCheck func(ctx context.Context) (bool, error)

// fastBatch is how many contacts one read-model query fetches.
const fastBatch = 1000

// readModelCaughtUp reports whether the read model may settle unchanged rows.
func (s *Service) readModelCaughtUp(ctx context.Context) (bool, error) {
	if s.CaughtUp == nil || s.Queries == nil {
		return false, nil
	}
	return s.CaughtUp(ctx)
}

// settleUnchanged decides the rows of batch (each naming a contact ID)
// that change nothing of their contact in the read model (once it has
// caught up with the log):
// settled[i] is batch[i] decided, or nil for a row to match.
func (s *Service) settleUnchanged(ctx context.Context, communityID string, batch []*sheetRow) (settled []*DecidedRow, err error) {
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = r.keys.ID
	}
	views, err := s.Queries.ContactsByID(ctx, communityID, ids)
	if err != nil {
		return nil, err
	}
	settled = make([]*DecidedRow, len(batch))
	for i, r := range batch {
		if v, ok := views[r.keys.ID]; ok && v.Status == string(domain.StatusActive) && sameValues(v, r.values) {
			settled[i] = &DecidedRow{Number: r.number, Keys: r.keys, Outcome: domain.RowUnchanged, ContactID: v.ID, Version: v.Version, weight: r.weight}
		}
	}
	return settled, nil
}

// sameValues reports whether every value of a row equals the contact's
// (row values are normalised as the domain stores them).
func sameValues(v domain.ContactView, values map[string]string) bool {
	for key, want := range values {
		if viewValue(v, key) != want {
			return false
		}
	}
	return true
}
