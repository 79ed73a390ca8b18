package domain

import (
	"strings"
	"unicode"
)

// foldText is the form in which choices are compared: lower case, accents
// removed, inner white space as one space, so that "Élève", "eleve" and
// "ÉLÈVE " name one choice, as search finds "Hélène" by "helene".
//
// The domain keeps to the standard library, which has no Unicode
// decomposition: the accented letters of the Latin scripts (Latin-1
// Supplement and Latin Extended-A, which cover French and the other
// languages of Western and Central Europe) are mapped by a table. Other
// letters are only lower-cased.
func foldText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		r = unicode.ToLower(r)
		if base, ok := unaccented[r]; ok {
			b.WriteString(base)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unaccented maps a lower-case accented Latin letter to its base letters.
var unaccented = func() map[rune]string {
	m := map[rune]string{}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ďđ", "e": "èéêëēĕėęě",
		"g": "ĝğġģ", "h": "ĥħ", "i": "ìíîïĩīĭįı", "j": "ĵ", "k": "ķ",
		"l": "ĺļľŀł", "n": "ñńņňŉ", "o": "òóôõöøōŏő", "r": "ŕŗř",
		"s": "śŝşšſ", "t": "ţťŧ", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ",
		"z": "źżž", "ae": "æ", "oe": "œ", "ss": "ß", "th": "þ", "dh": "ð",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()
