package domain

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Handler executes commands: load the streams, fold, decide, append with the
// expected version. It is the only writer of events.
type Handler struct {
	Store EventStore
	// KeySecret keys the hash that names key reservation streams.
	KeySecret []byte
	// Now returns the time recorded in events (time.Now when nil).
	Now func() time.Time
	// Lease is how long a key claim may stay in flight (default 10 s).
	Lease time.Duration

	cache communityCache
}

// Result is what a command did.
type Result struct {
	// ID is the contact (or community) the command was about.
	ID string
	// Version is the stream's version after the command (its ETag).
	Version int64
	// Position is the log position of the last event the command appended;
	// Start when it appended nothing.
	Position Position
	// Changed is false when the command changed nothing and appended nothing.
	Changed bool
}

// maxRetries bounds how often a command without If-Match is decided again
// after a concurrent change.
const maxRetries = 3

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) lease() time.Duration {
	if h.Lease > 0 {
		return h.Lease
	}
	return 10 * time.Second
}

func (h *Handler) meta(caller Caller, command string) Metadata {
	return Metadata{
		CommunityID:   caller.CommunityID,
		Actor:         caller.Actor,
		Command:       command,
		CorrelationID: caller.CorrelationID,
		CausationID:   caller.CausationID,
		Time:          h.now(),
	}
}

func (h *Handler) encode(caller Caller, command string, events []Event) ([]EventData, error) {
	meta := h.meta(caller, command)
	data := make([]EventData, len(events))
	for i, e := range events {
		d, err := Encode(e, meta)
		if err != nil {
			return nil, err
		}
		data[i] = d
	}
	return data, nil
}

// later returns the later of two positions.
func later(a, b Position) Position {
	if a.Compare(b) >= 0 {
		return a
	}
	return b
}

// runContact runs a command on one contact: decide on the current state and
// commit. A concurrent change makes it decide again (the decision checks the
// command is still valid) unless the caller pinned a version (ifVersion > 0),
// which then fails with EPRECONDITION.
func (h *Handler) runContact(ctx context.Context, caller Caller, command, id string, ifVersion int64,
	decide func(*Contact, *Community) ([]Event, error)) (Result, error) {
	return h.runContactHanding(ctx, caller, command, id, ifVersion, func(c *Contact, community *Community) ([]Event, []keyHandover, error) {
		events, err := decide(c, community)
		return events, nil, err
	})
}

// runContactHanding is runContact for a decision that also hands some of
// the keys the contact gives up straight to another contact (see commitHanding).
func (h *Handler) runContactHanding(ctx context.Context, caller Caller, command, id string, ifVersion int64,
	decide func(*Contact, *Community) ([]Event, []keyHandover, error)) (Result, error) {
	for attempt := 0; ; attempt++ {
		community, err := h.community(ctx, caller.CommunityID)
		if err != nil {
			return Result{}, err
		}
		c, err := LoadContact(ctx, h.Store, caller.CommunityID, id)
		if err != nil {
			return Result{}, err
		}
		if ifVersion > 0 && c.Version != ifVersion {
			return Result{}, Errorf(EPRECONDITION, "contact %s is at version %d, not %d: read it again", id, c.Version, ifVersion)
		}
		events, handovers, err := decide(c, community)
		if err != nil {
			return Result{}, err
		}
		res, err := h.commitHanding(ctx, caller, command, c, events, handovers)
		if IsWrongExpectedVersion(err) {
			if ifVersion > 0 {
				return Result{}, Errorf(EPRECONDITION, "contact %s changed meanwhile: read it again", id)
			}
			if attempt < maxRetries {
				continue
			}
		}
		return res, err
	}
}

// keyHandover names a contact that holds the same value of a unique key as
// the committing contact, and takes the key over when the committing
// contact gives that value up (a survivor giving a duplicate's value back).
type keyHandover struct {
	kind    string
	value   string
	to      string
	version int64 // to's current version
}

// commit appends a contact's events, claiming the unique keys it gains
// first and releasing the ones it loses afterwards.
func (h *Handler) commit(ctx context.Context, caller Caller, command string, c *Contact, events []Event) (Result, error) {
	return h.commitHanding(ctx, caller, command, c, events, nil)
}

// commitHanding is commit where the keys the contact loses that a handover
// names pass to that contact instead of being released. The handover is
// appended before the contact's events, so no third contact can take the
// key in between (the receiver, a merged duplicate, holds it as long as its
// survivor lives); if the contact's append fails, the key is given back.
func (h *Handler) commitHanding(ctx context.Context, caller Caller, command string, c *Contact, events []Event, handovers []keyHandover) (Result, error) {
	if len(events) == 0 {
		return Result{ID: c.ID, Version: c.Version}, nil
	}
	after := c.clone()
	if after.Values == nil {
		after.Values = map[string]string{}
	}
	for i, e := range events {
		after.Apply(e, c.Version+int64(i)+1, h.now())
	}
	claim, free := keyChanges(c, after)
	claimedAt := h.now()
	claims := h.claimAll(ctx, caller, c, claim)
	unclaim := func() {
		for _, cl := range claims {
			if cl.err == nil && !cl.pos.IsStart() {
				h.giveBack(context.WithoutCancel(ctx), caller, cl.kind, claim[cl.kind], c.ID, cl.taken) //nolint:errcheck // best effort: reclaimable anyway
			}
		}
	}
	var pos Position
	for _, cl := range claims {
		if cl.err != nil {
			unclaim()
			return Result{}, cl.err
		}
		pos = later(pos, cl.pos)
	}
	claimed := !pos.IsStart()
	type handed struct {
		keyHandover
		was reservation
	}
	var done []handed
	unhand := func() {
		for _, hd := range done {
			h.giveBack(context.WithoutCancel(ctx), caller, hd.kind, hd.value, hd.to, hd.was) //nolint:errcheck // best effort, as unclaim
		}
	}
	for _, ho := range handovers {
		i := slices.IndexFunc(free, func(f keyValue) bool {
			return f.kind == ho.kind && f.value == normalizeKey(ho.kind, ho.value)
		})
		if i < 0 {
			continue
		}
		p, was, err := h.handOver(ctx, caller, ho.kind, free[i].value, c.ID, ho.to, ho.version)
		if err != nil {
			unhand()
			unclaim()
			return Result{}, err
		}
		if was.holder != "" {
			done = append(done, handed{ho, was})
		}
		free = slices.Delete(free, i, i+1)
		pos = later(pos, p)
	}
	// Another command may take over a claim once its lease has passed,
	// should this one have died. So a command that has got this slow since
	// it claimed gives its claims up rather than record its events: half
	// the lease is left for the append itself.
	if claimed && h.now().Sub(claimedAt) > h.lease()/2 {
		unhand()
		unclaim()
		return Result{}, Errorf(EUNAVAILABLE, "the command took over %s after claiming its %s: nothing was changed; try again",
			h.lease()/2, strings.Join(sortedKeys(claim), " and "))
	}
	data, err := h.encode(caller, command, events)
	if err != nil {
		unhand()
		unclaim()
		return Result{}, err
	}
	res, err := h.Store.Append(ctx, ContactStream(c.ID), Exact(c.Version), data)
	if err != nil {
		unhand()
		unclaim()
		return Result{}, err
	}
	pos = later(pos, res.Position)
	// The events are recorded: release even if the caller has gone away.
	for _, f := range free {
		if p, err := h.release(context.WithoutCancel(ctx), caller, f.kind, f.value, c.ID); err == nil {
			pos = later(pos, p)
		}
	}
	return Result{ID: c.ID, Version: res.Version, Position: pos, Changed: true}, nil
}

// claimResult is the outcome of claiming one unique key.
type claimResult struct {
	kind  string
	pos   Position    // Start when nothing was appended (already held)
	taken reservation // the merged duplicate's reservation taken over, if any
	err   error
}

// claimAll claims the keys a contact gains, concurrently (each key has its
// own reservation stream), and returns each outcome in key order.
func (h *Handler) claimAll(ctx context.Context, caller Caller, c *Contact, claim map[string]string) []claimResult {
	kinds := sortedKeys(claim)
	results := make([]claimResult, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Go(func() {
			pos, taken, err := h.reserve(ctx, caller, k, claim[k], c.ID, c.Version)
			results[i] = claimResult{kind: k, pos: pos, taken: taken, err: err}
		})
	}
	wg.Wait()
	return results
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
