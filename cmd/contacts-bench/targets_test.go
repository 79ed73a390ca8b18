package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestTargetsRun runs every target end to end, at small sizes, through the
// service's wiring: the commands docs/BENCHMARKS.md gives keep working.
func TestTargetsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every bench at small sizes")
	}
	for _, tc := range []struct {
		target  string
		private bool // on a private cluster (the target refuses DATABASE_URL)
		args    []string
	}{
		{target: "store", args: []string{"-duration", "100ms", "-writers", "2", "-pages", "1000", "-rounds", "1", "-read-events", "5000"}},
		{target: "contacts", args: []string{"-use-database-url", "-n", "3400", "-requests", "20", "-callers", "4"}},
		{target: "audit", private: true, args: []string{"-n", "40", "-requests", "5", "-callers", "2"}},
		{target: "excel", args: []string{"-sizes", "30"}},
		{target: "load", private: true, args: []string{"-n", "300", "-clients", "4", "-duration", "300ms"}},
		{target: "feed", args: []string{"-events", "3000", "-sizes", "10,100"}},
		{target: "bombs", args: []string{"-dir", filepath.Join("..", "..", "xlsx", "testdata"), "-worst-rows", "0", "-at-once", "2"}},
	} {
		t.Run(tc.target, func(t *testing.T) {
			cfg := wire.Config{DataDir: t.TempDir(), SearchPath: os.Getenv("PATH")}
			if !tc.private {
				cfg.DatabaseURL = pgtest.NewDatabase(t)
			}
			start := time.Now()
			if err := run(t.Context(), cfg, append([]string{tc.target}, tc.args...), slog.New(slog.DiscardHandler)); err != nil {
				t.Fatalf("contacts-bench %s: %v", tc.target, err)
			}
			t.Logf("%s ran in %s", tc.target, time.Since(start).Round(time.Millisecond))
		})
	}
}
