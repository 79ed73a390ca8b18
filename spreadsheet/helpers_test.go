package spreadsheet_test

import (
	"errors"
	"fmt"

	"github.com/assoc/contacts/xlsx/xlsxtest"
)

// The workbooks these tests import are made (and read by excelize too) by
// xlsxtest.
var (
	book           = xlsxtest.Book
	rezip          = xlsxtest.Rezip
	partOf         = xlsxtest.Part
	readFixture    = xlsxtest.Fixture
	sameAsExcelize = xlsxtest.SameAsExcelize
)

// header is the header row of the workbooks most tests make.
var header = []any{"Email", "First name", "Last name"}

func errorAs(err error, target any) bool { return err != nil && errors.As(err, target) }

func fmtSscan(s string, v any) (int, error) { return fmt.Sscan(s, v) }
