package xlsx

// Limits of what the workbook reader accepts. A workbook is untrusted: a
// few kilobytes of zip can unpack to gigabytes of XML, or to millions of
// shared strings, and excelize (which this reader replaces) unpacked and
// decoded all of it before the first row. Each bound is checked while the
// part is read, so the work done on any file stays within what a real one
// needs. The reference is an export of 100,000 contacts × 12 columns: a
// 70 MB sheet; saved again by LibreOffice (which keeps text in the shared
// strings part, as Excel does), a 61 MB sheet and 405,318 shared strings
// (9 MB of text).
const (
	// MaxParts bounds the entries of the archive, counted before
	// archive/zip indexes them (each entry costs an index record). A
	// workbook has a dozen parts, a few hundred with pictures and many
	// sheets.
	MaxParts = 2000
	// MaxPartBytes bounds the unpacked bytes read from the sheet and from
	// the shared strings: 3.6 times the reference sheet. Only the parts the
	// import needs are read; the others may be any size.
	MaxPartBytes = 256 << 20
	// MaxSmallPartBytes bounds the workbook part and its relationships,
	// which list the sheets and hold no cell.
	MaxSmallPartBytes = 8 << 20
	// MaxSharedStrings bounds the shared strings: LibreOffice saves the
	// reference file with 405,318. A table larger than the first sheet
	// could ever use is refused before this (see sharedStringBudget): it
	// is work for nothing.
	MaxSharedStrings = 1_000_000
	// MaxSharedStringBytes bounds the shared strings' text, held in memory
	// while the sheet is read: the reference file's take 9 MB. Two imports
	// at once then hold at most 2 × 24 MB of strings (with their ends).
	MaxSharedStringBytes = 20 << 20
	// MaxCellChars is Excel's own limit of characters in a cell.
	MaxCellChars = 32767
	// MaxRowChars bounds the characters of one row: 100 columns of the
	// longest value a field takes (1,000 characters) and room to spare. A
	// row of 16,384 cells that each show one 32,767-character shared
	// string would otherwise cost 2 GB.
	MaxRowChars = 1 << 18
	// MaxRows is Excel's own limit of rows in a sheet.
	MaxRows = 1_048_576
	// MaxColumns is Excel's own limit of columns in a sheet (XFD).
	MaxColumns = 16384
	// MaxCells bounds the cells the reader hands over: each row counts up
	// to its last cell holding something (the cells before it are handed
	// over empty). One cell in column XFD on each of a million rows would
	// otherwise make 17 billion empty cells. The reference file has 1.2
	// million.
	MaxCells = 50_000_000
	// MaxDepth bounds the nesting of XML elements. A sheet nests 7 deep
	// (worksheet, sheetData, row, c, is, r, t); extension lists a few more.
	MaxDepth = 64
	// maxTextRun bounds a run of text between two tags, which encoding/xml
	// holds whole before handing it over: a cell's 32,767 characters take
	// at most 10 bytes each written as character references (&#x10FFFF;).
	maxTextRun = 1 << 20
	// maxTagRun bounds a tag, attributes included, which encoding/xml also
	// holds whole: a cell's tag takes some 30 bytes, the root's namespace
	// declarations a few hundred.
	maxTagRun = 64 << 10
)

// maxRawCellBytes bounds a cell's text as read, before its _xHHHH_ escapes
// are decoded: each of its characters may be one (7 bytes).
const maxRawCellBytes = 7 * MaxCellChars
