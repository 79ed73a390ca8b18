package esdb

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/assoc/contacts/domain"
)

// subscribeBatch is the most events a subscription hands over at once, as
// in the PostgreSQL backend.
const subscribeBatch = 1000

// received is what the receiving goroutine passes on: an event, or the end
// of the subscription (err set).
type received struct {
	event *esdb.ResolvedEvent
	err   error
}

// Subscribe implements domain.EventStore with a catch-up subscription on
// $all, filtered on the server by the log's stream prefixes, from the
// position after from. The client delivers one event at a time; Subscribe
// hands over, in one batch, every event already received, so a projector
// applies a busy log in large transactions and a quiet one without delay.
//
// When the server drops the subscription, Subscribe returns the error; the
// caller (the projector runner) subscribes again from its checkpoint.
func (s *Store) Subscribe(ctx context.Context, from domain.Position, handle func(context.Context, []domain.RecordedEvent) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := s.client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:   allPosition(from),
		Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: s.prefixes},
	})
	if err != nil {
		if cerr := ctxErr(ctx); cerr != nil {
			return cerr
		}
		return clientError(ctx, "subscribe after "+from.String(), err)
	}
	// The receiving goroutine ends before Subscribe returns: the client
	// logs a closed subscription's error from within Recv, which must not
	// outlive its caller (its logger may be a finished test's).
	var receiving sync.WaitGroup
	defer func() {
		cancel()
		sub.Close() //nolint:errcheck // ending it; Recv reports why
		receiving.Wait()
	}()

	ch := make(chan received, subscribeBatch)
	receiving.Add(1)
	go func() {
		defer receiving.Done()
		for {
			r := sub.Recv()
			var item received
			switch {
			case r.EventAppeared != nil:
				item.event = r.EventAppeared
			case r.SubscriptionDropped != nil:
				item.err = r.SubscriptionDropped.Error
				if item.err == nil {
					item.err = errors.New("subscription dropped")
				}
			default:
				continue // caught up, checkpoints, fell behind: nothing to hand over
			}
			select {
			case ch <- item:
			case <-ctx.Done():
				return
			}
			if item.err != nil {
				return
			}
		}
	}()

	pos := from
	batch := make([]domain.RecordedEvent, 0, subscribeBatch)
	for {
		var first received
		select {
		case <-ctx.Done():
			return ctx.Err()
		case first = <-ch:
		}
		batch = batch[:0]
		dropped := s.collect(first, &batch, pos)
		for dropped == nil && len(batch) < subscribeBatch && len(ch) > 0 {
			dropped = s.collect(<-ch, &batch, pos)
		}
		if len(batch) > 0 {
			if err := handle(ctx, batch); err != nil {
				return err
			}
			pos = batch[len(batch)-1].Position
			batch = make([]domain.RecordedEvent, 0, subscribeBatch) // handle may keep the slice
		}
		if dropped != nil {
			if cerr := ctxErr(ctx); cerr != nil {
				return cerr
			}
			return clientError(ctx, fmt.Sprintf("subscription after %s dropped", pos), dropped)
		}
	}
}

// collect adds item's event to batch when it belongs to the log and comes
// after pos, and returns the error that ended the subscription, if any.
func (s *Store) collect(item received, batch *[]domain.RecordedEvent, pos domain.Position) error {
	if item.err != nil {
		return item.err
	}
	e, ok := s.recorded(item.event)
	if !ok || !s.inLog(e) {
		return nil
	}
	if n := len(*batch); n > 0 {
		pos = (*batch)[n-1].Position
	}
	// The server starts after from; this also guards against a
	// resubscription in the client replaying an event.
	if e.Position.Compare(pos) <= 0 {
		return nil
	}
	*batch = append(*batch, e)
	return nil
}
