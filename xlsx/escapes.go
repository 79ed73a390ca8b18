package xlsx

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// OOXML writes a character XML cannot hold (a control character) as
// _xHHHH_, its UTF-16 code in hex, and an underscore that would start such
// a sequence as _x005F_ (ECMA-376 Part 1, 22.9.2.19, ST_Xstring). Excel
// applies it to the text of shared and inline strings; excelize decodes
// exactly those, and so does this reader.

// decodeEscapes decodes the _xHHHH_ sequences of s, leftmost first and
// without overlap (as a regular expression would find them). A pair of
// UTF-16 surrogates is the character they encode together. A lone
// surrogate is no character: an error says so (excelize drops it, which
// would change the cell silently).
func decodeEscapes(s string) (string, error) {
	i := strings.Index(s, "_x")
	if i < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		u, ok := escapeAt(s, i)
		if !ok {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			i = strings.Index(s, "_x")
			continue
		}
		b.WriteString(s[:i])
		next := i + 7
		r := rune(u)
		if utf16.IsSurrogate(r) {
			lo, ok := escapeAt(s, next)
			pair := utf16.DecodeRune(r, rune(lo))
			if !ok || pair == utf8.RuneError {
				return "", fmt.Errorf("%s is half of a character", s[i:next])
			}
			r, next = pair, next+7
		}
		b.WriteRune(r)
		s = s[next:]
		i = strings.Index(s, "_x")
	}
	b.WriteString(s)
	return b.String(), nil
}

// escapeAt returns the code of the _xHHHH_ sequence at s[i:], if there is
// one.
func escapeAt(s string, i int) (uint16, bool) {
	if i+7 > len(s) || s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' {
		return 0, false
	}
	var u uint16
	for _, c := range []byte(s[i+2 : i+6]) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		u = u<<4 | uint16(d)
	}
	return u, true
}
