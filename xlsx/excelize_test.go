package xlsx_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assoc/contacts/xlsx"
)

// TestReaderReadsAsExcelize: every workbook of testdata that both readers
// read, they read the same (book, rezip and the export check the files
// the other tests make).
func TestReaderReadsAsExcelize(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	both := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".xlsx") {
			continue
		}
		data := readFixture(t, e.Name())
		if _, err := xlsx.ReadWorkbook(data); err != nil {
			continue // refused: excelize is not asked (it would read the bombs)
		}
		if sameAsExcelize(t, data) {
			both++
		} else {
			t.Logf("%s: excelize cannot read it", filepath.Base(e.Name()))
		}
	}
	if both < 3 {
		t.Errorf("only %d files read by both", both)
	}
}
