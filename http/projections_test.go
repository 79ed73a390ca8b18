package http_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
)

// TestProjectionsForOperators: an operator sees each read model's state and
// retries its parked events; no other role may.
func TestProjectionsForOperators(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := s.register(t, map[string]any{"first_name": "Ann"})
	var list struct {
		Items []struct {
			Name     string `json:"name"`
			Position string `json:"position"`
			Parked   int    `json:"parked"`
			Degraded bool   `json:"degraded"`
		} `json:"items"`
	}
	s.do(t, "GET", "/v1/projections?after="+c.Position, s.operator, nil).decode(t, &list)
	if len(list.Items) != 2 || list.Items[0].Name != "contacts" || list.Items[0].Parked != 0 || list.Items[0].Degraded {
		t.Errorf("projections %+v: want contacts and erasure, nothing set aside", list.Items)
	}
	s.do(t, "GET", "/v1/projections", s.admin, nil).wantProblem(t, http.StatusForbidden, "")
	s.do(t, "POST", "/v1/projections/nope/retry", s.operator, nil).wantProblem(t, http.StatusNotFound, "")
	var res struct {
		Applied     int `json:"applied"`
		StillParked int `json:"still_parked"`
	}
	r := s.do(t, "POST", "/v1/projections/contacts/retry", s.operator, nil)
	r.want(t, http.StatusOK)
	r.decode(t, &res)
	if res.Applied != 0 || res.StillParked != 0 {
		t.Errorf("retry with nothing set aside: %+v", res)
	}
}

// TestDegradedReadModel: an event the contacts read model cannot apply
// (appended before the rules, straight to the log) is set aside; /readyz
// stays 200 but says the read model is degraded, /metrics counts it, and
// every later event is applied.
func TestDegradedReadModel(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	data, err := domain.Encode(domain.ContactArchived{ContactID: "not-a-uuid"}, domain.Metadata{CommunityID: s.community, Actor: "legacy"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.Append(t.Context(), domain.ContactStream(domain.NewID()), domain.NoStream, []domain.EventData{data}); err != nil {
		t.Fatal(err)
	}
	after := s.register(t, map[string]any{"first_name": "After"})
	s.get(t, after.ID, after.Position)

	var ready struct {
		Status   string `json:"status"`
		Degraded []struct {
			ReadModel string `json:"read_model"`
			Parked    int    `json:"parked"`
		} `json:"degraded"`
	}
	r := s.do(t, "GET", "/readyz", "", nil)
	r.want(t, http.StatusOK)
	r.decode(t, &ready)
	if ready.Status != "degraded" || len(ready.Degraded) != 1 || ready.Degraded[0].ReadModel != "contacts" || ready.Degraded[0].Parked != 1 {
		t.Errorf("readyz %s: want degraded, contacts with 1 event set aside", r.body)
	}
	metrics := s.do(t, "GET", "/metrics", s.operator, nil)
	if !strings.Contains(string(metrics.body), `contacts_projection_parked_events{read_model="contacts"} 1`) {
		t.Errorf("metrics lack the parked event:\n%s", metrics.body)
	}
}
