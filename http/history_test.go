package http_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

type historyBody struct {
	Items []struct {
		Version       int64  `json:"version"`
		Position      string `json:"position"`
		Type          string `json:"type"`
		Schema        int    `json:"schema"`
		Time          time.Time
		Actor         string `json:"actor"`
		Command       string `json:"command"`
		CorrelationID string `json:"correlation_id"`
		Changes       []struct {
			Field, Old, New string
			From            *string
		} `json:"changes"`
		Related []struct{ ID, History string } `json:"related"`
		Erased  bool                           `json:"erased"`
	} `json:"items"`
}

func TestContactHistory(t *testing.T) {
	s := newStack(t)
	c := s.register(t, map[string]any{"first_name": "Hélène", "email": "helene@example.org"})
	r := s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"last_name": "Dupré"}, "X-Request-ID", "req-patch-1")
	r.want(t, http.StatusOK)
	dup := s.register(t, map[string]any{"last_name": "Dupré", "external_id": "M-7"})
	s.do(t, "POST", "/v1/contacts/"+c.ID+"/merge", s.admin, map[string]any{"duplicates": []string{dup.ID}}).want(t, http.StatusOK)

	auditor := s.newKey(t, s.admin, "auditor")
	var h historyBody
	r = s.do(t, "GET", "/v1/contacts/"+c.ID+"/history", auditor, nil)
	r.want(t, http.StatusOK)
	r.decode(t, &h)
	if len(h.Items) != 4 {
		t.Fatalf("history: %s", r.body)
	}
	reg, upd, started, merge := h.Items[0], h.Items[1], h.Items[2], h.Items[3]
	if started.Type != "MergeStarted" || len(started.Related) != 1 || started.Related[0].ID != dup.ID || len(started.Changes) != 0 {
		t.Fatalf("merge started entry: %+v", started)
	}
	if reg.Type != "ContactRegistered" || reg.Version != 1 || reg.Schema != 1 || reg.Command != "RegisterContact" || reg.Actor == "" || reg.Position == "" || reg.Time.IsZero() {
		t.Fatalf("registration entry: %+v", reg)
	}
	if upd.Type != "ContactUpdated" || upd.CorrelationID != "req-patch-1" || len(upd.Changes) != 1 ||
		upd.Changes[0].Field != "last_name" || upd.Changes[0].Old != "" || upd.Changes[0].New != "Dupré" {
		t.Fatalf("update entry: %+v", upd)
	}
	if merge.Type != "DuplicatesAbsorbed" || len(merge.Related) != 1 || merge.Related[0].ID != dup.ID ||
		merge.Related[0].History != "/v1/contacts/"+dup.ID+"/history" {
		t.Fatalf("merge entry: %+v", merge)
	}
	// The duplicate's history stays under its ID and links to the survivor.
	var dh historyBody
	s.do(t, "GET", merge.Related[0].History, auditor, nil).decode(t, &dh)
	if last := dh.Items[len(dh.Items)-1]; last.Type != "ContactMerged" || last.Related[0].ID != c.ID {
		t.Fatalf("duplicate's history ends with %+v", last)
	}

	// Roles and communities.
	analytics := s.newKey(t, s.admin, "analytics")
	s.do(t, "GET", "/v1/contacts/"+c.ID+"/history", analytics, nil).wantProblem(t, http.StatusForbidden, "")
	_, otherAdmin := s.createCommunity(t, "Community B")
	s.do(t, "GET", "/v1/contacts/"+c.ID+"/history", otherAdmin, nil).wantProblem(t, http.StatusNotFound, "")
}

func TestContactAsOf(t *testing.T) {
	s := newStack(t)
	c := s.register(t, map[string]any{"first_name": "Ada", "email": "ada@example.org"})
	time.Sleep(10 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(10 * time.Millisecond)
	r := s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"first_name": "Grace"})
	r.want(t, http.StatusOK)
	var updated contact
	r.decode(t, &updated)
	// as_of the updated_at the API showed includes that update.
	var atUpdate contact
	s.do(t, "GET", "/v1/contacts/"+c.ID+"?as_of="+url.QueryEscape(updated.UpdatedAt.Format(time.RFC3339Nano)), s.admin, nil).decode(t, &atUpdate)
	if atUpdate.FirstName != "Grace" || atUpdate.Version != updated.Version {
		t.Fatalf("as_of its updated_at (%s): %+v, want the update", updated.UpdatedAt.Format(time.RFC3339Nano), atUpdate)
	}
	s.bulk(t, "archive", c.ID)

	var then contact
	r = s.do(t, "GET", "/v1/contacts/"+c.ID+"?as_of="+url.QueryEscape(between.Format(time.RFC3339Nano)), s.admin, nil)
	r.want(t, http.StatusOK)
	r.decode(t, &then)
	if then.FirstName != "Ada" || then.Status != "active" || then.Version != 1 || then.Email != "ada@example.org" || r.header.Get("ETag") != `"1"` {
		t.Fatalf("as of before the update: %s", r.body)
	}
	var now contact
	s.do(t, "GET", "/v1/contacts/"+c.ID+"?as_of="+url.QueryEscape(time.Now().UTC().Format(time.RFC3339Nano)), s.admin, nil).decode(t, &now)
	if now.FirstName != "Grace" || now.Status != "archived" || now.ArchivedAt == nil {
		t.Fatalf("as of now: %+v", now)
	}
	s.do(t, "GET", "/v1/contacts/"+c.ID+"?as_of="+url.QueryEscape(c.CreatedAt.Add(-time.Second).Format(time.RFC3339)), s.admin, nil).
		wantProblem(t, http.StatusNotFound, "")
	s.doInvalid(t, "GET", "/v1/contacts/"+c.ID+"?as_of=yesterday", s.admin, nil).wantProblem(t, http.StatusBadRequest, "as_of")
}
