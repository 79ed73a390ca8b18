package console

import (
	"io/fs"
	"regexp"
	"testing"
)

var (
	// scriptTag is any <script> tag; each must load a file (src=).
	scriptTag = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	withSrc   = regexp.MustCompile(`(?i)\ssrc=`)
	// inlineAttr is an event handler or a style attribute, or a <style>.
	inlineAttr = regexp.MustCompile(`(?i)\son[a-z]+\s*=|\sstyle\s*=|<style\b`)
)

// inlineCode lists the inline script and style in an HTML text.
func inlineCode(html string) []string {
	var found []string
	for _, tag := range scriptTag.FindAllString(html, -1) {
		if !withSrc.MatchString(tag) {
			found = append(found, tag)
		}
	}
	return append(found, inlineAttr.FindAllString(html, -1)...)
}

// TestTemplatesHoldNoInlineCode: the Content-Security-Policy forbids
// inline script and style; a template that used them would break in the
// browser, silently. None does.
func TestTemplatesHoldNoInlineCode(t *testing.T) {
	if got := inlineCode(`<script>x()</script><a onclick="y()" style="z">`); len(got) != 3 {
		t.Fatalf("the check finds %q in a page with three", got)
	}
	err := fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFiles, path)
		for _, code := range inlineCode(string(b)) {
			t.Errorf("%s holds inline code: %s", path, code)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
