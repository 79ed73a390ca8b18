package spreadsheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/domain"
)

// Limits of what ReadWorkbook accepts.
const (
	// MaxUnzipped bounds the workbook's unpacked size: a zip bomb (a small
	// file that unpacks to gigabytes) is refused before anything unpacks.
	// 100,000 contacts × 12 columns unpack to ~40 MB.
	MaxUnzipped = 256 << 20
	// maxEntries bounds the parts of the archive.
	maxEntries = 10000
	// MaxRows is Excel's own limit of rows in a sheet.
	MaxRows = excelize.TotalRows
)

// Sheet is the first sheet of a workbook: its header row and the rows
// below it that hold anything.
type Sheet struct {
	Name   string
	Header []string
	Rows   []Row
	// Formulas lists the cells that hold a formula, by row number.
	Formulas map[int][]string
}

// Row is one row of a sheet: its number (1 is the header) and its cells
// as read, raw (dates as serial numbers).
type Row struct {
	Number int
	Cells  []string
}

// oleHeader starts a Compound File: an encrypted (password-protected)
// .xlsx, or a legacy .xls.
var oleHeader = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

// fileError is a refusal of the whole file, naming the "file" field (the
// multipart part an upload sends it in).
func fileError(format string, args ...any) error {
	return domain.FieldError("file", format, args...)
}

// ReadWorkbook reads the first sheet of an .xlsx workbook whole. A file
// that is not one, or that cannot be imported safely (zip bomb, password,
// merged cells, too many rows, no sheet, no header), is refused whole with
// an EINVALID error naming "file" and the reason. Formulas are not refused
// here: their rows are (see Sheet.Formulas).
func ReadWorkbook(data []byte) (*Sheet, error) {
	sheet := &Sheet{Formulas: map[int][]string{}}
	err := StreamWorkbook(data, func(name string, cells []string) error {
		sheet.Name, sheet.Header = name, cells
		return nil
	}, func(r Row, formulas []string) error {
		sheet.Rows = append(sheet.Rows, r)
		if len(formulas) > 0 {
			sheet.Formulas[r.Number] = formulas
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sheet, nil
}

// StreamWorkbook reads the first sheet of an .xlsx workbook row by row,
// with the same checks as ReadWorkbook: header gets the sheet's name and
// row 1, then row gets each row below it that holds anything, with the
// cells of it that hold a formula. An error from either stops the reading
// and is returned.
func StreamWorkbook(data []byte, header func(name string, cells []string) error, row func(r Row, formulas []string) error) error {
	if len(data) == 0 {
		return fileError("is empty: send an .xlsx workbook")
	}
	if bytes.HasPrefix(data, oleHeader) {
		return fileError("is password-protected or an old .xls workbook: save it as .xlsx without a password")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fileError("is not an .xlsx workbook (not a zip archive)")
	}
	if len(zr.File) > maxEntries {
		return fileError("has %d parts: not a workbook this service reads", len(zr.File))
	}
	var unzipped uint64
	for _, zf := range zr.File {
		unzipped += zf.UncompressedSize64
	}
	if unzipped > MaxUnzipped {
		return fileError("unpacks to %d MB, over the %d MB limit", unzipped>>20, MaxUnzipped>>20)
	}
	path, err := firstSheetPath(zr)
	if err != nil {
		return err
	}
	formulas, err := scanSheet(zr, path)
	if err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue: true, UnzipSizeLimit: MaxUnzipped, UnzipXMLSizeLimit: 16 << 20,
	})
	if err != nil {
		return fileError("is not a readable .xlsx workbook: %s", readError(err))
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return fileError("has no sheet")
	}
	return readRows(f, sheets[0], formulas, header, row)
}

// readRows walks the sheet with the workbook's row iterator (a streaming
// XML reader: the sheet itself is never held whole).
func readRows(f *excelize.File, name string, formulas map[int][]string, header func(string, []string) error, row func(Row, []string) error) error {
	rows, err := f.Rows(name)
	if err != nil {
		return fileError("sheet %q cannot be read: %s", name, readError(err))
	}
	defer rows.Close()
	n := 1
	for ; rows.Next(); n++ {
		if n > MaxRows {
			return fileError("has more than %d rows", MaxRows)
		}
		cells, err := rows.Columns()
		if err != nil {
			return fileError("row %d cannot be read: %s", n, readError(err))
		}
		if n == 1 {
			if blank(cells) {
				break
			}
			if err := header(name, cells); err != nil {
				return err
			}
			continue
		}
		if blank(cells) {
			continue
		}
		if err := row(Row{Number: n, Cells: cells}, formulas[n]); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return fileError("cannot be read: %s", readError(err))
	}
	if n == 1 {
		return fileError("sheet %q is empty: row 1 must hold the column headers", name)
	}
	return nil
}

// readError explains a reading error in a few words.
func readError(err error) string {
	switch {
	case errors.Is(err, excelize.ErrMaxRows):
		return fmt.Sprintf("more than %d rows", MaxRows)
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum):
		return "the archive is damaged"
	case errors.Is(err, excelize.ErrWorkbookFileFormat), errors.Is(err, excelize.ErrWorkbookPassword):
		return "unsupported or protected workbook"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
