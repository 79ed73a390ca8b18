package esdb_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/esdb/esdbtest"
)

// rawClient is a client of its own on url, to write what the store never
// writes: other applications' streams, system events, deletes.
func rawClient(t *testing.T, url string) *client.Client {
	t.Helper()
	conf, err := client.ParseConnectionString(url)
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = client.NoopLogging()
	c, err := client.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func event(typ string) client.EventData {
	return client.EventData{EventID: uuid.New(), EventType: typ, ContentType: client.ContentTypeJson, Data: []byte(`{}`)}
}

func domainEvent() []domain.EventData {
	return []domain.EventData{{ID: uuid.NewString(), Type: "ContactRegistered", Data: []byte(`{}`), Metadata: []byte(`{}`)}}
}

// TestLogIsTheProjectsStreamsOnly checks that ReadAll and Subscribe skip
// what the server's $all holds besides the project's events: other
// applications' streams, $-streams, system events of deletes; and that a
// deleted stream reads as not found.
func TestLogIsTheProjectsStreamsOnly(t *testing.T) {
	fake := esdbtest.New(t)
	s := open(t, fake.URL(), "")
	raw := rawClient(t, fake.URL())
	ctx := t.Context()

	kept, deleted, tombstoned := domain.ContactStream(uuid.NewString()), domain.ContactStream(uuid.NewString()), domain.CommunityStream(uuid.NewString())
	var want []string // event IDs of the log, in order
	for _, stream := range []string{kept, deleted, tombstoned} {
		e := domainEvent()
		if _, err := s.Append(ctx, stream, domain.NoStream, e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e[0].ID)
	}
	for _, stream := range []string{"orders-1", "$custom", "contacts-of-another-app"} {
		if _, err := raw.AppendToStream(ctx, stream, client.AppendToStreamOptions{}, event("Other")); err != nil {
			t.Fatalf("append to %s: %v", stream, err)
		}
	}
	if _, err := raw.DeleteStream(ctx, deleted, client.DeleteStreamOptions{}); err != nil {
		t.Fatalf("delete %s: %v", deleted, err)
	}
	if _, err := raw.TombstoneStream(ctx, tombstoned, client.TombstoneStreamOptions{}); err != nil {
		t.Fatalf("tombstone %s: %v", tombstoned, err)
	}
	e := domainEvent()
	if _, err := s.Append(ctx, kept, domain.Exact(1), e); err != nil {
		t.Fatal(err)
	}
	want = append(want, e[0].ID)

	all, err := s.ReadAll(ctx, domain.Start, 100)
	if err != nil {
		t.Fatal(err)
	}
	checkIDs(t, "ReadAll", all, want)
	// Pages of one still step over the skipped events.
	var paged []domain.RecordedEvent
	for from := domain.Start; ; {
		page, err := s.ReadAll(ctx, from, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		from = page[0].Position
	}
	checkIDs(t, "ReadAll in pages of 1", paged, want)

	got := subscribeN(t, s, len(want))
	checkIDs(t, "Subscribe", got, want)

	for _, stream := range []string{deleted, tombstoned} {
		if _, err := s.ReadStream(ctx, stream, domain.Forwards, 1, 10); !errors.Is(err, domain.ErrStreamNotFound) {
			t.Errorf("ReadStream(%s) of a deleted stream: %v, want ErrStreamNotFound", stream, err)
		}
	}
}

// TestNamespacesAreSeparateLogs checks that two stores under different
// namespaces of one server see only their own streams.
func TestNamespacesAreSeparateLogs(t *testing.T) {
	fake := esdbtest.New(t)
	a, b := open(t, fake.URL(), "a_"), open(t, fake.URL(), "b_")
	stream := domain.ContactStream(uuid.NewString())
	ea, eb := domainEvent(), domainEvent()
	if _, err := a.Append(t.Context(), stream, domain.NoStream, ea); err != nil {
		t.Fatal(err)
	}
	// The same stream name in the other namespace is another stream.
	if _, err := b.Append(t.Context(), stream, domain.NoStream, eb); err != nil {
		t.Fatalf("append to %s under another namespace: %v", stream, err)
	}
	for _, c := range []struct {
		name string
		s    interface {
			ReadAll(context.Context, domain.Position, int) ([]domain.RecordedEvent, error)
		}
		want string
	}{{"a", a, ea[0].ID}, {"b", b, eb[0].ID}} {
		all, err := c.s.ReadAll(t.Context(), domain.Start, 10)
		if err != nil {
			t.Fatal(err)
		}
		checkIDs(t, "ReadAll of namespace "+c.name, all, []string{c.want})
		if len(all) == 1 && all[0].Stream != stream {
			t.Errorf("namespace %s: Stream = %q, want %q without the namespace", c.name, all[0].Stream, stream)
		}
	}
}

// subscribeN subscribes from the start until n events arrived, and a
// moment more to catch any extra one.
func subscribeN(t *testing.T, s domain.EventStore, n int) []domain.RecordedEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var (
		mu  sync.Mutex
		got []domain.RecordedEvent
	)
	enough := errors.New("enough")
	err := s.Subscribe(ctx, domain.Start, func(_ context.Context, events []domain.RecordedEvent) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, events...)
		if len(got) >= n {
			return enough
		}
		return nil
	})
	if !errors.Is(err, enough) {
		t.Fatalf("Subscribe: %v after %d of %d events", err, len(got), n)
	}
	return got
}

func checkIDs(t *testing.T, what string, got []domain.RecordedEvent, want []string) {
	t.Helper()
	if len(got) != len(want) {
		for _, e := range got {
			t.Logf("%s: %s v%d %s %s", what, e.Stream, e.Version, e.Type, e.ID)
		}
		t.Fatalf("%s returned %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Errorf("%s event %d = %s (%s), want %s", what, i, got[i].ID, got[i].Stream, want[i])
		}
	}
}
