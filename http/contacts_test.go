package http_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
	chttp "github.com/assoc/contacts/http"
)

func TestRegisterContact(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	field := s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "city", "label": "City", "type": "text"})
	field.want(t, http.StatusCreated)

	r := s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{
		"email": "helene@example.org", "first_name": "Hélène", "last_name": "Dupré", "external_id": nil,
		"fields": map[string]any{"city": "Lyon"},
	})
	r.want(t, http.StatusCreated)
	var c contact
	r.decode(t, &c)
	if !domain.ValidID(c.ID) || c.Status != "active" || c.Email != "helene@example.org" || c.FirstName != "Hélène" ||
		c.LastName != "Dupré" || c.ExternalID != "" || !maps.Equal(c.Fields, map[string]string{"city": "Lyon"}) ||
		c.Version != 1 || c.CreatedAt.IsZero() || !c.UpdatedAt.Equal(c.CreatedAt) || c.ArchivedAt != nil || c.MergedInto != nil {
		t.Errorf("registered %s", r.body)
	}
	if _, err := domain.ParsePosition(c.Position); err != nil || c.Position == "0-0" {
		t.Errorf("position %q: %v", c.Position, err)
	}
	if loc := r.header.Get("Location"); loc != "/v1/contacts/"+c.ID {
		t.Errorf("Location %q", loc)
	}
	if etag := r.header.Get("ETag"); etag != `"1"` {
		t.Errorf("ETag %q, want \"1\"", etag)
	}
	// The exact shape: every key present, empty text as "", absent dates
	// and links as null.
	var shape map[string]json.RawMessage
	r.decode(t, &shape)
	want := []string{"id", "status", "email", "first_name", "last_name", "external_id", "fields", "version",
		"created_at", "updated_at", "archived_at", "merged_into", "position"}
	if got := slices.Sorted(maps.Keys(shape)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("keys %v, want %v", got, want)
	}
	if string(shape["external_id"]) != `""` || string(shape["archived_at"]) != "null" || string(shape["merged_into"]) != "null" {
		t.Errorf("empty values: %s", r.body)
	}

	// The same contact read back, as GET shows it.
	got := s.get(t, c.ID, c.Position)
	c.Position = ""
	if fmt.Sprint(got) != fmt.Sprint(c) {
		t.Errorf("GET shows\n%+v\nregister answered\n%+v", got, c)
	}

	// A second contact with the same email (in another case) is refused.
	dup := s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"email": "HELENE@example.org"})
	dup.wantProblem(t, http.StatusConflict, "email")
}

func TestRegisterRefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "birthday", "label": "Birthday", "type": "date"}).want(t, http.StatusCreated)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"bad email", map[string]any{"email": "not-an-email"}, 400, "email"},
		{"bad community field", map[string]any{"last_name": "X", "fields": map[string]any{"birthday": "yesterday"}}, 400, "fields.birthday"},
		{"unknown community field", map[string]any{"last_name": "X", "fields": map[string]any{"nope": "1"}}, 400, "fields.nope"},
		{"built-in under fields", map[string]any{"fields": map[string]any{"email": "a@example.org"}}, 400, "fields.email"},
		{"unknown key", map[string]any{"last_name": "X", "nickname": "Y"}, 400, "nickname"},
		{"wrong type", map[string]any{"first_name": 3}, 400, "first_name"},
		{"wrong type in fields", map[string]any{"last_name": "X", "fields": map[string]any{"birthday": true}}, 400, "fields.birthday"},
		{"fields not an object", map[string]any{"last_name": "X", "fields": []string{"a"}}, 400, "fields"},
		{"no identity", map[string]any{"external_id": "E1"}, 400, ""},
		{"malformed JSON", `{"last_name": "X"`, 400, ""},
		{"not an object", `["X"]`, 400, ""},
		{"trailing data", `{"last_name": "X"} {}`, 400, ""},
		{"empty body", "", 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.doInvalid(t, "POST", "/v1/contacts", s.admin, tc.body)
			r.wantProblem(t, tc.status, tc.field)
		})
	}
	// Nothing was registered.
	if l := s.list(t, "/v1/contacts"); len(l.Items) != 0 {
		t.Errorf("refused registrations left %d contacts", len(l.Items))
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	big := `{"last_name": "` + strings.Repeat("x", 2<<20) + `"}`
	r := s.do(t, "POST", "/v1/contacts", s.admin, big)
	if p := r.wantProblem(t, http.StatusRequestEntityTooLarge, ""); p.Type != "https://contacts.invalid/problems/too_large" {
		t.Errorf("type %q, want …/too_large", p.Type)
	}
}

func TestGetContact(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := s.register(t, map[string]any{"first_name": "Ada"})
	r := s.do(t, "GET", "/v1/contacts/"+c.ID+"?after="+c.Position, s.admin, nil)
	r.want(t, http.StatusOK)
	if etag := r.header.Get("ETag"); etag != `"1"` {
		t.Errorf("ETag %q", etag)
	}
	var shape map[string]json.RawMessage
	r.decode(t, &shape)
	if _, ok := shape["position"]; ok || len(shape) != 12 {
		t.Errorf("GET body %s: want the 12 contact keys", r.body)
	}
	s.do(t, "GET", "/v1/contacts/"+domain.NewID(), s.admin, nil).wantProblem(t, http.StatusNotFound, "")
	s.do(t, "GET", "/v1/contacts/not-an-id", s.admin, nil).wantProblem(t, http.StatusNotFound, "")
	s.doInvalid(t, "GET", "/v1/contacts/"+c.ID+"?after=nonsense", s.admin, nil).wantProblem(t, http.StatusBadRequest, "after")
}

// A contact of another community answers exactly as an unknown one, on
// every route that names it.
func TestForeignCommunityIsNotFound(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	a := s.register(t, map[string]any{"first_name": "Ada", "email": "ada@example.org"})
	_, adminB := s.createCommunity(t, "Community B")
	unknown := domain.NewID()
	// same compares two answers once the IDs are blanked out.
	same := func(t *testing.T, foreign, unknownR response) {
		t.Helper()
		f := strings.ReplaceAll(string(foreign.body), a.ID, "ID")
		u := strings.ReplaceAll(string(unknownR.body), unknown, "ID")
		if foreign.status != unknownR.status || f != u {
			t.Errorf("foreign contact answers %d %s; unknown one %d %s", foreign.status, f, unknownR.status, u)
		}
	}
	for _, tc := range []struct {
		method, path string
		body         func(id string) any
	}{
		{"GET", "/v1/contacts/%s", func(string) any { return nil }},
		{"PATCH", "/v1/contacts/%s", func(string) any { return map[string]any{"first_name": "Eve"} }},
		{"POST", "/v1/contacts/%s/merge", func(string) any { return map[string]any{"duplicates": []string{domain.NewID()}} }},
		{"POST", "/v1/contacts/%s/unmerge", func(string) any { return map[string]any{"duplicate": domain.NewID()} }},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			foreign := s.do(t, tc.method, fmt.Sprintf(tc.path, a.ID), adminB, tc.body(a.ID))
			foreign.wantProblem(t, http.StatusNotFound, "")
			same(t, foreign, s.do(t, tc.method, fmt.Sprintf(tc.path, unknown), adminB, tc.body(unknown)))
		})
	}
	for _, verb := range []string{"archive", "restore", "delete"} {
		r := s.do(t, "POST", "/v1/contacts/"+verb, adminB, map[string]any{"ids": []string{a.ID, unknown}})
		r.want(t, http.StatusOK)
		var b bulkResult
		r.decode(t, &b)
		for _, res := range b.Results {
			if res.OK || res.Error == nil || res.Error.Status != http.StatusNotFound {
				t.Errorf("%s by community B: %s", verb, r.body)
			}
		}
		if strings.ReplaceAll(b.Results[0].Error.Detail, a.ID, "ID") != strings.ReplaceAll(b.Results[1].Error.Detail, unknown, "ID") {
			t.Errorf("%s: foreign and unknown differ: %s", verb, r.body)
		}
	}
	// B's lists do not show it, nor does a search.
	rb := s.do(t, "GET", "/v1/contacts?q=ada&after="+a.Position, adminB, nil)
	rb.want(t, http.StatusOK)
	var l contactList
	rb.decode(t, &l)
	if len(l.Items) != 0 {
		t.Errorf("community B lists %s", rb.body)
	}
	// Community B's own contact may use the same email: keys are per community.
	r := s.do(t, "POST", "/v1/contacts", adminB, map[string]any{"email": "ada@example.org"})
	r.want(t, http.StatusCreated)
	// And A's contact is untouched.
	if got := s.get(t, a.ID, a.Position); got.FirstName != "Ada" || got.Status != "active" || got.Version != 1 {
		t.Errorf("A's contact after B's attempts: %+v", got)
	}
}

func TestUpdateContact(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "city", "label": "City", "type": "text"}).want(t, http.StatusCreated)
	c := s.register(t, map[string]any{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org",
		"fields": map[string]any{"city": "London"}})

	// null clears, absent leaves, a new value sets.
	r := s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{
		"last_name": nil, "external_id": "E-1", "fields": map[string]any{"city": nil},
	}, "If-Match", `"1"`)
	r.want(t, http.StatusOK)
	var u contact
	r.decode(t, &u)
	if u.FirstName != "Ada" || u.LastName != "" || u.Email != "ada@example.org" || u.ExternalID != "E-1" ||
		len(u.Fields) != 0 || u.Version != 2 || u.Position == "" || r.header.Get("ETag") != `"2"` {
		t.Errorf("updated: %s (ETag %s)", r.body, r.header.Get("ETag"))
	}
	// Without If-Match, the update applies to whatever version is there.
	r = s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"fields": map[string]any{"city": "Paris"}})
	r.want(t, http.StatusOK)
	r.decode(t, &u)
	if u.Fields["city"] != "Paris" || u.Version != 3 {
		t.Errorf("updated: %s", r.body)
	}
	// The same values change nothing.
	r = s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"first_name": "Ada"}, "If-Match", `"3"`)
	r.want(t, http.StatusOK)
	r.decode(t, &u)
	if u.Version != 3 || u.Position != "0-0" {
		t.Errorf("no-op update: %s", r.body)
	}
	// A stale ETag is refused.
	s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"first_name": "Eve"}, "If-Match", `"1"`).
		wantProblem(t, http.StatusPreconditionFailed, "")
	for _, bad := range []string{`1`, `W/"3"`, `"x"`, `"3", "4"`} {
		s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"first_name": "Eve"}, "If-Match", bad).
			wantProblem(t, http.StatusBadRequest, "If-Match")
	}
	s.doInvalid(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"email": "nope"}).wantProblem(t, http.StatusBadRequest, "email")
	s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"first_name": nil, "email": nil}).wantProblem(t, http.StatusBadRequest, "")
	s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"fields": map[string]any{"zip": "1"}}).
		wantProblem(t, http.StatusBadRequest, "fields.zip")
	s.do(t, "PATCH", "/v1/contacts/"+domain.NewID(), s.admin, map[string]any{"first_name": "Eve"}).wantProblem(t, http.StatusNotFound, "")

	// An archived contact cannot be edited.
	b := s.bulk(t, "archive", c.ID)
	s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"first_name": "Eve"}).wantProblem(t, http.StatusConflict, "")
	if got := s.get(t, c.ID, b.Position); got.FirstName != "Ada" || got.Status != "archived" || got.ArchivedAt == nil {
		t.Errorf("after refused edit: %+v", got)
	}
}

// Two clients edit the same version: one wins, the other is told to read
// again (412), and once it does, its change lands too.
func TestConcurrentUpdatesWithETag(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := s.register(t, map[string]any{"first_name": "Ada", "last_name": "Lovelace"})
	bodies := []map[string]any{{"first_name": "Augusta"}, {"last_name": "King"}}
	answers := make([]response, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 {
		wg.Go(func() {
			<-start
			answers[i] = s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, bodies[i], "If-Match", `"1"`)
		})
	}
	close(start)
	wg.Wait()
	statuses := []int{answers[0].status, answers[1].status}
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
		t.Fatalf("statuses %v, want one 200 and one 412: %s / %s", statuses, answers[0].body, answers[1].body)
	}
	won, lost := 0, 1
	if answers[0].status != http.StatusOK {
		won, lost = 1, 0
	}
	answers[lost].wantProblem(t, http.StatusPreconditionFailed, "")
	var w contact
	answers[won].decode(t, &w)
	if w.Version != 2 || answers[won].header.Get("ETag") != `"2"` {
		t.Errorf("winner: %s", answers[won].body)
	}
	// The loser reads again and retries with the new ETag.
	current := s.get(t, c.ID, w.Position)
	r := s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, bodies[lost], "If-Match", etagOf(current.Version))
	r.want(t, http.StatusOK)
	var final contact
	r.decode(t, &final)
	if final.FirstName != "Augusta" || final.LastName != "King" || final.Version != 3 {
		t.Errorf("a write was lost: %s", r.body)
	}
}

func etagOf(version int64) string { return fmt.Sprintf(`"%d"`, version) }

func TestListAndSearch(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	var pos string
	for _, v := range []map[string]any{
		{"first_name": "Hélène", "last_name": "Dupré", "email": "hd@example.org"},
		{"first_name": "Zoé", "last_name": "Élodie"},
		{"first_name": "Jean", "last_name": "Zola"},
		{"first_name": "Helen", "last_name": "Abbott"},
		{"first_name": "Marc", "last_name": "Elodie"},
	} {
		pos = s.register(t, v).Position
	}
	// Sorted by last name as a French reader expects, paged by cursor.
	var names []string
	path := "/v1/contacts?limit=2&after=" + pos
	for pages := 0; ; pages++ {
		l := s.list(t, path)
		for _, c := range l.Items {
			names = append(names, c.LastName)
		}
		if l.NextCursor == nil {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		path = "/v1/contacts?limit=2&cursor=" + *l.NextCursor
	}
	if want := []string{"Abbott", "Dupré", "Elodie", "Élodie", "Zola"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	// Search ignores case and accents.
	for q, want := range map[string][]string{
		"helene": {"Hélène"},
		"DUPRE":  {"Hélène"},
		"hel":    {"Helen", "Hélène"},
		"zzz":    nil,
	} {
		l := s.list(t, "/v1/contacts?q="+q)
		var got []string
		for _, c := range l.Items {
			got = append(got, c.FirstName)
		}
		if !slices.Equal(got, want) {
			t.Errorf("q=%s: %v, want %v", q, got, want)
		}
	}
	l := s.list(t, "/v1/contacts?sort=-last_name&limit=1")
	if len(l.Items) != 1 || l.Items[0].LastName != "Zola" || l.NextCursor == nil {
		t.Errorf("sort=-last_name: %+v", l)
	}
	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=ten", "limit"},
		{"sort=shoe_size", "sort"}, {"sort=archived", "sort"}, {"cursor=garbage", "cursor"}, {"after=1", "after"},
	} {
		s.doInvalid(t, "GET", "/v1/contacts?"+tc.query, s.admin, nil).wantProblem(t, http.StatusBadRequest, tc.field)
	}
	// The active list's default page is 50 and its maximum 1000.
	if l := s.list(t, "/v1/contacts?limit=1000"); len(l.Items) != 5 || l.NextCursor != nil {
		t.Errorf("limit=1000: %d items", len(l.Items))
	}
}

// The archived list shows the first 1000 archived contacts in one page,
// and a cursor reaches the others.
func TestArchivedListFirst1000(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const n = 1500
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				res, err := s.handler.RegisterContact(t.Context(), s.caller(), map[string]string{
					"first_name": "Archived", "last_name": fmt.Sprintf("Contact %04d", i),
				})
				if err != nil {
					errs <- err
					continue
				}
				ids[i] = res.ID
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	first, second := s.bulk(t, "archive", ids[:750]...), s.bulk(t, "archive", ids[750:]...)
	for _, b := range []bulkResult{first, second} {
		for _, r := range b.Results {
			if !r.OK || r.Version != 2 {
				t.Fatalf("archive %s: %+v", r.ID, r)
			}
		}
	}
	pos := laterPosition(t, first.Position, second.Position)

	page := s.list(t, "/v1/archived-contacts?after="+pos)
	if len(page.Items) != 1000 || page.NextCursor == nil {
		t.Fatalf("first page: %d items, cursor %v; want 1000 and a cursor", len(page.Items), page.NextCursor)
	}
	rest := s.list(t, "/v1/archived-contacts?cursor="+*page.NextCursor)
	if len(rest.Items) != 500 || rest.NextCursor != nil {
		t.Fatalf("second page: %d items, cursor %v; want 500 and none", len(rest.Items), rest.NextCursor)
	}
	seen := map[string]bool{}
	for i, c := range append(page.Items, rest.Items...) {
		if want := fmt.Sprintf("Contact %04d", i); c.LastName != want || c.Status != "archived" || c.ArchivedAt == nil {
			t.Fatalf("item %d: %s %s %s, want %s archived", i, c.LastName, c.Status, c.ID, want)
		}
		seen[c.ID] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct contacts, want %d", len(seen), n)
	}
	// Search reaches past the first 1000.
	if l := s.list(t, "/v1/archived-contacts?q=contact%201499"); len(l.Items) != 1 || l.Items[0].ID != ids[1499] {
		t.Errorf("search for the last one: %+v", l.Items)
	}
	if l := s.list(t, "/v1/archived-contacts?sort=-archived&limit=10"); len(l.Items) != 10 || l.NextCursor == nil {
		t.Errorf("sort=-archived: %d items", len(l.Items))
	}
	s.doInvalid(t, "GET", "/v1/archived-contacts?limit=1001", s.admin, nil).wantProblem(t, http.StatusBadRequest, "limit")
	if l := s.list(t, "/v1/contacts"); len(l.Items) != 0 {
		t.Errorf("active list holds %d archived contacts", len(l.Items))
	}
}

func TestArchiveRestoreDelete(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := s.register(t, map[string]any{"first_name": "Ada", "email": "ada@example.org", "external_id": "A-1"})
	other := s.register(t, map[string]any{"first_name": "Bob"})
	unknown := domain.NewID()

	// Delete is refused while active: a per-ID 409 problem.
	b := s.bulk(t, "delete", c.ID, unknown)
	if r := b.Results[0]; r.ID != c.ID || r.OK || r.Error == nil || r.Error.Status != http.StatusConflict ||
		!strings.HasSuffix(r.Error.Type, "/conflict") || r.Error.Detail == "" {
		t.Errorf("delete while active: %+v", r)
	}
	if r := b.Results[1]; r.ID != unknown || r.OK || r.Error == nil || r.Error.Status != http.StatusNotFound {
		t.Errorf("delete unknown: %+v", r)
	}
	if b.Position != "0-0" {
		t.Errorf("nothing appended, position %s", b.Position)
	}

	// Archive both; archiving again changes nothing and is no error.
	b = s.bulk(t, "archive", c.ID, other.ID, c.ID)
	for _, r := range b.Results {
		if !r.OK || r.Version != 2 {
			t.Errorf("archive: %+v", r)
		}
	}
	if got := s.get(t, c.ID, b.Position); got.Status != "archived" || got.ArchivedAt == nil || got.Email != "ada@example.org" {
		t.Errorf("archived: %+v", got)
	}
	l := s.list(t, "/v1/archived-contacts?after="+b.Position)
	if len(l.Items) != 2 {
		t.Errorf("archived list: %d", len(l.Items))
	}
	// The email is still reserved while archived.
	s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"email": "ada@example.org"}).wantProblem(t, http.StatusConflict, "email")

	// Restore brings other back as it was.
	b = s.bulk(t, "restore", other.ID)
	if r := b.Results[0]; !r.OK || r.Version != 3 {
		t.Errorf("restore: %+v", r)
	}
	if got := s.get(t, other.ID, b.Position); got.Status != "active" || got.ArchivedAt != nil || got.FirstName != "Bob" {
		t.Errorf("restored: %+v", got)
	}
	if l := s.list(t, "/v1/contacts?after="+b.Position); len(l.Items) != 1 || l.Items[0].ID != other.ID {
		t.Errorf("active list after restore: %+v", l.Items)
	}

	// Deleting the archived contact erases it and frees its keys.
	b = s.bulk(t, "delete", c.ID)
	if r := b.Results[0]; !r.OK || r.Version != 3 {
		t.Errorf("delete archived: %+v", r)
	}
	got := s.get(t, c.ID, b.Position)
	if got.Status != "deleted" || got.Email != "" || got.FirstName != "" || got.ExternalID != "" || got.ArchivedAt != nil {
		t.Errorf("deleted: %+v", got)
	}
	again := s.register(t, map[string]any{"email": "ada@example.org", "external_id": "A-1"})
	if again.ID == c.ID || again.Email != "ada@example.org" {
		t.Errorf("registered again: %+v", again)
	}
	// A deleted contact cannot come back.
	if r := s.bulk(t, "restore", c.ID).Results[0]; r.OK || r.Error.Status != http.StatusConflict {
		t.Errorf("restore deleted: %+v", r)
	}
}

func TestBulkRefusals(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ids := make([]string, 1001)
	for i := range ids {
		ids[i] = domain.NewID()
	}
	for _, body := range []any{
		map[string]any{"ids": ids},
		map[string]any{"ids": []string{}},
		map[string]any{},
	} {
		s.doInvalid(t, "POST", "/v1/contacts/archive", s.admin, body).wantProblem(t, http.StatusBadRequest, "ids")
	}
	s.doInvalid(t, "POST", "/v1/contacts/archive", s.admin, map[string]any{"ids": "x"}).wantProblem(t, http.StatusBadRequest, "ids")
	s.doInvalid(t, "POST", "/v1/contacts/archive", s.admin, map[string]any{"ids": []string{}, "all": true}).wantProblem(t, http.StatusBadRequest, "all")
	// 1000 is allowed.
	b := s.bulk(t, "archive", ids[:1000]...)
	for _, r := range b.Results {
		if r.OK || r.Error.Status != http.StatusNotFound {
			t.Fatalf("unknown contact: %+v", r)
		}
	}
}

func TestMergeAndUnmerge(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "city", "label": "City", "type": "text"}).want(t, http.StatusCreated)
	survivor := s.register(t, map[string]any{"first_name": "Jean", "last_name": "Martin"})
	d1 := s.register(t, map[string]any{"last_name": "Martin", "email": "jean.martin@example.org"})
	d2 := s.register(t, map[string]any{"first_name": "Jean", "external_id": "JM-7"})
	d3 := s.register(t, map[string]any{"first_name": "Jeannot", "last_name": "Martin", "fields": map[string]any{"city": "Lyon"}})

	s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/merge", s.admin, map[string]any{"duplicates": []string{survivor.ID}}).
		wantProblem(t, http.StatusBadRequest, "duplicates")
	s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/merge", s.admin, map[string]any{"duplicates": []string{d1.ID}, "take": map[string]string{"first_name": d2.ID}}).
		wantProblem(t, http.StatusBadRequest, "take.first_name")
	s.doInvalid(t, "POST", "/v1/contacts/"+survivor.ID+"/merge", s.admin, map[string]any{"duplicates": []string{}}).
		wantProblem(t, http.StatusBadRequest, "duplicates")
	s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/merge", s.admin, map[string]any{"duplicates": []string{domain.NewID()}}).
		wantProblem(t, http.StatusNotFound, "duplicates")

	r := s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/merge", s.admin, map[string]any{
		"duplicates": []string{d1.ID, d2.ID, d3.ID},
		"take":       map[string]string{"first_name": d3.ID},
	})
	r.want(t, http.StatusOK)
	var m contact
	r.decode(t, &m)
	if m.ID != survivor.ID || m.Status != "active" || m.FirstName != "Jeannot" || m.LastName != "Martin" ||
		m.Email != "jean.martin@example.org" || m.ExternalID != "JM-7" || m.Fields["city"] != "Lyon" || m.Version != 3 ||
		r.header.Get("ETag") != `"3"` {
		t.Errorf("survivor: %s", r.body)
	}
	for _, d := range []contact{d1, d2, d3} {
		got := s.get(t, d.ID, m.Position)
		if got.Status != "merged" || got.MergedInto == nil || *got.MergedInto != survivor.ID {
			t.Errorf("duplicate %s: %+v", d.ID, got)
		}
	}
	if l := s.list(t, "/v1/contacts?after="+m.Position); len(l.Items) != 1 || l.Items[0].ID != survivor.ID {
		t.Errorf("active list after merge: %+v", l.Items)
	}
	// The survivor now holds the duplicates' keys.
	s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"email": "jean.martin@example.org"}).wantProblem(t, http.StatusConflict, "email")
	// The same merge again is a retry: it changes nothing.
	r = s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/merge", s.admin, map[string]any{"duplicates": []string{d1.ID}})
	r.want(t, http.StatusOK)
	var retry contact
	r.decode(t, &retry)
	if retry.Version != 3 || retry.Position != "0-0" {
		t.Errorf("merge retried: %s", r.body)
	}
	// A merged contact cannot be merged into another one.
	other := s.register(t, map[string]any{"first_name": "Other"})
	s.do(t, "POST", "/v1/contacts/"+other.ID+"/merge", s.admin, map[string]any{"duplicates": []string{d1.ID}}).
		wantProblem(t, http.StatusConflict, "")

	// Unmerge d3: the survivor gives back what it took from it.
	s.doInvalid(t, "POST", "/v1/contacts/"+survivor.ID+"/unmerge", s.admin, map[string]any{}).wantProblem(t, http.StatusBadRequest, "duplicate")
	r = s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/unmerge", s.admin, map[string]any{"duplicate": d3.ID})
	r.want(t, http.StatusOK)
	var u contact
	r.decode(t, &u)
	if u.ID != survivor.ID || u.FirstName != "Jean" || u.Fields["city"] != "" || u.Email != "jean.martin@example.org" || u.Version != 4 {
		t.Errorf("survivor after unmerge: %s", r.body)
	}
	if got := s.get(t, d3.ID, u.Position); got.Status != "active" || got.MergedInto != nil || got.FirstName != "Jeannot" || got.Fields["city"] != "Lyon" {
		t.Errorf("unmerged duplicate: %+v", got)
	}
	s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/unmerge", s.admin, map[string]any{"duplicate": d3.ID}).
		wantProblem(t, http.StatusNotFound, "duplicate")
}

// A command's position lets its client read its own write at once.
func TestReadYourWrites(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	for i := range 20 {
		c := s.register(t, map[string]any{"last_name": fmt.Sprintf("Reader %02d", i)})
		if l := s.list(t, "/v1/contacts?limit=1000&after="+c.Position); len(l.Items) != i+1 {
			t.Fatalf("after register %d: %d contacts listed", i, len(l.Items))
		}
		b := s.bulk(t, "archive", c.ID)
		if got := s.get(t, c.ID, b.Position); got.Status != "archived" {
			t.Fatalf("after archive: %s", got.Status)
		}
		if l := s.list(t, "/v1/archived-contacts?after="+b.Position); len(l.Items) != 1 || l.Items[0].ID != c.ID {
			t.Fatalf("after archive %d: %d archived", i, len(l.Items))
		}
		b = s.bulk(t, "restore", c.ID)
		if l := s.list(t, "/v1/contacts?limit=1000&after="+b.Position); len(l.Items) != i+1 {
			t.Fatalf("after restore %d: %d contacts listed", i, len(l.Items))
		}
	}
}

// A position the read model does not reach in time answers 503.
func TestAfterTimesOut(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *chttp.Server) { srv.Services.Contacts.(*domain.Reader).WaitTimeout = 200 * time.Millisecond })
	far := "99999999999-1"
	for _, path := range []string{"/v1/contacts?after=" + far, "/v1/archived-contacts?after=" + far,
		"/v1/contacts/" + domain.NewID() + "?after=" + far, "/v1/fields?after=" + far} {
		r := s.do(t, "GET", path, s.admin, nil)
		p := r.wantProblem(t, http.StatusServiceUnavailable, "")
		if !strings.HasSuffix(p.Type, "/unavailable") || r.header.Get("Retry-After") == "" {
			t.Errorf("%s: %s (Retry-After %q)", path, r.body, r.header.Get("Retry-After"))
		}
	}
}

// TestNamesTieByTheOtherName: people of one last name are listed by first
// name, and of one first name by last name, whatever order they came in,
// page after page (one per page, so each tie crosses a cursor), both
// ways, with and without a search.
func TestNamesTieByTheOtherName(t *testing.T) {
	s := newStack(t)
	var pos string
	for _, v := range [][2]string{{"Zoé", "Martin"}, {"Bruno", "Zidane"}, {"Élodie", "Martin"}, {"Bruno", "Martin"}, {"Albert", "Durand"}} {
		pos = s.register(t, map[string]any{"first_name": v[0], "last_name": v[1]}).Position
	}
	for query, want := range map[string][]string{
		"sort=last_name":           {"Albert Durand", "Bruno Martin", "Élodie Martin", "Zoé Martin", "Bruno Zidane"},
		"sort=-last_name":          {"Bruno Zidane", "Zoé Martin", "Élodie Martin", "Bruno Martin", "Albert Durand"},
		"sort=first_name":          {"Albert Durand", "Bruno Martin", "Bruno Zidane", "Élodie Martin", "Zoé Martin"},
		"sort=-first_name":         {"Zoé Martin", "Élodie Martin", "Bruno Zidane", "Bruno Martin", "Albert Durand"},
		"sort=last_name&q=martin":  {"Bruno Martin", "Élodie Martin", "Zoé Martin"},
		"sort=-first_name&q=bruno": {"Bruno Zidane", "Bruno Martin"},
	} {
		var got []string
		path := "/v1/contacts?limit=1&" + query + "&after=" + pos
		for range 10 {
			l := s.list(t, path)
			for _, c := range l.Items {
				got = append(got, c.FirstName+" "+c.LastName)
			}
			if l.NextCursor == nil {
				break
			}
			path = "/v1/contacts?limit=1&" + query + "&cursor=" + *l.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
}
