package domain

import (
	"strings"
	"unicode/utf8"
)

// Text the service accepts is text a person can have meant. Everything a
// caller types (values, labels, choices, names, search terms) passes
// checkText before it reaches the log, whatever the entry point (API,
// import, CLI): a NUL stored in an event would stop every read model that
// applies it (PostgreSQL's text columns cannot hold one), and a control
// character comes back mangled from every spreadsheet that opens an export.

// MaxSearchLength bounds a search term, in characters.
const MaxSearchLength = 200

// CheckText refuses single-line text that a person cannot have meant (see
// checkText), naming field; max bounds its length in characters.
func CheckText(field, v string, max int) error {
	return checkText(field, v, false, max)
}

// checkText refuses v, naming field, when it is not valid UTF-8, holds the
// replacement character U+FFFD (what decoding invalid UTF-8 or a lone
// surrogate leaves behind: the text was damaged on its way), a control
// character (C0, DEL, C1; tab and line breaks only when multiline), a line
// or paragraph separator in single-line text, a Unicode noncharacter, or
// more than max characters.
func checkText(field, v string, multiline bool, max int) error {
	if !utf8.ValidString(v) {
		return FieldError(field, "is not valid UTF-8 text")
	}
	n := 0
	for i, r := range v {
		n++
		if reason := refusedRune(r, multiline); reason != "" {
			return FieldError(field, "holds %s (U+%04X) at character %d: %s", reason, r, utf8.RuneCountInString(v[:i])+1, refusalHint(r))
		}
	}
	if n > max {
		return FieldError(field, "is longer than %d characters", max)
	}
	return nil
}

// refusedRune names what r is when text may not hold it, "" when it may.
func refusedRune(r rune, multiline bool) string {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		if multiline {
			return ""
		}
		return "a tab or line break"
	case r < 0x20 || r == 0x7f || (0x80 <= r && r <= 0x9f):
		return "a control character"
	case r == 0x2028 || r == 0x2029:
		if multiline {
			return ""
		}
		return "a line separator"
	case r == utf8.RuneError:
		return "the replacement character"
	case isNoncharacter(r):
		return "a noncharacter"
	}
	return ""
}

// refusalHint tells the caller what to do about a refused character.
func refusalHint(r rune) string {
	if r == utf8.RuneError {
		return "the text was damaged before it got here (invalid UTF-8 or a lone surrogate); send it as UTF-8"
	}
	if r == '\t' || r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029 {
		return "this field holds one line"
	}
	return "remove it"
}

// isNoncharacter reports whether r is one of the 66 code points Unicode
// reserves never to be characters.
func isNoncharacter(r rune) bool {
	return (0xfdd0 <= r && r <= 0xfdef) || r&0xfffe == 0xfffe
}

// normalizeLineBreaks turns CR LF and lone CR into LF: a line break typed
// on any system is one line break.
func normalizeLineBreaks(v string) string {
	if !strings.ContainsRune(v, '\r') {
		return v
	}
	return strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
}
