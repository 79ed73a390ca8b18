package sealed

import (
	"context"
	"encoding/json"

	"github.com/assoc/contacts/domain"
)

var _ domain.CommunityLog = (*Store)(nil)

// communityScanPage is how many events of the whole log one read takes
// when the inner store has no index by community.
const communityScanPage = 2000

// ReadCommunity implements domain.CommunityLog: a community's events,
// opened; no other community's personal data is ever opened to serve it.
// Over a store that indexes the log by community (PostgreSQL) it reads
// only the community's; over another (EventStoreDB) it reads the whole log
// sealed, keeps the community's by their metadata (never sealed), and
// opens those alone.
func (s *Store) ReadCommunity(ctx context.Context, communityID string, from domain.Position, limit int) ([]domain.RecordedEvent, domain.Position, error) {
	if log, ok := s.inner.(domain.CommunityLog); ok {
		events, next, err := log.ReadCommunity(ctx, communityID, from, limit)
		if err != nil {
			return nil, from, err
		}
		opened, err := s.open(ctx, events)
		return opened, next, err
	}
	var kept []domain.RecordedEvent
	for len(kept) < limit {
		page, err := s.inner.ReadAll(ctx, from, communityScanPage)
		if err != nil {
			return nil, from, err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if ofCommunity(r, communityID) {
				kept = append(kept, r)
				if len(kept) == limit {
					from = r.Position
					break
				}
			}
			from = r.Position
		}
	}
	opened, err := s.open(ctx, kept)
	return opened, from, err
}

// ofCommunity reports whether an event's metadata names the community.
func ofCommunity(r domain.RecordedEvent, communityID string) bool {
	var meta struct {
		CommunityID string `json:"community_id"`
	}
	return json.Unmarshal(r.Metadata, &meta) == nil && meta.CommunityID == communityID
}
