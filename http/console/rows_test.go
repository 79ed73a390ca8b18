package console

import (
	"strings"
	"testing"
)

// TestRowsHTMLEscapesEveryValue: names, emails, custom values and labels
// are text, never markup.
func TestRowsHTMLEscapesEveryValue(t *testing.T) {
	bad := `<script>alert("x")</script>&'`
	v := listView{Rows: []listRow{{ID: "01a2", LastName: bad, FirstName: bad, Email: bad, When: bad, Label: bad, Custom: []string{bad}}}}
	out := string(v.RowsHTML(`Edit "profile"`))
	if strings.Contains(out, "<script>") || strings.Contains(out, `"x"`) || strings.Contains(out, `"profile"`) {
		t.Errorf("unescaped value in %s", out)
	}
	if n := strings.Count(out, "&lt;script&gt;"); n != 6 {
		t.Errorf("%d escaped values, want 6: %s", n, out)
	}
}
