package xlsx_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/assoc/contacts/xlsx"
)

// is is an inline string cell.
func is(ref, s string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + s + `</t></is></c>`
}

// wantRefused checks that reading data is refused, naming file, with a
// message holding reason.
func wantRefused(t *testing.T, data []byte, reason string) {
	t.Helper()
	_, err := xlsx.ReadWorkbook(data)
	var e *xlsx.Error
	if !errorAs(err, &e) || !strings.Contains(e.Reason, reason) {
		t.Errorf("err = %v, want a refusal of the file saying %q", err, reason)
	}
}

// TestReaderRefusesDamage: what excelize read by a guess is refused,
// naming the part and the cell.
func TestReaderRefusesDamage(t *testing.T) {
	t.Parallel()
	row2 := func(cells string) string { return headerRow + `<row r="2">` + cells + `</row>` }
	for _, tc := range []struct {
		name, data string
		sst        []string
		reason     string
	}{
		{"index not a number", row2(`<c r="A2" t="s"><v>x1</v></c>`), []string{"a"}, `xl/worksheets/sheet1.xml: cell A2 refers to shared string "x1", which is no number`},
		{"index out of range", row2(`<c r="A2" t="s"><v>1</v></c>`), []string{"a"}, "cell A2 refers to shared string 1, but the workbook has 1"},
		{"negative index", row2(`<c r="A2" t="s"><v>-1</v></c>`), []string{"a"}, "cell A2 refers to shared string -1"},
		{"index without strings", row2(`<c r="A2" t="s"><v>0</v></c>`), nil, "but the workbook has 0"},
		{"row in a row", headerRow + `<row r="2">` + is("A2", "a@b.org") + `<row r="3"/></row>`, nil, "a row inside row 2"},
		{"cell outside a row", headerRow + is("A2", "a@b.org"), nil, "a cell outside a row"},
		{"cell in a cell", row2(`<c r="A2">` + is("B2", "x") + `</c>`), nil, "a cell outside a row"},
		{"rows out of order", headerRow + `<row r="3">` + is("A3", "a") + `</row><row r="2">` + is("A2", "b") + `</row>`, nil, "row 2 comes after row 3"},
		{"row twice", headerRow + `<row r="2">` + is("A2", "a") + `</row><row r="2">` + is("A2", "b") + `</row>`, nil, "row 2 comes after row 2"},
		{"row number not a number", headerRow + `<row r="two">` + is("A2", "a") + `</row>`, nil, `row number "two"`},
		{"cells out of order", row2(is("B2", "a") + is("A2", "b")), nil, "cell A2 comes after cell B2"},
		{"cell twice", row2(is("B2", "a") + is("B2", "b")), nil, "cell B2 comes after cell B2"},
		{"cell of another row", row2(is("A3", "a")), nil, "cell A3 is in row 2"},
		{"bad reference", row2(is("a2", "a")), nil, `"a2" is not a cell reference`},
		{"past column XFD", row2(is("XFE2", "a")), nil, `"XFE2" is not a cell reference`},
		{"unknown type", row2(`<c r="A2" t="x"><v>1</v></c>`), nil, `cell A2 has an unknown type "x"`},
		{"two values", row2(`<c r="A2"><v>1</v><v>2</v></c>`), nil, "cell A2 has two values"},
		{"value out of place", row2(`<c r="A2"><x><v>1</v></x></c>`), nil, "<v> out of place in cell A2"},
		{"element in a value", row2(`<c r="A2"><v>1<b/>2</v></c>`), nil, "<b> inside the value of cell A2"},
		{"two texts", row2(`<c r="A2" t="inlineStr"><is><t>a</t><t>b</t></is></c>`), nil, "cell A2 has two texts"},
		{"text and runs", row2(`<c r="A2" t="inlineStr"><is><t>a</t><r><t>b</t></r></is></c>`), nil, "cell A2 has two texts"},
		{"bad style", row2(`<c r="A2" s="bold"><v>1</v></c>`), nil, `cell A2 has style "bold"`},
		{"attribute twice", row2(`<c r="A2" t="s" t="n"><v>1</v></c>`), nil, "<c> has two t attributes"},
		{"lone surrogate", row2(is("A2", "a_xD800_b")), nil, "_xD800_ is half of a character"},
		{"invalid XML", row2(is("A2", "a") + `</x>`), nil, "</x> closes no open element"},
		{"mismatched tags", row2(`<c r="A2"><v>1</c></v>`), nil, "</c> closes no open element"},
		{"invalid UTF-8", row2(is("A2", "caf\xe9")), nil, "xl/worksheets/sheet1.xml is not valid XML (line 1: invalid UTF-8)"},
		{"DOCTYPE", row2("") + `<!DOCTYPE x>`, nil, "holds a DOCTYPE or another declaration"},
		{"undeclared entity", row2(is("A2", "&lol;")), nil, "is not valid XML"},
		{"too long a cell", row2(is("A2", strings.Repeat("é", xlsx.MaxCellChars+1))), nil, "cell A2 holds more than 32767 characters"},
		{"too long a shared string", row2(`<c r="A2" t="s"><v>0</v></c>`), []string{strings.Repeat("a", xlsx.MaxCellChars+1)}, "shared string 0 holds more than 32767 characters"},
		{"too long a row", row2(strings.Repeat(`<c t="s"><v>0</v></c>`, 9)), []string{strings.Repeat("a", 30000)}, "row 2 holds more than 262144 characters"},
		{"too many rows", headerRow + `<row r="1048577">` + is("A1048577", "a") + `</row>`, nil, "has more than 1048576 rows"},
		{"too many columns", headerRow + `<row r="2">` + is("XFD2", "a") + `<c><v>1</v></c></row>`, nil, "row 2 has more than 16384 columns"},
		{"header with a control character", `<row r="1">` + is("A1", "Email") + is("B1", "First_x0007_name") + `</row>`, nil, "header cell B1 holds a control character (U+0007)"},
		{"header with a NUL", `<row r="1">` + is("A1", "Email_x0000_") + `</row>`, nil, "header cell A1 holds a control character (U+0000)"},
		{"header with a C1 control", `<row r="1">` + is("A1", "Email&#x85;") + `</row>`, nil, "header cell A1 holds a control character (U+0085)"},
		{"merged cells", row2(is("A2", "a")) + `</sheetData><mergeCells><mergeCell ref="A2:B2"/></mergeCells><sheetData>`, nil, "has merged cells (A2:B2)"},
		{"header not in row 1", `<row r="2">` + is("A2", "Email") + `</row>`, nil, `sheet "Contacts" is empty`},
		{"no rows", ``, nil, `sheet "Contacts" is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := sheetBook(t, tc.data, tc.sst...)
			if tc.sst == nil {
				data = zipParts(t, bookParts(tc.data, nil))
			}
			wantRefused(t, data, tc.reason)
		})
	}
}

// TestReaderRefusesBrokenPackages: the parts around the sheet.
func TestReaderRefusesBrokenPackages(t *testing.T) {
	t.Parallel()
	edit := func(change func(map[string]func(io.Writer))) []byte {
		parts := bookParts(headerRow, []string{"a"})
		change(parts)
		return zipParts(t, parts)
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		reason string
	}{
		{"sheet part missing", edit(func(p map[string]func(io.Writer)) { delete(p, "xl/worksheets/sheet1.xml") }),
			`sheet "Contacts" has no part (no xl/worksheets/sheet1.xml)`},
		{"shared strings missing", edit(func(p map[string]func(io.Writer)) { delete(p, "xl/sharedStrings.xml") }),
			"no xl/sharedStrings.xml (where xl/_rels/workbook.xml.rels says the shared strings are)"},
		{"no relationships", edit(func(p map[string]func(io.Writer)) { delete(p, "xl/_rels/workbook.xml.rels") }),
			"no xl/_rels/workbook.xml.rels"},
		{"sheet without relationship", edit(func(p map[string]func(io.Writer)) {
			p["xl/workbook.xml"] = text(`<workbook ` + mainNS + ` ` + relNS + `><sheets><sheet name="S" r:id="rId9"/></sheets></workbook>`)
		}), `sheet "S" has no part`},
		{"two sheets of one name", edit(func(p map[string]func(io.Writer)) {
			p["xl/workbook.xml"] = text(`<workbook ` + mainNS + ` ` + relNS + `><sheets><sheet name="S" r:id="rId1"/><sheet name="s" r:id="rId1"/></sheets></workbook>`)
		}), `two sheets are named "s"`},
		{"chart first", edit(func(p map[string]func(io.Writer)) {
			p["xl/_rels/workbook.xml.rels"] = text(`<Relationships><Relationship Id="rId1" Type="` + relT + `chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>`)
		}), "has a chart as its first sheet"},
		{"sheet name with a control character", edit(func(p map[string]func(io.Writer)) {
			p["xl/workbook.xml"] = text(`<workbook ` + mainNS + ` ` + relNS + `><sheets><sheet name="Contacts&#x9F;" r:id="rId1"/></sheets></workbook>`)
		}), "the sheet's name holds a control character (U+009F)"},
		{"workbook not XML", edit(func(p map[string]func(io.Writer)) { p["xl/workbook.xml"] = text("<workbook><sheets>") }),
			"xl/workbook.xml is not valid XML"},
		{"two parts of one name", func() []byte {
			entries := []zipEntry{}
			for name, w := range bookParts(headerRow, nil) {
				entries = append(entries, zipEntry{name, w})
			}
			return zipOf(t, append(entries, zipEntry{"xl/worksheets/sheet1.xml", text("<worksheet/>")}))
		}(), "it holds two parts named xl/worksheets/sheet1.xml"},
		{"ods", zipOf(t, []zipEntry{{"mimetype", text("application/vnd.oasis.opendocument.spreadsheet")}, {"content.xml", text("<office:document-content/>")}}),
			"is an OpenDocument spreadsheet (.ods), not an .xlsx workbook: save it as .xlsx"},
		{"odt", zipOf(t, []zipEntry{{"mimetype", text("application/vnd.oasis.opendocument.text")}}), `is an OpenDocument file ("text")`},
		{"another zip", zipOf(t, []zipEntry{{"word/document.xml", text("<w:document/>")}}), "is a zip archive but not an .xlsx workbook (no xl/workbook.xml): save it as .xlsx"},
		{"xls", append(append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 500)...), utf16("Workbook")...),
			"is an old Excel 97-2003 workbook (.xls) or another Office file, not an .xlsx workbook: save it as .xlsx"},
		{"semicolon CSV", []byte("Prénom;Nom;E-mail\r\nAda;Lovelace;ada@example.org\r\n"), "is a CSV or text file"},
		{"UTF-16 text", []byte{0xff, 0xfe, 'E', 0, 'm', 0}, "is a CSV or text file"},
		{"binary", []byte{0x89, 'P', 'N', 'G', 0, 0, 1, 2}, "is not an .xlsx workbook (not a zip archive): save it as .xlsx"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, tc.data, tc.reason) })
	}
}

func utf16(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return b
}

// TestReaderValues: what each kind of cell reads as, raw, as excelize
// with RawCellValue read it.
func TestReaderValues(t *testing.T) {
	t.Parallel()
	data := sheetBook(t, headerRow+
		`<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v> 1 </v></c><c r="D2" t="inlineStr"><is><r><t>Ad</t></r><r><rPr><b/></rPr><t xml:space="preserve">a </t></r><rPh><t>エイダ</t></rPh></is></c></row>`+
		`<row r="4"><c t="n"><v>44000.5</v></c><c t="b"><v>1</v></c><c t="d"><v>2024-07-14T00:00:00</v></c><c t="str"><f>UPPER("x")</f><v>X</v></c><c t="e"><v>#N/A</v></c><c/><c><v>0012</v></c></row>`+
		`<row><c t="inlineStr"><is><t>under_x005F_x0041_score _x0041_ nul_x0000_ pair_xD83D__xDE00_</t></is></c><c t="inlineStr"><v>raw _x0041_</v></c><c t="str"><v>str _x0041_</v></c></row>`+
		`<row r="7"><c r="C7" t="inlineStr"><is><t>  </t></is></c></row>`+
		`<row r="9"><c r="B9"><f>1+1</f></c></row>`,
		`ada@example.org`, `<r><t>Lo</t></r><r><t>ve</t></r><r><t>lace</t></r><rPh sb="0" eb="1"><t>ラブレス</t></rPh>`)
	sheet, err := xlsx.ReadWorkbook(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []xlsx.Row{
		{Number: 2, Cells: []string{"ada@example.org", "Lovelace", "", "Ada "}},
		{Number: 4, Cells: []string{"44000.5", "1", "2024-07-14T00:00:00", "X", "#N/A", "", "0012"}},
		{Number: 5, Cells: []string{"under_x0041_score A nul\x00 pair\U0001F600", "raw _x0041_", "str _x0041_"}},
	}
	if len(sheet.Rows) != len(want) {
		t.Fatalf("rows %v, want %v", sheet.Rows, want)
	}
	for i, r := range sheet.Rows {
		if r.Number != want[i].Number || !slices.Equal(r.Cells, want[i].Cells) {
			t.Errorf("row %d %q, want row %d %q", r.Number, r.Cells, want[i].Number, want[i].Cells)
		}
	}
	if got := sheet.Formulas; len(got) != 1 || len(got[4]) != 1 || got[4][0] != "D4" {
		t.Errorf("formulas %v, want D4", got)
	}
	if strings.Join(sheet.Header, "|") != "Email|First name|Last name" || sheet.Name != "Contacts" {
		t.Errorf("header %q of sheet %q", sheet.Header, sheet.Name)
	}
	// Rows 7 and 9 (a formula without a value) are blank: skipped, as
	// excelize's reading was. The surrogate pair is read apart from
	// excelize (see xlsxtest.KnownDifference).
	sameAsExcelize(t, data)
}

// TestReaderStopsWhenAsked: a reading whose context ends returns that,
// not a refusal of the file.
func TestReaderStopsWhenAsked(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := xlsx.StreamWorkbook(ctx, readFixture(t, "good.xlsx"), func(string, []string) error { return nil },
		func(xlsx.Row, []string) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
