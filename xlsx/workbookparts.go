package xlsx

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"
)

// The workbook part lists the sheets; its relationships part says which
// part holds each sheet, and which holds the shared strings. Both are read
// whole (they are small) as the workbook's map; nothing else of the
// package is read but the first sheet and the shared strings.

const (
	workbookPath = "xl/workbook.xml"
	relsPath     = "xl/_rels/workbook.xml.rels"
	// defaultSharedStrings is where the shared strings are when the
	// relationships name none (excelize reads them there, always).
	defaultSharedStrings = "xl/sharedStrings.xml"
)

// The relationship namespaces of r:id: transitional, then strict OOXML.
var relNamespaces = []string{
	"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
	"http://purl.oclc.org/ooxml/officeDocument/relationships",
}

// firstSheet is what the workbook says of its first sheet.
type firstSheet struct {
	name string
	rid  string
}

// workbookMap is where the parts the reader needs are.
type workbookMap struct {
	sheetName     string
	sheetPath     string
	sharedStrings string // "" when the workbook has none
}

func readWorkbookMap(ctx context.Context, a *archive) (workbookMap, error) {
	var m workbookMap
	sheet, err := readFirstSheet(ctx, a)
	if err != nil {
		return m, err
	}
	rels, err := readRels(ctx, a)
	if err != nil {
		return m, err
	}
	m.sheetName = sheet.name
	r, ok := rels[sheet.rid]
	if !ok {
		return m, fileError("is damaged: sheet %q has no part (%s names none for %q)", sheet.name, relsPath, sheet.rid)
	}
	switch {
	case strings.HasSuffix(r.kind, "/chartsheet"):
		return m, fileError("has a chart as its first sheet: put the contacts on the first sheet")
	case !strings.HasSuffix(r.kind, "/worksheet"):
		return m, fileError("has a first sheet that is not a worksheet (%q): put the contacts on the first sheet", path.Base(r.kind))
	}
	m.sheetPath = partPath(r.target)
	for _, r := range rels {
		if !strings.HasSuffix(r.kind, "/sharedStrings") {
			continue
		}
		if m.sharedStrings != "" {
			return m, fileError("is damaged: %s names two shared string parts", relsPath)
		}
		m.sharedStrings = partPath(r.target)
	}
	if m.sharedStrings == "" {
		if f, err := a.find(defaultSharedStrings); err != nil {
			return m, err
		} else if f != nil {
			m.sharedStrings = defaultSharedStrings
		}
	}
	return m, nil
}

// partPath is the archive path of a relationship's target, as excelize
// resolves it: relative to the workbook's folder unless it starts with /.
func partPath(target string) string {
	p := path.Clean(path.Dir(workbookPath) + "/" + target)
	if strings.HasPrefix(target, "/") {
		p = path.Clean(target)
	}
	return strings.TrimPrefix(strings.ReplaceAll(p, `\`, "/"), "/")
}

// readFirstSheet reads the workbook part's list of sheets and returns the
// first. Two sheets of one name (Excel compares them without case) make
// the file damaged: which one excelize read was a guess.
func readFirstSheet(ctx context.Context, a *archive) (firstSheet, error) {
	var first firstSheet
	p, c, err := a.open(ctx, workbookPath, MaxSmallPartBytes, func() error { return notWorkbookError(a) })
	if err != nil {
		return first, err
	}
	defer c.Close()
	p.namespaces = true
	names := map[string]bool{}
	for {
		tok, err := p.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return first, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "sheet" || p.parent() != "sheets" || p.depth() != 3 {
			continue
		}
		s := firstSheet{}
		for _, at := range start.Attr {
			switch {
			case at.Name.Local == "name" && at.Name.Space == "":
				s.name = at.Value
			case at.Name.Local == "id" && (at.Name.Space == relNamespaces[0] || at.Name.Space == relNamespaces[1]):
				s.rid = at.Value
			}
		}
		folded := strings.ToLower(s.name)
		if names[folded] {
			return first, fileError("is damaged: two sheets are named %q", s.name)
		}
		names[folded] = true
		if len(names) == 1 {
			first = s
		}
	}
	if len(names) == 0 {
		return first, fileError("has no sheet")
	}
	return first, nil
}

// relationship is one line of the workbook's relationships part.
type relationship struct {
	kind   string // its Type
	target string
}

func readRels(ctx context.Context, a *archive) (map[string]relationship, error) {
	p, c, err := a.open(ctx, relsPath, MaxSmallPartBytes, func() error {
		return fileError("is damaged: no %s (which part holds each sheet)", relsPath)
	})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rels := map[string]relationship{}
	for {
		tok, err := p.next()
		if errors.Is(err, io.EOF) {
			return rels, nil
		}
		if err != nil {
			return nil, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "Relationship" || p.depth() != 2 {
			continue
		}
		var id string
		var r relationship
		for _, at := range start.Attr {
			switch at.Name.Local {
			case "Id":
				id = at.Value
			case "Type":
				r.kind = at.Value
			case "Target":
				r.target = at.Value
			}
		}
		if _, dup := rels[id]; dup {
			return nil, fileError("is damaged: %s names %q twice", relsPath, id)
		}
		rels[id] = r
	}
}
