package spreadsheet_test

import (
	"errors"
	"fmt"
)

func errorAs(err error, target any) bool { return err != nil && errors.As(err, target) }

func fmtSscan(s string, v any) (int, error) { return fmt.Sscan(s, v) }
