package spreadsheet

import (
	"testing"

	"github.com/assoc/contacts/domain"
)

func TestCellValueFrenchRules(t *testing.T) {
	t.Parallel()
	number := domain.Field{Key: "n", Type: domain.FieldNumber}
	date := domain.Field{Key: "d", Type: domain.FieldDate}
	text := domain.Field{Key: "t", Type: domain.FieldText}
	for _, tc := range []struct {
		f       domain.Field
		in, out string
	}{
		{number, "1 000", "1000"},
		{number, "1\u00a0000,5", "1000,5"},
		{number, "-12\u202f345\u202f678.25", "-12345678.25"},
		{number, "42,5", "42,5"},         // the domain reads the comma
		{number, "1 00", "1 00"},         // not thousands: refused by the domain
		{number, "1 000 00", "1 000 00"}, // idem
		{number, "1  000", "1  000"},
		{text, "1 000", "1 000"},
		{date, "14/07/1975", "1975-07-14"},
		{date, "14.07.1975", "1975-07-14"},
		{date, "14-07-1975", "1975-07-14"},
		{date, "7/4/1975", "1975-04-07"},
		{date, "31/02/1975", "31/02/1975"}, // no such day: refused by the domain
		{date, "14/07-1975", "14/07-1975"},
		{date, "14/07/75", "14/07/75"},
		{date, "1975-07-14", "1975-07-14"},
		{date, "27589", "1975-07-14"}, // a date cell
		{text, "14/07/1975", "14/07/1975"},
	} {
		if got := cellValue(tc.f, tc.in); got != tc.out {
			t.Errorf("%s %q: %q, want %q", tc.f.Type, tc.in, got, tc.out)
		}
	}
}
