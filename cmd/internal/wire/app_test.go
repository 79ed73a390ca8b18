package wire

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/assoc/contacts/pgtest"
)

func TestFromEnvReadsEverySetting(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": "postgres://db/contacts", "CONTACTS_DATA": "/srv/contacts", "CONTACTS_ADDR": ":9090",
		"EVENTSTORE_URL": "esdb://es:2113", "CONTACTS_MASTER_KEY": " bWFzdGVy \n",
		"CONTACTS_BOOTSTRAP_KEY": "ck_0123456789abcdef", "PATH": "/opt/pg/bin:/usr/bin",
	}
	got := FromEnv(func(name string) string { return env[name] })
	want := Config{DatabaseURL: "postgres://db/contacts", DataDir: "/srv/contacts", Addr: ":9090", EventStoreURL: "esdb://es:2113",
		MasterKey: "bWFzdGVy", BootstrapKey: "ck_0123456789abcdef", SearchPath: "/opt/pg/bin:/usr/bin"}
	if got != want {
		t.Errorf("FromEnv = %+v\nwant %+v", got, want)
	}
	if got := FromEnv(func(string) string { return "" }); got != (Config{DataDir: DefaultDataDir, Addr: DefaultAddr}) {
		t.Errorf("FromEnv of an empty environment = %+v, want the defaults", got)
	}
}

// A verb opens, and so records, no more than its part: migrate makes no
// master key and records no backend (a later serve may choose
// EventStoreDB); no part ever stores a key secret (it is derived from the
// master key).
func TestOpenOpensNoMoreThanItsPart(t *testing.T) {
	for _, part := range []Part{Database, Log, Services} {
		cfg := Config{DatabaseURL: pgtest.NewDatabase(t), DataDir: t.TempDir(), PoolConns: 3}
		app, err := Open(t.Context(), cfg, part, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("Open part %d: %v", part, err)
		}
		if app.Pool.Config().MaxConns != 3 {
			t.Errorf("part %d: pool of %d, want PoolConns", part, app.Pool.Config().MaxConns)
		}
		_, err = os.Stat(filepath.Join(cfg.DataDir, "secrets", "master.key"))
		if made := !errors.Is(err, fs.ErrNotExist); made != (part >= Log) {
			t.Errorf("part %d: master key made: %v", part, made)
		}
		for name, from := range map[string]Part{"event_store": Log, "key_secret": Services + 1} {
			var stored bool
			if err := app.Pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM settings WHERE name = $1)`, name).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if stored != (part >= from) {
				t.Errorf("part %d: %s stored: %v", part, name, stored)
			}
		}
		if (app.Store != nil) != (part >= Log) || (app.Handler != nil) != (part >= Services) || (app.Excel != nil) != (part >= Services) {
			t.Errorf("part %d: store %v, handler %v, excel %v", part, app.Store != nil, app.Handler != nil, app.Excel != nil)
		}
		if err := app.Close(); err != nil {
			t.Errorf("part %d: Close: %v", part, err)
		}
	}
}

// TestKeySecretIsDerived: the key secret is derived from the master key
// (the same on every node that shares it), never stored; a database that
// stored one before keeps it as the legacy secret its reservations are
// read under.
func TestKeySecretIsDerived(t *testing.T) {
	url := pgtest.NewDatabase(t)
	cfg := Config{DatabaseURL: url, DataDir: t.TempDir(), MasterKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
	open := func() *App {
		app, err := Open(t.Context(), cfg, Services, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { app.Close() }) //nolint:errcheck
		return app
	}
	a, b := open(), open()
	if len(a.Handler.KeySecret) != 32 || string(a.Handler.KeySecret) != string(b.Handler.KeySecret) || a.Handler.LegacyKeySecret != nil {
		t.Fatalf("key secrets %x / %x, legacy %x: want one derived secret, no legacy", a.Handler.KeySecret, b.Handler.KeySecret, a.Handler.LegacyKeySecret)
	}
	if _, err := a.Pool.Exec(t.Context(), `INSERT INTO settings (name, value) VALUES ('key_secret', 'stored before')`); err != nil {
		t.Fatal(err)
	}
	if c := open(); string(c.Handler.LegacyKeySecret) != "stored before" || string(c.Handler.KeySecret) != string(a.Handler.KeySecret) {
		t.Fatalf("with a stored secret: legacy %q", c.Handler.LegacyKeySecret)
	}
}
