package domain

import (
	"context"
	"time"
)

// Handler executes commands: load the streams, fold, decide, append with the
// expected version. It is the only writer of events.
type Handler struct {
	Store EventStore
	// KeySecret keys the hash that names key reservation streams.
	KeySecret []byte
	// LegacyKeySecret, when set, names the reservation streams of a
	// database started before KeySecret was derived from the master key:
	// a key with no reservation under KeySecret is read there (see
	// readReservation).
	LegacyKeySecret []byte
	// Now returns the time recorded in events (time.Now when nil).
	Now func() time.Time
	// Lease is how long a key claim may stay in flight (default 10 s);
	// see lease.go.
	Lease time.Duration
	// Uptime, when set, replaces the handler's monotonic clock, which
	// measures leases (tests move it).
	Uptime func() time.Duration

	cache communityCache
	clock leaseClock
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
	return h.decideOnContact(ctx, caller, command, id, ifVersion, func(c *Contact, community *Community) (contactDecision, error) {
		events, err := decide(c, community)
		return contactDecision{events: events}, err
	})
}

// contactDecision is what a command decides for one contact: the events to
// record, and the keys it gives up that pass straight to another contact
// (see keyChange).
type contactDecision struct {
	events    []Event
	handovers []keyHandover
}

// decideOnContact is runContact for a decision that may hand keys over.
func (h *Handler) decideOnContact(ctx context.Context, caller Caller, command, id string, ifVersion int64,
	decide func(*Contact, *Community) (contactDecision, error)) (Result, error) {
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
		d, err := decide(c, community)
		if err != nil {
			return Result{}, err
		}
		res, err := h.commitDecision(ctx, caller, command, c, d)
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

// commit records a contact's events (see commitDecision).
func (h *Handler) commit(ctx context.Context, caller Caller, command string, c *Contact, events []Event) (Result, error) {
	return h.commitDecision(ctx, caller, command, c, contactDecision{events: events})
}

// commitDecision records a contact's events with the expected version,
// claiming the unique keys they make it gain first and releasing the ones
// they make it lose afterwards (see keyChange); a key a handover names
// passes to that contact instead, before the events, so no third contact
// can take it in between.
func (h *Handler) commitDecision(ctx context.Context, caller Caller, command string, c *Contact, d contactDecision) (Result, error) {
	if len(d.events) == 0 {
		return Result{ID: c.ID, Version: c.Version}, nil
	}
	keys := h.keyChangeOf(caller, c, c.after(d.events, h.now()), d.handovers)
	pos, err := keys.claim(ctx)
	if err != nil {
		return Result{}, err
	}
	if err := keys.inTime(ctx); err != nil {
		return Result{}, err
	}
	data, err := h.encode(caller, command, d.events)
	if err != nil {
		keys.undo(ctx)
		return Result{}, err
	}
	res, err := h.Store.Append(ctx, ContactStream(c.ID), Exact(c.Version), data)
	if err != nil {
		keys.undo(ctx)
		return Result{}, err
	}
	pos = later(pos, later(res.Position, keys.release(ctx)))
	return Result{ID: c.ID, Version: res.Version, Position: pos, Changed: true}, nil
}
