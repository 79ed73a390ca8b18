package spreadsheet

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"
)

// The parts of the workbook read before excelize: which part is the first
// sheet, and whether it holds formulas or merged cells (excelize's row
// iterator shows neither).

type workbookXML struct {
	Sheets []struct {
		Name string `xml:"name,attr"`
		RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
	} `xml:"sheets>sheet"`
}

type relsXML struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

// maxSmallPart bounds the workbook and relationship parts read whole.
const maxSmallPart = 8 << 20

func readPart(zr *zip.Reader, name string, v any) error {
	f, err := zr.Open(name)
	if err != nil {
		return fileError("is not an .xlsx workbook (no %s)", name)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxSmallPart))
	if err != nil {
		return fileError("is damaged: %s cannot be unpacked", name)
	}
	if err := xml.Unmarshal(raw, v); err != nil {
		return fileError("is damaged: %s is not valid XML", name)
	}
	return nil
}

// firstSheetPath returns the archive path of the workbook's first sheet.
func firstSheetPath(zr *zip.Reader) (string, error) {
	var wb workbookXML
	if err := readPart(zr, "xl/workbook.xml", &wb); err != nil {
		return "", err
	}
	if len(wb.Sheets) == 0 {
		return "", fileError("has no sheet")
	}
	var rels relsXML
	if err := readPart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return "", err
	}
	for _, r := range rels.Rels {
		if r.ID != wb.Sheets[0].RID {
			continue
		}
		if strings.HasPrefix(r.Target, "/") {
			return strings.TrimPrefix(r.Target, "/"), nil
		}
		return path.Join("xl", r.Target), nil
	}
	return "", fileError("is damaged: sheet %q has no part", wb.Sheets[0].Name)
}

// suspect reports whether sheet XML may hold a formula (an <f> element,
// with or without a namespace prefix) or a merged cell; only then is the
// sheet decoded as XML, a few times slower than this byte scan.
func suspect(data []byte) bool {
	if bytes.Contains(data, []byte("mergeCell")) {
		return true
	}
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], 'f')
		if j < 0 {
			return false
		}
		i += j + 1
		if i < 2 || i >= len(data) {
			continue
		}
		if before, after := data[i-2], data[i]; (before == '<' || before == ':') && (after == '>' || after == ' ' || after == '/' || after == '\t' || after == '\n' || after == '\r') {
			return true
		}
	}
}

// scanChunk is how much of the sheet the quick scan reads at a time.
const scanChunk = 1 << 20

// scanSheet returns the cells of the sheet at name that hold a formula, by
// row number, and refuses a sheet with merged cells (which cell would
// carry the value is a guess).
func scanSheet(zr *zip.Reader, name string) (map[int][]string, error) {
	open := func() (io.ReadCloser, error) {
		f, err := zr.Open(name)
		if err != nil {
			return nil, fileError("is damaged: no %s", name)
		}
		return f, nil
	}
	f, err := open()
	if err != nil {
		return nil, err
	}
	found, err := quickScan(f)
	f.Close()
	if err != nil {
		return nil, fileError("is damaged: the sheet cannot be unpacked")
	}
	if !found {
		return nil, nil
	}
	f, err = open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeSheet(f)
}

// quickScan reports whether r holds a suspect tag, reading it in chunks
// that overlap so a tag split between two is still seen.
func quickScan(r io.Reader) (bool, error) {
	buf := make([]byte, scanChunk+64)
	keep := 0
	for {
		n, err := io.ReadFull(r, buf[keep:])
		data := buf[:keep+n]
		if suspect(data) {
			return true, nil
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		keep = copy(buf, data[len(data)-64:])
	}
}

// decodeSheet walks the sheet's XML, collecting formula cells by row and
// refusing merged cells.
func decodeSheet(r io.Reader) (map[int][]string, error) {
	formulas := map[int][]string{}
	dec := xml.NewDecoder(r)
	var cell string
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return formulas, nil
		}
		if err != nil {
			return nil, fileError("is damaged: the sheet is not valid XML")
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch start.Name.Local {
		case "c":
			cell = attr(start, "r")
		case "f":
			row := rowOf(cell)
			if row > 0 && len(formulas[row]) < 100 {
				formulas[row] = append(formulas[row], cell)
			}
		case "mergeCell":
			return nil, fileError("has merged cells (%s): unmerge them, each cell holding its own value", attr(start, "ref"))
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// rowOf returns the row number of a cell reference ("C5" → 5), 0 if none.
func rowOf(ref string) int {
	i := bytes.IndexAny([]byte(ref), "0123456789")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range ref[i:] {
		if c < '0' || c > '9' || n > MaxRows {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
