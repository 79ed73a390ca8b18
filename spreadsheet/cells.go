package spreadsheet

import (
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/domain"
)

// columnName is a 0-based column index as Excel names it (0 → "A").
func columnName(index int) string {
	name, err := excelize.ColumnNumberToName(index + 1)
	if err != nil {
		return strconv.Itoa(index + 1)
	}
	return name
}

// cellName names a cell: 0-based column, 1-based row ("C5").
func cellName(index, row int) string {
	return columnName(index) + strconv.Itoa(row)
}

// cellValue turns a raw cell (read with RawCellValue, so dates come as
// serial numbers) into the text the domain validates. A date field takes a
// serial number as a date; every other value goes as written.
func cellValue(f domain.Field, raw string) string {
	v := strings.TrimSpace(raw)
	if f.Type != domain.FieldDate || v == "" {
		return v
	}
	serial, err := strconv.ParseFloat(v, 64)
	if err != nil || serial < 1 || serial > 2958465 { // 9999-12-31
		return v
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		return v
	}
	return t.Format(time.DateOnly)
}

// exportValue is a stored value as a typed cell: dates as dates, numbers
// as numbers (so a sheet sorts and sums them), the rest as text.
func exportValue(f domain.Field, v string) any {
	if v == "" {
		return nil
	}
	switch f.Type {
	case domain.FieldDate:
		// Excel has no dates before 1900: those stay text.
		if t, err := time.Parse(time.DateOnly, v); err == nil && t.Year() >= 1900 {
			return t
		}
	case domain.FieldNumber:
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return n
		}
	}
	return v
}

// columnWidth is a column's width in characters, from its header and type
// alone: measuring the values would mean holding every row.
func columnWidth(f domain.Field) float64 {
	w := float64(len([]rune(f.Label))) + 2
	min := 14.0
	switch {
	case f.Key == idColumn:
		min = 38
	case f.Type == domain.FieldEmail:
		min = 30
	case f.Type == domain.FieldDate:
		min = 12
	case f.Type == domain.FieldText:
		min = 18
	}
	return max(w, min)
}
