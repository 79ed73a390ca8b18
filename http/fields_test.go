package http_test

import (
	"net/http"
	"testing"
)

type fieldBody struct {
	ID       *string  `json:"id"`
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Type     string   `json:"type"`
	Choices  []string `json:"choices"`
	Builtin  bool     `json:"builtin"`
	Position string   `json:"position"`
}

func (s *stack) fields(t *testing.T, key, after string) []fieldBody {
	t.Helper()
	path := "/v1/fields"
	if after != "" {
		path += "?after=" + after
	}
	r := s.do(t, "GET", path, key, nil)
	r.want(t, http.StatusOK)
	var l struct{ Items []fieldBody }
	r.decode(t, &l)
	return l.Items
}

func TestFields(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	builtins := s.fields(t, s.admin, "")
	if len(builtins) != 4 || builtins[0].Key != "email" || !builtins[0].Builtin || builtins[0].ID != nil {
		t.Fatalf("built-in fields: %+v", builtins)
	}

	r := s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "level", "label": " Level ", "type": "choice", "choices": []string{"Bronze", "Gold"}})
	r.want(t, http.StatusCreated)
	var f fieldBody
	r.decode(t, &f)
	if f.ID == nil || f.Key != "level" || f.Label != "Level" || f.Type != "choice" || len(f.Choices) != 2 || f.Builtin || f.Position == "" {
		t.Errorf("defined: %s", r.body)
	}
	// The same definition again changes nothing.
	again := s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "level", "label": "Level", "type": "choice", "choices": []string{"Bronze", "Gold"}})
	again.want(t, http.StatusOK)
	var g fieldBody
	again.decode(t, &g)
	if g.ID == nil || *g.ID != *f.ID {
		t.Errorf("defined again: %s", again.body)
	}
	list := s.fields(t, s.admin, f.Position)
	if len(list) != 5 || list[4].Key != "level" || *list[4].ID != *f.ID {
		t.Errorf("fields: %+v", list)
	}

	for _, tc := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"key": "level", "label": "Other", "type": "text"}, 409, "key"},
		{map[string]any{"key": "Bad Key", "label": "X", "type": "text"}, 400, "key"},
		{map[string]any{"key": "email", "label": "X", "type": "text"}, 400, "key"},
		{map[string]any{"key": "x", "label": "", "type": "text"}, 400, "label"},
		{map[string]any{"key": "x", "label": "X", "type": "colour"}, 400, "type"},
		{map[string]any{"key": "x", "label": "X", "type": "choice"}, 400, "choices"},
		{map[string]any{"key": "x", "label": "X", "type": "text", "required": true}, 400, "required"},
		{map[string]any{"key": "x", "label": "X", "type": "text", "choices": "a"}, 400, "choices"},
	} {
		do := s.do // a conflict is a valid request; the 400s are not
		if tc.status == http.StatusBadRequest {
			do = s.doInvalid
		}
		do(t, "POST", "/v1/fields", s.admin, tc.body).wantProblem(t, tc.status, tc.field)
	}

	// Values follow the field's type; removing the field hides them.
	c := s.register(t, map[string]any{"last_name": "Ada", "fields": map[string]any{"level": "gold"}})
	if c.Fields["level"] != "Gold" {
		t.Errorf("choice value: %+v", c.Fields)
	}
	removed := s.do(t, "DELETE", "/v1/fields/level", s.admin, nil)
	removed.want(t, http.StatusOK)
	var gone struct{ Key, Position string }
	removed.decode(t, &gone)
	if gone.Key != "level" || gone.Position == "" {
		t.Errorf("DELETE answered %s", removed.body)
	}
	if got := s.get(t, c.ID, gone.Position); len(got.Fields) != 0 {
		t.Errorf("after the removal, at its position: fields %+v", got.Fields)
	}
	s.do(t, "DELETE", "/v1/fields/level", s.admin, nil).wantProblem(t, http.StatusNotFound, "")
	s.do(t, "DELETE", "/v1/fields/email", s.admin, nil).wantProblem(t, http.StatusBadRequest, "key")
	s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"last_name": "Bob", "fields": map[string]any{"level": "Gold"}}).
		wantProblem(t, http.StatusBadRequest, "fields.level")

	// Defined again, the field starts empty for everyone.
	r = s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "level", "label": "Level", "type": "text"})
	r.want(t, http.StatusCreated)
	r.decode(t, &f)
	if got := s.get(t, c.ID, f.Position); len(got.Fields) != 0 {
		t.Errorf("old value came back: %+v", got.Fields)
	}
	if list := s.fields(t, s.admin, f.Position); len(list) != 5 || list[4].Type != "text" {
		t.Errorf("fields after redefinition: %+v", list)
	}
}
