package http_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

func TestHealthProbesNeedNoKey(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.do(t, "GET", "/healthz", "", nil).want(t, http.StatusOK)
	s.do(t, "GET", "/readyz", "", nil).want(t, http.StatusOK)
	s.server.SetReady(false)
	s.do(t, "GET", "/readyz", "", nil).wantProblem(t, http.StatusServiceUnavailable, "")
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	for _, path := range []string{"/v1/contacts", "/v1/fields", "/openapi.json"} {
		for _, tc := range []struct{ name, header string }{
			{"no key", ""},
			{"wrong scheme", "Basic " + s.admin},
			{"empty bearer", "Bearer "},
			{"malformed key", "Bearer hunter2"},
			{"unknown key", "Bearer ck_" + strings.Repeat("A", 43)},
		} {
			r := s.do(t, "GET", path, "", nil, "Authorization", tc.header)
			p := r.wantProblem(t, http.StatusUnauthorized, "")
			if !strings.HasSuffix(p.Type, "/unauthorized") || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: %s, WWW-Authenticate %q", path, tc.name, r.body, r.header.Get("WWW-Authenticate"))
			}
		}
		// The scheme is case-insensitive.
		s.do(t, "GET", path, "", nil, "Authorization", "bearer "+s.admin).want(t, http.StatusOK)
	}
	// A refused call writes nothing.
	s.do(t, "POST", "/v1/contacts", "", map[string]any{"first_name": "Eve"}).wantProblem(t, http.StatusUnauthorized, "")
	if l := s.list(t, "/v1/contacts"); len(l.Items) != 0 {
		t.Errorf("unauthenticated register wrote %d contacts", len(l.Items))
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	auditor := s.newKey(t, s.admin, "auditor")
	analytics := s.newKey(t, s.admin, "analytics")
	admin2 := s.newKey(t, s.admin, "admin")
	c := s.register(t, map[string]any{"first_name": "Ada"})

	// The auditor reads but cannot change anything.
	s.do(t, "GET", "/v1/contacts/"+c.ID+"?after="+c.Position, auditor, nil).want(t, http.StatusOK)
	s.do(t, "GET", "/v1/contacts", auditor, nil).want(t, http.StatusOK)
	s.do(t, "GET", "/v1/archived-contacts", auditor, nil).want(t, http.StatusOK)
	s.do(t, "GET", "/v1/fields", auditor, nil).want(t, http.StatusOK)
	p := s.do(t, "POST", "/v1/contacts/archive", auditor, map[string]any{"ids": []string{c.ID}}).wantProblem(t, http.StatusForbidden, "")
	if !strings.HasSuffix(p.Type, "/forbidden") {
		t.Errorf("forbidden problem: %+v", p)
	}
	if got := s.get(t, c.ID, ""); got.Status != "active" {
		t.Errorf("auditor archived the contact: %+v", got)
	}
	s.do(t, "PATCH", "/v1/contacts/"+c.ID, auditor, map[string]any{"first_name": "Eve"}).wantProblem(t, http.StatusForbidden, "")
	s.do(t, "POST", "/v1/keys", auditor, map[string]any{"role": "admin"}).wantProblem(t, http.StatusForbidden, "")
	// Analytics keys read the event stream, not contacts.
	s.do(t, "GET", "/v1/contacts", analytics, nil).wantProblem(t, http.StatusForbidden, "")
	// A second admin key works like the first, in the same community.
	s.do(t, "GET", "/v1/contacts/"+c.ID, admin2, nil).want(t, http.StatusOK)

	for _, body := range []map[string]any{{"role": "operator"}, {"role": "boss"}, {}} {
		s.doInvalid(t, "POST", "/v1/keys", s.admin, body).wantProblem(t, http.StatusBadRequest, "role")
	}
	s.doInvalid(t, "POST", "/v1/keys", s.admin, map[string]any{"role": "auditor", "community_id": domain.NewID()}).
		wantProblem(t, http.StatusBadRequest, "community_id")

	k, err := s.keys.Lookup(t.Context(), auditor)
	if err != nil || k.Role != apikeys.RoleAuditor || k.CommunityID != s.community {
		t.Errorf("auditor key stored as %+v, %v", k, err)
	}
}

func TestCreateCommunity(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	id, admin := s.createCommunity(t, "Les Amis du Vélo")
	k, err := s.keys.Lookup(t.Context(), admin)
	if err != nil || k.Role != apikeys.RoleAdmin || k.CommunityID != id {
		t.Errorf("admin key stored as %+v, %v", k, err)
	}
	// The new admin works in its own community at once.
	r := s.do(t, "POST", "/v1/contacts", admin, map[string]any{"first_name": "Ada"})
	r.want(t, http.StatusCreated)
	var c contact
	r.decode(t, &c)
	if got := s.do(t, "GET", "/v1/contacts/"+c.ID, s.admin, nil); got.status != http.StatusNotFound {
		t.Errorf("community A's admin reads the new community's contact: %d", got.status)
	}
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"name": "  "}, "name"},
		{map[string]any{}, "name"},
		{map[string]any{"name": strings.Repeat("n", 101)}, "name"},
		{map[string]any{"name": "X", "owner": "me"}, "owner"},
		{map[string]any{"name": 7}, "name"},
	} {
		s.doInvalid(t, "POST", "/v1/communities", s.operator, tc.body).wantProblem(t, http.StatusBadRequest, tc.field)
	}
	// Only the operator makes communities, and the operator sees no contact.
	s.do(t, "POST", "/v1/communities", s.admin, map[string]any{"name": "X"}).wantProblem(t, http.StatusForbidden, "")
	s.do(t, "GET", "/v1/contacts/"+c.ID, s.operator, nil).wantProblem(t, http.StatusForbidden, "")
	s.do(t, "GET", "/v1/contacts", s.operator, nil).wantProblem(t, http.StatusForbidden, "")
}

// The request ID is echoed (or made) and tags the events the request
// causes, with the key as actor.
func TestRequestID(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	r := s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"first_name": "Ada"}, "X-Request-ID", "req-42.a:b_c")
	r.want(t, http.StatusCreated)
	if got := r.header.Get("X-Request-ID"); got != "req-42.a:b_c" {
		t.Errorf("X-Request-ID %q", got)
	}
	var c contact
	r.decode(t, &c)
	events, err := s.store.ReadStream(t.Context(), domain.ContactStream(c.ID), domain.Forwards, 1, 10)
	if err != nil || len(events) != 1 {
		t.Fatalf("read stream: %d events, %v", len(events), err)
	}
	_, meta, err := domain.Decode(events[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.keys.Lookup(t.Context(), s.admin)
	if err != nil {
		t.Fatal(err)
	}
	if meta.CorrelationID != "req-42.a:b_c" || meta.Actor != "key:"+key.ID || meta.CommunityID != s.community || meta.Command != "RegisterContact" {
		t.Errorf("metadata %+v", meta)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("x", 129), "<script>"} {
		r := s.do(t, "GET", "/v1/fields", s.admin, nil, "X-Request-ID", bad)
		if got := r.header.Get("X-Request-ID"); !domain.ValidID(got) {
			t.Errorf("X-Request-ID %q answered with %q, want a new ID", bad, got)
		}
	}
	// Problems carry it too.
	r = s.do(t, "GET", "/v1/contacts", "", nil, "X-Request-ID", "req-43")
	if r.status != http.StatusUnauthorized || r.header.Get("X-Request-ID") != "req-43" {
		t.Errorf("401 answer: %d, X-Request-ID %q", r.status, r.header.Get("X-Request-ID"))
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.do(t, "GET", "/v1/nothing", s.admin, nil).wantProblem(t, http.StatusNotFound, "")
	s.do(t, "PUT", "/v1/contacts", s.admin, nil).wantProblem(t, http.StatusMethodNotAllowed, "")
}

// TestKeysListAndRevoke: an admin lists its community's keys and revokes
// one, which then authenticates nothing; another community's key is 404.
func TestKeysListAndRevoke(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	auditor := s.newKey(t, s.admin, "auditor")
	var list struct {
		Items []struct{ ID, Role string }
	}
	r := s.do(t, "GET", "/v1/keys", s.admin, nil)
	r.want(t, http.StatusOK)
	r.decode(t, &list)
	if len(list.Items) != 2 || list.Items[0].Role != "admin" || list.Items[1].Role != "auditor" || strings.Contains(string(r.body), auditor) {
		t.Fatalf("keys: %s", r.body)
	}
	_, otherAdmin := s.createCommunity(t, "Community B")
	s.do(t, "DELETE", "/v1/keys/"+list.Items[1].ID, otherAdmin, nil).wantProblem(t, http.StatusNotFound, "")
	s.do(t, "GET", "/v1/contacts", auditor, nil).want(t, http.StatusOK)
	s.do(t, "DELETE", "/v1/keys/"+list.Items[1].ID, s.admin, nil).want(t, http.StatusNoContent)
	s.do(t, "GET", "/v1/contacts", auditor, nil).wantProblem(t, http.StatusUnauthorized, "")
	s.do(t, "DELETE", "/v1/keys/"+list.Items[1].ID, s.admin, nil).wantProblem(t, http.StatusNotFound, "")
}
