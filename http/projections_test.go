package http_test

import (
	"net/http"
	"testing"
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
