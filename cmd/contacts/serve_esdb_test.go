package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/esdb"
	"github.com/assoc/contacts/eventstore/esdb/esdbtest"
)

// TestServeOnEventStoreDB runs `contacts serve` with EVENTSTORE_URL on the
// fake EventStoreDB: a contact registered through the API is in the
// EventStoreDB log and reads back through the PostgreSQL read model; a
// later start without EVENTSTORE_URL on the same database is refused.
func TestServeOnEventStoreDB(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL")
	}
	fake := esdbtest.New(t)
	dataDir := t.TempDir()
	url, cmd, logs := startServe(t, dataDir, "EVENTSTORE_URL="+fake.URL())

	saved, err := os.ReadFile(filepath.Join(dataDir, "secrets", "bootstrap-keys.txt"))
	if err != nil {
		t.Fatalf("bootstrap keys not saved: %v; logs:\n%s", err, logs.String())
	}
	m := regexp.MustCompile(`its admin key:\s+(\S+)`).FindSubmatch(saved)
	if m == nil {
		t.Fatalf("no admin key in:\n%s", saved)
	}
	adminKey := string(m[1])
	call := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	status, body := call("POST", "/v1/contacts", `{"first_name":"Hélène","last_name":"Dupré","email":"helene@example.org"}`)
	if status != http.StatusCreated {
		t.Fatalf("register = %d %s; logs:\n%s", status, body, logs.String())
	}
	var created struct{ ID, Position string }
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" || created.Position == "" {
		t.Fatalf("register answered %s (%v)", body, err)
	}
	status, body = call("GET", "/v1/contacts/"+created.ID+"?after="+created.Position, "")
	if status != http.StatusOK || !strings.Contains(string(body), "Dupré") {
		t.Fatalf("GET the registered contact = %d %s", status, body)
	}
	status, body = call("GET", "/v1/contacts?q=helene&after="+created.Position, "")
	if status != http.StatusOK || !strings.Contains(string(body), created.ID) {
		t.Fatalf("search helene = %d %s, want the registered contact", status, body)
	}

	// The contact's events are in the EventStoreDB log.
	store, err := esdb.Open(t.Context(), fake.URL(), esdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	events, err := store.ReadStream(t.Context(), domain.ContactStream(created.ID), domain.Forwards, 1, 10)
	if err != nil || len(events) == 0 || events[0].Type != "ContactRegistered" {
		t.Fatalf("the contact's stream in EventStoreDB: %d events, %v; want ContactRegistered first", len(events), err)
	}

	cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v; logs:\n%s", err, logs.String())
	}

	// The database's log is in EventStoreDB: starting on PostgreSQL would
	// lose it.
	out, err := serveCommand(dataDir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "event log is in EventStoreDB/KurrentDB, but EVENTSTORE_URL is not set") {
		t.Fatalf("serve without EVENTSTORE_URL on an EventStoreDB database: %v\n%s\nwant a refusal", err, out)
	}
}
