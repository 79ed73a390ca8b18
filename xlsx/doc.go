// Package xlsx reads and writes Excel (.xlsx) workbooks, and knows nothing
// of contacts.
//
// The reader (StreamWorkbook, ReadWorkbook) streams the first sheet of an
// untrusted workbook row by row, within the limits of limits.go, each
// checked while its part is read: the parts' unpacked size, the shared
// strings, a cell's length, rows, columns, cells, nesting. A workbook that
// breaks one, or is damaged, is refused whole with an *Error naming the
// part (and the cell); nothing is guessed. The writer (Writer) writes one
// sheet through excelize's StreamWriter. Both keep text a spreadsheet
// would run as a formula from running (Neutralise, Unneutralise).
package xlsx
