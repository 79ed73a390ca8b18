package xlsx

import (
	"encoding/xml"
	"unicode/utf8"
)

// A string item (<si> of the shared strings, <is> of an inline string
// cell) holds either one text <t>, or runs of rich text <r>, each with its
// formatting <rPr> and its text <t>; phonetic runs <rPh> (Japanese
// readings) are not the cell's text. The cell's text is the texts of the
// runs, concatenated, then its _xHHHH_ escapes decoded: what Excel shows,
// and what excelize reads. Anything else it holds is ignored, as excelize
// does; what excelize would read by a guess (two texts in one item or one
// run, where it keeps the last) makes the file damaged.

// readStringItem reads the string item p has just opened, to its end, and
// returns its text, refusing one longer than MaxCellChars. scratch is a
// buffer to reuse; what names the item in messages ("cell B2", "shared
// string 7"), called only for one.
func readStringItem(p *xmlPart, scratch *[]byte, what func() string) (string, error) {
	base := p.depth()
	raw := (*scratch)[:0]
	defer func() { *scratch = raw }()
	var (
		direct    bool // a <t> right in the item
		runs      bool // an <r>
		runText   bool // the current run has its <t>
		collect   bool // inside a <t> whose text counts
		collectAt int
	)
	for {
		tok, err := p.next()
		if err != nil {
			return "", eofIsDamage(p, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if collect {
				return "", p.damaged("<%s> inside the text of %s", t.Name.Local, what())
			}
			switch d := p.depth() - base; {
			case d == 1 && t.Name.Local == "t":
				if direct || runs {
					return "", p.damaged("%s has two texts", what())
				}
				direct, collect, collectAt = true, true, p.depth()
			case d == 1 && t.Name.Local == "r":
				if direct {
					return "", p.damaged("%s has two texts", what())
				}
				runs, runText = true, false
			case d == 2 && t.Name.Local == "t" && p.parent() == "r":
				if runText {
					return "", p.damaged("a run of text of %s has two texts", what())
				}
				runText, collect, collectAt = true, true, p.depth()
			}
		case xml.EndElement:
			if collect && p.depth() < collectAt {
				collect = false
			}
			if p.depth() < base {
				text, err := decodeEscapes(string(raw))
				if err != nil {
					return "", p.damaged("%s holds %v", what(), err)
				}
				return text, checkCellLength(p, what, text)
			}
		case xml.CharData:
			if !collect {
				continue
			}
			if len(raw)+len(t) > maxRawCellBytes {
				return "", tooLong(p, what())
			}
			raw = append(raw, t...)
		}
	}
}

// checkCellLength refuses a text longer than a cell may hold.
func checkCellLength(p *xmlPart, what func() string, text string) error {
	if len(text) <= MaxCellChars {
		return nil // short enough in bytes, so in characters too
	}
	if utf8.RuneCountInString(text) > MaxCellChars {
		return tooLong(p, what())
	}
	return nil
}

func tooLong(p *xmlPart, what string) error {
	return p.refused("%s holds more than %d characters (the most a cell holds)", what, MaxCellChars)
}
