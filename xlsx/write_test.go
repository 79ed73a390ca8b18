package xlsx_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/assoc/contacts/xlsx"
)

// What the writer writes, the reader reads back: text as written (but
// neutralised), numbers and dates as typed cells (dates as serial
// numbers), nil as an empty cell.
func TestWriterWritesWhatTheReaderReads(t *testing.T) {
	t.Parallel()
	w, err := xlsx.NewWriter("Contacts", []xlsx.Column{{Header: "Name", Width: 20}, {Header: "=Score", Width: 10}, {Header: "Born", Width: 12}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, row := range [][]any{
		{"Ada", 36.5, time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC)},
		{"=HYPERLINK(\"x\")", nil, time.Date(1975, 7, 14, 0, 0, 0, 0, time.UTC)},
	} {
		if err := w.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	sameAsExcelize(t, buf.Bytes())
	sheet, err := xlsx.ReadWorkbook(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if sheet.Name != "Contacts" || !slices.Equal(sheet.Header, []string{"Name", "'=Score", "Born"}) {
		t.Errorf("sheet %q, header %q", sheet.Name, sheet.Header)
	}
	born, _ := xlsx.SerialDate(sheet.Rows[1].Cells[2])
	if len(sheet.Rows) != 2 || sheet.Rows[0].Cells[0] != "Ada" || sheet.Rows[0].Cells[1] != "36.5" ||
		sheet.Rows[1].Cells[0] != `'=HYPERLINK("x")` || sheet.Rows[1].Cells[1] != "" || !born.Equal(time.Date(1975, 7, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("rows = %+v", sheet.Rows)
	}
	if got := xlsx.Unneutralise(sheet.Rows[1].Cells[0]); got != `=HYPERLINK("x")` {
		t.Errorf("unneutralised: %q", got)
	}
}
