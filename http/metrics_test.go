package http_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	s := newStack(t)
	r := s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"first_name": "Anaïs"})
	if r.status != http.StatusCreated {
		t.Fatalf("register = %d %s", r.status, r.body)
	}
	// Once the read model has applied the registration (a loaded machine
	// may answer the command from the log), it is up to date.
	var c contact
	r.decode(t, &c)
	s.get(t, c.ID, c.Position)
	m := s.do(t, "GET", "/metrics", s.operator, nil)
	if m.status != http.StatusOK || !strings.HasPrefix(m.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %s %s", m.status, m.header.Get("Content-Type"), m.body)
	}
	if !regexp.MustCompile(`(?m)^contacts_projection_lag_seconds\{read_model="contacts"\} 0$`).Match(m.body) ||
		!regexp.MustCompile(`(?m)^contacts_projection_behind\{read_model="contacts"\} 0$`).Match(m.body) {
		t.Fatalf("metrics do not show the contacts read model up to date:\n%s", m.body)
	}
	if r := s.do(t, "GET", "/metrics", s.admin, nil); r.status != http.StatusForbidden {
		t.Fatalf("GET /metrics as admin = %d, want 403", r.status)
	}
}
