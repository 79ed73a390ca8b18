package http_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/esdb"
	"github.com/assoc/contacts/eventstore/esdb/esdbtest"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/eventstore/sealed"
	chttp "github.com/assoc/contacts/http"
	"github.com/assoc/contacts/pgtest"
	"github.com/assoc/contacts/projections"
	"github.com/assoc/contacts/spreadsheet"
	importstore "github.com/assoc/contacts/spreadsheet/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// stack is the whole service on a database of its own: store, command
// handler, projections, key store, and the HTTP server on a real listener.
// It comes with an operator key and one community ("A") with an admin key.
type stack struct {
	url      string
	client   *http.Client
	server   *chttp.Server
	pool     *pgxpool.Pool
	store    *sealed.Store
	handler  *domain.Handler
	keys     *apikeys.Store
	runner   *projections.Runner
	operator string // operator key
	// Community A, made through the API.
	community string
	admin     string // its admin key
}

// newStack builds the stack; configure, if given, adjusts the server (its
// services, its logger) before it takes traffic.
func newStack(t *testing.T, configure ...func(*chttp.Server)) *stack {
	t.Helper()
	pool := pgtest.NewPool(t)
	log := newLog(t, pool)
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
	server := chttp.NewServer("127.0.0.1:0", slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	queries := &projections.Queries{Pool: pool}
	server.Services = chttp.Services{
		Commands:    handler,
		Contacts:    &domain.Reader{Queries: queries, ReadModels: runner, Store: store},
		Events:      &domain.Feed{Store: store, Wake: store.Inner()},
		Keys:        keys,
		Projections: runner,
		Excel: &spreadsheet.Service{Handler: handler, Queries: queries,
			Reports: &importstore.Reports{Pool: pool, Sealer: keyring}, CaughtUp: importstore.CaughtUp(pool, store, time.Second)},
		Database: pool,
		Sessions: keys,
	}
	for _, f := range configure {
		f(server)
	}
	server.SetReady(true)
	ts := httptest.NewServer(server.Handler())
	t.Cleanup(ts.Close)

	s := &stack{url: ts.URL, client: checkedClient(t, ts.Client()), server: server, pool: pool, store: store, handler: handler, keys: keys, runner: runner}
	op, _, err := keys.Create(t.Context(), apikeys.RoleOperator, "")
	if err != nil {
		t.Fatal(err)
	}
	s.operator = op
	s.community, s.admin = s.createCommunity(t, "Community A")
	return s
}

// newLog returns the event log of a stack: PostgreSQL, or, for the tests
// TestOnEventStoreDB runs, the EventStoreDB backend on an in-process fake
// server (read models stay in PostgreSQL either way).
func newLog(t *testing.T, pool *pgxpool.Pool) domain.EventStore {
	t.Helper()
	if !strings.HasPrefix(t.Name(), "TestOnEventStoreDB/") {
		log := postgres.New(pool, nil)
		t.Cleanup(log.Close)
		return log
	}
	log, err := esdb.Open(t.Context(), esdbtest.New(t).URL(), esdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() }) //nolint:errcheck // closing a client only releases it
	t.Cleanup(func() {
		// Proof the test ran on EventStoreDB: PostgreSQL's log stayed empty.
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil || n != 0 {
			t.Errorf("PostgreSQL's events table holds %d events (%v): the test did not run on EventStoreDB", n, err)
		}
	})
	return log
}

// TestOnEventStoreDB runs the end-to-end tests of the API's paths once more
// with the log in EventStoreDB (the fake server of esdbtest, through the
// real client and gRPC): everything works unchanged on that backend. Tests
// that stall PostgreSQL's log on purpose, or only look at HTTP plumbing,
// are not repeated.
func TestOnEventStoreDB(t *testing.T) {
	for name, test := range map[string]func(*testing.T){
		"RegisterContact": TestRegisterContact, "RegisterRefusals": TestRegisterRefusals, "GetContact": TestGetContact,
		"ForeignCommunityIsNotFound": TestForeignCommunityIsNotFound, "UpdateContact": TestUpdateContact,
		"ConcurrentUpdatesWithETag": TestConcurrentUpdatesWithETag, "ListAndSearch": TestListAndSearch,
		"ArchiveRestoreDelete": TestArchiveRestoreDelete, "BulkRefusals": TestBulkRefusals, "MergeAndUnmerge": TestMergeAndUnmerge,
		"ReadYourWrites": TestReadYourWrites, "Fields": TestFields, "ContactHistory": TestContactHistory, "ContactAsOf": TestContactAsOf,
		"EventsReadAndFilter": TestEventsReadAndFilter, "EventsFollowResume": TestEventsFollowResume, "DeleteErases": TestDeleteErases,
		"ExcelExportImportRevert": TestExcelExportImportRevert, "Keys": TestKeys, "CreateCommunity": TestCreateCommunity,
	} {
		t.Run(name, test)
	}
}

// createCommunity makes a community through the API and returns its ID
// and admin key.
func (s *stack) createCommunity(t *testing.T, name string) (id, adminKey string) {
	t.Helper()
	r := s.do(t, "POST", "/v1/communities", s.operator, map[string]any{"name": name})
	r.want(t, http.StatusCreated)
	var out struct{ ID, Name, AdminKey string }
	r.decode(t, &out)
	var body map[string]any
	r.decode(t, &body)
	if !domain.ValidID(out.ID) || out.Name != name || body["admin_key"] == nil || len(body) != 3 {
		t.Fatalf("create community: %s", r.body)
	}
	return out.ID, body["admin_key"].(string)
}

// newKey makes a key of the admin's community through the API.
func (s *stack) newKey(t *testing.T, adminKey, role string) string {
	t.Helper()
	r := s.do(t, "POST", "/v1/keys", adminKey, map[string]any{"role": role})
	r.want(t, http.StatusCreated)
	var out struct{ Key, Role string }
	r.decode(t, &out)
	if out.Role != role || !strings.HasPrefix(out.Key, "ck_") {
		t.Fatalf("create key: %s", r.body)
	}
	return out.Key
}

// caller is a domain caller of community A, for seeding without HTTP.
func (s *stack) caller() domain.Caller {
	return domain.Caller{CommunityID: s.community, Actor: "test"}
}

// response is an answer, read whole.
type response struct {
	status  int
	header  http.Header
	trailer http.Header
	body    []byte
}

// do sends a request with key (none when ""). body is sent as is when it
// is a string or []byte, else encoded as JSON; headers are name, value
// pairs.
func (s *stack) do(t *testing.T, method, path, key string, body any, headers ...string) response {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, trailer: resp.Trailer, body: raw}
}

// doInvalid is do for a request invalid on purpose, sent to see it
// refused: the document's checks skip the request, never its answer.
func (s *stack) doInvalid(t *testing.T, method, path, key string, body any, headers ...string) response {
	t.Helper()
	return s.do(t, method, path, key, body, append(headers, invalidRequest, "on purpose")...)
}

// want fails the test unless the answer has status.
func (r response) want(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problemBody is an application/problem+json body.
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
}

// wantProblem checks that the answer is a problem+json with status, naming
// field ("" for none), and returns it.
func (r response) wantProblem(t *testing.T, status int, field string) problemBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p problemBody
	r.decode(t, &p)
	if p.Status != status || p.Title == "" || p.Type == "" {
		t.Errorf("problem %s: want status %d, a title and a type", r.body, status)
	}
	if p.Field != field {
		t.Errorf("problem field %q, want %q: %s", p.Field, field, r.body)
	}
	return p
}

// contact is a contact as the API shows it, with a command's position.
type contact struct {
	ID         string            `json:"id"`
	Status     string            `json:"status"`
	Email      string            `json:"email"`
	FirstName  string            `json:"first_name"`
	LastName   string            `json:"last_name"`
	ExternalID string            `json:"external_id"`
	Fields     map[string]string `json:"fields"`
	Version    int64             `json:"version"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	ArchivedAt *time.Time        `json:"archived_at"`
	MergedInto *string           `json:"merged_into"`
	Position   string            `json:"position"`
}

type contactList struct {
	Items      []contact `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

type bulkResult struct {
	Results []struct {
		ID      string       `json:"id"`
		OK      bool         `json:"ok"`
		Version int64        `json:"version"`
		Error   *problemBody `json:"error"`
	} `json:"results"`
	Position string `json:"position"`
}

// register registers a contact in community A through the API.
func (s *stack) register(t *testing.T, body map[string]any) contact {
	t.Helper()
	r := s.do(t, "POST", "/v1/contacts", s.admin, body)
	r.want(t, http.StatusCreated)
	var c contact
	r.decode(t, &c)
	return c
}

// get reads a contact of community A, after position pos (if not "").
func (s *stack) get(t *testing.T, id, pos string) contact {
	t.Helper()
	path := "/v1/contacts/" + id
	if pos != "" {
		path += "?after=" + pos
	}
	r := s.do(t, "GET", path, s.admin, nil)
	r.want(t, http.StatusOK)
	var c contact
	r.decode(t, &c)
	return c
}

// list reads a list of community A (path with its query).
func (s *stack) list(t *testing.T, path string) contactList {
	t.Helper()
	r := s.do(t, "GET", path, s.admin, nil)
	r.want(t, http.StatusOK)
	var l contactList
	r.decode(t, &l)
	return l
}

// bulk runs a bulk command (archive, restore, delete) in community A.
func (s *stack) bulk(t *testing.T, verb string, ids ...string) bulkResult {
	t.Helper()
	r := s.do(t, "POST", "/v1/contacts/"+verb, s.admin, map[string]any{"ids": ids})
	r.want(t, http.StatusOK)
	var b bulkResult
	r.decode(t, &b)
	if len(b.Results) != len(ids) {
		t.Fatalf("%s: %d results for %d IDs", verb, len(b.Results), len(ids))
	}
	return b
}

// laterPosition returns the later of two positions as the API writes them.
func laterPosition(t *testing.T, a, b string) string {
	t.Helper()
	pa, err := domain.ParsePosition(a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := domain.ParsePosition(b)
	if err != nil {
		t.Fatal(err)
	}
	if pa.Compare(pb) >= 0 {
		return a
	}
	return b
}

// testWriter sends the server's log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
