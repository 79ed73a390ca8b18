package xlsx

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// Column is one column a Writer writes: its header and its width in
// characters.
type Column struct {
	Header string
	Width  float64
}

// Writer writes one sheet of a new workbook, row by row: a frozen, bold
// header row, then the rows. Rows go through excelize's StreamWriter,
// which spills them to a temporary file rather than holding them, and the
// workbook is zipped straight into the io.Writer WriteTo is given. Text
// that a spreadsheet would run as a formula is neutralised (Neutralise).
type Writer struct {
	f         *excelize.File
	sw        *excelize.StreamWriter
	dateStyle int
	row       int   // the next row's number
	cells     []any // reused for each row
}

// NewWriter starts a workbook of one sheet, named sheet, with the header
// row of columns. Close it.
func NewWriter(sheet string, columns []Column) (_ *Writer, err error) {
	w := &Writer{f: excelize.NewFile(), row: 2, cells: make([]any, len(columns))}
	defer func() {
		if err != nil {
			w.Close() //nolint:errcheck // the first error says more
			err = fmt.Errorf("write workbook: %w", err)
		}
	}()
	if err := w.f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	if w.sw, err = w.f.NewStreamWriter(sheet); err != nil {
		return nil, err
	}
	if w.dateStyle, err = w.f.NewStyle(&excelize.Style{NumFmt: 14, CustomNumFmt: ptr("yyyy-mm-dd")}); err != nil {
		return nil, err
	}
	headStyle, err := w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	head := make([]any, len(columns))
	for i, c := range columns {
		if err := w.sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return nil, err
		}
		head[i] = excelize.Cell{StyleID: headStyle, Value: Neutralise(c.Header)}
	}
	if err := w.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := w.sw.SetRow("A1", head); err != nil {
		return nil, err
	}
	return w, nil
}

// WriteRow writes the next row. Each value is nil (an empty cell), a
// string (text, neutralised), a time.Time (a date), or a number.
func (w *Writer) WriteRow(values []any) error {
	for i, v := range values {
		switch x := v.(type) {
		case string:
			w.cells[i] = Neutralise(x)
		case time.Time:
			w.cells[i] = excelize.Cell{StyleID: w.dateStyle, Value: x}
		default:
			w.cells[i] = x
		}
	}
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	if err := w.sw.SetRow(cell, w.cells[:len(values)]); err != nil {
		return fmt.Errorf("write row %d: %w", w.row, err)
	}
	w.row++
	return nil
}

// WriteTo ends the sheet and writes the workbook to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if err := w.sw.Flush(); err != nil {
		return 0, fmt.Errorf("write workbook: %w", err)
	}
	n, err := w.f.WriteTo(out)
	if err != nil {
		return n, fmt.Errorf("write workbook: %w", err)
	}
	return n, nil
}

// Close removes the temporary files of the rows.
func (w *Writer) Close() error { return w.f.Close() }

func ptr[T any](v T) *T { return &v }
