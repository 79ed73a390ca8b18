package domain

import (
	"context"
	"slices"
	"time"
)

// Reader answers reads of contacts (ContactReader): from the read model,
// which it waits for when asked to, or from the log, which is the truth
// and holds the past. Commands answer through it too, so every adapter
// reads its own writes the same way.
type Reader struct {
	Queries    ContactQueries
	ReadModels ReadModels
	Store      EventStore
	// WaitTimeout bounds a read's wait for the read model (default 5 s).
	WaitTimeout time.Duration
	// CommandWait bounds a command's answer's wait for the read model
	// (default 1 s): past it the answer is folded from the log, so a
	// stalled read model (a long transaction anywhere on the server holds
	// the log's visibility back) never holds a command's answer up.
	CommandWait time.Duration
}

// Default waits of a Reader.
const (
	defaultReadWait    = 5 * time.Second
	defaultCommandWait = time.Second
)

// WaitFor implements ContactReader.
func (r *Reader) WaitFor(ctx context.Context, after Position) error {
	return r.waitFor(ctx, after, r.readWait())
}

func (r *Reader) waitFor(ctx context.Context, pos Position, timeout time.Duration) error {
	if pos.IsStart() {
		return nil
	}
	if r.ReadModels == nil {
		return Errorf(EUNAVAILABLE, "the read models are not running")
	}
	return r.ReadModels.WaitFor(ctx, ContactsReadModel, pos, timeout)
}

// Contact implements ContactReader.
func (r *Reader) Contact(ctx context.Context, communityID, id string, after Position) (ContactView, error) {
	if err := r.WaitFor(ctx, after); err != nil {
		return ContactView{}, err
	}
	return r.Queries.Contact(ctx, communityID, id)
}

// List implements ContactReader.
func (r *Reader) List(ctx context.Context, q ListQuery, after Position) (ContactPage, error) {
	if err := r.WaitFor(ctx, after); err != nil {
		return ContactPage{}, err
	}
	return r.Queries.ListContacts(ctx, q)
}

// Count implements ContactReader.
func (r *Reader) Count(ctx context.Context, q ListQuery, after Position) (int, error) {
	if err := r.WaitFor(ctx, after); err != nil {
		return 0, err
	}
	return r.Queries.CountContacts(ctx, q)
}

// Fields implements ContactReader.
func (r *Reader) Fields(ctx context.Context, communityID string, after Position) ([]Field, error) {
	if err := r.WaitFor(ctx, after); err != nil {
		return nil, err
	}
	return r.Queries.Fields(ctx, communityID)
}

// Settle implements ContactReader.
func (r *Reader) Settle(ctx context.Context, pos Position) ([]string, error) {
	if pos.IsStart() {
		return nil, nil
	}
	if r.ReadModels == nil {
		return []string{ContactsReadModel}, nil
	}
	err := r.ReadModels.WaitForAll(ctx, pos, r.commandWait())
	if err != nil && ErrorCode(err) != EUNAVAILABLE {
		return nil, err
	}
	return r.ReadModels.Behind(pos), nil
}

// AfterCommand implements ContactReader.
func (r *Reader) AfterCommand(ctx context.Context, communityID string, res Result) (ContactView, []string, error) {
	behind, err := r.Settle(ctx, res.Position)
	if err != nil {
		return ContactView{}, nil, err
	}
	if !slices.Contains(behind, ContactsReadModel) {
		view, err := r.Queries.Contact(ctx, communityID, res.ID)
		if err == nil && view.Version >= res.Version {
			return view, behind, nil
		}
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return view, behind, err
		}
		// A command that changed nothing has no position to wait for: the
		// read model may not show the contact's latest events yet.
	}
	view, err := r.AsOf(ctx, communityID, res.ID, time.Time{})
	return view, behind, err
}

// AsOf implements ContactReader; the zero time is now.
func (r *Reader) AsOf(ctx context.Context, communityID, id string, at time.Time) (ContactView, error) {
	contact, err := LoadContactAsOf(ctx, r.Store, communityID, id, at)
	if err != nil {
		return ContactView{}, err
	}
	community, err := LoadCommunityAsOf(ctx, r.Store, communityID, at)
	if err != nil {
		return ContactView{}, err
	}
	return ViewOf(contact, community), nil
}

// History implements ContactReader.
func (r *Reader) History(ctx context.Context, communityID, id string) ([]HistoryEntry, error) {
	return ContactHistory(ctx, r.Store, communityID, id)
}

func (r *Reader) readWait() time.Duration {
	if r.WaitTimeout > 0 {
		return r.WaitTimeout
	}
	return defaultReadWait
}

func (r *Reader) commandWait() time.Duration {
	if r.CommandWait > 0 {
		return r.CommandWait
	}
	return defaultCommandWait
}
