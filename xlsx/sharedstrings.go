package xlsx

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
)

// sharedStrings is the workbook's table of strings that cells refer to by
// number, kept compact: the text in chunks of textChunk bytes, each string
// whole in one chunk, and where each string ends (4 bytes a string;
// excelize's structs took ~300). Chunks, not one slice: a slice of 32 MB
// grown by appending would be copied at each doubling, the old copy and
// the new one alive together.
type sharedStrings struct {
	chunks [][]byte
	ends   []uint32 // end of string i, counted over the chunks (chunk k starts at k×textChunk)
	size   int      // bytes of text
}

// textChunk is the size of a chunk of text: more than any string (a
// cell's 32,767 characters take at most 4 bytes each).
const textChunk = 1 << 20

func (s *sharedStrings) len() int { return len(s.ends) }

// at returns string i (0 ≤ i < len()).
func (s *sharedStrings) at(i int) string {
	end := s.ends[i]
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	if end == start {
		return ""
	}
	k := int((end - 1) / textChunk)
	if int(start/textChunk) != k {
		start = uint32(k) * textChunk // the string opened a new chunk
	}
	base := uint32(k) * textChunk
	return string(s.chunks[k][start-base : end-base])
}

// add appends a string to the table.
func (s *sharedStrings) add(text string) {
	if len(s.chunks) == 0 || len(s.chunks[len(s.chunks)-1])+len(text) > textChunk {
		s.chunks = append(s.chunks, make([]byte, 0, textChunk))
	}
	k := len(s.chunks) - 1
	s.chunks[k] = append(s.chunks[k], text...)
	s.ends = append(s.ends, uint32(k*textChunk+len(s.chunks[k])))
	s.size += len(text)
}

const (
	// minReferenceBytes is less than the smallest cell that shows a
	// shared string, <c t="s"><v>0</v></c> (21 bytes).
	minReferenceBytes = 16
	// minSharedStrings is the table every workbook may have, whatever the
	// size of its first sheet: its other sheets share the table.
	minSharedStrings = 1 << 16
)

// sharedStringBudget is how many shared strings a first sheet of
// sheetBytes (unpacked) can use: no more than it can refer to. The 40 KB
// file of 917,000 shared strings and one small sheet, which cost excelize
// 275 MB and 17 s, is refused after 65,536.
func sharedStringBudget(sheetBytes uint64) int {
	return int(min(MaxSharedStrings, max(minSharedStrings, sheetBytes/minReferenceBytes)))
}

// readSharedStrings reads the shared strings part name, at most budget
// strings.
func readSharedStrings(ctx context.Context, a *archive, name string, budget int, sheetBytes uint64) (*sharedStrings, error) {
	s := &sharedStrings{}
	if name == "" {
		return s, nil
	}
	p, c, err := a.open(ctx, name, MaxPartBytes, func() error {
		return fileError("is damaged: no %s (where %s says the shared strings are)", name, relsPath)
	})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var scratch []byte
	what := func() string { return "shared string " + strconv.Itoa(s.len()) }
	for {
		tok, err := p.next()
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if p.depth() == 1 && start.Name.Local != "sst" {
			return nil, p.damaged("<%s> where the shared strings (<sst>) should be", start.Name.Local)
		}
		if p.depth() != 2 || start.Name.Local != "si" {
			continue
		}
		if s.len() == budget {
			if budget < MaxSharedStrings {
				return nil, p.refused("more than %d shared strings, more than its first sheet (%s) could use", budget, byteSize(sheetBytes))
			}
			return nil, p.refused("more than %d shared strings", budget)
		}
		text, err := readStringItem(p, &scratch, what)
		if err != nil {
			return nil, err
		}
		if s.size+len(text) > MaxSharedStringBytes {
			return nil, p.refused("shared strings of more than %d MB of text", MaxSharedStringBytes>>20)
		}
		s.add(text)
	}
}

// byteSize writes a size for people.
func byteSize(n uint64) string {
	switch {
	case n < 10<<10:
		return strconv.FormatUint(n, 10) + " bytes"
	case n < 10<<20:
		return strconv.FormatUint(n>>10, 10) + " KB"
	}
	return strconv.FormatUint(n>>20, 10) + " MB"
}
