package console_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"testing"
)

var (
	rowPattern  = regexp.MustCompile(`<input type="checkbox" name="id" value="[^"]+"`)
	nextPattern = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	prevPattern = regexp.MustCompile(`<a href="([^"]+)" rel="prev">`)
)

// TestContactsPagesOf50: 120 contacts make pages of 50, 50 and 20; next
// and previous walk them, and the first page has no previous.
func TestContactsPagesOf50(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	for i := range 120 {
		s.register(t, s.community, map[string]string{"last_name": fmt.Sprintf("Nom %03d", i)})
	}
	a := signIn(t, s, s.admin)
	link := func(p *regexp.Regexp, page string) string {
		m := p.FindStringSubmatch(page)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}
	page := get(t, a.client, s.url+"/console/", http.StatusOK)
	var sizes []int
	var pages []string
	for {
		sizes = append(sizes, len(rowPattern.FindAllString(page, -1)))
		pages = append(pages, page)
		next := link(nextPattern, page)
		if next == "" || len(sizes) > 5 {
			break
		}
		page = get(t, a.client, s.url+next, http.StatusOK)
	}
	if fmt.Sprint(sizes) != "[50 50 20]" {
		t.Fatalf("pages of %v, want [50 50 20]", sizes)
	}
	if link(prevPattern, pages[0]) != "" {
		t.Error("the first page offers a previous page")
	}
	back := get(t, a.client, s.url+link(prevPattern, pages[2]), http.StatusOK)
	if !regexp.MustCompile(`Nom 050`).MatchString(back) || regexp.MustCompile(`Nom 049|Nom 100`).MatchString(back) {
		t.Error("previous from the last page is not the second page")
	}
	sorted := get(t, a.client, s.url+"/console/?sort=-last_name", http.StatusOK)
	if !regexp.MustCompile(`(?s)Nom 119.*Nom 118`).MatchString(sorted) {
		t.Error("sort=-last_name does not list the last names backwards")
	}
}
