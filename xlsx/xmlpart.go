package xlsx

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// xmlPart reads one part of the workbook as a stream of XML tokens, within
// the limits: RawToken (no namespace bookkeeping, ~2x faster than Token)
// with the nesting checked here instead, against a stack no deeper than
// MaxDepth. Elements are told apart by local name, as excelize does: a
// prefix (x:row) changes nothing.
type xmlPart struct {
	name  string
	dec   *xml.Decoder
	stack []xml.Name
	root  bool // the root element was seen
	// namespaces has the decoder resolve prefixes (Token), for the small
	// parts where an attribute is known by its namespace (r:id).
	namespaces bool
}

// xmlReadBuffer is how much of a part the decoder reads at a time.
const xmlReadBuffer = 64 << 10

func newXMLPart(ctx context.Context, name string, r io.Reader, max int64, unpacked *int64) *xmlPart {
	dec := xml.NewDecoder(bufio.NewReaderSize(newMarkupGuard(ctx, r, max, unpacked), xmlReadBuffer))
	return &xmlPart{name: name, dec: dec, stack: make([]xml.Name, 0, 16)}
}

// depth is the number of elements open: 1 inside the root.
func (p *xmlPart) depth() int { return len(p.stack) }

// parent is the local name of the element that holds the innermost one
// ("" at the root).
func (p *xmlPart) parent() string {
	if len(p.stack) < 2 {
		return ""
	}
	return p.stack[len(p.stack)-2].Local
}

// inner is the local name of the innermost open element ("" outside the
// root).
func (p *xmlPart) inner() string {
	if len(p.stack) == 0 {
		return ""
	}
	return p.stack[len(p.stack)-1].Local
}

// next returns the next element start, element end or text, and io.EOF at
// the end of a well-formed part. CharData is only valid until the next
// call. Any other failure is the file's error, naming the part.
func (p *xmlPart) next() (xml.Token, error) {
	for {
		var tok xml.Token
		var err error
		if p.namespaces {
			tok, err = p.dec.Token()
		} else {
			tok, err = p.dec.RawToken()
		}
		if errors.Is(err, io.EOF) {
			if len(p.stack) > 0 {
				return nil, p.damaged("it ends inside <%s>", p.inner())
			}
			if !p.root {
				return nil, p.damaged("it has no XML element")
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, p.readError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(p.stack) == 0 {
				if p.root {
					return nil, p.damaged("it has a second root element <%s>", t.Name.Local)
				}
				p.root = true
			}
			if len(p.stack) == MaxDepth {
				return nil, p.damaged("its elements nest more than %d deep", MaxDepth)
			}
			p.stack = append(p.stack, t.Name)
			return tok, nil // tok, not t: boxing t again would allocate
		case xml.EndElement:
			if len(p.stack) == 0 || p.stack[len(p.stack)-1] != t.Name {
				return nil, p.damaged("</%s> closes no open element", t.Name.Local)
			}
			p.stack = p.stack[:len(p.stack)-1]
			return tok, nil
		case xml.CharData:
			if len(p.stack) == 0 {
				continue // white space (or a byte-order mark) around the root
			}
			return tok, nil
		case xml.Directive:
			return nil, p.damaged("it holds a declaration <!%.20s>", t)
		}
		// Comments and processing instructions (the XML declaration, whose
		// encoding the decoder checks) carry nothing.
	}
}

// skip reads to the end of the element just started, reading (and
// checking) what it holds.
func (p *xmlPart) skip() error {
	depth := len(p.stack)
	for len(p.stack) >= depth {
		if _, err := p.next(); err != nil {
			return eofIsDamage(p, err)
		}
	}
	return nil
}

// readError turns a failure to read the part into the file's error, or
// passes on the caller's leaving.
func (p *xmlPart) readError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if l, ok := limitOf(err); ok {
		return fileError("is refused: %s %s", p.name, l.reason)
	}
	var syntax *xml.SyntaxError
	if errors.As(err, &syntax) {
		return fileError("is damaged: %s is not valid XML (line %d: %s)", p.name, syntax.Line, syntax.Msg)
	}
	if archiveDamage(err) {
		return fileError("is damaged: %s cannot be unpacked (%s)", p.name, err)
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return fileError("is damaged: %s cannot be read (%s)", p.name, msg)
}

// damaged is the file's error for a part that breaks the rules. (No line
// number: Excel writes a part on one line; the message names the cell.)
func (p *xmlPart) damaged(format string, args ...any) error {
	return fileError("is damaged: %s: %s", p.name, fmt.Sprintf(format, args...))
}

// refused is the file's error for a part that breaks a limit.
func (p *xmlPart) refused(format string, args ...any) error {
	return fileError("is refused: %s: %s", p.name, fmt.Sprintf(format, args...))
}

// eofIsDamage turns an end of part where more was due into damage.
func eofIsDamage(p *xmlPart, err error) error {
	if errors.Is(err, io.EOF) {
		return p.damaged("it ends too early")
	}
	return err
}
