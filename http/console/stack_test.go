package console_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/eventstore/sealed"
	chttp "github.com/assoc/contacts/http"
	"github.com/assoc/contacts/pgtest"
	"github.com/assoc/contacts/projections"
	"github.com/assoc/contacts/spreadsheet"
	importstore "github.com/assoc/contacts/spreadsheet/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// stack is the whole service on a database of its own, serving the API
// and the console on a real listener, with one community and its admin
// and auditor keys.
type stack struct {
	url       string
	handler   *domain.Handler
	reader    domain.ContactReader
	keys      *apikeys.Store
	community string
	admin     string
	auditor   string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	pool := pgtest.NewPool(t)
	log := postgres.New(pool, nil)
	t.Cleanup(log.Close)
	master := make([]byte, sealed.MasterKeySize)
	rand.Read(master)
	keyring, err := sealed.NewKeyring(t.Context(), pool, master)
	if err != nil {
		t.Fatal(err)
	}
	store := sealed.New(log, keyring)
	secret := make([]byte, 32)
	rand.Read(secret)
	handler := &domain.Handler{Store: store, KeySecret: secret}
	runner := projections.NewRunner(pool, store, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		runner.Run(ctx, projections.ContactsProjector{}, sealed.Erasure{Store: store, Also: []func(context.Context, pgx.Tx, string) error{importstore.EraseContact}})
	})
	t.Cleanup(func() { cancel(); wg.Wait() })

	keys := apikeys.New(pool)
	queries := &projections.Queries{Pool: pool}
	reader := &domain.Reader{Queries: queries, ReadModels: runner, Store: store}
	server := chttp.NewServer("127.0.0.1:0", slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	server.Services = chttp.Services{
		Commands: handler, Contacts: reader, Keys: keys, Sessions: keys, Projections: runner, Database: pool,
		Excel: &spreadsheet.Service{Handler: handler, Queries: queries,
			Reports: &importstore.Reports{Pool: pool, Sealer: keyring}, CaughtUp: importstore.CaughtUp(pool, store, time.Second)},
	}
	server.SetReady(true)
	ts := httptest.NewServer(server.Handler())
	t.Cleanup(ts.Close)

	s := &stack{url: ts.URL, handler: handler, reader: reader, keys: keys}
	res, err := handler.CreateCommunity(t.Context(), domain.Caller{Actor: "operator"}, "Community A")
	if err != nil {
		t.Fatal(err)
	}
	s.community = res.ID
	s.admin = s.newKey(t, s.community, apikeys.RoleAdmin)
	s.auditor = s.newKey(t, s.community, apikeys.RoleAuditor)
	return s
}

func (s *stack) newKey(t *testing.T, community string, role apikeys.Role) string {
	t.Helper()
	key, _, err := s.keys.Create(t.Context(), role, community)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// register registers a contact of community with the given values.
func (s *stack) register(t *testing.T, community string, values map[string]string) string {
	t.Helper()
	res, err := s.handler.RegisterContact(t.Context(), domain.Caller{CommunityID: community, Actor: "test"}, values)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.reader.WaitFor(t.Context(), res.Position); err != nil {
		t.Fatal(err)
	}
	return res.ID
}

// eventually waits, up to 10 s, until ok holds (a read model catching up
// with a page's action on a loaded machine).
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("%s: not after 10 s", what)
			return
		}
	}
}

// contact reads a contact of community A from the read model ("" fields
// when it cannot).
func (s *stack) contact(t *testing.T, id string) domain.ContactView {
	t.Helper()
	v, _ := s.reader.Contact(t.Context(), s.community, id, domain.Start)
	return v
}

// person registers a contact of community A by name.
func (s *stack) person(t *testing.T, first, last string) string {
	t.Helper()
	email := strings.ToLower(domainlessASCII(first+"."+last)) + "@example.org"
	return s.register(t, s.community, map[string]string{"first_name": first, "last_name": last, "email": email})
}

// domainlessASCII writes a name as an email's local part: "Hélène" as
// "helene".
func domainlessASCII(s string) string {
	return strings.NewReplacer("é", "e", "è", "e", "ê", "e", "É", "E", "ë", "e", "à", "a", "ç", "c", "ô", "o", "ï", "i", " ", "").Replace(s)
}

// client is a browser without a browser: a cookie jar and no redirects
// followed, for the security tests.
func (s *stack) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// testWriter sends the server's log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
