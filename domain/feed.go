package domain

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The event feed: a community's events, in log order, for analytics
// consumers who read them from any position and resume.

// FeedEvent is one event of a community's feed. Data is its payload in
// the current schema of its type (older versions are upcast).
type FeedEvent struct {
	Position      Position
	Stream        string
	Version       int64
	Type          string
	Schema        int
	Time          time.Time
	Actor         string
	Command       string
	CorrelationID string
	CausationID   string
	Data          []byte
	// Erased is true when the event's personal values were erased with
	// its contact: they read as empty.
	Erased bool
}

// FeedQuery asks for a community's events after From (exclusive), of
// Types (all when empty).
type FeedQuery struct {
	CommunityID string
	From        Position
	Types       []string
}

// EventFeed reads a community's events (*Feed is one).
type EventFeed interface {
	// Read calls send with the community's events after q.From, in log
	// order and in batches, until the log's end or send's error; scanned
	// is how far the log was read for each batch (a batch may be empty:
	// other communities' events), the position to resume from.
	Read(ctx context.Context, q FeedQuery, send func(events []FeedEvent, scanned Position) error) error
	// Follow is Read, then the events appended after, as they come, until
	// ctx ends or send fails.
	Follow(ctx context.Context, q FeedQuery, send func(events []FeedEvent, scanned Position) error) error
}

var _ EventFeed = (*Feed)(nil)

// Feed is the event feed over the log: it reads the whole log and keeps
// the community's events.
type Feed struct {
	Store EventStore
	// Page is how many events of the whole log one read takes (default
	// 2000); other communities' events are skipped in the same pass.
	Page int
}

// Read implements EventFeed.
func (f *Feed) Read(ctx context.Context, q FeedQuery, send func([]FeedEvent, Position) error) error {
	page := f.Page
	if page <= 0 {
		page = 2000
	}
	for from := q.From; ; {
		records, err := f.Store.ReadAll(ctx, from, page)
		if err != nil || len(records) == 0 {
			return err
		}
		if err := f.send(q, records, send); err != nil {
			return err
		}
		from = records[len(records)-1].Position
	}
}

// Follow implements EventFeed.
func (f *Feed) Follow(ctx context.Context, q FeedQuery, send func([]FeedEvent, Position) error) error {
	return f.Store.Subscribe(ctx, q.From, func(ctx context.Context, records []RecordedEvent) error {
		return f.send(q, records, send)
	})
}

// send passes on the community's events among records.
func (f *Feed) send(q FeedQuery, records []RecordedEvent, send func([]FeedEvent, Position) error) error {
	events := make([]FeedEvent, 0, len(records))
	for _, r := range records {
		e, ok, err := feedEvent(q, r)
		if err != nil {
			return err
		}
		if ok {
			events = append(events, e)
		}
	}
	return send(events, records[len(records)-1].Position)
}

// feedEvent turns a recorded event into the feed's, or says it is not one
// for the query: another community's, a key reservation, a type not asked
// for.
func feedEvent(q FeedQuery, r RecordedEvent) (FeedEvent, bool, error) {
	// Key reservations are the store's bookkeeping for unique emails and
	// external IDs: no fact about contacts an analyst would count.
	if strings.HasPrefix(r.Stream, KeyStreamPrefix) {
		return FeedEvent{}, false, nil
	}
	if len(q.Types) > 0 && !slices.Contains(q.Types, r.Type) {
		return FeedEvent{}, false, nil
	}
	var meta Metadata
	if err := json.Unmarshal(r.Metadata, &meta); err != nil {
		return FeedEvent{}, false, fmt.Errorf("event %s@%d: metadata: %w", r.Stream, r.Version, err)
	}
	if meta.CommunityID != q.CommunityID {
		return FeedEvent{}, false, nil
	}
	data := r.Data
	if meta.Schema != SchemaVersion(r.Type) {
		// An older shape: upcast it (Decode does) and send the current one.
		e, _, err := Decode(r)
		if err != nil {
			return FeedEvent{}, false, err
		}
		if data, err = json.Marshal(e); err != nil {
			return FeedEvent{}, false, err
		}
	}
	return FeedEvent{
		Position: r.Position, Stream: r.Stream, Version: r.Version, Type: r.Type,
		Schema: SchemaVersion(r.Type), Time: meta.Time.UTC(), Actor: meta.Actor, Command: meta.Command,
		CorrelationID: meta.CorrelationID, CausationID: meta.CausationID, Data: data, Erased: r.Erased,
	}, true, nil
}
