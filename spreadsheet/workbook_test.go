package spreadsheet_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestReadWorkbookRefusesBadFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, reason string
	}{
		{"not-xlsx.xlsx", "not a zip archive"},
		{"empty-sheet.xlsx", "is empty: row 1 must hold the column headers"},
		{"merged.xlsx", "merged cells (B2:C2)"},
		{"no-sheet.xlsx", "has no sheet"},
		{"too-many-rows.xlsx", "more than 1048576 rows"},
		{"zip-bomb.xlsx", "unpacks to 300 MB, over the 256 MB limit"},
		{"password.xlsx", "password-protected"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := spreadsheet.ReadWorkbook(readFixture(t, tc.file))
			var e *domain.Error
			if !errorAs(err, &e) || e.Code != domain.EINVALID || e.Field != "file" || !strings.Contains(e.Message, tc.reason) {
				t.Fatalf("err = %v, want an EINVALID error on file saying %q", err, tc.reason)
			}
		})
	}
	if _, err := spreadsheet.ReadWorkbook(nil); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("no bytes: err = %v", err)
	}
}

func TestReadWorkbookFindsFormulas(t *testing.T) {
	t.Parallel()
	sheet, err := spreadsheet.ReadWorkbook(readFixture(t, "formula.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sheet.Formulas; len(got) != 1 || len(got[3]) != 1 || got[3][0] != "C3" {
		t.Errorf("formulas = %v, want C3 in row 3", got)
	}
	if len(sheet.Rows) != 2 || sheet.Rows[1].Number != 3 {
		t.Errorf("rows = %+v", sheet.Rows)
	}
}

func TestReadWorkbookSkipsBlankRows(t *testing.T) {
	t.Parallel()
	data := book(t, [][]any{header, {"a@example.org"}, {nil, " "}, {}, {"b@example.org", "B"}})
	sheet, err := spreadsheet.ReadWorkbook(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet.Rows) != 2 || sheet.Rows[0].Number != 2 || sheet.Rows[1].Number != 5 || sheet.Rows[1].Cells[1] != "B" {
		t.Errorf("rows = %+v, want rows 2 and 5", sheet.Rows)
	}
	if strings.Join(sheet.Header, "|") != "Email|First name|Last name" {
		t.Errorf("header = %q", sheet.Header)
	}
}

// FuzzReadWorkbook feeds damaged workbooks to the reader: it may refuse
// them, never panic, and a refusal is always an EINVALID error on file.
func FuzzReadWorkbook(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".xlsx") && e.Name() != "zip-bomb.xlsx" {
			f.Add(readFixture(f, e.Name()))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := spreadsheet.ReadWorkbook(data)
		var e *domain.Error
		if err != nil && (!errorAs(err, &e) || e.Field != "file") {
			t.Fatalf("err = %v, want an error naming file", err)
		}
	})
}
