package xlsx_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/assoc/contacts/xlsx"
)

func TestReadWorkbookRefusesBadFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, reason string
	}{
		{"not-xlsx.xlsx", "is a CSV or text file, not an .xlsx workbook: open it in a spreadsheet and save it as .xlsx"},
		{"empty-sheet.xlsx", "is empty: row 1 must hold the column headers"},
		{"merged.xlsx", "merged cells (B2:C2)"},
		{"no-sheet.xlsx", "has no sheet"},
		{"too-many-rows.xlsx", "more than 1048576 rows"},
		{"zip-bomb.xlsx", "xl/worksheets/sheet1.xml unpacks to 300 MB, over the 256 MB limit"},
		{"password.xlsx", "password-protected"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := xlsx.ReadWorkbook(readFixture(t, tc.file))
			var e *xlsx.Error
			if !errorAs(err, &e) || !strings.Contains(e.Reason, tc.reason) {
				t.Fatalf("err = %v, want an EINVALID error on file saying %q", err, tc.reason)
			}
		})
	}
	if _, err := xlsx.ReadWorkbook(nil); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("no bytes: err = %v", err)
	}
}

func TestReadWorkbookFindsFormulas(t *testing.T) {
	t.Parallel()
	sheet, err := xlsx.ReadWorkbook(readFixture(t, "formula.xlsx"))
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
	sheet, err := xlsx.ReadWorkbook(data)
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

// Reading allocates (garbage included) at most a fixed amount, plus a
// share of the file (archive/zip's index of its entries), plus a share of
// what it unpacked: encoding/xml makes a few objects per tag, ~8 bytes
// per byte of a sheet of inline strings. excelize allocated 275 MB for a
// 40 KB file; the bound for that file is 5 MB + 32 × what was read.
const (
	fuzzAllocFixed    = 4 << 20
	fuzzAllocPerByte  = 8
	fuzzAllocUnpacked = 32
)

// FuzzReadWorkbook feeds damaged workbooks to the reader, seeded with
// testdata (the bombs too). The reader may refuse them, never panic, and a
// refusal is always an *xlsx.Error; it never allocates more
// than the bound above; and what both it and excelize read, they read the
// same (but for the differences xlsxtest.KnownDifference documents).
func FuzzReadWorkbook(f *testing.F) {
	seedWithTestdata(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		unpacked, err := xlsx.ReadUnpacking(data)
		runtime.ReadMemStats(&after)
		var e *xlsx.Error
		if err != nil && !errorAs(err, &e) {
			t.Fatalf("err = %v, want an error naming file", err)
		}
		alloc, bound := after.TotalAlloc-before.TotalAlloc, uint64(fuzzAllocFixed+fuzzAllocPerByte*len(data))+fuzzAllocUnpacked*uint64(unpacked)
		if alloc > bound {
			t.Fatalf("reading %d bytes (%d unpacked) allocated %d, over %d", len(data), unpacked, alloc, bound)
		}
		if err == nil {
			sameAsExcelize(t, data)
		}
	})
}
