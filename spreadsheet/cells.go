package spreadsheet

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// cellValue turns a raw cell (dates come as serial numbers) into the text
// the domain validates. A date field takes a serial number as a date, and
// text written day first as French files write it (14/07/1975, 14.07.1975,
// 14-07-1975); a number field takes text whose thousands are set apart by
// spaces (1 000, 1 000,5: a space, a no-break space or a narrow one, as
// French typing and Excel's French formats put them). Every other value
// goes as written, for the domain to take or refuse.
func cellValue(f domain.Field, raw string) string {
	v := strings.TrimSpace(raw)
	switch {
	case v == "":
	case f.Type == domain.FieldDate:
		if d, ok := serialDate(v); ok {
			return d
		}
		if d, ok := dayFirstDate(v); ok {
			return d
		}
	case f.Type == domain.FieldNumber && groupedNumber.MatchString(v):
		return strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(v)
	}
	return v
}

// groupedNumber is a number whose thousands are set apart by a space, a
// no-break space (U+00A0) or a narrow no-break space (U+202F).
var groupedNumber = regexp.MustCompile(`^[+-]?[0-9]{1,3}([ \x{00A0}\x{202F}][0-9]{3})+([.,][0-9]+)?$`)

// serialDate reads a date cell: Excel's serial number of the day.
func serialDate(v string) (string, bool) {
	t, ok := xlsx.SerialDate(v)
	if !ok {
		return "", false
	}
	return t.Format(time.DateOnly), true
}

// dayFirstDate reads day/month/year text (1-2 digit day and month, a
// 4-digit year, one separator among / . - used twice) as the date it
// means, if there is such a day.
func dayFirstDate(v string) (string, bool) {
	sep := strings.IndexAny(v, "/.-")
	if sep < 1 || sep > 2 {
		return "", false
	}
	parts := strings.Split(v, v[sep:sep+1])
	if len(parts) != 3 || len(parts[1]) < 1 || len(parts[1]) > 2 || len(parts[2]) != 4 {
		return "", false
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || p[0] == '+' || p[0] == '-' {
			return "", false
		}
		n[i] = x
	}
	t := time.Date(n[2], time.Month(n[1]), n[0], 0, 0, 0, 0, time.UTC)
	if t.Day() != n[0] || int(t.Month()) != n[1] || t.Year() != n[2] {
		return "", false // 31/02 is no day
	}
	return t.Format(time.DateOnly), true
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
