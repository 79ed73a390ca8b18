// Package xlsxtest makes workbooks for tests, and holds the reader to
// excelize's reading: every workbook a test makes is read by both, and
// must read alike.
package xlsxtest

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
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/xlsx"
)

// Fixture returns the file name of xlsx/testdata, from any package.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Testdata(), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Testdata is the folder of the workbooks kept for tests: the bad ones,
// bombs included, and a few good ones.
func Testdata() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Book returns an .xlsx whose first sheet holds rows (row 1 first), written
// by excelize; edit, if given, changes the file before it is saved.
func Book(t testing.TB, rows [][]any, edit ...func(*excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range edit {
		e(f)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	SameAsExcelize(t, buf.Bytes())
	return buf.Bytes()
}

// Rezip copies an archive, replacing the parts in replace.
func Rezip(t testing.TB, data []byte, replace map[string]string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if body, ok := replace[f.Name]; ok {
			io.WriteString(w, body)
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, r)
		r.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	SameAsExcelize(t, buf.Bytes())
	return buf.Bytes()
}

// Part returns the text of the part name of archive data.
func Part(t testing.TB, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	raw, _ := io.ReadAll(r)
	return string(raw)
}

// The reader must read every workbook as the import read it before, with
// excelize: ExcelizeSheet is that reading (excelize.OpenReader, then the
// row iterator with RawCellValue, blank rows skipped), kept here as the
// reference.

// ExcelizeSheet reads data as the import did up to issue 11, with
// excelize: the reference the reader is held to.
func ExcelizeSheet(data []byte) (*xlsx.Sheet, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue: true, UnzipSizeLimit: xlsx.MaxPartBytes, UnzipXMLSizeLimit: 16 << 20,
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
	sheet := &xlsx.Sheet{Name: sheets[0]}
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
			sheet.Rows = append(sheet.Rows, xlsx.Row{Number: n, Cells: cells})
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
func sameSheet(a, b *xlsx.Sheet) string {
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

// SameAsExcelize checks that when both readers read data, they read the
// same. It returns whether both did.
func SameAsExcelize(t testing.TB, data []byte) bool {
	t.Helper()
	ours, err := xlsx.ReadWorkbook(data)
	if err != nil {
		return false
	}
	theirs, err := ExcelizeSheet(data)
	if err != nil {
		return false
	}
	if diff := sameSheet(ours, theirs); diff != "" {
		if why := KnownDifference(data); why != "" {
			t.Logf("readers differ (%s), as documented: %s", diff, why)
			return true
		}
		t.Errorf("the reader and excelize differ: %s", diff)
	}
	return true
}

// surrogateEscape is an _xHHHH_ escape of half a UTF-16 pair.
var surrogateEscape = regexp.MustCompile(`_x[dD][89abAB][0-9a-fA-F]{2}_`)

// KnownDifference says why the reader may read data differently from
// excelize, when it does so on purpose ("" otherwise):
//   - a pair of _xHHHH_ escapes of UTF-16 surrogates is the character
//     they encode (excelize drops both);
//   - the shared strings are where the workbook's relationships say
//     (excelize reads xl/sharedStrings.xml, whatever they say);
//   - the workbook is xl/workbook.xml (excelize follows _rels/.rels, which
//     may name another part).
func KnownDifference(data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ""
	}
	read := func(name string) string {
		for _, f := range zr.File {
			if f.Name == name {
				if r, err := f.Open(); err == nil {
					raw, _ := io.ReadAll(io.LimitReader(r, xlsx.MaxPartBytes))
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
