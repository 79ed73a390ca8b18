package xlsx_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
)

// Workbooks written part by part, for the files excelize would never
// write: damaged ones, bombs.

// zipEntry is a part and what writes its content.
type zipEntry struct {
	name  string
	write func(w io.Writer)
}

// text is an entry's content given whole.
func text(s string) func(io.Writer) {
	return func(w io.Writer) { io.WriteString(w, s) }
}

// zipOf zips entries (deflated, at the best compression: bombs stay small).
func zipOf(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		e.write(w)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	mainNS = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	relNS  = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	relT   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
)

// bookParts are the parts of a one-sheet workbook whose sheet data (what
// goes inside <sheetData>) is data and whose shared strings are sst (no
// part when nil; a string starting with < is the inside of its <si>).
// Replace or add parts in the map it returns.
func bookParts(data string, sst []string) map[string]func(io.Writer) {
	rels := `<Relationship Id="rId1" Type="` + relT + `worksheet" Target="worksheets/sheet1.xml"/>`
	parts := map[string]func(io.Writer){
		"[Content_Types].xml": text(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`),
		"_rels/.rels": text(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + relT + `officeDocument" Target="xl/workbook.xml"/></Relationships>`),
		"xl/workbook.xml":          text(`<?xml version="1.0" encoding="UTF-8"?><workbook ` + mainNS + ` ` + relNS + `><sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>`),
		"xl/worksheets/sheet1.xml": text(`<?xml version="1.0" encoding="UTF-8"?><worksheet ` + mainNS + ` ` + relNS + `><sheetData>` + data + `</sheetData></worksheet>`),
	}
	if sst != nil {
		rels += `<Relationship Id="rId2" Type="` + relT + `sharedStrings" Target="sharedStrings.xml"/>`
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><sst %s count="%d" uniqueCount="%d">`, mainNS, len(sst), len(sst))
		for _, s := range sst {
			if !strings.HasPrefix(s, "<") {
				s = "<t>" + s + "</t>" // else rich text
			}
			b.WriteString("<si>" + s + "</si>")
		}
		b.WriteString("</sst>")
		parts["xl/sharedStrings.xml"] = text(b.String())
	}
	parts["xl/_rels/workbook.xml.rels"] = text(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels + `</Relationships>`)
	return parts
}

// zipParts zips parts, in name order.
func zipParts(t testing.TB, parts map[string]func(io.Writer)) []byte {
	t.Helper()
	var names []string
	for n := range parts {
		names = append(names, n)
	}
	sort.Strings(names)
	entries := make([]zipEntry, len(names))
	for i, n := range names {
		entries[i] = zipEntry{n, parts[n]}
	}
	return zipOf(t, entries)
}

// sheetBook is a workbook whose sheet data is data, with shared strings
// sst (none when nil).
func sheetBook(t testing.TB, data string, sst ...string) []byte {
	t.Helper()
	return zipParts(t, bookParts(data, sst))
}

// headerRow is row 1 with the headers Email, First name, Last name as
// inline strings.
const headerRow = `<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c><c r="B1" t="inlineStr"><is><t>First name</t></is></c>` +
	`<c r="C1" t="inlineStr"><is><t>Last name</t></is></c></row>`

// repeat writes s n times.
func repeat(w io.Writer, s string, n int) {
	per := max(1, (64<<10)/len(s))
	chunk := strings.Repeat(s, per)
	for ; n >= per; n -= per {
		io.WriteString(w, chunk)
	}
	io.WriteString(w, strings.Repeat(s, n))
}
