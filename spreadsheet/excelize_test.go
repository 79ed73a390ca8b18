package spreadsheet_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/spreadsheet"
)

// The reader must read every workbook as the import read it before, with
// excelize: excelizeSheet is that reading (excelize.OpenReader, then the
// row iterator with RawCellValue, blank rows skipped), kept here as the
// reference.

// excelizeSheet reads data as StreamWorkbook did up to issue 11.
func excelizeSheet(data []byte) (*spreadsheet.Sheet, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue: true, UnzipSizeLimit: spreadsheet.MaxPartBytes, UnzipXMLSizeLimit: 16 << 20,
	})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sheet := &spreadsheet.Sheet{Name: sheets[0]}
	n := 1
	for ; rows.Next(); n++ {
		cells, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		if n == 1 {
			if isBlank(cells) {
				break
			}
			sheet.Header = cells
			continue
		}
		if !isBlank(cells) {
			sheet.Rows = append(sheet.Rows, spreadsheet.Row{Number: n, Cells: cells})
		}
	}
	if err := rows.Error(); err != nil {
		return nil, err
	}
	if n == 1 {
		return nil, errors.New("empty")
	}
	return sheet, nil
}

func isBlank(cells []string) bool {
	return !slices.ContainsFunc(cells, func(c string) bool { return strings.TrimSpace(c) != "" })
}

// sameSheet says how a and b differ ("" when they do not): name, header,
// rows and their cells.
func sameSheet(a, b *spreadsheet.Sheet) string {
	if a.Name != b.Name {
		return fmt.Sprintf("sheet name %q, excelize %q", a.Name, b.Name)
	}
	if !slices.Equal(a.Header, b.Header) {
		return fmt.Sprintf("header %q, excelize %q", a.Header, b.Header)
	}
	for i := range max(len(a.Rows), len(b.Rows)) {
		if i >= len(a.Rows) || i >= len(b.Rows) {
			return fmt.Sprintf("%d rows, excelize %d", len(a.Rows), len(b.Rows))
		}
		if ra, rb := a.Rows[i], b.Rows[i]; ra.Number != rb.Number || !slices.Equal(ra.Cells, rb.Cells) {
			return fmt.Sprintf("row %d %q, excelize row %d %q", ra.Number, ra.Cells, rb.Number, rb.Cells)
		}
	}
	return ""
}

// sameAsExcelize checks that when both readers read data, they read the
// same. It returns whether both did.
func sameAsExcelize(t testing.TB, data []byte) bool {
	t.Helper()
	ours, err := spreadsheet.ReadWorkbook(data)
	if err != nil {
		return false
	}
	theirs, err := excelizeSheet(data)
	if err != nil {
		return false
	}
	if diff := sameSheet(ours, theirs); diff != "" {
		if why := knownDifference(data); why != "" {
			t.Logf("readers differ (%s), as documented: %s", diff, why)
			return true
		}
		t.Errorf("the reader and excelize differ: %s", diff)
	}
	return true
}

// surrogateEscape is an _xHHHH_ escape of half a UTF-16 pair.
var surrogateEscape = regexp.MustCompile(`_x[dD][89abAB][0-9a-fA-F]{2}_`)

// knownDifference says why the reader may read data differently from
// excelize, when it does so on purpose ("" otherwise):
//   - a pair of _xHHHH_ escapes of UTF-16 surrogates is the character
//     they encode (excelize drops both);
//   - the shared strings are where the workbook's relationships say
//     (excelize reads xl/sharedStrings.xml, whatever they say);
//   - the workbook is xl/workbook.xml (excelize follows _rels/.rels, which
//     may name another part).
func knownDifference(data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ""
	}
	read := func(name string) string {
		for _, f := range zr.File {
			if f.Name == name {
				if r, err := f.Open(); err == nil {
					raw, _ := io.ReadAll(io.LimitReader(r, spreadsheet.MaxPartBytes))
					r.Close()
					return string(raw)
				}
			}
		}
		return ""
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".xml") && surrogateEscape.MatchString(read(f.Name)) {
			return "surrogate escapes in " + f.Name
		}
	}
	if !strings.Contains(read("_rels/.rels"), `Target="xl/workbook.xml"`) {
		return "_rels/.rels names another workbook part"
	}
	for _, m := range regexp.MustCompile(`<Relationship [^>]*>`).FindAllString(read("xl/_rels/workbook.xml.rels"), -1) {
		target := regexp.MustCompile(`Target="([^"]*)"`).FindStringSubmatch(m)
		if strings.Contains(m, "/sharedStrings\"") && len(target) == 2 &&
			strings.TrimPrefix(path.Clean("xl/"+target[1]), "/") != "xl/sharedStrings.xml" && path.Clean(target[1]) != "/xl/sharedStrings.xml" {
			return "the shared strings are in " + target[1]
		}
	}
	return ""
}

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
		if _, err := spreadsheet.ReadWorkbook(data); err != nil {
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
