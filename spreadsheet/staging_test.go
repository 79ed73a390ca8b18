package spreadsheet_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
)

// TestImportLeavesNoStagedValues: once an import ends, dry run or real,
// its rows keep their outcomes and no key or value staged while it ran.
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
		err := b.service.Reports.Pool.QueryRow(t.Context(), `SELECT count(*) FROM import_rows WHERE import_id = $1
			AND (id_key IS NOT NULL OR email_key IS NOT NULL OR external_key IS NOT NULL OR pending IS NOT NULL)`, rep.ID).Scan(&staged)
		if err != nil || staged != 0 {
			t.Errorf("dry run %v: %d rows still hold staged keys or values (%v)", dry, staged, err)
		}
	}
}

// TestDiscardAbandoned: the staged rows of an import that started over the
// given time ago and never stored its report are removed; a running
// import's and a finished one's are not.
func TestDiscardAbandoned(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	b.settle(t)
	finished := b.importFile(t, book(t, [][]any{{"Email", "First name"}, {"ada@example.org", "Augusta"}}), false)
	pool := b.service.Reports.Pool
	abandoned, running := importIDAt(time.Now().Add(-2*time.Hour)), importIDAt(time.Now())
	for _, id := range []string{abandoned, running} {
		_, err := pool.Exec(t.Context(), `INSERT INTO import_rows (import_id, sheet_row, outcome, email_key, pending)
			VALUES ($1, 2, 'created', 'zoe@example.org', '{"first_name":"Zoé"}'), ($1, 3, 'unchanged', 'yann@example.org', NULL)`, id)
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := b.service.Reports.DiscardAbandoned(t.Context(), time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("DiscardAbandoned = %d, %v; want the abandoned import's 2 rows", n, err)
	}
	for id, want := range map[string]int{abandoned: 0, running: 2, finished.ID: 1} {
		var left int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM import_rows WHERE import_id = $1`, id).Scan(&left); err != nil || left != want {
			t.Errorf("import %s has %d rows (%v), want %d", id, left, err, want)
		}
	}
}

// importIDAt makes an import ID (a UUIDv7) that started at t.
func importIDAt(t time.Time) string {
	u := uuid.MustParse(domain.NewID())
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	return u.String()
}
