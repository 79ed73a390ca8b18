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

// Feed is the event feed over the log. Over a store that reads the log
// by community (CommunityLog) a reader's cost follows its community's
// events; over another, it reads the whole log and keeps its community's.
type Feed struct {
	Store EventStore
	// Wake, when set, is the store whose new events wake a followed feed
	// (the sealing store's inner store: its events are not opened, only
	// waited on); without it, the feed follows Store itself.
	Wake EventStore
	// Page is how many events one read takes (default 2000).
	Page int
}

// Read implements EventFeed.
func (f *Feed) Read(ctx context.Context, q FeedQuery, send func([]FeedEvent, Position) error) error {
	_, err := f.read(ctx, q, send)
	return err
}

// read sends the community's events after q.From up to the log's visible
// end, and returns how far it read.
func (f *Feed) read(ctx context.Context, q FeedQuery, send func([]FeedEvent, Position) error) (Position, error) {
	from := q.From
	for {
		records, next, err := f.page(ctx, q.CommunityID, from)
		if err != nil {
			return from, err
		}
		if len(records) == 0 && next == from {
			return from, nil
		}
		if err := f.send(q, records, next, send); err != nil {
			return from, err
		}
		from = next
	}
}

// page reads the next page after from: the community's events, and the
// position to read on from.
func (f *Feed) page(ctx context.Context, communityID string, from Position) ([]RecordedEvent, Position, error) {
	size := f.Page
	if size <= 0 {
		size = 2000
	}
	if log, ok := f.Store.(CommunityLog); ok {
		return log.ReadCommunity(ctx, communityID, from, size)
	}
	records, err := f.Store.ReadAll(ctx, from, size)
	if err != nil || len(records) == 0 {
		return nil, from, err
	}
	return records, records[len(records)-1].Position, nil
}

// Follow implements EventFeed.
func (f *Feed) Follow(ctx context.Context, q FeedQuery, send func([]FeedEvent, Position) error) error {
	if _, ok := f.Store.(CommunityLog); !ok || f.Wake == nil {
		return f.Store.Subscribe(ctx, q.From, func(ctx context.Context, records []RecordedEvent) error {
			return f.send(q, records, records[len(records)-1].Position, send)
		})
	}
	// Read the community's events, then, each time the log grows, what it
	// has of them since: the wake-ups are the inner store's events, never
	// opened, from where reading has got.
	from, err := f.read(ctx, q, send)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	grew := make(chan struct{}, 1)
	woken := make(chan error, 1)
	go func() {
		woken <- f.Wake.Subscribe(ctx, from, func(context.Context, []RecordedEvent) error {
			select {
			case grew <- struct{}{}:
			default: // a wake-up is pending already
			}
			return nil
		})
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-woken:
			return err
		case <-grew:
		}
		next, err := f.read(ctx, FeedQuery{CommunityID: q.CommunityID, From: from, Types: q.Types}, send)
		if err != nil {
			return err
		}
		from = next
	}
}

// send passes on the community's events among records, read up to next.
func (f *Feed) send(q FeedQuery, records []RecordedEvent, next Position, send func([]FeedEvent, Position) error) error {
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
	return send(events, next)
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
