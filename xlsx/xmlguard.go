package xlsx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// encoding/xml holds a whole text node, tag, comment or CDATA section in
// memory before it returns it: a 200 MB cell would cost 200 MB before any
// check on the cell could run. markupGuard sits between the part and the
// decoder and fails the read as soon as one run of bytes between markup
// delimiters grows past its bound, so the decoder never buffers more. It
// also counts the part's bytes against the part's limit (archive/zip only
// fails a read past the size the zip header declares, which the file
// itself sets), refuses DOCTYPE and other declarations (a workbook part
// has none; they are where entity tricks live), and stops the read when
// ctx ends.

// limitError is a bound the part broke; the reader refuses the file with it.
type limitError struct{ reason string }

func (e *limitError) Error() string { return e.reason }

// guardState is where the guard is in the markup.
type guardState int

const (
	inText    guardState = iota
	inOpen               // just after '<'
	inBang               // after "<!": a comment, a CDATA section or a declaration
	inTag                // a start or end tag
	inQuote              // an attribute value in a tag
	inComment            // <!-- … -->
	inCDATA              // <![CDATA[ … ]]>
	inPI                 // <? … ?>
)

type markupGuard struct {
	ctx   context.Context
	r     io.Reader
	max   int64 // bytes the part may unpack to
	read  int64
	total *int64 // bytes read from every part
	state guardState
	run   int    // bytes of the current run
	quote byte   // the quote that opened the attribute value
	bang  []byte // what follows "<!" so far
	tail  int    // in a comment or CDATA, how many '-' or ']' just passed; in a PI, 1 after '?'
}

func newMarkupGuard(ctx context.Context, r io.Reader, max int64, total *int64) *markupGuard {
	return &markupGuard{ctx: ctx, r: r, max: max, total: total}
}

func (g *markupGuard) Read(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := g.r.Read(p)
	g.read += int64(n)
	*g.total += int64(n)
	if g.read > g.max {
		return 0, &limitError{fmt.Sprintf("unpacks to more than %d MB", g.max>>20)}
	}
	if gerr := g.scan(p[:n]); gerr != nil {
		return 0, gerr
	}
	return n, err
}

var (
	commentOpen = []byte("--")
	cdataOpen   = []byte("[CDATA[")
)

// scan follows the markup through b, measuring the current run.
func (g *markupGuard) scan(b []byte) error {
	for i := 0; i < len(b); {
		switch g.state {
		case inText:
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				g.run += len(b) - i
				return g.check(maxTextRun, "a text")
			}
			g.run += j
			if err := g.check(maxTextRun, "a text"); err != nil {
				return err
			}
			i += j + 1
			g.state, g.run = inOpen, 1
		case inOpen:
			switch b[i] {
			case '!':
				g.state, g.bang = inBang, g.bang[:0]
			case '?':
				g.state, g.tail = inPI, 0
			default:
				g.state = inTag
				continue // the byte is the tag's
			}
			i++
			g.run++
		case inBang:
			g.bang = append(g.bang, b[i])
			i++
			g.run++
			switch {
			case bytes.Equal(g.bang, commentOpen):
				g.state, g.tail = inComment, 0
			case bytes.Equal(g.bang, cdataOpen):
				g.state, g.tail = inCDATA, 0
			case !bytes.HasPrefix(commentOpen, g.bang) && !bytes.HasPrefix(cdataOpen, g.bang):
				return &limitError{"holds a DOCTYPE or another declaration, which no workbook part has"}
			}
		case inTag:
			j := bytes.IndexAny(b[i:], `>"'`)
			if j < 0 {
				g.run += len(b) - i
				return g.check(maxTagRun, "a tag")
			}
			g.run += j + 1
			if err := g.check(maxTagRun, "a tag"); err != nil {
				return err
			}
			c := b[i+j]
			i += j + 1
			if c == '>' {
				g.state, g.run = inText, 0
			} else {
				g.state, g.quote = inQuote, c
			}
		case inQuote:
			j := bytes.IndexByte(b[i:], g.quote)
			if j < 0 {
				g.run += len(b) - i
				return g.check(maxTagRun, "a tag")
			}
			g.run += j + 1
			if err := g.check(maxTagRun, "a tag"); err != nil {
				return err
			}
			i += j + 1
			g.state = inTag
		case inComment, inCDATA, inPI:
			c := b[i]
			i++
			g.run++
			if err := g.check(maxTextRun, "a comment, CDATA section or instruction"); err != nil {
				return err
			}
			g.endOfSpecial(c)
		}
	}
	return nil
}

// endOfSpecial follows the end of a comment (-->), a CDATA section (]]>)
// or a processing instruction (?>) byte by byte.
func (g *markupGuard) endOfSpecial(c byte) {
	var mark byte
	need := 2
	switch g.state {
	case inComment:
		mark = '-'
	case inCDATA:
		mark = ']'
	default:
		mark, need = '?', 1
	}
	switch {
	case c == '>' && g.tail >= need:
		g.state, g.run, g.tail = inText, 0, 0
	case c == mark:
		g.tail++
	default:
		g.tail = 0
	}
}

func (g *markupGuard) check(max int, what string) error {
	if g.run > max {
		return &limitError{fmt.Sprintf("holds %s longer than %d KB", what, max>>10)}
	}
	return nil
}

// limitOf returns the bound err broke, if it is one.
func limitOf(err error) (*limitError, bool) {
	var l *limitError
	ok := errors.As(err, &l)
	return l, ok
}
