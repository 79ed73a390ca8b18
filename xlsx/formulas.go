package xlsx

import "strings"

// A text cell that starts with =, +, -, @, a tab or a carriage return is
// text in the .xlsx, but saved as CSV (LibreOffice, Excel) it is written
// bare, and a spreadsheet that opens that CSV runs it as a formula:
// =HYPERLINK("http://evil","x") in a last name becomes a live link. The
// export neutralises such text as OWASP advises, with a leading
// apostrophe, and the import takes it off again. The rule is exactly
// reversible: the export prefixes ' to any text matching ^'*[=+\-@\t\r]
// (text that already starts with apostrophes gets one more), and the
// import strips one ' from any cell matching ^'+[=+\-@\t\r]; so what was
// exported imports unchanged. Numbers and dates are typed cells and need
// nothing.

// formulaStarts are the characters a spreadsheet may read as the start of
// a formula.
const formulaStarts = "=+-@\t\r"

// startsFormula reports whether s, once its leading apostrophes are off,
// starts as a formula would.
func startsFormula(s string) bool {
	t := strings.TrimLeft(s, "'")
	return t != "" && strings.IndexByte(formulaStarts, t[0]) >= 0
}

// Neutralise is text as a workbook should hold it (Writer does it).
func Neutralise(s string) string {
	if startsFormula(s) {
		return "'" + s
	}
	return s
}

// Unneutralise is a cell's text as it was before Neutralise: what an
// import reads of a cell, once trimmed.
func Unneutralise(s string) string {
	if strings.HasPrefix(s, "'") && startsFormula(s) {
		return s[1:]
	}
	return s
}
