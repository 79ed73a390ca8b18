package http_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestTextNoPersonMeantIsRefused: text a person cannot have meant (NUL,
// control characters, invalid UTF-8, lone surrogates, over-long values) is
// refused with 400 naming the field, at every entry point of the API,
// before anything reaches the log; the read models keep running.
func TestTextNoPersonMeantIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "notes", "label": "Notes", "type": "text"}).want(t, http.StatusCreated)
	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "level", "label": "Level", "type": "choice", "choices": []string{"Élève", "Membre"}}).want(t, http.StatusCreated)
	ann := s.register(t, map[string]any{"first_name": "Ann"})

	for _, tc := range []struct {
		name, method, path string
		key                string // "" for the admin key
		body               any
		field              string
	}{
		{"NUL in a name", "POST", "/v1/contacts", "", `{"first_name":"a\u0000b"}`, "first_name"},
		{"escape sequence in a name", "POST", "/v1/contacts", "", `{"last_name":"\u001b[31mred"}`, "last_name"},
		{"C1 control in an email", "POST", "/v1/contacts", "", `{"email":"a\u0085b@example.org"}`, "email"},
		{"invalid UTF-8 bytes", "POST", "/v1/contacts", "", "{\"first_name\":\"caf\xe9\"}", "first_name"},
		{"lone surrogate", "POST", "/v1/contacts", "", `{"first_name":"\ud800x"}`, "first_name"},
		{"line break in a name", "POST", "/v1/contacts", "", `{"first_name":"Ann\nLee"}`, "first_name"},
		{"NUL in a community field", "POST", "/v1/contacts", "", `{"first_name":"Bo","fields":{"notes":"x\u0000"}}`, "fields.notes"},
		{"over-long value", "POST", "/v1/contacts", "", `{"first_name":"` + strings.Repeat("x", 1001) + `"}`, "first_name"},
		{"NUL in an update", "PATCH", "/v1/contacts/" + ann.ID, "", `{"last_name":"\u0000"}`, "last_name"},
		{"NUL in a field label", "POST", "/v1/fields", "", `{"key":"city","label":"Ci\u0000ty","type":"text"}`, "label"},
		{"NUL in a choice", "POST", "/v1/fields", "", `{"key":"size","label":"Size","type":"choice","choices":["S","M\u0000"]}`, "choices"},
		{"NUL in a community name", "POST", "/v1/communities", "operator", `{"name":"Les Amis\u0000"}`, "name"},
		{"NUL in a search", "GET", "/v1/contacts?q=%00", "", nil, "q"},
		{"invalid UTF-8 in a search", "GET", "/v1/contacts?q=%ff", "", nil, "q"},
		{"NUL in an archived search", "GET", "/v1/archived-contacts?q=a%00", "", nil, "q"},
		{"over-long search", "GET", "/v1/contacts?q=" + strings.Repeat("a", 201), "", nil, "q"},
		{"NUL in an export's search", "GET", "/v1/exports/contacts.xlsx?q=%00", "", nil, "q"},
		{"bad after on history", "GET", "/v1/contacts/" + ann.ID + "/history?after=garbage", "", nil, "after"},
		{"bad after on as_of", "GET", "/v1/contacts/" + ann.ID + "?as_of=2026-01-01T00:00:00Z&after=garbage", "", nil, "after"},
		{"bad after on a contact", "GET", "/v1/contacts/" + ann.ID + "?after=1-x", "", nil, "after"},
		{"bad after on an import", "GET", "/v1/imports/" + ann.ID + "?after=%00", "", nil, "after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := s.admin
			if tc.key == "operator" {
				key = s.operator
			}
			p := s.doInvalid(t, tc.method, tc.path, key, tc.body).wantProblem(t, http.StatusBadRequest, tc.field)
			if p.Type != "https://contacts.invalid/problems/invalid" || p.Detail == "" {
				t.Errorf("problem %+v: want the invalid type and a reason", p)
			}
		})
	}

	// Nothing refused reached the log: the read models still apply what
	// comes next, and Ann is as she was.
	bo := s.register(t, map[string]any{"first_name": "Bo", "fields": map[string]any{"notes": "line 1\r\nline 2", "level": "eleve"}})
	got := s.get(t, bo.ID, bo.Position)
	if got.Fields["notes"] != "line 1\nline 2" || got.Fields["level"] != "Élève" {
		t.Errorf("fields %q: want the note's lines kept (LF) and the choice matched without accents", got.Fields)
	}
	if got := s.get(t, ann.ID, bo.Position); got.Version != 1 || got.LastName != "" {
		t.Errorf("Ann at version %d, last name %q: a refused update changed her", got.Version, got.LastName)
	}
	if l := s.list(t, "/v1/contacts?after="+bo.Position); len(l.Items) != 2 {
		t.Errorf("%d contacts listed, want Ann and Bo", len(l.Items))
	}
}

// TestSortArchivedOnTheActiveList: the active list refuses sort=archived
// with a message that lists only the keys it takes.
func TestSortArchivedOnTheActiveList(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	p := s.doInvalid(t, "GET", "/v1/contacts?sort=archived", s.admin, nil).wantProblem(t, http.StatusBadRequest, "sort")
	if strings.Contains(p.Detail, "archived;") || strings.Contains(p.Detail, ", archived") {
		t.Errorf("detail %q offers archived on the active list", p.Detail)
	}
	s.do(t, "GET", "/v1/archived-contacts?sort=-archived", s.admin, nil).want(t, http.StatusOK)
}
