// Package sealed makes deleting a contact erase its personal data from the
// event log, which is never rewritten (crypto-shredding). It wraps any
// event store: the personal values of each event of a contact's stream are
// sealed (AES-256-GCM) under a key of that contact before they are
// appended, and opened when read. When a contact is deleted its keys are
// destroyed; its events stay, with their types, times, actors and field
// names, but their values read as empty and the events are marked Erased.
//
// The keys live in PostgreSQL (table contact_keys), wrapped by a master key
// that is not in the database, so this works the same over either backend.
package sealed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// eraseTimeout bounds the erasure that follows a deletion's append.
const eraseTimeout = 10 * time.Second

// contactStreamPrefix starts the streams whose events carry personal data.
const contactStreamPrefix = "contact-"

// Store seals the personal data of the events it appends to the inner store
// and opens it when reading.
type Store struct {
	inner  domain.EventStore
	keys   *Keyring
	logger *slog.Logger
}

var _ domain.EventStore = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithLogger gives the store a logger for what it cannot report to a
// caller (an erasure left to the Erasure projector). Without it, nothing
// is logged.
func WithLogger(logger *slog.Logger) Option {
	return func(s *Store) {
		if logger != nil {
			s.logger = logger
		}
	}
}

// New wraps inner.
func New(inner domain.EventStore, keys *Keyring, opts ...Option) *Store {
	s := &Store{inner: inner, keys: keys, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Keyring is the store's keyring, which also seals the contacts' personal
// values kept outside the log (see SealOwned).
func (s *Store) Keyring() *Keyring { return s.keys }

// Inner is the wrapped store, whose events are sealed.
func (s *Store) Inner() domain.EventStore { return s.inner }

// Append implements domain.EventStore. Appending ContactDeleted erases the
// contact: once the event is stored, its keys are destroyed (the Erasure
// projector does it too, should this process die in between).
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	contactID, personal := strings.CutPrefix(stream, contactStreamPrefix)
	if personal && len(events) > 0 {
		key, err := s.keys.forContact(ctx, contactID)
		if err != nil {
			return domain.AppendResult{}, err
		}
		sealed := make([]domain.EventData, len(events))
		for i, e := range events {
			data, err := sealPayload(e.Data, stream, e.Type, key, func(owner string) (contactKey, error) {
				return s.keys.owned(ctx, owner)
			})
			if err != nil {
				return domain.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
			}
			e.Data = data
			sealed[i] = e
		}
		events = sealed
	}
	res, err := s.inner.Append(ctx, stream, expected, events)
	if err != nil || !personal {
		return res, err
	}
	for _, e := range events {
		if e.Type == "ContactDeleted" {
			// The event is stored: the append succeeded, whatever happens
			// next (the command goes on, e.g. deleting the duplicates the
			// contact absorbed). Erase even if the caller has gone; should
			// it fail, the Erasure projector erases it shortly.
			eraseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eraseTimeout)
			if err := s.Erase(eraseCtx, nil, contactID); err != nil {
				s.logger.Warn("contact deleted; its keys are left to the erasure projector", "contact", contactID, "err", err)
			}
			cancel()
			break
		}
	}
	return res, nil
}

// Erase destroys every key that sealed contactID's events (inside tx when
// given), so their personal values can never be read again.
func (s *Store) Erase(ctx context.Context, tx pgx.Tx, contactID string) error {
	stream := contactStreamPrefix + contactID
	var ids []string
	seen := map[string]bool{}
	for from := int64(1); ; {
		page, err := s.inner.ReadStream(ctx, stream, domain.Forwards, from, 1000)
		if err != nil && !errors.Is(err, domain.ErrStreamNotFound) {
			return err
		}
		for _, r := range page {
			if id := sealedKey(r.Data); id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(page) < 1000 {
			break
		}
		from = page[len(page)-1].Version + 1
	}
	return s.keys.destroy(ctx, tx, contactID, ids)
}

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, dir domain.Direction, from int64, limit int) ([]domain.RecordedEvent, error) {
	events, err := s.inner.ReadStream(ctx, stream, dir, from, limit)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, events)
}

// ReadAll implements domain.EventStore.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, limit int) ([]domain.RecordedEvent, error) {
	events, err := s.inner.ReadAll(ctx, from, limit)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, events)
}

// Subscribe implements domain.EventStore.
func (s *Store) Subscribe(ctx context.Context, from domain.Position, handle func(context.Context, []domain.RecordedEvent) error) error {
	return s.inner.Subscribe(ctx, from, func(ctx context.Context, events []domain.RecordedEvent) error {
		opened, err := s.open(ctx, events)
		if err != nil {
			return err
		}
		return handle(ctx, opened)
	})
}

// open opens the sealed events of a page, fetching their keys at once.
// The page is copied, not changed: the inner store may share it.
func (s *Store) open(ctx context.Context, events []domain.RecordedEvent) ([]domain.RecordedEvent, error) {
	keyOf := make([]string, len(events))
	var ids []string
	seen := map[string]bool{}
	for i, r := range events {
		if !strings.HasPrefix(r.Stream, contactStreamPrefix) {
			continue
		}
		for j, id := range sealedKeys(r.Data) {
			if j == 0 {
				keyOf[i] = id
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return events, nil
	}
	keys, err := s.keys.lookup(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]domain.RecordedEvent, len(events))
	copy(out, events)
	for i := range out {
		if keyOf[i] == "" {
			continue
		}
		data, erased, err := openPayload(out[i].Data, out[i].Stream, keyOf[i], keys)
		if err != nil {
			return nil, err
		}
		out[i].Data, out[i].Erased = data, erased
	}
	return out, nil
}

// Erasure is a projector that destroys the keys of each deleted contact,
// with its checkpoint: it finishes an erasure that the deleting process
// could not (it died between the event and the keys' destruction). Also
// erases the contact from other tables that hold its data (import
// reports), in the same transaction.
type Erasure struct {
	Store *Store
	Also  []func(ctx context.Context, tx pgx.Tx, contactID string) error
}

// Name implements projections.Projector.
func (Erasure) Name() string { return "erasure" }

// Apply implements projections.Projector.
func (e Erasure) Apply(ctx context.Context, tx pgx.Tx, events []domain.RecordedEvent) error {
	for _, r := range events {
		if r.Type != "ContactDeleted" {
			continue
		}
		contactID, ok := strings.CutPrefix(r.Stream, contactStreamPrefix)
		if !ok {
			continue
		}
		if err := e.Store.Erase(ctx, tx, contactID); err != nil {
			return err
		}
		for _, erase := range e.Also {
			if err := erase(ctx, tx, contactID); err != nil {
				return err
			}
		}
	}
	return nil
}

// OldestAfter returns when the first event after from was recorded, and
// whether there is one, for lag metrics and freshness checks. It asks the
// inner store when it can tell events ReadAll still holds back (the
// PostgreSQL one can); otherwise ReadAll shows every committed event.
func (s *Store) OldestAfter(ctx context.Context, from domain.Position) (time.Time, bool, error) {
	if p, ok := s.inner.(interface {
		OldestAfter(context.Context, domain.Position) (time.Time, bool, error)
	}); ok {
		return p.OldestAfter(ctx, from)
	}
	next, err := s.inner.ReadAll(ctx, from, 1)
	if err != nil || len(next) == 0 {
		return time.Time{}, false, err
	}
	return next[0].RecordedAt, true, nil
}
