package spreadsheet_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

// wantRejected checks that a row was rejected with a reason containing
// reason, naming cell ("" when the rule is about the whole row).
func wantRejected(t *testing.T, o domain.ImportRow, cell, reason string) {
	t.Helper()
	if o.Outcome != domain.RowRejected {
		t.Errorf("row %d: %+v, want rejected (%s)", o.Row, o, reason)
		return
	}
	for _, e := range o.Errors {
		if strings.Contains(e.Reason, reason) && e.Cell == cell {
			return
		}
	}
	t.Errorf("row %d: errors %+v, want %q at %q", o.Row, o.Errors, reason, cell)
}

func TestImportRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	bob := b.register(t, map[string]string{"email": "bob@example.org", "first_name": "Bob", "external_id": "B-1"})
	dan := b.register(t, map[string]string{"email": "dan@example.org", "first_name": "Dan", "external_id": "D-1"})
	eve := b.register(t, map[string]string{"email": "eve@example.org", "first_name": "Eve"})
	if _, err := b.handler.ArchiveContact(t.Context(), b.caller, eve); err != nil {
		t.Fatal(err)
	}
	// Headers by label or key, in any case, with or without accents.
	data := book(t, [][]any{
		{"ID", "EMAIL", "first_name", "external id", "date de NAISSANCE", "Score", "niveau", "Couleur"},
		{dan, nil, "Daniel", nil, nil, nil, nil, nil},                            // 2: Dan (row 14 too)
		{nil, nil, "Robert", "B-1", nil, nil, nil, nil},                          // 3: matched by external ID
		{nil, "new@example.org", "Nina", "N-1", "1899-03-04", nil, nil, nil},     // 4: new: created
		{ada, "bob@example.org", nil, nil, nil, nil, nil, nil},                   // 5: ambiguous
		{nil, "eve@example.org", "Eva", nil, nil, nil, nil, nil},                 // 6: archived
		{nil, "twin@example.org", "Twin", nil, nil, nil, nil, nil},               // 7: same email as 8
		{nil, "TWIN@example.org", "Twin", nil, nil, nil, nil, nil},               // 8
		{nil, "bad@example.org", "Bad", nil, "yesterday", "lots", "Argent", nil}, // 9: bad cells
		{domain.NewID(), nil, "Ghost", nil, nil, nil, nil, nil},                  // 10: unknown ID
		{nil, nil, nil, "X-9", nil, "4", nil, nil},                               // 11: new without a name
		{nil, "not-an-email", "Zed", nil, nil, nil, nil, nil},                    // 12: bad email
		{bob, nil, spreadsheet.ClearMarker, nil, nil, nil, nil, nil},             // 13: Bob again (row 3)
		{nil, nil, nil, "D-1", nil, "-0", nil, nil},                              // 14: Dan again, by external ID
		{nil, "cy@example.org", "Cy", nil, "1815-12-10", nil, nil, nil},          // 15: a date before 1900, as text
		{nil, "ADA@example.org", "Ada", nil, 33000, "1,5", "or", "bleu"},         // 16: matched by email (any case): update
		{nil, nil, "Nobody", nil, nil, nil, nil, nil},                            // 17: no key: could never be matched again
	})
	rep := b.importFile(t, data, false)
	if strings.Join(rep.UnknownColumns, ",") != "Couleur" {
		t.Errorf("unknown columns %q, want Couleur", rep.UnknownColumns)
	}
	o := outcomes(rep)
	if o[16].Outcome != domain.RowUpdated || o[16].ContactID != ada || b.value(t, ada, "birthday") != "1990-05-07" || b.value(t, ada, "email") != "ADA@example.org" ||
		b.value(t, ada, "score") != "1.5" || b.value(t, ada, "level") != "Or" {
		t.Errorf("row 16: %+v; ada %v", o[16], b.contact(t, ada).Values)
	}
	wantRejected(t, o[3], "", "also matched by row 13")
	wantRejected(t, o[13], "", "also matched by row 3")
	wantRejected(t, o[14], "", "also matched by row 2")
	wantRejected(t, o[2], "", "also matched by row 14")
	if o[4].Outcome != domain.RowCreated || b.value(t, o[4].ContactID, "birthday") != "1899-03-04" || b.value(t, o[4].ContactID, "external_id") != "N-1" {
		t.Errorf("row 4: %+v", o[4])
	}
	wantRejected(t, o[5], "", "ambiguous")
	wantRejected(t, o[6], "", "archived: restore it first")
	wantRejected(t, o[7], "B7", "also in row 8")
	wantRejected(t, o[8], "B8", "also in row 7")
	wantRejected(t, o[9], "E9", "not a date")
	wantRejected(t, o[9], "F9", "not a number")
	wantRejected(t, o[9], "G9", "not one of the choices")
	wantRejected(t, o[10], "", "no contact has the ID")
	wantRejected(t, o[11], "", "needs a first name, a last name or an email")
	wantRejected(t, o[12], "B12", "not an email address")
	if o[15].Outcome != domain.RowCreated || b.value(t, o[15].ContactID, "birthday") != "1815-12-10" {
		t.Errorf("row 15: %+v", o[15])
	}
	wantRejected(t, o[17], "", "cannot be matched")
	if b.value(t, bob, "first_name") != "Bob" {
		t.Errorf("bob changed: %v", b.contact(t, bob).Values)
	}
	if rep.Counts != (domain.ImportCounts{Created: 2, Updated: 1, Rejected: 13}) {
		t.Errorf("counts %+v", rep.Counts)
	}
	if c := b.contact(t, eve); c.Status != domain.StatusArchived || c.FirstName() != "Eve" {
		t.Errorf("archived contact changed: %+v", c)
	}
}

func TestImportRefusesFileWithoutIdentifyingColumn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, data := range map[string][]byte{
		"no key column":             book(t, [][]any{{"First name", "Last name"}, {"Ada", "Lovelace"}}),
		"empty sheet":               readFixture(t, "empty-sheet.xlsx"),
		"merged":                    readFixture(t, "merged.xlsx"),
		"two columns for one field": book(t, [][]any{{"Email", "email"}, {"a@example.org", "b@example.org"}}),
	} {
		_, err := b.service.Import(t.Context(), domain.ImportRequest{Caller: b.caller, Data: data})
		var e *domain.Error
		if !errorAs(err, &e) || e.Code != domain.EINVALID || e.Field != "file" {
			t.Errorf("%s: err = %v, want EINVALID on file", name, err)
		}
	}
	// Nothing was registered.
	events, _ := b.store.ReadAll(t.Context(), domain.Start, 1000)
	for _, e := range events {
		if strings.HasPrefix(e.Stream, "contact-") {
			t.Fatalf("a refused file appended %s", e.Type)
		}
	}
}

func TestImportFormulaRowsAreRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rep := b.importFile(t, readFixture(t, "formula.xlsx"), false)
	o := outcomes(rep)
	if o[2].Outcome != domain.RowCreated {
		t.Errorf("row 2: %+v", o[2])
	}
	wantRejected(t, o[3], "C3", "formula")
}

func TestDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	data := book(t, [][]any{header, {"ada@example.org", "Augusta"}, {"new@example.org", "New"}, {"x", "Bad"}})
	b.settle(t) // the log's reader sees every event written so far
	before, _ := b.store.ReadAll(t.Context(), domain.Start, 10000)
	dry := b.importFile(t, data, true)
	after, _ := b.store.ReadAll(t.Context(), domain.Start, 10000)
	if len(after) != len(before) {
		t.Fatalf("a dry run appended %d events", len(after)-len(before))
	}
	if c := b.contact(t, ada); c.Version != 1 || c.FirstName() != "Ada" {
		t.Fatalf("a dry run changed Ada: %+v", c)
	}
	if !dry.DryRun || dry.Counts != (domain.ImportCounts{Created: 1, Updated: 1, Rejected: 1}) {
		t.Fatalf("dry run report %+v", dry)
	}
	if c := outcomes(dry)[2].Changes; len(c) != 1 || c[0] != (domain.FieldChange{Field: "first_name", Old: "Ada", New: "Augusta"}) {
		t.Errorf("dry run changes %+v", c)
	}
	if stored, err := b.reports.Report(t.Context(), b.caller.CommunityID, dry.ID); err != nil || !stored.DryRun {
		t.Errorf("stored dry run: %+v, %v", stored, err)
	}
	real := b.importFile(t, data, false)
	if real.Counts != dry.Counts || b.value(t, ada, "first_name") != "Augusta" {
		t.Errorf("the real import differs from its dry run: %+v vs %+v", real.Counts, dry.Counts)
	}
	if _, err := b.service.RevertImport(t.Context(), b.caller, dry.ID); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("revert of a dry run: %v, want conflict", err)
	}
}

func TestRevert(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada", "score": "1"})
	bob := b.register(t, map[string]string{"email": "bob@example.org", "first_name": "Bob"})
	data := book(t, [][]any{{"Email", "First name", "Score"},
		{"ada@example.org", "Augusta", spreadsheet.ClearMarker},
		{"bob@example.org", "Robert"},
		{"new@example.org", "Nina"},
	})
	rep := b.importFile(t, data, false)
	if rep.Counts != (domain.ImportCounts{Created: 1, Updated: 2}) {
		t.Fatalf("import %+v", rep.Counts)
	}
	nina := outcomes(rep)[4].ContactID
	// Bob changes after the import: his revert is skipped.
	if _, err := b.handler.UpdateContact(t.Context(), b.caller, bob, map[string]string{"first_name": "Bobby"}, 0); err != nil {
		t.Fatal(err)
	}
	caller := b.caller
	caller.Actor = "reverter"
	reverted, err := b.service.RevertImport(t.Context(), caller, rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := reverted.Revert
	if r.Reverted != 1 || r.Archived != 1 || r.Skipped != 1 {
		t.Fatalf("revert %+v", r)
	}
	if b.value(t, ada, "first_name") != "Ada" || b.value(t, ada, "score") != "1" {
		t.Errorf("ada after revert: %v", b.contact(t, ada).Values)
	}
	if b.value(t, bob, "first_name") != "Bobby" {
		t.Errorf("bob was overwritten: %v", b.contact(t, bob).Values)
	}
	if c := b.contact(t, nina); c.Status != domain.StatusArchived {
		t.Errorf("created contact after revert: %s, want archived", c.Status)
	}
	last, _ := b.store.ReadStream(t.Context(), domain.ContactStream(ada), domain.Backwards, 0, 1)
	if _, meta, _ := domain.Decode(last[0]); meta.CorrelationID != rep.ID || meta.CausationID != "revert:"+r.ID {
		t.Errorf("revert event metadata %+v", meta)
	}
	if _, err := b.service.RevertImport(t.Context(), caller, rep.ID); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("second revert: %v, want conflict", err)
	}
	stored, _ := b.reports.Report(t.Context(), b.caller.CommunityID, rep.ID)
	if stored.Revert == nil || stored.Revert.ID != r.ID {
		t.Errorf("stored revert %+v", stored.Revert)
	}
}

var _ = excelize.TotalRows

// TestImportLibreOfficeFile imports a workbook saved by LibreOffice Calc
// (shared strings, its own styles, a date cell): testdata/libreoffice.xlsx,
// made by `soffice --headless --convert-to xlsx` from an excelize file.
func TestImportLibreOfficeFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rep := b.importFile(t, readFixture(t, "libreoffice.xlsx"), false)
	if rep.Counts != (domain.ImportCounts{Created: 2}) {
		t.Fatalf("report %+v", rep)
	}
	o := outcomes(rep)
	lea, zoe := o[2].ContactID, o[3].ContactID
	if b.value(t, lea, "first_name") != "Léa" || b.value(t, lea, "last_name") != "Noël" || b.value(t, lea, "birthday") != "1990-05-17" ||
		b.value(t, lea, "score") != "12.5" || b.value(t, lea, "level") != "Or" {
		t.Errorf("Léa: %v", b.contact(t, lea).Values)
	}
	if b.value(t, zoe, "last_name") != "Éluard" || b.value(t, zoe, "score") != "3" || b.value(t, zoe, "birthday") != "" {
		t.Errorf("Zoé: %v", b.contact(t, zoe).Values)
	}
	if again := b.importFile(t, readFixture(t, "libreoffice.xlsx"), false); again.Counts != (domain.ImportCounts{Unchanged: 2}) {
		t.Errorf("again: %+v", again.Counts)
	}
}

// TestRejectedRowsNameOnlyContactsTheyMatched: rows rejected as
// duplicates of each other carry no contact ID when they matched none
// (not the ID a registration would have used), and the contact when they
// matched one.
func TestRejectedRowsNameOnlyContactsTheyMatched(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	b.settle(t)
	data := book(t, [][]any{
		{"ID", "Email", "First name"},
		{nil, "twin@example.org", "Twin"},
		{nil, "TWIN@example.org", "Twin"},
		{ada, nil, "Augusta"},
		{nil, "ada@example.org", "Augustine"},
	})
	for _, dry := range []bool{true, false} {
		o := outcomes(b.importFile(t, data, dry))
		for n, want := range map[int]string{2: "", 3: "", 4: ada, 5: ada} {
			if o[n].Outcome != domain.RowRejected || o[n].ContactID != want {
				t.Errorf("dry run %v, row %d: %+v, want rejected with contact %q", dry, n, o[n], want)
			}
		}
	}
	if l, err := b.service.Queries.ListContacts(t.Context(), domain.ListQuery{CommunityID: b.caller.CommunityID, Status: domain.StatusActive, Limit: 10}); err != nil || len(l.Items) != 1 {
		t.Errorf("contacts: %+v, %v", l, err)
	}
}

// TestImportFrenchFile: French headers name the built-in fields, and
// French numbers and dates written as text read as what they mean.
func TestImportFrenchFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, _, err := b.handler.DefineField(t.Context(), b.caller, domain.Field{Key: "nom", Label: "Nom", Type: domain.FieldText}); err != nil {
		t.Fatal(err)
	}
	data := book(t, [][]any{
		{"Identifiant", "Prénom", "Nom de famille", "Adresse e-mail", "Nom", "Score", "Date de naissance"},
		{"X-1", "Hélène", "Dupré", "helene@example.org", "Les Amis du Vélo", "1 000,5", "14/07/1975"},
		{"X-2", "Léa", "Martin", "lea@example.org", nil, "12\u202f345", "14.07.1975"},
		{"X-3", "Zoé", "Petit", "zoe@example.org", nil, "1 0", "31/02/1975"},
	})
	rep := b.importFile(t, data, false)
	if len(rep.UnknownColumns) != 0 || rep.Columns["Identifiant"] != "external_id" || rep.Columns["Prénom"] != "first_name" ||
		rep.Columns["Nom de famille"] != "last_name" || rep.Columns["Adresse e-mail"] != "email" || rep.Columns["Nom"] != "nom" {
		t.Fatalf("columns %v, unknown %q", rep.Columns, rep.UnknownColumns)
	}
	o := outcomes(rep)
	h := o[2].ContactID
	if o[2].Outcome != domain.RowCreated || b.value(t, h, "score") != "1000.5" || b.value(t, h, "birthday") != "1975-07-14" ||
		b.value(t, h, "nom") != "Les Amis du Vélo" || b.value(t, h, "last_name") != "Dupré" || b.value(t, h, "external_id") != "X-1" {
		t.Errorf("row 2: %+v, %v", o[2], b.contact(t, h).Values)
	}
	if l := o[3].ContactID; o[3].Outcome != domain.RowCreated || b.value(t, l, "score") != "12345" || b.value(t, l, "birthday") != "1975-07-14" {
		t.Errorf("row 3: %+v", o[3])
	}
	wantRejected(t, o[4], "F4", "not a number")
	wantRejected(t, o[4], "G4", "not a date")
}

// TestHeavyRowsFlow: rows that weigh more, together, than an import holds
// at once (2,000 rows of 8 values of 1,000 characters: 16 MB and more)
// still flow through: batches are sent on by weight, and every row is
// decided.
func TestHeavyRowsFlow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	head := []any{"Email"}
	for i := range 8 {
		key := "note" + string(rune('a'+i))
		if _, _, err := b.handler.DefineField(t.Context(), b.caller, domain.Field{Key: key, Label: key, Type: domain.FieldText}); err != nil {
			t.Fatal(err)
		}
		head = append(head, key)
	}
	long := strings.Repeat("é", 1000)
	rows := [][]any{head}
	for i := range 2000 {
		row := []any{"r" + strconv.Itoa(i) + "@example.org"}
		for range 8 {
			row = append(row, long)
		}
		rows = append(rows, row)
	}
	rep := b.importFile(t, book(t, rows), true)
	if rep.Counts != (domain.ImportCounts{Created: 2000}) {
		t.Errorf("counts %+v", rep.Counts)
	}
}

// TestImportRejectsTextNoOneMeant: a cell holding what no person types (a
// NUL written as the _x0000_ escape, an escape sequence, invalid text)
// rejects its row, naming the cell and the field, and the other rows go
// on: the domain's rules on text hold for imports too.
func TestImportRejectsTextNoOneMeant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data := book(t, [][]any{
		{"Email", "First name", "Last name"},
		{"nul@example.org", "NULCELL", "Doe"},
		{"esc@example.org", "Esc", "ESCCELL"},
		{"ok@example.org", "Okay", "Fine"},
	})
	shared := partOf(t, data, "xl/sharedStrings.xml")
	shared = strings.Replace(shared, "NULCELL", "a_x0000_b", 1)
	shared = strings.Replace(shared, "ESCCELL", "_x001B_[31mred", 1)
	rep := b.importFile(t, rezip(t, data, map[string]string{"xl/sharedStrings.xml": shared}), false)
	if c := rep.Counts; c.Created != 1 || c.Rejected != 2 {
		t.Fatalf("counts %+v: want the clean row created, the two others rejected", c)
	}
	for i, want := range []struct{ cell, field string }{{"B2", "first_name"}, {"C3", "last_name"}} {
		r := rep.Rows[i]
		if r.Outcome != domain.RowRejected || len(r.Errors) != 1 || r.Errors[0].Cell != want.cell || r.Errors[0].Field != want.field ||
			!strings.Contains(r.Errors[0].Reason, "control character") {
			t.Errorf("row %d: %+v, want rejected at %s (%s) for a control character", r.Row, r, want.cell, want.field)
		}
	}
}

// partOf returns a part of an archive as text.
