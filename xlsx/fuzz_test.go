package xlsx_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/assoc/contacts/xlsx"
)

// FuzzReadWorkbookLimits streams damaged workbooks, seeded with testdata
// (the bombs too): the reader never panics, and either refuses the file
// with an *xlsx.Error or hands over rows within its limits, in order.
// FuzzReadWorkbook holds what it reads to excelize's reading; this holds
// what it hands over to the limits an import relies on.
func FuzzReadWorkbookLimits(f *testing.F) {
	seedWithTestdata(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		last, cells := 1, 0
		err := xlsx.StreamWorkbook(context.Background(), data, func(name string, header []string) error {
			if len(header) > xlsx.MaxColumns {
				t.Errorf("header of %d cells, over %d", len(header), xlsx.MaxColumns)
			}
			return nil
		}, func(r xlsx.Row, formulas []string) error {
			if r.Number <= last || r.Number > xlsx.MaxRows {
				t.Errorf("row %d after row %d (at most %d)", r.Number, last, xlsx.MaxRows)
			}
			last, cells = r.Number, cells+len(r.Cells)
			if len(r.Cells) > xlsx.MaxColumns || cells > xlsx.MaxCells {
				t.Errorf("row %d: %d cells (%d so far), over %d (%d)", r.Number, len(r.Cells), cells, xlsx.MaxColumns, xlsx.MaxCells)
			}
			chars := 0
			for _, c := range r.Cells {
				n := utf8.RuneCountInString(c)
				if n > xlsx.MaxCellChars {
					t.Errorf("row %d: a cell of %d characters, over %d", r.Number, n, xlsx.MaxCellChars)
				}
				chars += n
			}
			if chars > xlsx.MaxRowChars {
				t.Errorf("row %d: %d characters, over %d", r.Number, chars, xlsx.MaxRowChars)
			}
			return nil
		})
		var refused *xlsx.Error
		if err != nil && !errorAs(err, &refused) {
			t.Fatalf("err = %v (%T), want an *xlsx.Error", err, err)
		}
	})
}

// seedWithTestdata seeds f with every workbook of testdata.
func seedWithTestdata(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".xlsx") {
			f.Add(readFixture(f, e.Name()))
		}
	}
}
