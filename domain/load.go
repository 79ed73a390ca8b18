package domain

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// readPage is how many events a load reads per call.
const readPage = 1000

// foldStream reads a whole stream, decoding each event, and calls apply for
// each. A missing stream is not an error: apply is never called.
func foldStream(ctx context.Context, store EventStore, stream string, apply func(Event, Metadata, RecordedEvent)) error {
	from := int64(1)
	for {
		page, err := store.ReadStream(ctx, stream, Forwards, from, readPage)
		if errors.Is(err, ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", stream, err)
		}
		for _, r := range page {
			e, meta, err := Decode(r)
			if err != nil {
				return err
			}
			apply(e, meta, r)
		}
		if len(page) < readPage {
			return nil
		}
		from = page[len(page)-1].Version + 1
	}
}

// LoadContact folds a contact's stream. It answers ENOTFOUND for a contact
// that does not exist or belongs to another community (the two must look
// the same to a caller).
func LoadContact(ctx context.Context, store EventStore, communityID, id string) (*Contact, error) {
	return loadContactAsOf(ctx, store, communityID, id, time.Time{})
}

// LoadContactAsOf folds a contact's events recorded up to and including at.
func LoadContactAsOf(ctx context.Context, store EventStore, communityID, id string, at time.Time) (*Contact, error) {
	return loadContactAsOf(ctx, store, communityID, id, at)
}

func loadContactAsOf(ctx context.Context, store EventStore, communityID, id string, at time.Time) (*Contact, error) {
	if !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "contact %s not found", id)
	}
	c := &Contact{ID: id}
	err := foldStream(ctx, store, ContactStream(id), func(e Event, meta Metadata, r RecordedEvent) {
		if !at.IsZero() && recordedAfter(meta.Time, at) {
			return
		}
		c.Apply(e, r.Version, meta.Time)
	})
	if err != nil {
		return nil, err
	}
	if !c.Exists() || c.CommunityID != communityID {
		return nil, Errorf(ENOTFOUND, "contact %s not found", id)
	}
	return c, nil
}

// recordedAfter says whether an event recorded at t comes after the instant
// at. Times are compared to the microsecond, the precision the API shows
// them with: as_of=<a contact's updated_at> includes that update.
func recordedAfter(t, at time.Time) bool {
	return t.Truncate(time.Microsecond).After(at)
}

// LoadCommunity folds a community's stream (ENOTFOUND when it does not exist).
func LoadCommunity(ctx context.Context, store EventStore, id string) (*Community, error) {
	return LoadCommunityAsOf(ctx, store, id, time.Time{})
}

// LoadCommunityAsOf folds a community's events recorded up to and including
// at (all of them when at is zero).
func LoadCommunityAsOf(ctx context.Context, store EventStore, id string, at time.Time) (*Community, error) {
	c := &Community{ID: id}
	if !ValidID(id) {
		return nil, Errorf(ENOTFOUND, "community %s not found", id)
	}
	err := foldStream(ctx, store, CommunityStream(id), func(e Event, meta Metadata, r RecordedEvent) {
		if !at.IsZero() && recordedAfter(meta.Time, at) {
			return
		}
		c.Apply(e, r.Version)
	})
	if err != nil {
		return nil, err
	}
	if !c.Exists() {
		return nil, Errorf(ENOTFOUND, "community %s not found", id)
	}
	return c, nil
}
