// Package memory is an event store in memory: the domain's tests run on it
// (no database to start), and it passes the same contract suite as the
// real backends (eventstore/storetest). Positions are {Commit: 1, Prepare:
// n} for the nth event. Nothing is kept when the process ends: it is for
// tests and examples, never for a service.
package memory

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
)

// Store is an event store in memory.
type Store struct {
	mu      sync.Mutex
	log     []domain.RecordedEvent
	streams map[string][]int // stream -> indexes into log, by version
	ids     map[string]int   // event ID -> index into log
	changed chan struct{}    // closed and replaced at each append
}

var _ domain.EventStore = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{streams: map[string][]int{}, ids: map[string]int{}, changed: make(chan struct{})}
}

// Append implements domain.EventStore.
func (m *Store) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	if len(events) == 0 {
		return domain.AppendResult{}, domain.Errorf(domain.EINVALID, "append to %s: no events", stream)
	}
	for _, e := range events {
		if uuid.Validate(e.ID) != nil {
			return domain.AppendResult{}, domain.Errorf(domain.EINVALID, "append to %s: event ID %q is not a UUID", stream, e.ID)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	idx := m.streams[stream]
	current := int64(len(idx))
	if i, ok := m.ids[events[0].ID]; ok {
		if res, ok := m.retry(stream, m.log[i], events); ok {
			return res, nil
		}
		return domain.AppendResult{}, &domain.WrongExpectedVersionError{Stream: stream, Expected: expected, Actual: current, Reason: "event IDs already stored elsewhere"}
	}
	seen := map[string]bool{}
	for _, e := range events {
		if _, ok := m.ids[e.ID]; ok || seen[e.ID] {
			return domain.AppendResult{}, &domain.WrongExpectedVersionError{Stream: stream, Expected: expected, Actual: current, Reason: "an event ID is already stored"}
		}
		seen[e.ID] = true
	}
	if !expected.Accepts(current) {
		return domain.AppendResult{}, &domain.WrongExpectedVersionError{Stream: stream, Expected: expected, Actual: current}
	}
	now := time.Now()
	for k, e := range events {
		n := len(m.log)
		m.log = append(m.log, domain.RecordedEvent{
			ID:         e.ID,
			Stream:     stream,
			Version:    current + int64(k) + 1,
			Type:       e.Type,
			Data:       slices.Clone(e.Data),
			Metadata:   slices.Clone(e.Metadata),
			Position:   domain.Position{Commit: 1, Prepare: uint64(n + 1)},
			RecordedAt: now,
		})
		m.ids[e.ID] = n
		idx = append(idx, n)
	}
	m.streams[stream] = idx
	close(m.changed)
	m.changed = make(chan struct{})
	last := m.log[len(m.log)-1]
	return domain.AppendResult{Version: last.Version, Position: last.Position}, nil
}

// retry reports whether events are already stored in stream at consecutive
// versions from first, and what appending them returned.
func (m *Store) retry(stream string, first domain.RecordedEvent, events []domain.EventData) (domain.AppendResult, bool) {
	idx := m.streams[stream]
	if first.Stream != stream || int(first.Version)-1+len(events) > len(idx) {
		return domain.AppendResult{}, false
	}
	for k, e := range events {
		if m.log[idx[int(first.Version)-1+k]].ID != e.ID {
			return domain.AppendResult{}, false
		}
	}
	last := m.log[idx[int(first.Version)-2+len(events)]]
	return domain.AppendResult{Version: last.Version, Position: last.Position}, true
}

// ReadStream implements domain.EventStore.
func (m *Store) ReadStream(ctx context.Context, stream string, dir domain.Direction, from int64, limit int) ([]domain.RecordedEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	idx := m.streams[stream]
	if len(idx) == 0 {
		return nil, domain.ErrStreamNotFound
	}
	var out []domain.RecordedEvent
	if dir == domain.Backwards {
		if from <= 0 || from > int64(len(idx)) {
			from = int64(len(idx))
		}
		for v := from; v >= 1 && len(out) < limit; v-- {
			out = append(out, m.log[idx[v-1]])
		}
		return out, nil
	}
	for v := max(from, 1); v <= int64(len(idx)) && len(out) < limit; v++ {
		out = append(out, m.log[idx[v-1]])
	}
	return out, nil
}

// ReadAll implements domain.EventStore.
func (m *Store) ReadAll(ctx context.Context, from domain.Position, limit int) ([]domain.RecordedEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := sort.Search(len(m.log), func(i int) bool { return m.log[i].Position.Compare(from) > 0 })
	j := min(i+max(limit, 0), len(m.log))
	return slices.Clone(m.log[i:j]), nil
}

// Subscribe implements domain.EventStore.
func (m *Store) Subscribe(ctx context.Context, from domain.Position, handle func(context.Context, []domain.RecordedEvent) error) error {
	pos := from
	for {
		m.mu.Lock()
		changed := m.changed
		m.mu.Unlock()
		events, err := m.ReadAll(ctx, pos, 100)
		if err != nil {
			return err
		}
		if len(events) > 0 {
			if err := handle(ctx, events); err != nil {
				return err
			}
			pos = events[len(events)-1].Position
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}
