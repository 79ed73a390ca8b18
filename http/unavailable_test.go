package http_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/apikeys"
	chttp "github.com/assoc/contacts/http"
)

// unreachableDatabase is where no PostgreSQL listens: a socket folder
// that does not exist.
const unreachableDatabase = "host=/nonexistent/contacts-test port=5432 user=postgres dbname=postgres connect_timeout=2"

// connectionError returns the error a driver gives when the database
// cannot be reached.
func connectionError(t *testing.T) error {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), unreachableDatabase)
	if err == nil {
		conn.Close(t.Context())
		t.Fatal("connected to a database that should not be there")
	}
	return err
}

// switchablePinger is the real database, or an unreachable one while down.
type switchablePinger struct {
	up, down chttp.Pinger
	isDown   atomic.Bool
}

func (p *switchablePinger) Ping(ctx context.Context) error {
	if p.isDown.Load() {
		return p.down.Ping(ctx)
	}
	return p.up.Ping(ctx)
}

func TestReadyzFailsWhileTheDatabaseIsUnreachable(t *testing.T) {
	t.Parallel()
	unreachable, err := pgxpool.New(t.Context(), unreachableDatabase)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unreachable.Close)
	pinger := &switchablePinger{down: unreachable}
	s := newStack(t, func(srv *chttp.Server) { pinger.up = srv.Services.Database; srv.Services.Database = pinger })
	s.do(t, "GET", "/readyz", "", nil).want(t, http.StatusOK)

	pinger.isDown.Store(true)
	r := s.do(t, "GET", "/readyz", "", nil)
	p := r.wantProblem(t, http.StatusServiceUnavailable, "")
	if !strings.Contains(p.Detail, "database") || r.header.Get("Retry-After") == "" {
		t.Errorf("readyz while the database is down: %s (Retry-After %q)", r.body, r.header.Get("Retry-After"))
	}
	s.do(t, "GET", "/healthz", "", nil).want(t, http.StatusOK) // the process lives: no restart wanted

	pinger.isDown.Store(false)
	s.do(t, "GET", "/readyz", "", nil).want(t, http.StatusOK)
}

// unreachableKeys fails on one key as the key store does when the
// database cannot be reached.
type unreachableKeys struct {
	chttp.KeyService
	key string
	err error
}

func (k unreachableKeys) Lookup(ctx context.Context, key string) (apikeys.Key, error) {
	if key == k.key {
		return apikeys.Key{}, k.err
	}
	return k.KeyService.Lookup(ctx, key)
}

func TestUnreachableDatabaseAnswers503(t *testing.T) {
	t.Parallel()
	key := "ck_" + strings.Repeat("U", 43)
	cause := connectionError(t)
	s := newStack(t, func(srv *chttp.Server) {
		srv.Services.Keys = unreachableKeys{KeyService: srv.Services.Keys, key: key, err: cause}
	})
	r := s.do(t, "GET", "/v1/contacts", key, nil)
	p := r.wantProblem(t, http.StatusServiceUnavailable, "")
	if !strings.HasSuffix(p.Type, "/unavailable") || r.header.Get("Retry-After") == "" || strings.Contains(string(r.body), "nonexistent") {
		t.Errorf("answer while the database is unreachable: %s (Retry-After %q)", r.body, r.header.Get("Retry-After"))
	}
}
