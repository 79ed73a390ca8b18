package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/assoc/contacts/domain"
)

// channel is the LISTEN/NOTIFY channel that tells other processes new events
// were committed.
const channel = "contacts_events"

const (
	// subscribeBatch is the most events a subscription hands over at once.
	subscribeBatch = 1000
	// idlePoll bounds how long a caught-up subscription waits without any
	// wake-up, a safety net should a notification be lost.
	idlePoll = time.Second
	// pendingPoll is the first wait when committed events are held back by an
	// older open transaction; it doubles up to pendingPollMax.
	pendingPoll    = time.Millisecond
	pendingPollMax = 50 * time.Millisecond
	// notifyEvery coalesces cross-process notifications: at most one NOTIFY
	// per interval, sent outside the append's transaction. (A NOTIFY inside
	// each append would take PostgreSQL's global notify lock at every commit
	// and serialise all writers.)
	notifyEvery = 2 * time.Millisecond
)

// wakeup broadcasts "something was appended" to waiting subscriptions in
// this process, and asks the notifier to tell other processes.
type wakeup struct {
	mu      sync.Mutex
	ch      chan struct{} // closed and replaced on each signal
	outward chan struct{} // poke for the notifier, buffered 1
}

func newWakeup() *wakeup {
	return &wakeup{ch: make(chan struct{}), outward: make(chan struct{}, 1)}
}

// wait returns a channel closed at the next signal. Take it before reading,
// so a signal between the read and the wait is not missed.
func (w *wakeup) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

// signal wakes local subscriptions and pokes the notifier.
func (w *wakeup) signal() {
	w.local()
	select {
	case w.outward <- struct{}{}:
	default:
	}
}

// local wakes local subscriptions only (used for notifications that came
// from the database, which other processes already heard).
func (w *wakeup) local() {
	w.mu.Lock()
	close(w.ch)
	w.ch = make(chan struct{})
	w.mu.Unlock()
}

// runNotifier sends a NOTIFY after appends, coalesced, until the store closes.
func (s *Store) runNotifier() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake.outward:
		}
		if _, err := s.pool.Exec(s.ctx, `SELECT pg_notify($1, '')`, channel); err != nil && s.ctx.Err() == nil {
			s.logger.Warn("notify subscribers", "err", err)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(notifyEvery):
		}
	}
}

// runListener LISTENs for other processes' appends and wakes local
// subscriptions, reconnecting after failures, until the store closes.
func (s *Store) runListener() {
	defer s.wg.Done()
	backoff := 100 * time.Millisecond
	for s.ctx.Err() == nil {
		err := s.listen()
		if s.ctx.Err() != nil {
			return
		}
		s.logger.Warn("listen for new events; retrying", "err", err, "in", backoff)
		s.wake.local() // we may have missed notifications: let subscribers look
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) listen() error {
	conn, err := s.pool.Acquire(s.ctx)
	if err != nil {
		return err
	}
	// The connection is left in LISTEN mode: destroy it rather than return it.
	defer conn.Conn().Close(context.Background()) //nolint:errcheck
	defer conn.Release()
	if _, err := conn.Exec(s.ctx, "LISTEN "+channel); err != nil {
		return err
	}
	for {
		if _, err := conn.Conn().WaitForNotification(s.ctx); err != nil {
			return err
		}
		s.wake.local()
	}
}

// Subscribe implements domain.EventStore. It reads the log in pages from the
// position it reached and, once caught up, waits for a wake-up: an append in
// this process, a NOTIFY from another, or a short poll while a committed
// event waits for an older transaction to end.
func (s *Store) Subscribe(ctx context.Context, from domain.Position, handle func(context.Context, []domain.RecordedEvent) error) error {
	s.once.Do(func() {
		s.wg.Add(1)
		go s.runListener()
	})
	pos := from
	wait := pendingPoll
	for {
		woken := s.wake.wait()
		events, err := s.ReadAll(ctx, pos, subscribeBatch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("subscribe after %s: %w", pos, err)
		}
		if len(events) > 0 {
			if err := handle(ctx, events); err != nil {
				return err
			}
			pos = events[len(events)-1].Position
			wait = pendingPoll
			continue
		}
		pending, err := s.pending(ctx, pos)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("subscribe after %s: %w", pos, err)
		}
		timeout := idlePoll
		if pending {
			timeout = wait
			wait = min(2*wait, pendingPollMax)
		}
		timer := time.NewTimer(timeout)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-woken:
		case <-timer.C:
		}
		timer.Stop()
	}
}
