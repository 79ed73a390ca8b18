package domain

import (
	"context"
	"slices"
)

// KeyHolder returns the ID of the contact that holds unique key kind
// (KeyEmail or KeyExternalID) = value in the caller's community, or "" when
// no contact holds it. It asks the key's reservation, which is
// authoritative (read models may lag behind), and checks that its holder
// still has the value, so a stale claim or a released key counts as free.
// A key held by a merged duplicate names the duplicate: its survivor holds
// the key on its behalf (see Contact.MergedInto).
func (h *Handler) KeyHolder(ctx context.Context, communityID, kind, value string) (string, error) {
	if !slices.Contains(uniqueKeys, kind) {
		return "", FieldError(kind, "is not a unique key (email, external_id)")
	}
	normalized := normalizeKey(kind, value)
	if normalized == "" {
		return "", nil
	}
	r, err := h.readReservation(ctx, h.keyStream(communityID, kind, normalized))
	if err != nil || r.holder == "" {
		return "", err
	}
	c, err := LoadContact(ctx, h.Store, communityID, r.holder)
	if ErrorCode(err) == ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	holds, err := h.holdsKey(ctx, c, kind, normalized)
	if err != nil || !holds {
		return "", err
	}
	return c.ID, nil
}
