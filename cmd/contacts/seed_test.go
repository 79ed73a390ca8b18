package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/pgtest"
)

// TestSeedDefaultsToTheDefaultCommunity: `contacts seed N` without
// -community seeds the community "default" of the first start, the one
// the printed admin key sees, not a new community no key can see.
func TestSeedDefaultsToTheDefaultCommunity(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := t.Context()
	cfg := Config{DatabaseURL: url, DataDir: t.TempDir(), Addr: "127.0.0.1:0"}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	secret, err := keySecret(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool, nil)
	defer store.Close()
	h := &domain.Handler{Store: store, KeySecret: secret}
	if _, err := h.CreateCommunity(ctx, domain.Caller{Actor: "test"}, "another"); err != nil {
		t.Fatal(err)
	}
	if err := bootstrap(ctx, cfg, pool, apikeys.New(pool), h, io.Discard); err != nil {
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
