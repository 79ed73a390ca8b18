package esdbtest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/assoc/contacts/eventstore/esdb/esdbtest"
)

func client(t *testing.T) *esdb.Client {
	t.Helper()
	fake := esdbtest.New(t)
	conf, err := esdb.ParseConnectionString(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func events(n int) []esdb.EventData {
	out := make([]esdb.EventData, n)
	for i := range out {
		out[i] = esdb.EventData{EventID: uuid.New(), EventType: "Happened", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
	}
	return out
}

// TestAppendAsTheRealServer checks the answers the backend relies on:
// revisions from 0, a retry at the same place answered as a success
// without a position and without writing, a conflict naming the current
// revision, and created metadata on what is read back.
func TestAppendAsTheRealServer(t *testing.T) {
	c := client(t)
	ctx := t.Context()
	batch := events(3)
	first, err := c.AppendToStream(ctx, "s-1", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, batch...)
	if err != nil {
		t.Fatal(err)
	}
	if first.NextExpectedVersion != 2 || first.CommitPosition == 0 {
		t.Fatalf("first append = revision %d at %d, want revision 2 at a position", first.NextExpectedVersion, first.CommitPosition)
	}
	for _, expected := range []esdb.ExpectedRevision{esdb.NoStream{}, esdb.Any{}} {
		retry, err := c.AppendToStream(ctx, "s-1", esdb.AppendToStreamOptions{ExpectedRevision: expected}, batch...)
		if err != nil {
			t.Fatalf("retry expecting %T: %v", expected, err)
		}
		if retry.NextExpectedVersion != 2 || retry.CommitPosition != 0 {
			t.Errorf("retry expecting %T = revision %d at %d, want revision 2 without a position", expected, retry.NextExpectedVersion, retry.CommitPosition)
		}
	}
	// Part of a stored batch is a conflict, not a retry.
	_, err = c.AppendToStream(ctx, "s-1", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, append(batch[:1:1], events(1)...)...)
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("append of a half-stored batch: %v, want a wrong expected version", err)
	}
	_, err = c.AppendToStream(ctx, "s-1", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(7)}, events(1)...)
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion || e.Err().Error() != "wrong expected version: expecting '7' but got '2'" {
		t.Fatalf("append expecting revision 7: %v, want a wrong expected version from 2", err)
	}

	read, err := c.ReadStream(ctx, "s-1", esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer read.Close()
	for i := range 3 {
		ev, err := read.Recv()
		if err != nil {
			t.Fatalf("read event %d: %v", i, err)
		}
		if ev.Event.EventID != batch[i].EventID || ev.Event.EventNumber != uint64(i) {
			t.Errorf("event %d = %s at %d, want %s", i, ev.Event.EventID, ev.Event.EventNumber, batch[i].EventID)
		}
		if d := time.Since(ev.Event.CreatedDate); d < 0 || d > time.Minute {
			t.Errorf("event %d created %v, %v ago", i, ev.Event.CreatedDate, d)
		}
	}
}

// TestSubscriptionCatchesUpThenFollows checks the order of a subscription's
// messages: stored events after the start, caught up, then live events.
func TestSubscriptionCatchesUpThenFollows(t *testing.T) {
	c := client(t)
	ctx := t.Context()
	stored, err := c.AppendToStream(ctx, "a-1", esdb.AppendToStreamOptions{}, events(2)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AppendToStream(ctx, "b-1", esdb.AppendToStreamOptions{}, events(1)...); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
		From:   esdb.Start{},
		Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"a-"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []string
	for len(got) < 4 {
		e := sub.Recv()
		switch {
		case e.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", e.SubscriptionDropped.Error)
		case e.CaughtUp != nil:
			got = append(got, "caught up")
			if _, err := c.AppendToStream(ctx, "a-1", esdb.AppendToStreamOptions{}, events(1)...); err != nil {
				t.Fatal(err)
			}
		case e.EventAppeared != nil:
			got = append(got, e.EventAppeared.Event.StreamID)
		}
	}
	want := []string{"a-1", "a-1", "caught up", "a-1"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("subscription delivered %v, want %v (stored up to %d)", got, want, stored.CommitPosition)
		}
	}
}
