package spreadsheet_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
	"github.com/assoc/contacts/xlsx"
)

// TestExportEditImport exports a community, edits a few cells with
// excelize as an admin would in Excel, and imports the file back: exactly
// the edits are applied, each event carries the import's ID, and importing
// the same file again changes nothing.
func TestExportEditImport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace", "birthday": "1985-12-10", "score": "12.5", "level": "Or"})
	bob := b.register(t, map[string]string{"email": "bob@example.org", "first_name": "Bob", "last_name": "Martin", "external_id": "M-1"})
	cleo := b.register(t, map[string]string{"first_name": "Cléo", "last_name": "Zola", "score": "3"})
	archived := b.register(t, map[string]string{"first_name": "Arch", "last_name": "Ived"})
	res, err := b.handler.ArchiveContact(t.Context(), b.caller, archived)
	if err != nil {
		t.Fatal(err)
	}
	b.last = res.Position

	data := b.export(t, domain.ExportQuery{})
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"Contact ID", "Email", "First name", "Last name", "External ID", "Date de naissance", "Score", "Niveau"}
	if !reflect.DeepEqual(rows[0], wantHeader) {
		t.Fatalf("header = %q, want %q", rows[0], wantHeader)
	}
	if len(rows) != 4 { // header + 3 active contacts, sorted by last name
		t.Fatalf("%d rows, want 4: %q", len(rows), rows)
	}
	if rows[1][0] != ada || rows[2][0] != bob || rows[3][0] != cleo {
		t.Fatalf("rows = %q", rows)
	}
	// Typed cells: the birthday is a date, the score a number.
	if typ, _ := f.GetCellType(sheet, "F2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("F2 type = %v, want a number (a date serial)", typ)
	}
	raw, _ := f.GetCellValue(sheet, "F2", excelize.Options{RawCellValue: true})
	if serial, _ := excelize.ExcelDateToTime(mustFloat(t, raw), false); !serial.Equal(time.Date(1985, 12, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("F2 raw %q is %v, want the date 1985-12-10", raw, serial)
	}
	if raw, _ := f.GetCellValue(sheet, "G2", excelize.Options{RawCellValue: true}); raw != "12.5" {
		t.Errorf("G2 = %q, want 12.5", raw)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v: want the header frozen", panes, err)
	}
	if w, _ := f.GetColWidth(sheet, "B"); w < 20 {
		t.Errorf("email column width %v: want it sized", w)
	}

	// The admin's edits.
	f.SetCellValue(sheet, "C2", "Augusta Ada")                                // Ada: first name
	f.SetCellValue(sheet, "F3", time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)) // Bob: a birthday, as a date cell
	f.SetCellValue(sheet, "G4", spreadsheet.ClearMarker)                      // Cléo: score cleared
	f.SetCellValue(sheet, "D4", "")                                           // an emptied cell changes nothing
	var edited bytes.Buffer
	if err := f.Write(&edited); err != nil {
		t.Fatal(err)
	}
	b.settle(t)
	before := map[string]int64{ada: b.contact(t, ada).Version, bob: b.contact(t, bob).Version, cleo: b.contact(t, cleo).Version}

	rep := b.importFile(t, edited.Bytes(), false)
	if rep.Counts != (domain.ImportCounts{Updated: 3}) || len(rep.UnknownColumns) != 0 || rep.DryRun {
		t.Fatalf("report %+v", rep)
	}
	byRow := outcomes(rep)
	want := map[int][]domain.FieldChange{
		2: {{Field: "first_name", Old: "Ada", New: "Augusta Ada"}},
		3: {{Field: "birthday", Old: "", New: "1990-05-17"}},
		4: {{Field: "score", Old: "3", New: ""}},
	}
	for row, changes := range want {
		if o := byRow[row]; o.Outcome != domain.RowUpdated || !reflect.DeepEqual(o.Changes, changes) {
			t.Errorf("row %d: %+v, want updated %+v", row, o, changes)
		}
	}
	if b.value(t, ada, "first_name") != "Augusta Ada" || b.value(t, bob, "birthday") != "1990-05-17" ||
		b.value(t, cleo, "score") != "" || b.value(t, cleo, "last_name") != "Zola" || b.value(t, ada, "score") != "12.5" {
		t.Errorf("values after import: %v %v %v", b.contact(t, ada).Values, b.contact(t, bob).Values, b.contact(t, cleo).Values)
	}
	// One event per contact, each carrying the import's ID.
	for id, v := range before {
		events, err := b.store.ReadStream(t.Context(), domain.ContactStream(id), domain.Forwards, v+1, 10)
		if err != nil || len(events) != 1 {
			t.Fatalf("contact %s: %d new events (%v), want 1", id, len(events), err)
		}
		_, meta, _ := domain.Decode(events[0])
		if meta.CorrelationID != rep.ID || !strings.HasPrefix(meta.CausationID, "import:"+rep.ID) {
			t.Errorf("event metadata %+v: want correlation %s", meta, rep.ID)
		}
	}

	// Again: unchanged, whether the rows are settled from the read model
	// once it has caught up (the fast path) or each loaded from the log.
	again := b.importFile(t, edited.Bytes(), false)
	if again.Counts != (domain.ImportCounts{Unchanged: 3}) || again.ID == rep.ID {
		t.Errorf("second import: %+v, want 3 unchanged", again.Counts)
	}
	caughtUp := b.service.CaughtUp
	b.service.CaughtUp = nil
	if slow := b.importFile(t, edited.Bytes(), false); slow.Counts != (domain.ImportCounts{Unchanged: 3}) {
		t.Errorf("second import, every row loaded: %+v, want 3 unchanged", slow.Counts)
	}
	b.service.CaughtUp = caughtUp
	stored, err := b.reports.Report(t.Context(), b.caller.CommunityID, rep.ID)
	if err != nil || stored.Counts != rep.Counts || len(stored.Rows) != 3 {
		t.Errorf("stored report %+v, %v", stored, err)
	}
	if _, err := b.reports.Report(t.Context(), domain.NewID(), rep.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another community's report: %v, want not found", err)
	}

	// The archived export holds only the archived contact.
	arch, err := excelize.OpenReader(bytes.NewReader(b.export(t, domain.ExportQuery{Archived: true})))
	if err != nil {
		t.Fatal(err)
	}
	if rows, _ := arch.GetRows(arch.GetSheetList()[0]); len(rows) != 2 || rows[1][0] != archived {
		t.Errorf("archived export: %q", rows)
	}
	// A search exports its matches only (accent-blind).
	found, _ := excelize.OpenReader(bytes.NewReader(b.export(t, domain.ExportQuery{Search: "cleo"})))
	if rows, _ := found.GetRows(found.GetSheetList()[0]); len(rows) != 2 || rows[1][0] != cleo {
		t.Errorf("search export: %q", rows)
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	var f float64
	if _, err := fmtSscan(s, &f); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return f
}

// TestExportNeutralisesFormulas: text a spreadsheet would run as a
// formula once saved as CSV is exported with a leading apostrophe, header
// included, and the export imports back unchanged.
func TestExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, _, err := b.handler.DefineField(t.Context(), b.caller, domain.Field{Key: "note", Label: "=Note", Type: domain.FieldText}); err != nil {
		t.Fatal(err)
	}
	id := b.register(t, map[string]string{"email": "eve@example.org", "first_name": "'=already", "last_name": `=HYPERLINK("http://evil","x")`,
		"external_id": "@ext", "note": "-5 + 2", "score": "-3"})
	data := b.export(t, domain.ExportQuery{})
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Contact ID", "Email", "First name", "Last name", "External ID", "Date de naissance", "Score", "Niveau", "'=Note"},
		{id, "eve@example.org", "''=already", `'=HYPERLINK("http://evil","x")`, "'@ext", "", "-3", "", "'-5 + 2"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("exported %q, want %q", rows, want)
	}
	rep := b.importFile(t, data, true)
	if rep.Counts != (domain.ImportCounts{Unchanged: 1}) || len(rep.UnknownColumns) != 0 {
		t.Errorf("re-import: %+v, unknown columns %q, rows %+v", rep.Counts, rep.UnknownColumns, rep.Rows)
	}
}

// A template is an export's header row and no contact; filled in, it
// imports as new contacts.
func TestTemplateImportsNewContacts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	b.settle(t)
	var buf bytes.Buffer
	if err := b.service.Template(t.Context(), &buf, b.caller.CommunityID); err != nil {
		t.Fatal(err)
	}
	sheet, err := xlsx.ReadWorkbook(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet.Rows) != 0 || len(sheet.Header) != 8 || sheet.Header[0] != "Contact ID" || sheet.Header[5] != "Date de naissance" {
		t.Fatalf("template: header %q, %d rows", sheet.Header, len(sheet.Rows))
	}
	rep := b.importFile(t, book(t, [][]any{{sheet.Header[1], sheet.Header[2]}, {"bob@example.org", "Bob"}}), true)
	if rep.Counts != (domain.ImportCounts{Created: 1}) {
		t.Errorf("import of the filled-in template: %+v", rep.Counts)
	}
}
