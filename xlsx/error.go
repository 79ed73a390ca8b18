package xlsx

import "fmt"

// Error is the refusal of a whole workbook: it is not one, it is damaged
// (Reason names the part and, where there is one, the cell), or it breaks
// a limit. The reader returns no other error of its own: a caller tells a
// file to send again (this) from a failure of its own (what its callbacks
// return, ctx's end), which pass through unchanged.
type Error struct {
	// Reason completes "the file …": "is damaged: xl/worksheets/sheet1.xml:
	// a row inside row 2".
	Reason string
}

func (e *Error) Error() string { return "the file " + e.Reason }

// fileError is a refusal of the whole file.
func fileError(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}
