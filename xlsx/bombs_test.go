package xlsx_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/assoc/contacts/xlsx"
)

// The workbook bombs of issue 11, tried from outside against the excelize
// reader: each a small file that unpacks to far more work. They are kept
// in testdata (go test ./xlsx -run TestFixtures -update writes
// them), seed the fuzz target, and must each be refused, cheaply.

// bombs are the files, by name, with what their refusal says.
func bombs(t testing.TB) map[string]struct {
	data   []byte
	reason string
} {
	type bomb = struct {
		data   []byte
		reason string
	}
	row2 := `<row r="2"><c r="A2" t="s"><v>0</v></c></row>`
	sheetOf := func(data string) func(io.Writer) {
		return text(`<?xml version="1.0" encoding="UTF-8"?><worksheet ` + mainNS + `><sheetData>` + data + `</sheetData></worksheet>`)
	}
	out := map[string]bomb{}

	// 917,000 shared strings (15 MB of XML) for a sheet of two rows: the
	// 40 KB file that cost excelize +275 MB and 17 s.
	parts := bookParts(headerRow+row2, []string{"ada@example.org"})
	parts["xl/sharedStrings.xml"] = func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst `+mainNS+` count="917000" uniqueCount="917000">`)
		repeat(w, "<si><t>ada@example.org</t></si>", 917000)
		io.WriteString(w, `</sst>`)
	}
	out["shared-strings-bomb.xlsx"] = bomb{zipParts(t, parts), "more than 65536 shared strings, more than its first sheet"}

	// One shared string of 200 MB: the 206 KB file that cost 945 MB.
	parts = bookParts(headerRow+row2, []string{})
	parts["xl/sharedStrings.xml"] = func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst `+mainNS+`><si><t>`)
		repeat(w, "a", 200<<20)
		io.WriteString(w, `</t></si></sst>`)
	}
	out["big-cell.xlsx"] = bomb{zipParts(t, parts), "shared string 0 holds more than 32767 characters"}

	// A good workbook and 2,500 parts more, of 100 KB each (the issue's
	// 610 KB file of many parts cost 1.7 GB and 273 s).
	parts = bookParts(headerRow, nil)
	for i := range 2500 {
		parts[fmt.Sprintf("xl/media/image%d.png", i)] = func(w io.Writer) { w.Write(make([]byte, 100<<10)) }
	}
	out["many-parts.xlsx"] = bomb{zipParts(t, parts), "parts, over the 2000"}

	// Rows in rows: excelize read the inner row's cells into the outer row.
	parts = bookParts(`<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>`+
		`<row r="2"><c r="A2" t="inlineStr"><is><t>ada@example.org</t></is></c><row r="3"><c r="A3" t="inlineStr"><is><t>bob@example.org</t></is></c></row></row>`, nil)
	out["nested-rows.xlsx"] = bomb{zipParts(t, parts), "a row inside row 2"}

	// A shared string that is not there: excelize read an empty cell, and
	// the contact was created without it.
	out["bad-string-index.xlsx"] = bomb{sheetBook(t, headerRow+`<row r="2"><c r="A2" t="s"><v>7</v></c></row>`, "ada@example.org"),
		"cell A2 refers to shared string 7, but the workbook has 1"}

	// 100,000 nested elements.
	parts = bookParts("", nil)
	parts["xl/worksheets/sheet1.xml"] = func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet `+mainNS+`><sheetData>`+headerRow+`</sheetData><extLst>`)
		repeat(w, "<a>", 100000)
		repeat(w, "</a>", 100000)
		io.WriteString(w, `</extLst></worksheet>`)
	}
	out["deep-nesting.xlsx"] = bomb{zipParts(t, parts), "nest more than 64 deep"}

	// A 200 MB attribute.
	parts = bookParts("", nil)
	parts["xl/worksheets/sheet1.xml"] = func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet `+mainNS+`><sheetData>`+headerRow+`<row r="2"><c r="A2" x="`)
		repeat(w, "a", 200<<20)
		io.WriteString(w, `"/></row></sheetData></worksheet>`)
	}
	out["huge-attribute.xlsx"] = bomb{zipParts(t, parts), "holds a tag longer than 64 KB"}

	// A sheet of 300 MB (mostly white space between rows).
	parts = bookParts("", nil)
	parts["xl/worksheets/sheet1.xml"] = func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet `+mainNS+`><sheetData>`+headerRow)
		repeat(w, " ", 300<<20)
		io.WriteString(w, `</sheetData></worksheet>`)
	}
	out["zip-bomb.xlsx"] = bomb{zipParts(t, parts), "xl/worksheets/sheet1.xml unpacks to 300 MB, over the 256 MB limit"}

	// A sheet whose zip header says 2 KB, holding 2.5 MB: the limit on
	// what is read holds even when the header lies.
	out["size-lie.xlsx"] = bomb{sizeLie(t, sheetOf(headerRow+strings.Repeat(`<row><c t="inlineStr"><is><t>x@example.org</t></is></c></row>`, 40_000))),
		"xl/worksheets/sheet1.xml cannot be unpacked"}
	return out
}

// sizeLie is a workbook whose sheet's zip headers declare 2 KB unpacked,
// whatever sheet writes.
func sizeLie(t testing.TB, sheet func(io.Writer)) []byte {
	var body, packed bytes.Buffer
	sheet(&body)
	fw, _ := flate.NewWriter(&packed, flate.BestCompression)
	fw.Write(body.Bytes())
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, write := range bookParts("", nil) {
		if name == "xl/worksheets/sheet1.xml" {
			continue
		}
		w, _ := zw.Create(name)
		write(w)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CRC32: crc32.ChecksumIEEE(body.Bytes()), CompressedSize64: uint64(packed.Len()), UncompressedSize64: 2048})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(packed.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombAllocBound bounds what refusing a bomb may allocate (garbage
// included): the decoder's buffers, one run of markup at most (1 MB, see
// maxTextRun), the parts read before the refusal.
const bombAllocBound = 32 << 20

// TestBombsRefusedCheaply: each bomb is refused with its reason, having
// allocated less than bombAllocBound. Not parallel: the allocation count
// is the whole process's.
func TestBombsRefusedCheaply(t *testing.T) {
	for name, b := range bombs(t) {
		data := readFixture(t, name)
		if len(data) >= 1<<20 {
			t.Errorf("%s: %d bytes, keep testdata files under 1 MB", name, len(data))
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := xlsx.ReadWorkbook(data)
		runtime.ReadMemStats(&after)
		var e *xlsx.Error
		if !errorAs(err, &e) || !strings.Contains(e.Reason, b.reason) {
			t.Errorf("%s: err = %v, want a refusal saying %q", name, err, b.reason)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s (%d KB): refused after allocating %d KB: %v", name, len(data)>>10, alloc>>10, err)
		if alloc > bombAllocBound {
			t.Errorf("%s: refusing it allocated %d MB, over %d MB", name, alloc>>20, bombAllocBound>>20)
		}
	}
}
