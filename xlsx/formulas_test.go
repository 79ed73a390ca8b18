package xlsx

import "testing"

// The import undoes exactly what the export does, whatever the text.
func TestNeutraliseIsReversible(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "Ada", "=1+1", "+33 6 12", "-5", "@home", "\tx", "\rx", "'", "''", "'=x", "''=x", "'abc", "'+", "=", "a=b", "'@'"} {
		out := Neutralise(s)
		if startsFormula(out) && out[0] != '\'' {
			t.Errorf("Neutralise(%q) = %q starts a formula", s, out)
		}
		if back := Unneutralise(out); back != s {
			t.Errorf("Unneutralise(Neutralise(%q)) = %q", s, back)
		}
	}
	for s, want := range map[string]string{"=x": "'=x", "'=x": "''=x", "'abc": "'abc", "-": "'-", "x": "x"} {
		if got := Neutralise(s); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", s, got, want)
		}
	}
}
