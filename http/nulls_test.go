package http_test

import (
	"net/http"
	"testing"
)

// A null the document does not allow is refused, naming the field, rather
// than read as "absent": a body of null on PATCH would otherwise be an
// update that changes nothing, and "choices": null a field without choices.
func TestNullIsRefusedWhereTheDocumentForbidsIt(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := s.register(t, map[string]any{"first_name": "Ada"})
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		{"a null body on update", "PATCH", "/v1/contacts/" + c.ID, "null", ""},
		{"a null body on register", "POST", "/v1/contacts", " null ", ""},
		{"null choices", "POST", "/v1/fields", `{"key":"size","label":"Size","type":"text","choices":null}`, "choices"},
		{"null key", "POST", "/v1/fields", `{"key":null,"label":"Size","type":"text"}`, "key"},
		{"null take", "POST", "/v1/contacts/" + c.ID + "/merge", `{"duplicates":["` + c.ID + `"],"take":null}`, "take"},
		{"null ids", "POST", "/v1/contacts/archive", `{"ids":null}`, "ids"},
		{"null role", "POST", "/v1/keys", `{"role":null}`, "role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.doInvalid(t, tc.method, tc.path, s.admin, tc.body).wantProblem(t, http.StatusBadRequest, tc.field)
		})
	}
	if got := s.get(t, c.ID, ""); got.Version != 1 {
		t.Errorf("a refused body changed the contact: %+v", got)
	}
	// Where the document allows null, it still clears.
	r := s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"last_name": "Lovelace", "first_name": nil})
	r.want(t, http.StatusOK)
}

// An empty email is what the document says it is: no email on register,
// and on update the way to clear one (as null is).
func TestEmptyEmailFollowsOpenAPI(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := s.register(t, map[string]any{"first_name": "Ada", "email": ""})
	if c.Email != "" {
		t.Fatalf("registered with email %q", c.Email)
	}
	r := s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"email": "ada@example.org"})
	r.want(t, http.StatusOK)
	r = s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"email": ""})
	r.want(t, http.StatusOK)
	var got contact
	r.decode(t, &got)
	if got.Email != "" || got.Version != 3 {
		t.Errorf("after clearing the email: %+v", got)
	}
}
