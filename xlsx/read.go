package xlsx

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
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

// ReadWorkbook reads the first sheet of an .xlsx workbook whole, with the
// checks of StreamWorkbook.
func ReadWorkbook(data []byte) (*Sheet, error) {
	sheet := &Sheet{Formulas: map[int][]string{}}
	err := StreamWorkbook(context.Background(), data, func(name string, cells []string) error {
		sheet.Name, sheet.Header = name, cells
		return nil
	}, func(r Row, formulas []string) error {
		r.Cells = append([]string(nil), r.Cells...)
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

// StreamWorkbook reads the first sheet of an .xlsx workbook row by row:
// header gets the sheet's name and row 1, then row gets each row below it
// that holds anything, with the cells of it that hold a formula (a
// formula rejects its row, not the file). Only the parts it needs are
// read (the workbook and its relationships, the shared strings, the
// sheet), a stream at a time, within the limits of limits.go.
//
// A file that is not a workbook, or is damaged (invalid XML, a shared
// string that is not there, rows or cells out of order, …), or cannot be
// imported safely (a limit broken, a password, merged cells, no sheet, no
// header), is refused whole with an *Error naming the part and, where
// there is one, the cell. The refusal may come after rows
// were handed to row (merged cells are listed after the rows): nothing
// may be applied before StreamWorkbook returns.
//
// A row's Cells are only valid until row returns. An error from header or
// row stops the reading and is returned; so is ctx's end.
func StreamWorkbook(ctx context.Context, data []byte, header func(name string, cells []string) error, row func(r Row, formulas []string) error) error {
	a, err := openWorkbook(data)
	if err != nil {
		return err
	}
	return streamArchive(ctx, a, header, row)
}

// openWorkbook opens data as a zip archive, or says what else it is.
func openWorkbook(data []byte) (*archive, error) {
	if len(data) == 0 {
		return nil, fileError("is empty: send an .xlsx workbook")
	}
	a, err := openArchive(data)
	var refused *Error
	if err != nil && !errors.As(err, &refused) {
		return nil, notZipError(data)
	}
	return a, err
}

func streamArchive(ctx context.Context, a *archive, header func(name string, cells []string) error, row func(r Row, formulas []string) error) error {
	m, err := readWorkbookMap(ctx, a)
	if err != nil {
		return err
	}
	if err := checkHeaderText(m.sheetName, "the sheet's name"); err != nil {
		return err
	}
	sheetFile, err := a.find(m.sheetPath)
	if err != nil {
		return err
	}
	if sheetFile == nil {
		return fileError("is damaged: sheet %q has no part (no %s)", m.sheetName, m.sheetPath)
	}
	sst, err := readSharedStrings(ctx, a, m.sharedStrings, sharedStringBudget(sheetFile.UncompressedSize64), sheetFile.UncompressedSize64)
	if err != nil {
		return err
	}
	p, c, err := a.open(ctx, m.sheetPath, MaxPartBytes, func() error {
		return fileError("is damaged: sheet %q has no part (no %s)", m.sheetName, m.sheetPath)
	})
	if err != nil {
		return err
	}
	defer c.Close()
	seen := false
	r := &sheetReader{p: p, sst: sst, emit: func(n int, cells, formulas []string) error {
		if !seen {
			seen = true
			if n != 1 || blank(cells) {
				return errEmptySheet(m.sheetName)
			}
			for i, h := range cells {
				if err := checkHeaderText(h, "header cell "+CellName(i, 1)); err != nil {
					return err
				}
			}
			return header(m.sheetName, append([]string(nil), cells...))
		}
		if blank(cells) {
			return nil
		}
		return row(Row{Number: n, Cells: cells}, formulas)
	}}
	if err := r.read(); err != nil {
		return err
	}
	if !seen {
		return errEmptySheet(m.sheetName)
	}
	return nil
}

func errEmptySheet(name string) error {
	return fileError("sheet %q is empty: row 1 must hold the column headers", name)
}

// checkHeaderText refuses a sheet name or header with a control character
// (but tab and line break) or invalid UTF-8: both are stored in the
// import's report, in PostgreSQL text, which takes neither (NUL) or shows
// them as garbage. A value with one is kept: the domain refuses its row.
func checkHeaderText(s, what string) error {
	if !utf8.ValidString(s) {
		return fileError("is refused: %s is not valid UTF-8 text", what)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' {
			return fileError("is refused: %s holds a control character (%U): remove it", what, r)
		}
	}
	return nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
