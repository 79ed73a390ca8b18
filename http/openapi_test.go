package http_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
	chttp "github.com/assoc/contacts/http"
)

// openAPI fetches the served document.
func openAPI(t *testing.T, s *stack) map[string]any {
	t.Helper()
	r := s.do(t, "GET", "/openapi.json", s.admin, nil)
	r.want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var doc map[string]any
	r.decode(t, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	return doc
}

// openAPIPath turns a gin route (/v1/contacts/:id) into an OpenAPI path
// (/v1/contacts/{id}).
func openAPIPath(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	doc := openAPI(t, s)
	paths := doc["paths"].(map[string]any)
	registered := map[string]bool{}
	for _, r := range chttp.Routes(s.server) {
		path, method := openAPIPath(r.Path), strings.ToLower(r.Method)
		registered[method+" "+path] = true
		item, ok := paths[path].(map[string]any)
		if !ok {
			t.Errorf("route %s %s: path %s not in the OpenAPI document", r.Method, r.Path, path)
			continue
		}
		op, ok := item[method].(map[string]any)
		if !ok {
			t.Errorf("route %s %s: no %s operation in the OpenAPI document", r.Method, r.Path, method)
			continue
		}
		if op["operationId"] == nil || op["responses"] == nil {
			t.Errorf("route %s %s: operation lacks operationId or responses", r.Method, r.Path)
		}
	}
	for path, item := range paths {
		for method := range item.(map[string]any) {
			if !registered[method+" "+path] {
				t.Errorf("the document describes %s %s, which is not a route", method, path)
			}
		}
	}
	// Every $ref points at something.
	raw, _ := json.Marshal(doc)
	components := doc["components"].(map[string]any)
	for _, ref := range refs(string(raw)) {
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		if section, ok := components[parts[0]].(map[string]any); !ok || section[parts[1]] == nil {
			t.Errorf("dangling $ref %s", ref)
		}
	}
}

// refs lists the $ref targets in a JSON text.
func refs(raw string) []string {
	var out []string
	for _, chunk := range strings.Split(raw, `"$ref":"`)[1:] {
		out = append(out, chunk[:strings.Index(chunk, `"`)])
	}
	return out
}

// Each operation's x-roles are exactly the roles the server lets through:
// every other role gets 403 before anything else happens.
func TestRolesFollowOpenAPI(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	keys := map[string]string{
		"operator":  s.operator,
		"admin":     s.admin,
		"auditor":   s.newKey(t, s.admin, "auditor"),
		"analytics": s.newKey(t, s.admin, "analytics"),
	}
	c := s.register(t, map[string]any{"first_name": "Ada"})
	doc := openAPI(t, s)
	checked := 0
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			rolesAny, ok := op.(map[string]any)["x-roles"].([]any)
			if !ok {
				if path != "/healthz" && path != "/readyz" {
					t.Errorf("%s %s has no x-roles", method, path)
				}
				continue
			}
			var roles []string
			for _, r := range rolesAny {
				roles = append(roles, r.(string))
			}
			url := strings.NewReplacer("{id}", c.ID, "{key}", "email").Replace(path)
			for role, key := range keys {
				// Checks roles: bodies and parameters are not the point.
				r := s.doInvalid(t, strings.ToUpper(method), url, key, map[string]any{})
				allowed := slices.Contains(roles, role)
				if forbidden := r.status == http.StatusForbidden; forbidden == allowed {
					t.Errorf("%s %s with an %s key: %d %s (x-roles %v)", method, path, role, r.status, r.body, roles)
				}
				checked++
			}
		}
	}
	if checked < 4*15 {
		t.Errorf("checked %d calls, want every operation with every role", checked)
	}
	// Nothing the refused calls did changed the contact.
	if got := s.get(t, c.ID, ""); got.Version != 1 || got.Status != "active" || !domain.ValidID(got.ID) {
		t.Errorf("contact after the role checks: %+v", got)
	}
}
