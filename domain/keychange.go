package domain

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// keyChange is what one command does to a contact's unique keys (email,
// external ID; see reservation.go): the keys it claims before it records
// its events, the keys it hands straight to another contact as it gives
// them up (a survivor giving a duplicate's key back), and the keys it
// releases once its events are recorded. Should the events not be
// recorded, undo gives back what was claimed and handed over.
type keyChange struct {
	h         *Handler
	caller    Caller
	contactID string
	version   int64             // the contact's version the command decided on
	claims    map[string]string // kind → value the contact gains
	frees     []keyValue        // values the contact gives up, normalised
	handovers []keyHandover

	claimed   []claimResult // claims made (those that appended something)
	handed    []handedKey   // handovers made, with the reservation as it was
	claimedAt time.Duration // on the handler's monotonic clock
}

// keyHandover names a contact that holds the same value of a unique key as
// the committing contact, and takes the key over when the committing
// contact gives that value up.
type keyHandover struct {
	kind    string
	value   string
	to      string
	version int64 // to's current version
}

// handedKey is a handover made, and the reservation it replaced.
type handedKey struct {
	keyHandover
	was reservation
}

// claimResult is the outcome of claiming one unique key.
type claimResult struct {
	kind  string
	pos   Position    // Start when nothing was appended (already held)
	taken reservation // the merged duplicate's reservation taken over, if any
	err   error
}

// keyChangeOf works out what recording events that turn contact before
// into after does to its keys.
func (h *Handler) keyChangeOf(caller Caller, before, after *Contact, handovers []keyHandover) *keyChange {
	claims, frees := keyChanges(before, after)
	return &keyChange{h: h, caller: caller, contactID: before.ID, version: before.Version, claims: claims, frees: frees, handovers: handovers}
}

// claim claims the keys the contact gains, concurrently (each key has its
// own reservation stream), then hands over the keys it gives up that a
// handover names. On failure it undoes what it did and returns why.
func (k *keyChange) claim(ctx context.Context) (Position, error) {
	k.claimedAt = k.h.uptime()
	kinds := sortedKeys(k.claims)
	results := make([]claimResult, len(kinds))
	var wg sync.WaitGroup
	for i, kind := range kinds {
		wg.Go(func() {
			pos, taken, err := k.h.reserve(ctx, k.caller, kind, k.claims[kind], k.contactID, k.version)
			results[i] = claimResult{kind: kind, pos: pos, taken: taken, err: err}
		})
	}
	wg.Wait()
	var pos Position
	var first error
	for _, r := range results {
		if r.err == nil && !r.pos.IsStart() {
			k.claimed = append(k.claimed, r)
			pos = later(pos, r.pos)
		}
		if r.err != nil && first == nil {
			first = r.err
		}
	}
	if first != nil {
		k.undo(ctx)
		return Position{}, first
	}
	handed, err := k.handOver(ctx)
	if err != nil {
		k.undo(ctx)
		return Position{}, err
	}
	return later(pos, handed), nil
}

// handOver passes the keys the contact gives up that a handover names to
// that contact; they are no longer to be released.
func (k *keyChange) handOver(ctx context.Context) (Position, error) {
	var pos Position
	for _, ho := range k.handovers {
		i := slices.IndexFunc(k.frees, func(f keyValue) bool {
			return f.kind == ho.kind && f.value == normalizeKey(ho.kind, ho.value)
		})
		if i < 0 {
			continue
		}
		p, was, err := k.h.handOver(ctx, k.caller, ho.kind, k.frees[i].value, k.contactID, ho.to, ho.version)
		if err != nil {
			return Position{}, err
		}
		if was.holder != "" {
			k.handed = append(k.handed, handedKey{ho, was})
		}
		k.frees = slices.Delete(k.frees, i, i+1)
		pos = later(pos, p)
	}
	return pos, nil
}

// inTime refuses to go on when the command has got so slow since it
// claimed its keys that another command may take them over (a claim's
// lease lets a dead command's keys be taken): half the lease is left for
// the append itself. It undoes the claims then.
func (k *keyChange) inTime(ctx context.Context) error {
	if len(k.claimed) == 0 || k.h.uptime()-k.claimedAt <= k.h.lease()/2 {
		return nil
	}
	k.undo(ctx)
	return Errorf(EUNAVAILABLE, "the command took over %s after claiming its %s: nothing was changed; try again",
		k.h.lease()/2, strings.Join(sortedKeys(k.claims), " and "))
}

// undo gives back what claim did, even if the caller has gone away: a key
// taken over from a merged duplicate goes back to it, any other claimed
// key is released, and each key handed over goes back as it was. It is
// best effort: a claim left behind is reclaimable (see reserve).
func (k *keyChange) undo(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, hd := range k.handed {
		k.h.giveBack(ctx, k.caller, hd.kind, hd.value, hd.to, hd.was) //nolint:errcheck // best effort, see above
	}
	for _, cl := range k.claimed {
		k.h.giveBack(ctx, k.caller, cl.kind, k.claims[cl.kind], k.contactID, cl.taken) //nolint:errcheck // best effort, see above
	}
	k.claimed, k.handed = nil, nil
}

// release gives up the keys the contact no longer holds, once its events
// are recorded, even if the caller has gone away. A release that fails is
// no failure of the command (the reservation is reclaimable).
func (k *keyChange) release(ctx context.Context) Position {
	var pos Position
	for _, f := range k.frees {
		if p, err := k.h.release(context.WithoutCancel(ctx), k.caller, f.kind, f.value, k.contactID); err == nil {
			pos = later(pos, p)
		}
	}
	return pos
}

// keyValue is one value of a unique key.
type keyValue struct {
	kind, value string
}

// keyChanges returns the unique keys a command makes a contact claim (one
// value per kind at most: its new own value) and those it frees, from the
// keys it holds before and after (see Contact.keysHeld).
func keyChanges(before, after *Contact) (claim map[string]string, free []keyValue) {
	claim = map[string]string{}
	for _, k := range uniqueKeys {
		was, is := before.keysHeld(k), after.keysHeld(k)
		if own := normalizeKey(k, after.Values[k]); own != "" && !slices.Contains(was, own) {
			claim[k] = after.Values[k]
		}
		for _, v := range was {
			if !slices.Contains(is, v) {
				free = append(free, keyValue{kind: k, value: v})
			}
		}
	}
	return claim, free
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
