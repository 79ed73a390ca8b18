package domain

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Unique keys (email, external ID) are enforced across contacts with one
// reservation stream per key value, named by a keyed hash (no personal data
// in stream names). A command claims the key before it records the contact
// event that uses it, by appending KeyReserved with the reservation stream's
// exact version; it releases keys a contact no longer uses afterwards. This
// works on any store with expected versions, EventStoreDB included.
//
// A crash between the claim and the contact's own append leaves a
// reservation whose holder does not hold the key. Such a reservation is
// reclaimed by the next claimant once the holder has moved past the version
// it claimed at (its command finished without the key) or, while it has
// not, once the claimant's process has seen it in flight for a whole lease
// (its command died; see lease.go: no clocks are compared).

// uniqueKeys are the field keys whose values are unique in a community.
var uniqueKeys = []string{KeyEmail, KeyExternalID}

// reservation is the state of one key's reservation stream.
type reservation struct {
	stream        string
	version       int64 // the stream's version, 0 when never claimed
	holder        string
	holderVersion int64
}

// KeyStreamPrefix starts the names of the key reservation streams.
const KeyStreamPrefix = "key-"

// keyRef names one value of a unique key in a community: its reservation
// stream, and, for a database started before the current secret, the
// stream an older secret named it by.
type keyRef struct {
	stream, legacy string
}

func (h *Handler) keyStream(communityID, kind, normalized string) keyRef {
	ref := keyRef{stream: keyStreamOf(h.KeySecret, communityID, kind, normalized)}
	if h.LegacyKeySecret != nil {
		ref.legacy = keyStreamOf(h.LegacyKeySecret, communityID, kind, normalized)
	}
	return ref
}

func keyStreamOf(secret []byte, communityID, kind, normalized string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(communityID + "\x00" + kind + "\x00" + normalized))
	return KeyStreamPrefix + hex.EncodeToString(mac.Sum(nil)[:20])
}

// readReservation reads the state of a key's reservation stream. A key
// never claimed under KeySecret may have been claimed before it, under
// LegacyKeySecret: that reservation is returned then, as the state of the
// current stream at version 0, so whatever a command writes next (a claim,
// a release, a handover) goes to the current stream, which then answers
// alone.
func (h *Handler) readReservation(ctx context.Context, ref keyRef) (reservation, error) {
	r, err := h.readReservationAt(ctx, ref.stream)
	if err != nil || r.version > 0 || ref.legacy == "" {
		return r, err
	}
	old, err := h.readReservationAt(ctx, ref.legacy)
	if err != nil {
		return r, err
	}
	r.holder, r.holderVersion = old.holder, old.holderVersion
	return r, nil
}

func (h *Handler) readReservationAt(ctx context.Context, stream string) (reservation, error) {
	r := reservation{stream: stream}
	last, err := h.Store.ReadStream(ctx, stream, Backwards, 0, 1)
	if errors.Is(err, ErrStreamNotFound) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("read reservation: %w", err)
	}
	e, _, err := Decode(last[0])
	if err != nil {
		return r, err
	}
	r.version = last[0].Version
	if e, ok := e.(KeyReserved); ok {
		r.holder, r.holderVersion = e.ContactID, e.HolderVersion
	}
	return r, nil
}

// reserve claims key kind=value for contact, whose current version is
// version (the claim is in flight until the contact moves past it). A key
// held by another contact is refused with ECONFLICT naming the field; a key
// held by a duplicate merged into contact passes to it, and that
// duplicate's reservation is returned as taken, so a command that fails
// after the claim can give the key back (see giveBack) instead of freeing it.
// A reservation that already names contact counts as claimed only if it was
// made at version or later; an older one (left by a release that failed) is
// claimed again at version, so that it is in flight again.
func (h *Handler) reserve(ctx context.Context, caller Caller, kind, value, contact string, version int64) (Position, reservation, error) {
	normalized := normalizeKey(kind, value)
	ref := h.keyStream(caller.CommunityID, kind, normalized)
	stream := ref.stream
	data, err := Encode(KeyReserved{ContactID: contact, HolderVersion: version}, h.meta(caller, "ReserveKey"))
	if err != nil {
		return Position{}, reservation{}, err
	}
	// Most keys were never claimed: try that first, in one round trip
	// (unless an older secret may have named a claim of it: read first).
	if ref.legacy == "" {
		res, err := h.Store.Append(ctx, stream, NoStream, []EventData{data})
		if err == nil {
			return res.Position, reservation{}, nil
		}
		if !IsWrongExpectedVersion(err) {
			return Position{}, reservation{}, fmt.Errorf("reserve %s: %w", kind, err)
		}
	}
	for attempt := 0; attempt < 5; attempt++ {
		r, err := h.readReservation(ctx, ref)
		if err != nil {
			return Position{}, reservation{}, err
		}
		if r.holder == contact && r.holderVersion >= version {
			// Already claimed by this contact at this version (or by a newer
			// command of it, whose claim must not be rolled back: this
			// command decided on an older state and its append will fail).
			return Position{}, reservation{}, nil
		}
		// A reservation naming contact at an older version is a stale claim
		// (a release that failed): it must be claimed again at version, or
		// a claimant would see the contact past its claim, not holding the
		// key, and take it while this command is in flight.
		var taken reservation
		if r.holder != "" && r.holder != contact {
			holder, err := LoadContact(ctx, h.Store, caller.CommunityID, r.holder)
			if err != nil && ErrorCode(err) != ENOTFOUND {
				return Position{}, reservation{}, err
			}
			holds := false
			if err == nil {
				if holds, err = h.holdsKey(ctx, holder, kind, normalized); err != nil {
					return Position{}, reservation{}, err
				}
			}
			if holds {
				if holder.Status != StatusMerged || holder.MergedInto != contact {
					return Position{}, reservation{}, keyTaken(kind, normalized, holder)
				}
				taken = r // a transfer from a merged duplicate
			}
			inFlight := err != nil || holder.Version <= r.holderVersion
			if inFlight && !h.claimExpired(stream, r.version) {
				return Position{}, reservation{}, fieldErrorf(ECONFLICT, kind, "%s is being claimed by another request; try again in a few seconds", kind)
			}
		}
		data.ID = NewID() // a new attempt, a new event
		res, err := h.Store.Append(ctx, stream, Exact(r.version), []EventData{data})
		if IsWrongExpectedVersion(err) {
			continue // someone else claimed or released it meanwhile: look again
		}
		if err != nil {
			return Position{}, reservation{}, fmt.Errorf("reserve %s: %w", kind, err)
		}
		return res.Position, taken, nil
	}
	return Position{}, reservation{}, fieldErrorf(ECONFLICT, kind, "%s is contended; try again", kind)
}

// keyTaken is the conflict of a key that holder holds.
func keyTaken(kind, normalized string, holder *Contact) error {
	if normalizeKey(kind, holder.Values[kind]) != normalized {
		return fieldErrorf(ECONFLICT, kind, "%s is reserved for contact %s by a merge that can still be undone (an unmerge gives it back)", kind, holder.ID)
	}
	return fieldErrorf(ECONFLICT, kind, "%s is already used by contact %s", kind, holder.ID)
}

// maxMergeChain bounds how many survivors holdsKey follows from a merged
// contact (a survivor may itself have been merged since).
const maxMergeChain = 16

// holdsKey reports whether contact c holds the unique key kind=normalized:
// it has that value and is active or archived, or merged into a survivor
// that still lives on (a merged duplicate's keys pass to its survivor, so
// they end with it: a deleted or unknown survivor frees them).
func (h *Handler) holdsKey(ctx context.Context, c *Contact, kind, normalized string) (bool, error) {
	if !c.holdsKey(kind, normalized) {
		return h.holdsForOpenMerge(ctx, c, kind, normalized)
	}
	for i := 0; c.Status == StatusMerged; i++ {
		if i == maxMergeChain {
			return true, nil // keep the key rather than free it on a doubt
		}
		s, err := LoadContact(ctx, h.Store, c.CommunityID, c.MergedInto)
		if ErrorCode(err) == ENOTFOUND {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if s.Status == StatusDeleted {
			return false, nil
		}
		c = s
	}
	return true, nil
}

// holdsForOpenMerge reports whether c, the survivor of a merge that has
// started and not closed, holds key kind=normalized on behalf of one of
// that merge's duplicates: its claim of a duplicate's key (made just
// before it records what it takes) stands for as long as the merge is
// open, should a crash cut the merge short there; the merge's completion
// takes it, its rollback gives it back to the duplicate.
func (h *Handler) holdsForOpenMerge(ctx context.Context, c *Contact, kind, normalized string) (bool, error) {
	if c.Merging == nil || (c.Status != StatusActive && c.Status != StatusArchived) {
		return false, nil
	}
	for _, id := range c.Merging.DuplicateIDs {
		d, err := LoadContact(ctx, h.Store, c.CommunityID, id)
		if ErrorCode(err) == ENOTFOUND {
			continue
		}
		if err != nil {
			return false, err
		}
		if d.Status == StatusMerged && d.MergedInto == c.ID && d.MergeID == c.Merging.MergeID && normalizeKey(kind, d.Values[kind]) == normalized {
			return true, nil
		}
	}
	return false, nil
}

// handOver passes key kind=value, reserved by contact, straight to to (at
// its version toVersion), which holds the same value: a survivor giving a
// duplicate's key back on unmerge, so no other contact can take it between
// the survivor's append and the duplicate's. It returns the reservation as
// it was, for giveBack to restore if the survivor's command fails. Nothing
// is appended when the reservation already names to, or names neither.
func (h *Handler) handOver(ctx context.Context, caller Caller, kind, value, contact, to string, toVersion int64) (Position, reservation, error) {
	ref := h.keyStream(caller.CommunityID, kind, normalizeKey(kind, value))
	stream := ref.stream
	data, err := Encode(KeyReserved{ContactID: to, HolderVersion: toVersion}, h.meta(caller, "ReserveKey"))
	if err != nil {
		return Position{}, reservation{}, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		r, err := h.readReservation(ctx, ref)
		if err != nil {
			return Position{}, reservation{}, err
		}
		if r.holder != contact {
			return Position{}, reservation{}, nil
		}
		data.ID = NewID()
		res, err := h.Store.Append(ctx, stream, Exact(r.version), []EventData{data})
		if IsWrongExpectedVersion(err) {
			continue
		}
		if err != nil {
			return Position{}, reservation{}, fmt.Errorf("hand %s over: %w", kind, err)
		}
		return res.Position, r, nil
	}
	return Position{}, reservation{}, fieldErrorf(ECONFLICT, kind, "%s is contended; try again", kind)
}

// giveBack undoes contact's claim of key kind=value when the command that
// claimed it failed: a key taken over from a merged duplicate (taken, from
// reserve) goes back to that duplicate, which still holds it; any other key
// is released. Like release, it is best effort.
func (h *Handler) giveBack(ctx context.Context, caller Caller, kind, value, contact string, taken reservation) (Position, error) {
	if taken.holder == "" {
		return h.release(ctx, caller, kind, value, contact)
	}
	ref := h.keyStream(caller.CommunityID, kind, normalizeKey(kind, value))
	stream := ref.stream
	r, err := h.readReservation(ctx, ref)
	if err != nil || r.holder != contact {
		return Position{}, err
	}
	data, err := Encode(KeyReserved{ContactID: taken.holder, HolderVersion: taken.holderVersion}, h.meta(caller, "ReleaseKey"))
	if err != nil {
		return Position{}, err
	}
	res, err := h.Store.Append(ctx, stream, Exact(r.version), []EventData{data})
	if IsWrongExpectedVersion(err) {
		return Position{}, nil // claimed by someone else meanwhile
	}
	return res.Position, err
}

// release gives up key kind=value if contact still holds its reservation.
// Failing to release is not an error for the command (the reservation is
// reclaimable): it is only logged by the caller.
func (h *Handler) release(ctx context.Context, caller Caller, kind, value, contact string) (Position, error) {
	ref := h.keyStream(caller.CommunityID, kind, normalizeKey(kind, value))
	stream := ref.stream
	r, err := h.readReservation(ctx, ref)
	if err != nil || r.holder != contact {
		return Position{}, err
	}
	data, err := Encode(KeyReleased{ContactID: contact}, h.meta(caller, "ReleaseKey"))
	if err != nil {
		return Position{}, err
	}
	res, err := h.Store.Append(ctx, stream, Exact(r.version), []EventData{data})
	if IsWrongExpectedVersion(err) {
		return Position{}, nil // claimed by someone else meanwhile
	}
	return res.Position, err
}
