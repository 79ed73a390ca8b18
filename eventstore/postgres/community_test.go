package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
)

// communityEvent is an event of community c.
func communityEvent(c string) domain.EventData {
	return domain.EventData{ID: uuid.NewString(), Type: "T", Data: []byte(`{}`),
		Metadata: fmt.Appendf(nil, `{"community_id":%q}`, c)}
}

// TestReadCommunity: a community's events, in log order, none of another
// community's, a page at a time; the position to resume from is the last
// event read when the page is full, else the log's head, past the other
// communities' events.
func TestReadCommunity(t *testing.T) {
	ctx := t.Context()
	store, _ := newStore(t)
	small, big := uuid.NewString(), uuid.NewString()
	var want []string
	for i := range 30 {
		c := big
		if i%10 == 3 {
			c = small
		}
		e := communityEvent(c)
		if c == small {
			want = append(want, e.ID)
		}
		if _, err := store.Append(ctx, fmt.Sprintf("s-%d", i%4), domain.Any, []domain.EventData{e}); err != nil {
			t.Fatal(err)
		}
	}
	var all []domain.RecordedEvent
	for deadline := time.Now().Add(20 * time.Second); len(all) < 30; time.Sleep(20 * time.Millisecond) {
		// ReadAll holds events back while an older transaction of the
		// shared server is open.
		var err error
		if all, err = store.ReadAll(ctx, domain.Start, 100); err != nil || time.Now().After(deadline) {
			t.Fatalf("the log shows %d of 30 events (%v)", len(all), err)
		}
	}
	head := all[len(all)-1].Position

	page, next, err := store.ReadCommunity(ctx, small, domain.Start, 2)
	if err != nil || len(page) != 2 || page[0].ID != want[0] || page[1].ID != want[1] || next != page[1].Position {
		t.Fatalf("first page %v, next %s, %v; want %v, resuming after the second", ids(page), next, err, want[:2])
	}
	page, next, err = store.ReadCommunity(ctx, small, next, 2)
	if err != nil || len(page) != 1 || page[0].ID != want[2] || next != head {
		t.Fatalf("last page %v, next %s (head %s), %v; want %v and the head", ids(page), next, head, err, want[2:])
	}
	page, next, err = store.ReadCommunity(ctx, small, next, 2)
	if err != nil || len(page) != 0 || next != head {
		t.Fatalf("after the end: %v, next %s, %v", ids(page), next, err)
	}
	if page, _, err := store.ReadCommunity(ctx, uuid.NewString(), domain.Start, 10); err != nil || len(page) != 0 {
		t.Fatalf("an unknown community: %v, %v", ids(page), err)
	}
}

func ids(events []domain.RecordedEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}
