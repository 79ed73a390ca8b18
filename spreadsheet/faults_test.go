package spreadsheet_test

import (
	"testing"

	"github.com/assoc/contacts/domain"
)

// These tests make the database misbehave at one point of an import (a
// trigger on import_rows) and check that the report still tells the truth.

// withAda is a bundle whose community holds Ada (in the read model too),
// with the SQL of misbehave run on its database.
func withAda(t *testing.T, misbehave string) (*bundle, string) {
	t.Helper()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	b.settle(t)
	if _, err := b.pool.Exec(t.Context(), misbehave); err != nil {
		t.Fatal(err)
	}
	return b, ada
}

// TestAppliedRowsWrittenDespiteAFailure: the statement that records which
// rows were applied fails once; the rows were applied, and the report says
// so (not "not applied"), so a revert undoes them.
func TestAppliedRowsWrittenDespiteAFailure(t *testing.T) {
	t.Parallel()
	// A sequence, unlike a table, keeps its count when the failing
	// statement's transaction rolls back: the failure happens once.
	b, ada := withAda(t, `
		CREATE SEQUENCE fail_once;
		CREATE FUNCTION fail_applied() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
		  IF OLD.pending IS NOT NULL AND NEW.pending IS NULL AND NEW.outcome <> 'rejected' AND nextval('fail_once') = 1 THEN
		    RAISE EXCEPTION 'simulated failure';
		  END IF;
		  RETURN NEW;
		END $$;
		CREATE TRIGGER fail_applied BEFORE UPDATE ON import_rows FOR EACH ROW EXECUTE FUNCTION fail_applied();`)
	data := book(t, [][]any{{"ID", "Email", "First name"}, {ada, nil, "Augusta"}, {nil, "new@example.org", "Nina"}})
	rep, err := b.service.Import(t.Context(), domain.ImportRequest{Caller: b.caller, FileName: "x.xlsx", Data: data})
	if err == nil || rep == nil {
		t.Fatalf("Import = %v, %v; want the report and the failure", rep, err)
	}
	full, err := b.reports.Report(t.Context(), b.caller.CommunityID, rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	o := outcomes(full)
	if full.Counts != (domain.ImportCounts{Created: 1, Updated: 1}) || o[2].Version != b.contact(t, ada).Version || o[3].Version != 1 {
		t.Fatalf("report %+v, rows %+v", full.Counts, full.Rows)
	}
	reverted, err := b.service.RevertImport(t.Context(), b.caller, rep.ID)
	if err != nil || reverted.Revert.Reverted != 1 || reverted.Revert.Archived != 1 {
		t.Fatalf("revert: %+v, %v", reverted, err)
	}
	if got := b.contact(t, ada).FirstName(); got != "Ada" {
		t.Errorf("after the revert: %q", got)
	}
}

// TestImportDiscardedWhileRunning: another process discards the import as
// abandoned while it runs; the import fails rather than answer with a
// report no one can read, and leaves no rows behind.
func TestImportDiscardedWhileRunning(t *testing.T) {
	t.Parallel()
	b, _ := withAda(t, `
		CREATE FUNCTION discard_now() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
		  DELETE FROM imports WHERE id = NEW.import_id AND NOT finished;
		  RETURN NULL;
		END $$;
		CREATE TRIGGER discard_now AFTER INSERT ON import_rows FOR EACH ROW EXECUTE FUNCTION discard_now();`)
	pool := b.pool
	data := book(t, [][]any{{"Email", "First name"}, {"ada@example.org", "Augusta"}, {"new@example.org", "Nina"}})
	rep, err := b.service.Import(t.Context(), domain.ImportRequest{Caller: b.caller, FileName: "x.xlsx", Data: data, DryRun: true})
	if err == nil {
		t.Fatalf("Import succeeded (%+v) though its summary was discarded", rep.Counts)
	}
	var orphans int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM import_rows`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("%d rows left (%v)", orphans, err)
	}
}

// TestErasureDuringImport: a contact's erasure reaches the import's rows
// after its row was staged, before it is applied (a trigger runs
// EraseContact's statement then); the report still agrees with the store,
// and keeps none of the erased values.
func TestErasureDuringImport(t *testing.T) {
	t.Parallel()
	b, ada := withAda(t, `
		CREATE FUNCTION erase_now() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
		  UPDATE import_rows SET changes = NULL, errors = NULL, erased = true WHERE contact_id = NEW.contact_id;
		  RETURN NULL;
		END $$;
		CREATE TRIGGER erase_now AFTER INSERT ON import_rows FOR EACH ROW WHEN (NEW.contact_id IS NOT NULL) EXECUTE FUNCTION erase_now();`)
	rep := b.importFile(t, book(t, [][]any{{"ID", "First name"}, {ada, "Augusta"}}), false)
	o := outcomes(rep)[2]
	c := b.contact(t, ada)
	applied := c.FirstName() == "Augusta"
	if applied != (o.Outcome == domain.RowUpdated) || (applied && o.Version != c.Version) || !o.Erased || len(o.Changes) != 0 {
		t.Errorf("row %+v, but the contact is %q at version %d", o, c.FirstName(), c.Version)
	}
}

// TestRejectedRowsCarryNoVersion: rows rejected by the checks across rows
// report no version (it is the version after the import's change), and a
// row's errors come in column order: contact ID, email, external ID.
func TestRejectedRowsCarryNoVersion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	b.settle(t)
	data := book(t, [][]any{
		{"ID", "Email", "First name"},
		{ada, "twin@example.org", "Augusta"},
		{ada, "twin@example.org", "Augustine"},
	})
	for _, dry := range []bool{true, false} {
		rep := b.importFile(t, data, dry)
		for _, o := range rep.Rows {
			if o.Outcome != domain.RowRejected || o.Version != 0 || len(o.Errors) != 2 ||
				o.Errors[0].Field != "id" || o.Errors[1].Field != domain.KeyEmail {
				t.Errorf("dry run %v: row %+v", dry, o)
			}
		}
	}
}

// TestDeletionLandsAfterRowStaged: the contacts read model shows a
// contact deleted after its row was staged (too late for the erasure
// projector's pass over the reports); the import erases that row as it
// ends, dry run or not.
func TestDeletionLandsAfterRowStaged(t *testing.T) {
	t.Parallel()
	for _, dry := range []bool{true, false} {
		b, ada := withAda(t, `
			CREATE FUNCTION delete_now() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
			  UPDATE contacts SET status = 'deleted' WHERE id = NEW.contact_id;
			  RETURN NULL;
			END $$;
			CREATE TRIGGER delete_now AFTER INSERT ON import_rows FOR EACH ROW WHEN (NEW.contact_id IS NOT NULL) EXECUTE FUNCTION delete_now();`)
		rep := b.importFile(t, book(t, [][]any{{"ID", "First name"}, {ada, "Augusta"}}), dry)
		if o := outcomes(rep)[2]; !o.Erased || len(o.Changes) != 0 || len(o.Errors) != 0 {
			t.Errorf("dry run %v: row %+v", dry, o)
		}
	}
}
