package http_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/assoc/contacts/domain"
)

// TestEveryCommandReadsBackAtOnce: whatever the command (bulk, fields,
// communities), its answer comes once every read model has applied it, so
// the read that follows, without after=, shows it.
func TestEveryCommandReadsBackAtOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ann := s.register(t, map[string]any{"first_name": "Ann"})
	for i := range 5 {
		s.bulk(t, "archive", ann.ID, domain.NewID())
		b := s.bulk(t, "restore", ann.ID, domain.NewID())
		if !b.Results[0].OK {
			t.Fatalf("restore: %+v", b.Results[0])
		}
		var got contact
		r := s.do(t, "GET", "/v1/contacts/"+ann.ID, s.admin, nil)
		r.want(t, http.StatusOK)
		r.decode(t, &got)
		if got.Status != "active" || got.Version != b.Results[0].Version || r.header.Get("Read-Models-Behind") != "" {
			t.Fatalf("round %d: read right after the restore: %s at version %d, want active at %d", i, got.Status, got.Version, b.Results[0].Version)
		}
	}

	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "city", "label": "City", "type": "text"}).want(t, http.StatusCreated)
	var fields struct{ Items []struct{ Key string } }
	s.do(t, "GET", "/v1/fields", s.admin, nil).decode(t, &fields)
	if len(fields.Items) != 5 || fields.Items[4].Key != "city" {
		t.Fatalf("fields right after the definition: %+v", fields.Items)
	}
	s.do(t, "DELETE", "/v1/fields/city", s.admin, nil).want(t, http.StatusOK)
	s.do(t, "GET", "/v1/fields", s.admin, nil).decode(t, &fields)
	if len(fields.Items) != 4 {
		t.Fatalf("fields right after the removal: %+v", fields.Items)
	}

	// An import, then its revert: each answers once the lists show it.
	for round := range 3 {
		email := fmt.Sprintf("nina%d@example.org", round)
		r := s.upload(t, "/v1/imports", s.admin, workbook(t, [][]any{{"Email", "First name"}, {email, "Nina"}}))
		r.want(t, http.StatusCreated)
		var rep importReport
		r.decode(t, &rep)
		if l := s.list(t, "/v1/contacts?q="+email); len(l.Items) != 1 || r.header.Get("Read-Models-Behind") != "" {
			t.Fatalf("round %d: the active list right after the import: %+v", round, l.Items)
		}
		s.do(t, "POST", "/v1/imports/"+rep.ID+"/revert", s.admin, nil).want(t, http.StatusOK)
		if l := s.list(t, "/v1/archived-contacts?q="+email); len(l.Items) != 1 {
			t.Fatalf("round %d: the archived list right after the revert: %+v", round, l.Items)
		}
	}

	_, admin := s.createCommunity(t, "Community B")
	s.do(t, "GET", "/v1/fields", admin, nil).want(t, http.StatusOK)
}
