package xlsx_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// update rewrites the fixtures in testdata: go test ./xlsx -run TestFixtures -update
var update = flag.Bool("update", false, "rewrite the testdata fixtures")

var header = []any{"Email", "First name", "Last name"}

// fixtures are the bad (and one good) workbooks kept in testdata, each
// made here so it can be made again.
func fixtures(t testing.TB) map[string][]byte {
	good := book(t, [][]any{header, {"ada@example.org", "Ada", "Lovelace"}})
	sheet := part(t, good, "xl/worksheets/sheet1.xml")
	out := map[string][]byte{
		"good.xlsx":        good,
		"not-xlsx.xlsx":    []byte("Email,First name\nada@example.org,Ada\n"),
		"empty-sheet.xlsx": book(t, nil),
		"merged.xlsx": book(t, [][]any{header, {"ada@example.org", "Ada", "Lovelace"}}, func(f *excelize.File) {
			f.MergeCell("Sheet1", "B2", "C2")
		}),
		"formula.xlsx": book(t, [][]any{header, {"ada@example.org", "Ada", "Lovelace"}, {"bob@example.org", "Bob", nil}}, func(f *excelize.File) {
			f.SetCellFormula("Sheet1", "C3", `UPPER("smith")`)
		}),
		"no-sheet.xlsx": rezip(t, good, map[string]string{"xl/workbook.xml": strings.Replace(part(t, good, "xl/workbook.xml"),
			part(t, good, "xl/workbook.xml")[strings.Index(part(t, good, "xl/workbook.xml"), "<sheets>"):strings.Index(part(t, good, "xl/workbook.xml"), "</sheets>")+9], "<sheets></sheets>", 1)}),
		"too-many-rows.xlsx": rezip(t, good, map[string]string{"xl/worksheets/sheet1.xml": strings.Replace(sheet, "</sheetData>",
			`<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>x@example.org</t></is></c></row></sheetData>`, 1)}),
	}
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &header)
	var buf bytes.Buffer
	if err := f.Write(&buf, excelize.Options{Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	out["password.xlsx"] = buf.Bytes()
	for name, b := range bombs(t) {
		out[name] = b.data
	}
	return out
}

func TestFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata")
	}
	for name, data := range fixtures(t) {
		if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
