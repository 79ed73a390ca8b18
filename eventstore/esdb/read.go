package esdb

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/assoc/contacts/domain"
)

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, dir domain.Direction, from int64, limit int) ([]domain.RecordedEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	opts := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Start{}}
	switch {
	case dir == domain.Backwards && from <= 0:
		opts.Direction, opts.From = esdb.Backwards, esdb.End{}
	case dir == domain.Backwards:
		opts.Direction, opts.From = esdb.Backwards, esdb.Revision(uint64(from-1))
	case from > 1:
		opts.From = esdb.Revision(uint64(from - 1))
	}
	read, err := s.client.ReadStream(ctx, s.serverName(stream), opts, uint64(limit))
	if err != nil {
		return nil, clientError(ctx, "read stream "+stream, err)
	}
	defer read.Close()
	events := []domain.RecordedEvent{}
	for {
		resolved, err := read.Recv()
		if errors.Is(err, io.EOF) {
			return events, nil
		}
		if err != nil {
			return nil, clientError(ctx, "read stream "+stream, err)
		}
		if e, ok := s.recorded(resolved); ok {
			events = append(events, e)
		}
	}
}

// allPage is the least number of $all events ReadAll asks for at once: the
// server's log also holds system events and other applications' streams,
// which ReadAll skips.
const allPage = 512

// ReadAll implements domain.EventStore. The server reads $all forwards from
// a position inclusively; the event at from is skipped here. Once written,
// an event's place in $all never changes and nothing is written before it,
// so every event returned is final.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, limit int) ([]domain.RecordedEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	var events []domain.RecordedEvent
	for {
		page := max(limit-len(events)+1, allPage)
		read, err := s.client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: allPosition(from)}, uint64(page))
		if err != nil {
			return nil, clientError(ctx, "read log after "+from.String(), err)
		}
		n, last := 0, from
		for {
			resolved, err := read.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				read.Close()
				return nil, clientError(ctx, "read log after "+from.String(), err)
			}
			n++
			if orig := resolved.OriginalEvent(); orig != nil {
				last = domain.Position{Commit: orig.Position.Commit, Prepare: orig.Position.Prepare}
			}
			e, ok := s.recorded(resolved)
			if ok && e.Position.Compare(from) > 0 && s.inLog(e) {
				events = append(events, e)
				if len(events) == limit {
					read.Close()
					return events, nil
				}
			}
		}
		read.Close()
		if n < page || last.Compare(from) <= 0 {
			return events, nil
		}
		from = last
	}
}

// allPosition is a position as the client takes it.
func allPosition(p domain.Position) esdb.AllPosition {
	if p.IsStart() {
		return esdb.Start{}
	}
	return esdb.Position{Commit: p.Commit, Prepare: p.Prepare}
}

// recorded converts an event read from the server, and reports false for
// what is not an event of the log: a link whose event is gone, or a stream
// outside the namespace.
func (s *Store) recorded(r *esdb.ResolvedEvent) (domain.RecordedEvent, bool) {
	e := r.Event
	if e == nil || !strings.HasPrefix(e.StreamID, s.ns) {
		return domain.RecordedEvent{}, false
	}
	return domain.RecordedEvent{
		ID:         e.EventID.String(),
		Stream:     e.StreamID[len(s.ns):],
		Version:    int64(e.EventNumber) + 1,
		Type:       e.EventType,
		Data:       e.Data,
		Metadata:   e.UserMetadata,
		Position:   domain.Position{Commit: e.Position.Commit, Prepare: e.Position.Prepare},
		RecordedAt: e.CreatedDate,
	}, true
}

// inLog reports whether an event read from $all is one of the log's: in a
// stream of the project, not a system event.
func (s *Store) inLog(e domain.RecordedEvent) bool {
	return s.owns(s.ns+e.Stream) && !strings.HasPrefix(e.Type, "$")
}
