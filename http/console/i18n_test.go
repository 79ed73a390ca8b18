package console

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/assoc/contacts/domain"
)

// translated are the texts the console shows through lang.T: in its
// templates, its Go files, and its tables of words.
func translated(t *testing.T) map[string]bool {
	t.Helper()
	texts := map[string]bool{}
	inTemplates := regexp.MustCompile(`(?:\.L|\$l|\.L\.Other|\$\.L)\.T ("(?:[^"\\]|\\.)*")`)
	inGo := regexp.MustCompile(`\.T\(("(?:[^"\\]|\\.)*")`)
	add := func(quoted string) {
		s, err := strconv.Unquote(quoted)
		if err != nil {
			t.Fatalf("unquote %s: %v", quoted, err)
		}
		texts[s] = true
	}
	err := fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFiles, path)
		for _, m := range inTemplates.FindAllStringSubmatch(string(b), -1) {
			add(m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range inGo.FindAllStringSubmatch(string(b), -1) {
			add(m[1])
		}
	}
	for _, table := range []map[string]string{notices, eventWords} {
		for _, v := range table {
			texts[v] = true
		}
	}
	for _, words := range [][][2]string{activeSortKeys, archivedSortKeys} {
		for _, w := range words {
			texts[w[1]] = true
		}
	}
	for _, f := range domain.BuiltinFields {
		texts[f.Label] = true
	}
	for _, ft := range fieldTypes {
		texts[string(ft)] = true
	}
	for _, w := range []string{"active", "archived", "deleted", "merged", "created", "updated", "unchanged", "rejected",
		"admin", "auditor", "analytics", "Admin", "Auditor", "Contacts", "Profile", "Archived contacts", "Fields", "Keys",
		"Sign in", "Not allowed", "Not found", "Not done", "Merge contacts", "Import people", "Import report",
		"Delete for good?", "Remove this field?", "Only an admin manages keys.", "Only an admin imports.", "Choose an .xlsx file first.",
		"This file is over 20 MB: split it into smaller files.", "The file could not be read: try again."} {
		texts[w] = true
	}
	return texts
}

// TestEveryTextHasAFrenchTranslation: a page in French shows no English.
func TestEveryTextHasAFrenchTranslation(t *testing.T) {
	for text := range translated(t) {
		if _, ok := frenchTexts[text]; !ok {
			t.Errorf("no French for %q", text)
		}
	}
}
