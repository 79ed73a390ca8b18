package console_test

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

// Security tests without a browser: a plain HTTP client with a cookie jar.

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// session is a signed-in HTTP client and the CSRF token of its forms.
type session struct {
	client *http.Client
	csrf   string
	s      *stack
}

// signIn signs in with key the way the form does, and fails unless the
// console lets it in.
func signIn(t *testing.T, s *stack, key string) *session {
	t.Helper()
	client := s.client(t)
	page := get(t, client, s.url+"/console/sign-in", http.StatusOK)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("sign-in page has no CSRF field: %s", page)
	}
	resp := post(t, client, s.url+"/console/sign-in", url.Values{"csrf": {m[1]}, "key": {key}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: status %d", resp.StatusCode)
	}
	cookie := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"console_session=", "HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), "\n"), attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	home := get(t, client, s.url+"/console/", http.StatusOK)
	m = csrfField.FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("contacts page has no CSRF field: %s", home)
	}
	return &session{client: client, csrf: m[1], s: s}
}

func get(t *testing.T, client *http.Client, u string, want int) string {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d: %s", u, resp.StatusCode, want, body)
	}
	return string(body)
}

func post(t *testing.T, client *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	resp, err := client.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained for reuse
	resp.Body.Close()
	return resp
}

// status reads a contact of community A straight from the read model.
func (s *stack) status(t *testing.T, id string) string {
	t.Helper()
	v, err := s.reader.Contact(t.Context(), s.community, id, domain.Start)
	if err != nil {
		t.Fatal(err)
	}
	return v.Status
}

func TestFormWithoutCSRFTokenIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	id := s.person(t, "Hélène", "Dupré")
	admin := signIn(t, s, s.admin)
	for name, token := range map[string][]string{"none": nil, "wrong": {"x" + admin.csrf[1:]}, "empty": {""}} {
		resp := post(t, admin.client, s.url+"/console/contacts/archive", url.Values{"id": {id}, "csrf": token})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("archive with %s CSRF token: status %d, want 403", name, resp.StatusCode)
		}
	}
	if st := s.status(t, id); st != "active" {
		t.Errorf("contact is %s after refused forms", st)
	}
	resp := post(t, admin.client, s.url+"/console/contacts/archive", url.Values{"id": {id}, "csrf": {admin.csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("archive with the token: status %d", resp.StatusCode)
	}
	eventually(t, "archived with the token", func() bool { return s.contact(t, id).Status == "archived" })
	// The sign-in form has a token of its own.
	resp = post(t, s.client(t), s.url+"/console/sign-in", url.Values{"key": {s.admin}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign in without the form's token: status %d, want 403", resp.StatusCode)
	}
}

func TestAuditorSessionCannotPostAChange(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	id := s.person(t, "Hélène", "Dupré")
	auditor := signIn(t, s, s.auditor)
	home := get(t, auditor.client, s.url+"/console/", http.StatusOK)
	if strings.Contains(home, "/console/contacts/archive\" data-needs") || strings.Contains(home, ">Archive<") {
		t.Errorf("an auditor is shown the Archive button")
	}
	for _, path := range []string{"/console/contacts/archive", "/console/contacts/" + id, "/console/fields", "/console/keys"} {
		resp := post(t, auditor.client, s.url+path, url.Values{"id": {id}, "csrf": {auditor.csrf}, "first_name": {"X"},
			"key": {"x"}, "label": {"X"}, "type": {"text"}, "role": {"auditor"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor POST %s: status %d, want 403", path, resp.StatusCode)
		}
	}
	if st := s.status(t, id); st != "active" {
		t.Errorf("contact is %s after an auditor's forms", st)
	}
	for _, path := range []string{"/console/keys", "/console/imports"} {
		get(t, auditor.client, s.url+path, http.StatusForbidden)
	}
	// Signing out is every role's.
	if resp := post(t, auditor.client, s.url+"/console/sign-out", url.Values{"csrf": {auditor.csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("auditor sign-out: status %d", resp.StatusCode)
	}
}

func TestSessionOfOneCommunityNeverShowsAnother(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	res, err := s.handler.CreateCommunity(t.Context(), domain.Caller{Actor: "operator"}, "Community B")
	if err != nil {
		t.Fatal(err)
	}
	theirs := s.register(t, res.ID, map[string]string{"first_name": "Bernadette", "last_name": "Autre"})
	s.person(t, "Hélène", "Dupré")
	a := signIn(t, s, s.admin)
	for _, path := range []string{"/console/", "/console/?q=bernadette", "/console/archived"} {
		if page := get(t, a.client, s.url+path, http.StatusOK); strings.Contains(page, "Bernadette") {
			t.Errorf("%s of community A shows community B's contact", path)
		}
	}
	get(t, a.client, s.url+"/console/contacts/"+theirs, http.StatusNotFound)
	resp := post(t, a.client, s.url+"/console/contacts/archive", url.Values{"id": {theirs}, "csrf": {a.csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("archive of another community's contact: status %d", resp.StatusCode)
	}
	v, err := s.reader.Contact(t.Context(), res.ID, theirs, domain.Start)
	if err != nil || v.Status != "active" {
		t.Errorf("community B's contact after A's archive: %s, %v", v.Status, err)
	}
}

func TestSignInTakesOnlyAdminOrAuditorKeys(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	for name, key := range map[string]string{
		"analytics": s.newKey(t, s.community, apikeys.RoleAnalytics),
		"operator":  s.newKey(t, "", apikeys.RoleOperator),
		"unknown":   "ck_" + strings.Repeat("A", 43),
	} {
		client := s.client(t)
		m := csrfField.FindStringSubmatch(get(t, client, s.url+"/console/sign-in", http.StatusOK))
		resp := post(t, client, s.url+"/console/sign-in", url.Values{"csrf": {m[1]}, "key": {key}})
		if resp.StatusCode == http.StatusSeeOther {
			t.Errorf("the %s key signed in", name)
		}
	}
}

func TestPagesCarryStrictSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	resp, err := s.client(t).Get(s.url + "/console/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy allows inline code: %q", csp)
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options %q, want DENY", got)
	}
	// / takes a browser to the console.
	resp, err = s.client(t).Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/console/" {
		t.Errorf("/ leads to %q, want /console/", loc)
	}
	// Signed out, a page leads to the sign-in form and back.
	resp, err = s.client(t).Get(s.url + "/console/archived")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/console/sign-in?next=%2Fconsole%2Farchived" {
		t.Errorf("signed out, /console/archived leads to %q", loc)
	}
}

// TestSessionCookieIsSecureBehindTLS: a browser that reached the service
// over TLS (here through a proxy saying so) gets a Secure cookie; over
// plain HTTP (a local first start) it could not send one back.
func TestSessionCookieIsSecureBehindTLS(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	client := s.client(t)
	page := get(t, client, s.url+"/console/sign-in", http.StatusOK)
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "key": {s.admin}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/console/sign-in", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := strings.Join(resp.Header.Values("Set-Cookie"), "\n")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(cookies, "console_session=") || !strings.Contains(cookies, "Secure") {
		t.Errorf("sign-in behind TLS: status %d, cookies %q", resp.StatusCode, cookies)
	}
}

// TestUploadWithoutCSRFTokenIsRefused: the import checks its token too,
// once the upload is read.
func TestUploadWithoutCSRFTokenIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	admin := signIn(t, s, s.admin)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "people.xlsx")
	fw.Write([]byte("not a workbook")) //nolint:errcheck // a buffer
	mw.WriteField("mode", "apply")     //nolint:errcheck // a buffer
	mw.Close()
	resp, err := admin.client.Post(s.url+"/console/imports", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload without the CSRF token: status %d, want 403", resp.StatusCode)
	}
}

// A refusal of the domain reads in the page's language: the French of its
// message beside the input, in French; the domain's English in English.
func TestDomainRefusalsSpeakThePagesLanguage(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	admin := signIn(t, s, s.admin)
	for _, tc := range []struct{ language, want string }{
		{"en", "must be 1-63 lower-case letters, digits or _, starting with a letter"},
		{"fr", "doit compter 1 à 63 minuscules, chiffres ou _, et commencer par une lettre"},
	} {
		form := url.Values{"csrf": {admin.csrf}, "label": {"Ville"}, "key": {"Bad Key"}, "type": {"text"}}
		req, _ := http.NewRequest(http.MethodPost, s.url+"/console/fields", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", tc.language)
		resp, err := admin.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(string(body)), tc.want) {
			t.Errorf("%s: status %d, want 400 and %q beside the key: %s", tc.language, resp.StatusCode, tc.want, body)
		}
	}
}
