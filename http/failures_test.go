package http_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	chttp "github.com/assoc/contacts/http"
)

// stallableRunner is the real runner, or a read model that never catches
// up while stalled.
type stallableRunner struct {
	domain.ReadModels
	stalled atomic.Bool
}

func (r *stallableRunner) WaitFor(ctx context.Context, name string, pos domain.Position, timeout time.Duration) error {
	if r.stalled.Load() {
		return &domain.Error{Code: domain.EUNAVAILABLE, Message: "not yet"}
	}
	return r.ReadModels.WaitFor(ctx, name, pos, timeout)
}

// A command whose read model lags still answers with the contact it left,
// read from the log, exactly as the read model shows it later.
func TestCommandAnswersWhileReadModelLags(t *testing.T) {
	t.Parallel()
	runner := &stallableRunner{}
	s := newStack(t, func(srv *chttp.Server) {
		reader := srv.Services.Contacts.(*domain.Reader)
		runner.ReadModels, reader.ReadModels = reader.ReadModels, runner
	})
	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "city", "label": "City", "type": "text"}).want(t, http.StatusCreated)
	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "zip", "label": "Zip", "type": "text"}).want(t, http.StatusCreated)
	runner.stalled.Store(true)
	r := s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"first_name": "Ada", "email": "ada@example.org",
		"fields": map[string]any{"city": "London"}})
	r.want(t, http.StatusCreated)
	var registered contact
	r.decode(t, &registered)
	r = s.do(t, "PATCH", "/v1/contacts/"+registered.ID, s.admin, map[string]any{"last_name": "King", "fields": map[string]any{"zip": "N1"}})
	r.want(t, http.StatusOK)
	var updated contact
	r.decode(t, &updated)
	runner.stalled.Store(false)

	if registered.Version != 1 || registered.Fields["city"] != "London" || updated.Version != 2 || updated.LastName != "King" ||
		updated.Fields["zip"] != "N1" || updated.Fields["city"] != "London" || updated.Position == "0-0" {
		t.Fatalf("answers from the log: %+v / %+v", registered, updated)
	}
	got := s.get(t, registered.ID, updated.Position)
	updated.Position = ""
	if fmt.Sprint(got) != fmt.Sprint(updated) {
		t.Errorf("read model shows\n%+v\nthe log answered\n%+v", got, updated)
	}
}

// failingKeys fails on one key as a broken database would.
type failingKeys struct {
	chttp.KeyService
	broken string
}

func (k failingKeys) Lookup(ctx context.Context, key string) (apikeys.Key, error) {
	if key == k.broken {
		return apikeys.Key{}, errors.New("disk on fire")
	}
	return k.KeyService.Lookup(ctx, key)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// An unexpected error answers a generic 500 and is logged with the request
// ID; 4xx answers are not logged.
func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	t.Parallel()
	broken := "ck_" + strings.Repeat("B", 43)
	var logs syncBuffer
	s := newStack(t, func(srv *chttp.Server) {
		srv.Services.Keys = failingKeys{KeyService: srv.Services.Keys, broken: broken}
		srv.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})

	s.do(t, "GET", "/v1/contacts/"+domain.NewID(), s.admin, nil).wantProblem(t, http.StatusNotFound, "")
	s.do(t, "GET", "/v1/contacts", "", nil).wantProblem(t, http.StatusUnauthorized, "")
	if logs.String() != "" {
		t.Errorf("4xx answers were logged: %s", logs.String())
	}
	r := s.do(t, "GET", "/v1/contacts", broken, nil, "X-Request-ID", "req-500")
	p := r.wantProblem(t, http.StatusInternalServerError, "")
	if strings.Contains(string(r.body), "fire") || !strings.HasSuffix(p.Type, "/internal") {
		t.Errorf("500 answer: %s", r.body)
	}
	if l := logs.String(); !strings.Contains(l, "disk on fire") || !strings.Contains(l, "req-500") || !strings.Contains(l, "status=500") {
		t.Errorf("log: %s", l)
	}
}
