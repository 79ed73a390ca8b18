package spreadsheet_test

import (
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
)

// TestImportLeavesNoStagedValues: once an import ends, dry run or real,
// its rows keep their outcomes and none of the values staged while it ran.
func TestImportLeavesNoStagedValues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada", "external_id": "A-1"})
	b.settle(t)
	data := book(t, [][]any{
		{"ID", "Email", "First name", "External ID"},
		{ada, nil, "Augusta", nil},
		{nil, "new@example.org", "Nina", "N-1"},
		{nil, "twin@example.org", "Twin", nil},
		{nil, "twin@example.org", "Twin", nil},
	})
	for _, dry := range []bool{true, false} {
		rep := b.importFile(t, data, dry)
		if c := rep.Counts; c.Updated != 1 || c.Created != 1 || c.Rejected != 2 {
			t.Fatalf("dry run %v: counts %+v", dry, c)
		}
		var staged int
		err := b.service.Reports.Pool.QueryRow(t.Context(), `SELECT count(*) FROM import_rows WHERE import_id = $1 AND pending IS NOT NULL`, rep.ID).Scan(&staged)
		if err != nil || staged != 0 {
			t.Errorf("dry run %v: %d rows still hold values to apply (%v)", dry, staged, err)
		}
	}
}

// TestDiscardAbandoned: an import that started over the given time ago and
// never finished is removed with its rows; a running import and a finished
// one are not, and an unfinished import is not served.
func TestDiscardAbandoned(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	b.settle(t)
	finished := b.importFile(t, book(t, [][]any{{"Email", "First name"}, {"ada@example.org", "Augusta"}}), false)
	pool := b.service.Reports.Pool
	abandoned, running := domain.NewID(), domain.NewID()
	for id, started := range map[string]time.Time{abandoned: time.Now().Add(-2 * time.Hour), running: time.Now()} {
		_, err := pool.Exec(t.Context(), `INSERT INTO imports (id, community_id, dry_run, created_at, report, finished)
			VALUES ($1, $2, false, $3, '{}', false)`, id, b.caller.CommunityID, started)
		if err != nil {
			t.Fatal(err)
		}
		_, err = pool.Exec(t.Context(), `INSERT INTO import_rows (import_id, sheet_row, outcome, pending)
			VALUES ($1, 2, 'created', '{"first_name":"Zoé"}'), ($1, 3, 'unchanged', NULL)`, id)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.service.Reports.Summary(t.Context(), b.caller.CommunityID, running); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a running import is served (%v), want not found", err)
	}
	n, err := b.service.Reports.DiscardAbandoned(t.Context(), time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("DiscardAbandoned = %d, %v; want the abandoned import", n, err)
	}
	for id, want := range map[string]int{abandoned: 0, running: 3, finished.ID: 2} {
		var left int
		err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM import_rows WHERE import_id = $1) + (SELECT count(*) FROM imports WHERE id = $1)`, id).Scan(&left)
		if err != nil || left != want {
			t.Errorf("import %s has %d rows and summary (%v), want %d", id, left, err, want)
		}
	}
}
