package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/pgtest"
)

// TestSeedDefaultsToTheDefaultCommunity: `contacts seed N` without
// -community seeds the community "default" of the first start, the one
// the printed admin key sees, not a new community no key can see.
func TestSeedDefaultsToTheDefaultCommunity(t *testing.T) {
	ctx := t.Context()
	cfg := wire.Config{DatabaseURL: pgtest.NewDatabase(t), DataDir: t.TempDir(), Addr: "127.0.0.1:0"}
	app, err := wire.Open(ctx, cfg, wire.Services, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close() //nolint:errcheck // a test database
	pool := app.Pool
	if _, err := app.Handler.CreateCommunity(ctx, domain.Caller{Actor: "test"}, "another"); err != nil {
		t.Fatal(err)
	}
	if err := bootstrap(ctx, cfg, pool, app.Keys, app.Handler, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := captureStdout(t, func() error { return runSeed(ctx, cfg, slog.New(slog.DiscardHandler), []string{"3"}) }); err != nil {
		t.Fatal(err)
	}
	var community string
	var n int
	if err := pool.QueryRow(ctx, `SELECT metadata->>'community_id', count(*) FROM events WHERE type = 'ContactRegistered' GROUP BY 1`).Scan(&community, &n); err != nil {
		t.Fatal(err)
	}
	want, err := defaultCommunity(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	if err := pool.QueryRow(ctx, `SELECT convert_from(value, 'UTF8') FROM settings WHERE name = 'default_community'`).Scan(&name); err != nil || name != want {
		t.Fatalf("default community setting %q, %v", name, err)
	}
	if community != want || n != 3 {
		t.Errorf("seeded %d contacts into %s, want 3 into the default community %s", n, community, want)
	}
}
