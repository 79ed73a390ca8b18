package projections

import (
	"strings"
	"unicode/utf8"
)

// What the read models store. The rules (domain) refuse text no person
// meant and bound every value, but the log may hold events appended before
// them: a read model stores what PostgreSQL can hold of those rather than
// stop at them.

// storable returns s as PostgreSQL can hold it in a text or jsonb column:
// invalid UTF-8 and NUL (which the rules refuse, but an event appended
// before them may hold) become U+FFFD.
func storable(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// capBytes cuts s to at most max bytes, on a character boundary.
func capBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// storableAll is storable applied to each of values (never nil: a JSON
// array).
func storableAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = storable(v)
	}
	return out
}

// maxIndexedBytes bounds each built-in value (names, email, external ID)
// in the read model: its sort indexes hold two names and the folded
// search text of all four, and PostgreSQL refuses an index entry over
// 2,704 bytes. The rules (domain) keep values within this bound; only an
// event from before them may hold a longer one, and the read model then
// keeps its beginning (the log keeps it whole).
const maxIndexedBytes = 400

// indexable is storable, cut to maxIndexedBytes.
func indexable(s string) string {
	return capBytes(storable(s), maxIndexedBytes)
}
