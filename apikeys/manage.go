package apikeys

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// List returns the keys of a community that are not revoked, by role then
// creation time (oldest first).
func (s *Store) List(ctx context.Context, communityID string) ([]Key, error) {
	if !domain.ValidID(communityID) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, role, created_at FROM api_keys
		WHERE community_id = $1 AND revoked_at IS NULL ORDER BY role, created_at, id`, communityID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Key, error) {
		k := Key{CommunityID: communityID}
		var role string
		err := row.Scan(&k.ID, &role, &k.CreatedAt)
		k.Role = Role(role)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// Revoke revokes key id of a community: it authenticates nothing from now
// on, and the console sessions opened with it end. The row stays, so the
// key ID that events name as their actor keeps meaning something.
//
// Errors: ENOTFOUND for a key that is not the community's, or already
// revoked.
func (s *Store) Revoke(ctx context.Context, communityID, id string) error {
	if !domain.ValidID(communityID) || !domain.ValidID(id) {
		return domain.Errorf(domain.ENOTFOUND, "key %s not found", id)
	}
	// Sessions join their key and end with it; deleting them here only
	// frees their rows at once.
	var n int
	err := s.pool.QueryRow(ctx, `WITH revoked AS (
			UPDATE api_keys SET revoked_at = now()
			WHERE id = $1 AND community_id = $2 AND revoked_at IS NULL RETURNING id),
		ended AS (DELETE FROM console_sessions WHERE key_id IN (SELECT id FROM revoked))
		SELECT count(*) FROM revoked`, id, communityID).Scan(&n)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	if n == 0 {
		return domain.Errorf(domain.ENOTFOUND, "key %s not found", id)
	}
	return nil
}
