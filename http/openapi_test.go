package http_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/goccy/go-yaml"

	"github.com/assoc/contacts/domain"
	chttp "github.com/assoc/contacts/http"
)

// openAPI fetches the served document, as JSON, and checks that both
// routes serve the file: /openapi.yaml as written, /openapi.json the same
// document.
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
	y := s.do(t, "GET", "/openapi.yaml", s.admin, nil)
	y.want(t, http.StatusOK)
	if !bytes.Equal(y.body, chttp.OpenAPI()) {
		t.Errorf("/openapi.yaml is not the file")
	}
	var fromYAML map[string]any
	if err := yaml.Unmarshal(y.body, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, fromYAML), mustJSON(t, doc); a != b {
		t.Errorf("/openapi.json is not /openapi.yaml")
	}
	return doc
}

// mustJSON encodes v (map keys sorted).
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// openAPIPath turns a gin route (/v1/contacts/:id) into an OpenAPI path
// (/v1/contacts/{id}), and returns its parameters.
func openAPIPath(route string) (string, []string) {
	parts := strings.Split(route, "/")
	var params []string
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
			params = append(params, p[1:])
		}
	}
	return strings.Join(parts, "/"), params
}

// Every route gin has is in the document, with its path parameters and
// the problems every route of its kind can answer; the document has no
// route the server lacks. (Loading it has checked that it is valid
// OpenAPI 3.1 and that every $ref resolves.)
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	openAPI(t, s)
	doc := loadOpenAPI(t).doc
	registered := map[string]bool{}
	for _, r := range chttp.Routes(s.server) {
		path, params := openAPIPath(r.Path)
		registered[r.Method+" "+path] = true
		item := doc.Paths.Value(path)
		if item == nil {
			t.Errorf("route %s %s: path %s not in openapi.yaml", r.Method, r.Path, path)
			continue
		}
		op := item.GetOperation(r.Method)
		if op == nil {
			t.Errorf("route %s %s: no %s operation in openapi.yaml", r.Method, r.Path, r.Method)
			continue
		}
		checkOperation(t, r.Method, path, item, op, params)
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !registered[method+" "+path] {
				t.Errorf("openapi.yaml describes %s %s, which is not a route", method, path)
			}
		}
	}
}

// checkOperation checks one operation against what its route does.
func checkOperation(t *testing.T, method, path string, item *openapi3.PathItem, op *openapi3.Operation, params []string) {
	t.Helper()
	if op.OperationID == "" || op.Responses.Len() == 0 {
		t.Errorf("%s %s: no operationId or responses", method, path)
	}
	var declared []string
	for _, p := range append(item.Parameters, op.Parameters...) {
		if p.Value.In == openapi3.ParameterInPath {
			declared = append(declared, p.Value.Name)
		}
	}
	if slices.Sort(declared); !slices.Equal(declared, slices.Sorted(slices.Values(params))) {
		t.Errorf("%s %s: path parameters %v in openapi.yaml, %v in the route", method, path, declared, params)
	}
	var want []int
	if op.Security == nil || len(*op.Security) > 0 { // authenticated: 503 when keys cannot be checked
		want = append(want, 401, 403, 500, 503)
	}
	if strings.HasPrefix(path, "/v1/") && !strings.HasPrefix(path, "/v1/projections") {
		want = append(want, 400) // the /v1 group checks after= on every route
	}
	for _, status := range want {
		if op.Responses.Status(status) == nil {
			t.Errorf("%s %s: answers %d, which openapi.yaml does not say", method, path, status)
		}
	}
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
	if got := s.get(t, c.ID, c.Position); got.Version != 1 || got.Status != "active" || !domain.ValidID(got.ID) {
		t.Errorf("contact after the role checks: %+v", got)
	}
}

// Each list takes every sort key the document gives it, and only those:
// the active list has no archive date to sort by.
func TestListSortKeysFollowOpenAPI(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	doc := loadOpenAPI(t).doc
	c := s.register(t, map[string]any{"first_name": "Ada"})
	s.bulk(t, "archive", c.ID)
	for _, path := range []string{"/v1/contacts", "/v1/archived-contacts"} {
		sort := doc.Paths.Value(path).Get.Parameters.GetByInAndName("query", "sort")
		if sort == nil {
			t.Fatalf("%s: no sort parameter in openapi.yaml", path)
		}
		for _, key := range sort.Schema.Value.Enum {
			s.do(t, "GET", path+"?sort="+key.(string), s.admin, nil).want(t, http.StatusOK)
		}
		for _, key := range []string{"archived", "-archived"} {
			if documented := slices.Contains(sort.Schema.Value.Enum, any(key)); !documented {
				s.doInvalid(t, "GET", path+"?sort="+key, s.admin, nil).wantProblem(t, http.StatusBadRequest, "sort")
			}
		}
	}
}
