package xlsx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// sheetReader streams a worksheet part row by row, with the values excelize
// gives with RawCellValue (numbers and dates as written: dates as serial
// numbers, booleans as 1 and 0), and refuses, naming the cell, what
// excelize would read by a guess: a shared string index that is no number
// or out of range (it read the first string, or an empty cell), a row in a
// row (it read both as one), cells out of order (it put them after the
// others), a cell type it does not know (it read the raw value). Formulas
// and merged cells are found in the same pass.
type sheetReader struct {
	p   *xmlPart
	sst *sharedStrings
	// emit gets each row that has a cell holding something (or a formula):
	// its number, its cells (cells[0] is column A; the slice is reused
	// once emit returns) and its formula cells.
	emit func(number int, cells, formulas []string) error

	data     bool // <sheetData> was seen
	row      int  // the row being read, 0 between rows
	lastRow  int
	col      int // the column of the row's last cell element
	cells    []string
	formulas []string
	rowChars int
	handed   int    // cells handed over so far, against MaxCells
	cur      cell   // the cell being read (one at a time: reused)
	scratch  []byte // the raw text of an inline string (reused)
}

// maxFormulasPerRow bounds the formula cells a row's rejection lists.
const maxFormulasPerRow = 100

// cell is a cell element being read.
type cell struct {
	ref      string // its name as written, "" when it has none
	kind     string // its t attribute
	col, row int
	value    []byte // the text of its <v>
	hasValue bool
	inline   string // the text of its <is>
	hasIS    bool
	formula  bool
	inV      bool
}

// name is the cell's name ("B12"), worked out only when needed.
func (c *cell) name() string {
	if c.ref != "" {
		return c.ref
	}
	return CellName(c.col-1, c.row)
}

func (r *sheetReader) read() error {
	var c *cell
	for {
		tok, err := r.p.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if c != nil && !structural[t.Name.Local] {
				if err := r.cellChild(c, t); err != nil {
					return err
				}
				continue
			}
			c, err = r.start(t)
			if err != nil {
				return err
			}
		case xml.EndElement:
			switch {
			case c != nil && t.Name.Local == "v" && c.inV:
				c.inV = false
			case c != nil && r.p.inner() == "row":
				if err := r.endCell(c); err != nil {
					return err
				}
				c = nil
			case c == nil && t.Name.Local == "row" && r.row > 0 && r.p.inner() == "sheetData":
				if err := r.endRow(); err != nil {
					return err
				}
			}
		case xml.CharData:
			if c != nil && c.inV {
				if len(c.value)+len(t) > maxRawCellBytes {
					return tooLong(r.p, "cell "+c.name())
				}
				c.value = append(c.value, t...)
			}
		}
	}
}

// structural are the elements that shape the sheet: inside a cell they are
// out of place, and start refuses them.
var structural = map[string]bool{"sheetData": true, "row": true, "c": true, "mergeCell": true}

// start handles an element outside any cell, and returns the cell it
// starts, if it is one.
func (r *sheetReader) start(t xml.StartElement) (*cell, error) {
	p := r.p
	switch t.Name.Local {
	case "mergeCell":
		return nil, fileError("has merged cells (%s): unmerge them, each cell holding its own value", attrValue(t, "ref"))
	case "sheetData":
		if p.depth() != 2 || r.data {
			return nil, p.damaged("<sheetData> where none may be")
		}
		r.data = true
	case "row":
		switch {
		case p.parent() == "row":
			return nil, p.damaged("a row inside row %d", r.row)
		case p.parent() != "sheetData" || p.depth() != 3:
			return nil, p.damaged("a row outside the sheet's data")
		}
		return nil, r.startRow(t)
	case "c":
		if p.parent() != "row" {
			return nil, p.damaged("a cell outside a row")
		}
		return r.startCell(t)
	}
	if p.depth() == 1 && t.Name.Local != "worksheet" {
		return nil, p.damaged("<%s> where a worksheet should be", t.Name.Local)
	}
	return nil, nil
}

func (r *sheetReader) startRow(t xml.StartElement) error {
	n := r.lastRow + 1
	ref, ok, err := uniqueAttr(r.p, t, "r")
	if err != nil {
		return err
	}
	if ok {
		v, err := strconv.Atoi(ref)
		if err != nil || v < 1 || ref[0] == '+' || ref[0] == '0' {
			return r.p.damaged("row number %q is not a row number", ref)
		}
		n = v
	}
	if n > MaxRows {
		return fileError("has more than %d rows", MaxRows)
	}
	if n <= r.lastRow {
		return r.p.damaged("row %d comes after row %d", n, r.lastRow)
	}
	r.row, r.lastRow, r.col, r.rowChars = n, n, 0, 0
	r.cells, r.formulas = r.cells[:0], nil
	return nil
}

func (r *sheetReader) endRow() error {
	n := r.row
	r.row = 0
	if len(r.cells) == 0 {
		return nil
	}
	return r.emit(n, r.cells, r.formulas)
}

func (r *sheetReader) startCell(t xml.StartElement) (*cell, error) {
	p := r.p
	c := &r.cur
	*c = cell{col: r.col + 1, row: r.row, value: c.value[:0]}
	ref, hasRef, err := uniqueAttr(p, t, "r")
	if err != nil {
		return nil, err
	}
	if hasRef {
		col, row, ok := parseCellRef(ref)
		switch {
		case !ok:
			return nil, p.damaged("%q is not a cell reference", ref)
		case row != r.row:
			return nil, p.damaged("cell %s is in row %d", ref, r.row)
		case col <= r.col:
			return nil, p.damaged("cell %s comes after cell %s", ref, CellName(r.col-1, r.row))
		}
		c.col, c.ref = col, ref
	}
	if c.col > MaxColumns {
		return nil, p.damaged("row %d has more than %d columns", r.row, MaxColumns)
	}
	r.col = c.col
	if c.kind, _, err = uniqueAttr(p, t, "t"); err != nil {
		return nil, err
	}
	if style, ok, err := uniqueAttr(p, t, "s"); err != nil {
		return nil, err
	} else if ok && !isInteger(style) {
		// excelize reads a cell whose style it cannot parse as empty.
		return nil, p.damaged("cell %s has style %q, which is no number", c.name(), style)
	}
	return c, nil
}

// cellChild handles an element inside cell c.
func (r *sheetReader) cellChild(c *cell, t xml.StartElement) error {
	p := r.p
	name := t.Name.Local
	if c.inV {
		return p.damaged("<%s> inside the value of cell %s", name, c.name())
	}
	if name != "v" && name != "f" && name != "is" {
		return nil
	}
	if p.parent() != "c" {
		return p.damaged("<%s> out of place in cell %s", name, c.name())
	}
	switch name {
	case "v":
		if c.hasValue {
			return p.damaged("cell %s has two values", c.name())
		}
		c.hasValue, c.inV = true, true
	case "f":
		c.formula = true
	case "is":
		if c.hasIS {
			return p.damaged("cell %s has two strings", c.name())
		}
		text, err := readStringItem(p, &r.scratch, func() string { return "cell " + c.name() })
		if err != nil {
			return err
		}
		c.inline, c.hasIS = text, true
	}
	return nil
}

func (r *sheetReader) endCell(c *cell) error {
	value, err := r.value(c)
	if err != nil {
		return err
	}
	if err := checkCellLength(r.p, func() string { return "cell " + c.name() }, value); err != nil {
		return err
	}
	if value == "" && !c.formula {
		return nil // as excelize: an empty cell does not lengthen its row
	}
	if r.rowChars += utf8.RuneCountInString(value); r.rowChars > MaxRowChars {
		return r.p.refused("row %d holds more than %d characters", r.row, MaxRowChars)
	}
	if r.handed += c.col - len(r.cells); r.handed > MaxCells {
		return r.p.refused("the sheet holds more than %d cells (each row counts to its last cell)", MaxCells)
	}
	for len(r.cells) < c.col-1 {
		r.cells = append(r.cells, "")
	}
	r.cells = append(r.cells, value)
	if c.formula && len(r.formulas) < maxFormulasPerRow {
		r.formulas = append(r.formulas, c.name())
	}
	return nil
}

// value is the cell's value as excelize reads it with RawCellValue.
func (r *sheetReader) value(c *cell) (string, error) {
	switch c.kind {
	case "s":
		raw := bytes.TrimSpace(c.value)
		if len(raw) == 0 {
			return "", nil
		}
		i, ok := atoi(raw)
		if !ok {
			return "", r.p.damaged("cell %s refers to shared string %q, which is no number", c.name(), raw)
		}
		if i < 0 || i >= r.sst.len() {
			return "", r.p.damaged("cell %s refers to shared string %d, but the workbook has %d", c.name(), i, r.sst.len())
		}
		return r.sst.at(i), nil
	case "inlineStr":
		if c.hasIS {
			return c.inline, nil
		}
	case "", "n", "b", "d", "e", "str":
	default:
		return "", r.p.damaged("cell %s has an unknown type %q", c.name(), c.kind)
	}
	return string(c.value), nil
}

// uniqueAttr returns the value of the attribute name (any prefix), and
// whether it is there; twice is damage (excelize keeps the last).
func uniqueAttr(p *xmlPart, t xml.StartElement, name string) (string, bool, error) {
	var v string
	found := false
	for _, a := range t.Attr {
		if a.Name.Local != name {
			continue
		}
		if found {
			return "", false, p.damaged("<%s> has two %s attributes", t.Name.Local, name)
		}
		v, found = a.Value, true
	}
	return v, found, nil
}

func attrValue(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseCellRef reads a cell reference as Excel writes it ("B12"): column
// letters, then the row number. Lower case, $ and leading zeros, which
// Excel never writes, are refused.
func parseCellRef(ref string) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && i < 3 && 'A' <= ref[i] && ref[i] <= 'Z' {
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	if i == 0 || i == len(ref) || ref[i] == '0' || col > MaxColumns {
		return 0, 0, false
	}
	for _, d := range []byte(ref[i:]) {
		if d < '0' || d > '9' || row > MaxRows {
			return 0, 0, false
		}
		row = row*10 + int(d-'0')
	}
	return col, row, true
}

// atoi reads a decimal integer as strconv.Atoi does (an optional sign,
// then digits), without making a string of b.
func atoi(b []byte) (int, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// isInteger reports whether s reads as a 64-bit integer, as excelize reads
// a style (strconv.ParseInt).
func isInteger(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}
