package sealed_test

import (
	"strings"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/memory"
	"github.com/assoc/contacts/eventstore/sealed"
)

// TestReadCommunity: over PostgreSQL (its index by community) and over a
// store without one (EventStoreDB's case: the whole log read sealed, kept
// by metadata, opened only for the community), a community's events come
// opened, in log order, none of another's, with where to resume.
func TestReadCommunity(t *testing.T) {
	for name, store := range map[string]func(*testing.T) *sealed.Store{
		"postgres": func(t *testing.T) *sealed.Store { return setup(t).store },
		"no index": func(t *testing.T) *sealed.Store {
			f := setup(t)
			return sealed.New(memory.New(), f.store.Keyring())
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := store(t)
			ctx := t.Context()
			mine, theirs := domain.NewID(), domain.NewID()
			var want []string
			for i := range 6 {
				community, id := theirs, domain.NewID()
				if i%3 == 1 {
					community = mine
				}
				e, err := domain.Encode(domain.ContactRegistered{ContactID: id, CommunityID: community,
					Values: []domain.Value{{Field: "first_name", Value: "Name"}}}, domain.Metadata{CommunityID: community, Actor: "test"})
				if err != nil {
					t.Fatal(err)
				}
				if community == mine {
					want = append(want, e.ID)
				}
				if _, err := s.Append(ctx, domain.ContactStream(id), domain.NoStream, []domain.EventData{e}); err != nil {
					t.Fatal(err)
				}
			}
			var got []domain.RecordedEvent
			var next domain.Position
			waitUntilVisible(t, func() bool {
				page, n, err := s.ReadCommunity(ctx, mine, domain.Start, 10)
				if err != nil {
					t.Fatal(err)
				}
				got, next = page, n
				// Until the other community's last event is visible too
				// (an older transaction elsewhere can hold it back), the
				// resume position stops at this one's last.
				return len(page) == len(want) && next.Compare(page[len(page)-1].Position) > 0
			})
			for i, e := range got {
				if e.ID != want[i] || string(e.Data) == "" || !containsName(e.Data) {
					t.Fatalf("event %d: %s %s, want %s opened", i, e.ID, e.Data, want[i])
				}
			}
			if next.Compare(got[len(got)-1].Position) <= 0 {
				t.Errorf("resume at %s, want past the other community's last event (after %s)", next, got[len(got)-1].Position)
			}
		})
	}
}

func containsName(data []byte) bool {
	return len(data) > 0 && string(data) != "{}" && bytesContain(data, "Name")
}

func bytesContain(data []byte, s string) bool { return strings.Contains(string(data), s) }

// waitUntilVisible polls cond: the log holds events back while an older
// transaction of the shared server is open.
func waitUntilVisible(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the events never showed")
		}
	}
}
