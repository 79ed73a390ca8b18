package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/pgtest"
)

// captureStdout runs fn with os.Stdout going to a buffer.
func captureStdout(t *testing.T, fn func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	err = fn()
	w.Close()
	os.Stdout = old
	return <-done, err
}

// TestExportImportVerbs runs `contacts export` and `contacts import` on a
// database with one community: the export holds its contacts, and an
// edited file imports (dry run first, then for real).
func TestExportImportVerbs(t *testing.T) {
	cfg := wire.Config{DatabaseURL: pgtest.NewDatabase(t), DataDir: t.TempDir()}
	ctx := t.Context()
	logger := slog.New(slog.DiscardHandler)
	// The verbs seal personal values with the data folder's master key:
	// the test writes and reads through the same wiring.
	app, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close() //nolint:errcheck // a test database
	h, store := app.Handler, app.Store
	res, err := h.CreateCommunity(ctx, domain.Caller{Actor: "test"}, "default")
	if err != nil {
		t.Fatal(err)
	}
	caller := domain.Caller{CommunityID: res.ID, Actor: "test"}
	ada, err := h.RegisterContact(ctx, caller, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	if err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "out.xlsx")
	if err := run(ctx, cfg, []string{"export", file}, logger); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	if id, _ := f.GetCellValue(sheet, "A2"); id != ada.ID {
		t.Fatalf("A2 = %q, want %s", id, ada.ID)
	}
	f.SetCellValue(sheet, "C2", "Augusta")
	var edited bytes.Buffer
	f.Write(&edited)
	os.WriteFile(file, edited.Bytes(), 0o644)

	// The verb prints the report as JSON, rows included.
	report := func(out string) (r domain.ImportReport) {
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("report: %v\n%s", err, out)
		}
		return r
	}
	out, err := captureStdout(t, func() error { return run(ctx, cfg, []string{"import", "-dry-run", file}, logger) })
	if r := report(out); err != nil || !r.DryRun || r.Counts.Updated != 1 || len(r.Rows) != 1 || r.Rows[0].ContactID != ada.ID {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = captureStdout(t, func() error { return run(ctx, cfg, []string{"import", file}, logger) })
	if r := report(out); err != nil || r.DryRun || r.Counts.Updated != 1 || len(r.Rows) != 1 || r.Rows[0].Outcome != domain.RowUpdated {
		t.Fatalf("import: %v\n%s", err, out)
	}
	c, err := domain.LoadContact(context.Background(), store, res.ID, ada.ID)
	if err != nil || c.FirstName() != "Augusta" {
		t.Errorf("after the import: %+v, %v", c, err)
	}
	// The verb ended once the read model showed the import: a list (or an
	// export) that follows sees it, with no waiting.
	var listed string
	if err := app.Pool.QueryRow(ctx, `SELECT first_name FROM contacts WHERE id = $1`, ada.ID).Scan(&listed); err != nil || listed != "Augusta" {
		t.Errorf("the read model right after the import: %q, %v", listed, err)
	}
}
