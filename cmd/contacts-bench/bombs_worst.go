package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/assoc/contacts/xlsx"
)

// worstWorkbook is a workbook that breaks no limit but uses them all: as
// many shared strings as its sheet may use (xlsx.MaxSharedStrings,
// just under MaxSharedStringBytes of text), rows that each register a
// contact with 1,000-character names (the longest value a field takes, the
// most a decided row holds), the sheet padded so its size allows all the
// strings. A dry run of it is the most memory an import can take.
func worstWorkbook(rows int) ([]byte, error) {
	const nStrings = xlsx.MaxSharedStrings
	name := strings.Repeat("é", 500) + strings.Repeat("e", 500) // 1,000 characters, 1,500 bytes
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	part := func(path string, write func(w io.Writer)) error {
		w, err := zw.Create(path)
		if err != nil {
			return err
		}
		write(w)
		return nil
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	err := part("xl/workbook.xml", func(w io.Writer) {
		io.WriteString(w, `<workbook `+ns+` xmlns:r="`+strings.TrimSuffix(rel, "/")+`"><sheets><sheet name="Worst" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	})
	if err == nil {
		err = part("xl/_rels/workbook.xml.rels", func(w io.Writer) {
			io.WriteString(w, `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
				`<Relationship Id="rId1" Type="`+rel+`worksheet" Target="worksheets/sheet1.xml"/>`+
				`<Relationship Id="rId2" Type="`+rel+`sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
		})
	}
	if err == nil {
		err = part("xl/sharedStrings.xml", func(w io.Writer) {
			io.WriteString(w, `<sst `+ns+`><si><t>`+name+`</t></si>`)
			for i := 1; i < nStrings; i++ {
				fmt.Fprintf(w, "<si><t>w%07d@exampl.org</t></si>", i) // 19 characters
			}
			io.WriteString(w, `</sst>`)
		})
	}
	if err == nil {
		// The sheet must be nStrings × 16 bytes for the strings to be
		// usable: rows are padded with white space between cells.
		pad := strings.Repeat(" ", nStrings*16/rows)
		err = part("xl/worksheets/sheet1.xml", func(w io.Writer) {
			io.WriteString(w, `<worksheet `+ns+`><sheetData><row r="1"><c t="inlineStr"><is><t>Email</t></is></c>`+
				`<c t="inlineStr"><is><t>First name</t></is></c><c t="inlineStr"><is><t>Last name</t></is></c></row>`)
			for i := 1; i <= rows; i++ {
				fmt.Fprintf(w, `<row><c t="s"><v>%d</v></c>%s<c t="s"><v>0</v></c><c t="s"><v>0</v></c></row>`, 1+i%(nStrings-1), pad)
			}
			io.WriteString(w, `</sheetData></worksheet>`)
		})
	}
	if err == nil {
		err = zw.Close()
	}
	return buf.Bytes(), err
}
