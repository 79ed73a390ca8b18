package xlsx_test

import (
	"errors"

	"github.com/assoc/contacts/xlsx/xlsxtest"
)

// The helpers of xlsxtest under the short names these tests use.
var (
	book           = xlsxtest.Book
	rezip          = xlsxtest.Rezip
	part           = xlsxtest.Part
	readFixture    = xlsxtest.Fixture
	sameAsExcelize = xlsxtest.SameAsExcelize
)

func errorAs(err error, target any) bool { return err != nil && errors.As(err, target) }
