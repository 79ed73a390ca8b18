package xlsx

import (
	"strconv"
	"strings"
	"testing"
)

// Strings that do not fit what is left of a chunk open the next one; each
// reads back whole.
func TestSharedStringsChunks(t *testing.T) {
	t.Parallel()
	var s sharedStrings
	var want []string
	for i := range 3000 {
		text := strings.Repeat(strconv.Itoa(i%10), (i*7919)%(MaxCellChars*4))
		if i%17 == 0 {
			text = ""
		}
		s.add(text)
		want = append(want, text)
	}
	if len(s.chunks) < 2 {
		t.Fatalf("%d chunks: the test wants several", len(s.chunks))
	}
	for i, w := range want {
		if got := s.at(i); got != w {
			t.Fatalf("string %d: %d bytes, want %d", i, len(got), len(w))
		}
	}
}
