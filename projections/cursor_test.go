package projections_test

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
)

// TestCursorsAreOpaque: a list's cursor shows nothing of the row it
// follows (no name, no email, even decoded), opens on another node that
// shares the key, and is refused by another list or another key.
func TestCursorsAreOpaque(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	b.register(t, map[string]string{"first_name": "Hélène", "last_name": "Dupré", "email": "helene@example.org"})
	last := b.register(t, map[string]string{"first_name": "Zoé", "last_name": "Zola", "email": "zoe@example.org"})
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	nodeA := &projections.Queries{Pool: b.pool, CursorKey: key}
	nodeB := &projections.Queries{Pool: b.pool, CursorKey: key}
	for _, sort := range []string{"last_name", "email", "-first_name"} {
		q := domain.ListQuery{CommunityID: b.caller.CommunityID, Status: domain.StatusActive, Sort: sort, Limit: 1}
		page, err := nodeA.ListContacts(ctx, q)
		if err != nil || page.NextCursor == "" {
			t.Fatalf("sort %s: %v, cursor %q", sort, err, page.NextCursor)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(page.NextCursor)
		for _, personal := range []string{"Dupré", "Hélène", "helene@", "Zoé", "Zola", "zoe@", page.Items[0].ID} {
			if bytes.Contains([]byte(page.NextCursor), []byte(personal)) || bytes.Contains(raw, []byte(personal)) {
				t.Errorf("sort %s: the cursor shows %q", sort, personal)
			}
		}
		q.Cursor = page.NextCursor
		next, err := nodeB.ListContacts(ctx, q)
		if err != nil || len(next.Items) != 1 || next.Items[0].ID == page.Items[0].ID {
			t.Errorf("sort %s: the next page on another node: %v %v", sort, next.Items, err)
		}
		archived := q
		archived.Status = domain.StatusArchived
		if _, err := nodeB.ListContacts(ctx, archived); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("sort %s: the active list's cursor on the archived list: %v, want refused", sort, err)
		}
		other := &projections.Queries{Pool: b.pool, CursorKey: bytes.Repeat([]byte{8}, 32)}
		if _, err := other.ListContacts(ctx, q); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("sort %s: a cursor under another key: %v, want refused", sort, err)
		}
	}
}
