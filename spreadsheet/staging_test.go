package spreadsheet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

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
		err := b.pool.QueryRow(t.Context(), `SELECT count(*) FROM import_rows WHERE import_id = $1 AND pending IS NOT NULL`, rep.ID).Scan(&staged)
		if err != nil || staged != 0 {
			t.Errorf("dry run %v: %d rows still hold values to apply (%v)", dry, staged, err)
		}
	}
}

// TestRecoverInterrupted: an import whose process died is finished from
// the log: the rows the log shows applied are reported applied (with the
// contact's version), the others not applied, the report stopped where it
// stopped, and the import can be listed and reverted; a dry run is
// discarded; an import whose session still holds it (it runs) is left.
func TestRecoverInterrupted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	b.settle(t)
	pool := b.pool
	dead, dry, running := domain.NewID(), domain.NewID(), domain.NewID()
	for id, isDry := range map[string]bool{dead: false, dry: true, running: false} {
		_, err := pool.Exec(ctx, `INSERT INTO imports (id, community_id, dry_run, created_at, report, finished, heartbeat_at)
			VALUES ($1, $2, $3, now(), $4, false, now() - interval '1 minute')`, id, b.caller.CommunityID, isDry,
			fmt.Sprintf(`{"id":%q,"dry_run":%v,"file_name":"members.xlsx","actor":"key:k1","columns":{"Email":"email"}}`, id, isDry))
		if err != nil {
			t.Fatal(err)
		}
	}
	// The dead import: row 2 registered Nina, row 3 updated Ada, then the
	// process died before row 4 (Zoé) and before it recorded any of them.
	nina := domain.NewID()
	importCaller := func(row int) domain.Caller {
		c := b.caller
		c.CorrelationID, c.CausationID = dead, fmt.Sprintf("import:%s:row:%d", dead, row)
		return c
	}
	if _, err := b.handler.RegisterContactWithID(ctx, importCaller(2), nina, map[string]string{"first_name": "Nina"}); err != nil {
		t.Fatal(err)
	}
	updated, err := b.handler.UpdateContact(ctx, importCaller(3), ada, map[string]string{"first_name": "Augusta"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, `INSERT INTO import_rows (import_id, sheet_row, outcome, contact_id, version, changes, pending) VALUES
		($1, 2, 'created', $2, 0, NULL, '{"first_name":"Nina"}'),
		($1, 3, 'updated', $3, 1, '[{"field":"first_name","old":"Ada","new":"Augusta"}]', '{"first_name":"Augusta"}'),
		($1, 4, 'created', $4, 0, NULL, '{"first_name":"Zoé"}'),
		($5, 2, 'created', $4, 0, NULL, '{"first_name":"Zoé"}'),
		($6, 2, 'created', $4, 0, NULL, '{"first_name":"Zoé"}')`, dead, nina, ada, domain.NewID(), dry, running)
	if err != nil {
		t.Fatal(err)
	}
	// The running import's session holds it.
	holder, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, int32(0x696d7074), running); err != nil {
		t.Fatal(err)
	}
	defer holder.Exec(context.Background(), `SELECT pg_advisory_unlock_all()`) //nolint:errcheck

	// An import whose lock is free but which beat a moment ago may be a
	// live process that just lost its connection: it is left to stop.
	recent := domain.NewID()
	if _, err := pool.Exec(ctx, `INSERT INTO imports (id, community_id, dry_run, created_at, report, finished)
		VALUES ($1, $2, false, now(), '{}', false)`, recent, b.caller.CommunityID); err != nil {
		t.Fatal(err)
	}

	n, err := b.service.RecoverInterrupted(ctx)
	if err != nil || n != 2 {
		t.Fatalf("RecoverInterrupted = %d, %v; want the dead import finished and the dry run discarded", n, err)
	}
	rep, err := b.reports.Report(ctx, b.caller.CommunityID, dead)
	if err != nil {
		t.Fatalf("the interrupted import: %v", err)
	}
	if c := rep.Counts; c.Created != 1 || c.Updated != 1 || c.Rejected != 1 || rep.StoppedAtRow != 4 ||
		rep.StoppedReason != "the service stopped during the import" || rep.FileName != "members.xlsx" || rep.Position == "" {
		t.Fatalf("report %+v, want Nina created, Ada updated, Zoé not applied, stopped at row 4", rep)
	}
	if r := rep.Rows[1]; r.Version != updated.Version || r.ContactID != ada {
		t.Errorf("Ada's row %+v, want version %d", r, updated.Version)
	}
	if r := rep.Rows[2]; r.Outcome != "rejected" || r.ContactID != "" || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Reason, "not applied") {
		t.Errorf("Zoé's row %+v, want not applied, with no contact", r)
	}
	for id, want := range map[string]int{dry: 0, running: 2, recent: 1} {
		var left int
		err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM import_rows WHERE import_id = $1) + (SELECT count(*) FROM imports WHERE id = $1)`, id).Scan(&left)
		if err != nil || left != want {
			t.Errorf("import %s has %d rows and summary (%v), want %d", id, left, err, want)
		}
	}
	// Whatever it applied can be reverted.
	reverted, err := b.service.RevertImport(ctx, b.caller, dead)
	if err != nil || reverted.Revert.Archived != 1 || reverted.Revert.Reverted != 1 {
		t.Fatalf("revert the interrupted import: %+v, %v", reverted.Revert, err)
	}
	if c := b.contact(t, ada); c.FirstName() != "Ada" {
		t.Errorf("Ada after the revert: %v", c.Values)
	}
	if c := b.contact(t, nina); c.Status != domain.StatusArchived {
		t.Errorf("Nina after the revert: %s", c.Status)
	}
}
