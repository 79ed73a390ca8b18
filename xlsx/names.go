package xlsx

import (
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// ColumnName is a 0-based column index as Excel names it (0 → "A").
func ColumnName(index int) string {
	name, err := excelize.ColumnNumberToName(index + 1)
	if err != nil {
		return strconv.Itoa(index + 1)
	}
	return name
}

// CellName names a cell: 0-based column, 1-based row ("C5").
func CellName(index, row int) string {
	return ColumnName(index) + strconv.Itoa(row)
}

// SerialDate reads a date cell as the reader hands it over: Excel's serial
// number of the day (1 is 1900-01-01; 2958465 is 9999-12-31).
func SerialDate(v string) (time.Time, bool) {
	serial, err := strconv.ParseFloat(v, 64)
	if err != nil || serial < 1 || serial > 2958465 {
		return time.Time{}, false
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
