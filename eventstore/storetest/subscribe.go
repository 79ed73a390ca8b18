package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
)

const (
	// liveTimeout bounds how long an event appended while a subscription is
	// live may take to reach it.
	liveTimeout = 5 * time.Second
	// catchUpTimeout bounds how long a subscription may take to hand over the
	// few events stored before it started.
	catchUpTimeout = 10 * time.Second
	// returnTimeout bounds how long Subscribe may take to return once its
	// context ends or its handler fails.
	returnTimeout = 5 * time.Second
)

// subscription runs Subscribe in a goroutine and records what it delivers.
type subscription struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when Subscribe has returned
	err    error         // what Subscribe returned, set before done closes
	notify chan struct{} // poked after each batch, buffered 1

	mu     sync.Mutex
	events []domain.RecordedEvent
	calls  int
}

// subscribe starts a subscription to s from from. After recording each
// batch, handle returns what onBatch returns (nil when onBatch is nil). The
// subscription ends when the test ends, at the latest.
func subscribe(t *testing.T, s domain.EventStore, from domain.Position, onBatch func([]domain.RecordedEvent) error) *subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	return subscribeCtx(t, ctx, cancel, s, from, onBatch)
}

func subscribeCtx(t *testing.T, ctx context.Context, cancel context.CancelFunc, s domain.EventStore, from domain.Position, onBatch func([]domain.RecordedEvent) error) *subscription {
	t.Helper()
	sub := &subscription{cancel: cancel, done: make(chan struct{}), notify: make(chan struct{}, 1)}
	go func() {
		defer close(sub.done)
		sub.err = s.Subscribe(ctx, from, func(_ context.Context, batch []domain.RecordedEvent) error {
			sub.mu.Lock()
			sub.events = append(sub.events, batch...)
			sub.calls++
			sub.mu.Unlock()
			select {
			case sub.notify <- struct{}{}:
			default:
			}
			if onBatch != nil {
				return onBatch(batch)
			}
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-sub.done:
		case <-time.After(returnTimeout):
			t.Errorf("Subscribe did not return within %v of the end of its context", returnTimeout)
		}
	})
	return sub
}

// received returns a copy of the events delivered so far.
func (sub *subscription) received() []domain.RecordedEvent {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return slices.Clone(sub.events)
}

// waitFor waits until the subscription has received at least n events, and
// fails the test if that takes longer than timeout or Subscribe returns.
func (sub *subscription) waitFor(t *testing.T, n int, timeout time.Duration) []domain.RecordedEvent {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	returned := false
	for {
		got := sub.received()
		if len(got) >= n {
			return got
		}
		if returned {
			t.Fatalf("Subscribe returned %v after delivering %d events, want %d", sub.err, len(got), n)
		}
		select {
		case <-sub.notify:
		case <-sub.done:
			returned = true
		case <-timer.C:
			t.Fatalf("subscription received %d events within %v, want %d", len(got), timeout, n)
		}
	}
}

// wait waits up to timeout for Subscribe to return by itself, and returns
// its error.
func (sub *subscription) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-sub.done:
		return sub.err
	case <-time.After(timeout):
		t.Fatalf("Subscribe did not return within %v", timeout)
		return nil
	}
}

// stop cancels the subscription's context, waits for Subscribe to return and
// checks it returned context.Canceled.
func (sub *subscription) stop(t *testing.T) {
	t.Helper()
	sub.cancel()
	err := sub.wait(t, returnTimeout)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Subscribe returned %v after its context was cancelled, want context.Canceled (ctx.Err())", err)
	}
}

var subscribeCases = []testCase{
	{name: "CatchUpThenLive", run: testSubscribeCatchUpThenLive},
	{name: "LiveOnEmptyLog", run: testSubscribeLiveOnEmptyLog},
	{name: "FromMiddlePosition", run: testSubscribeFromMiddle},
	{name: "FromLastPosition", run: testSubscribeFromLast},
	{name: "CancelReturnsCtxErr", run: testSubscribeCancel},
	{name: "DeadlineReturnsCtxErr", run: testSubscribeDeadline},
	{name: "HandleErrorInCatchUp", run: testSubscribeHandleErrorInCatchUp},
	{name: "HandleErrorWhenLive", run: testSubscribeHandleErrorWhenLive},
}

// appendLive appends events to stream while sub is live and waits until sub
// has received them, total events in all.
func appendLive(t *testing.T, s domain.EventStore, sub *subscription, stream string, n, total int) {
	t.Helper()
	mustAppend(t, s, stream, domain.Any, newEvents(n))
	sub.waitFor(t, total, liveTimeout)
}

func testSubscribeCatchUpThenLive(t *testing.T, s domain.EventStore) {
	streams, written, _ := appendMixed(t, s)
	stored := readAllN(t, s, len(written))
	sub := subscribe(t, s, domain.Start, nil)
	sameRecorded(t, "Subscribe catching up", sub.waitFor(t, len(stored), catchUpTimeout), stored)

	total := len(stored)
	for i, n := range []int{1, 3, 1, 2} {
		stream := streams[i%len(streams)]
		if i == 3 {
			stream = newStream()
		}
		total += n
		appendLive(t, s, sub, stream, n, total)
	}
	sub.stop(t)
	sameRecorded(t, "Subscribe", sub.received(), readAllN(t, s, total))
}

func testSubscribeLiveOnEmptyLog(t *testing.T, s domain.EventStore) {
	sub := subscribe(t, s, domain.Start, nil)
	a, b := newStream(), newStream()
	appendLive(t, s, sub, a, 2, 2)
	appendLive(t, s, sub, b, 1, 3)
	appendLive(t, s, sub, a, 1, 4)
	sub.stop(t)
	sameRecorded(t, "Subscribe", sub.received(), readAllN(t, s, 4))
}

func testSubscribeFromMiddle(t *testing.T, s domain.EventStore) {
	streams, written, _ := appendMixed(t, s)
	stored := readAllN(t, s, len(written))
	const seen = 5
	sub := subscribe(t, s, stored[seen-1].Position, nil)
	sameRecorded(t, "Subscribe catching up from the 5th event", sub.waitFor(t, len(stored)-seen, catchUpTimeout), stored[seen:])
	appendLive(t, s, sub, streams[0], 2, len(stored)-seen+2)
	sub.stop(t)
	sameRecorded(t, "Subscribe from the 5th event", sub.received(), readAllN(t, s, len(stored)+2)[seen:])
}

func testSubscribeFromLast(t *testing.T, s domain.EventStore) {
	streams, written, _ := appendMixed(t, s)
	stored := readAllN(t, s, len(written))
	sub := subscribe(t, s, stored[len(stored)-1].Position, nil)
	appendLive(t, s, sub, streams[1], 1, 1)
	sub.stop(t)
	sameRecorded(t, "Subscribe from the last event", sub.received(), readAllN(t, s, len(stored)+1)[len(stored):])
}

func testSubscribeCancel(t *testing.T, s domain.EventStore) {
	// Cancelled at once, on an empty log.
	idle := subscribe(t, s, domain.Start, nil)
	idle.stop(t)
	if got := idle.received(); len(got) != 0 {
		t.Errorf("Subscribe on an empty log delivered %d events; the first is %s", len(got), describe(got[0]))
	}
	// Cancelled while live, after a delivery.
	live := subscribe(t, s, domain.Start, nil)
	appendLive(t, s, live, newStream(), 1, 1)
	live.stop(t)
}

func testSubscribeDeadline(t *testing.T, s domain.EventStore) {
	setup(t, s, 2)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	sub := subscribeCtx(t, ctx, cancel, s, domain.Start, nil)
	err := sub.wait(t, returnTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Subscribe returned %v when its context's deadline passed, want context.DeadlineExceeded (ctx.Err())", err)
	}
}

var errHandle = errors.New("storetest: handler failed")

func testSubscribeHandleErrorInCatchUp(t *testing.T, s domain.EventStore) {
	setup(t, s, 3)
	sub := subscribe(t, s, domain.Start, func([]domain.RecordedEvent) error { return errHandle })
	err := sub.wait(t, catchUpTimeout)
	if !errors.Is(err, errHandle) {
		t.Errorf("Subscribe returned %v after its handler failed, want the handler's error", err)
	}
	sub.mu.Lock()
	calls := sub.calls
	sub.mu.Unlock()
	if calls != 1 {
		t.Errorf("handler called %d times, want once: Subscribe must stop at the handler's first error", calls)
	}
}

func testSubscribeHandleErrorWhenLive(t *testing.T, s domain.EventStore) {
	stream, _ := setup(t, s, 2)
	live := newEvents(1)
	sub := subscribe(t, s, domain.Start, func(batch []domain.RecordedEvent) error {
		for _, e := range batch {
			if e.ID == live[0].ID {
				return errHandle
			}
		}
		return nil
	})
	sub.waitFor(t, 2, catchUpTimeout)
	mustAppend(t, s, stream, domain.Exact(2), live)
	err := sub.wait(t, liveTimeout)
	if !errors.Is(err, errHandle) {
		t.Errorf("Subscribe returned %v after its handler failed, want the handler's error", err)
	}
	got := sub.received()
	if len(got) != 3 || got[2].ID != live[0].ID {
		t.Errorf("Subscribe delivered %d events, want the 2 stored then the live one %s", len(got), live[0].ID)
	}
}
