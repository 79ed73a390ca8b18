package console

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// maxBack bounds how many earlier pages "Previous" remembers in the
// address (keyset cursors only go forward); past it, "First page" stays.
const maxBack = 40

// listView is a page of a contact list as its template shows it.
type listView struct {
	// Base is the list's address; Query, Sort the search and sort shown.
	Base, Query, Sort string
	Rows              []listRow
	// Columns are the sortable headers; Custom the community's own fields
	// shown as columns (chosen with col=), Optional all of them.
	Columns          []column
	Custom, Optional []domain.Field
	// Shown lists the keys of the custom columns shown.
	Shown []string
	// Next, Prev and First are addresses ("" when there is none).
	Next, Prev, First string
	// Here is this page's address, for actions to come back to.
	Here string
}

// listRow is one contact of a list, its texts made ready in Go: a page
// of 1000 rows renders several times faster than with the template
// calling a function per cell.
type listRow struct {
	ID, LastName, FirstName, Email string
	// When is the date the list shows (updated, or archived), written
	// the page's way; Label names the row's checkbox.
	When, Label string
	// Custom are the values of the custom columns shown.
	Custom []string
}

// rowsOf lays contacts out as rows; when picks the date shown.
func rowsOf(l lang, items []domain.ContactView, custom []domain.Field, archived bool) []listRow {
	rows := make([]listRow, len(items))
	for i, c := range items {
		when := c.UpdatedAt
		if archived && c.ArchivedAt != nil {
			when = *c.ArchivedAt
		}
		r := listRow{ID: c.ID, LastName: c.LastName, FirstName: c.FirstName, Email: c.Email, When: l.Date(when),
			Label: l.T("Select %s", strings.TrimSpace(c.FirstName+" "+c.LastName+" "+c.Email))}
		for _, f := range custom {
			r.Custom = append(r.Custom, c.Fields[f.Key])
		}
		rows[i] = r
	}
	return rows
}

// IsShown reports whether a custom field's column is shown.
func (v listView) IsShown(key string) bool { return slices.Contains(v.Shown, key) }

// column is a sortable header: its label, the address that sorts by it
// (or reverses it), and how the list is sorted by it now.
type column struct {
	Label, Href string
	// Sort is "ascending", "descending" or "none" (aria-sort).
	Sort string
}

// listRequest is what the address of a list page asks for.
type listRequest struct {
	query, sort, cursor string
	back, cols          []string
}

func listRequestOf(c *gin.Context) listRequest {
	return listRequest{query: strings.TrimSpace(c.Query("q")), sort: c.Query("sort"), cursor: c.Query("cursor"),
		back: c.QueryArray("back"), cols: c.QueryArray("col")}
}

// values is the address query of r (with cursor and back when paging).
func (r listRequest) values(paging bool) url.Values {
	v := url.Values{}
	if r.query != "" {
		v.Set("q", r.query)
	}
	if r.sort != "" {
		v.Set("sort", r.sort)
	}
	for _, col := range r.cols {
		v.Add("col", col)
	}
	if paging {
		if r.cursor != "" {
			v.Set("cursor", r.cursor)
		}
		for _, b := range r.back {
			v.Add("back", b)
		}
	}
	return v
}

func href(base string, v url.Values) string {
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// newListView lays out a page of the list at base: headers, columns and
// the addresses of the next, previous and first pages.
func newListView(l lang, base string, r listRequest, pg domain.ContactPage, fields []domain.Field, sortKeys [][2]string) listView {
	v := listView{Base: base, Query: r.query, Sort: r.sort, Shown: r.cols, Here: href(base, r.values(true))}
	for _, f := range fields {
		if !domain.IsBuiltin(f.Key) {
			v.Optional = append(v.Optional, f)
			if slices.Contains(r.cols, f.Key) {
				v.Custom = append(v.Custom, f)
			}
		}
	}
	sortTexts(l, v.Optional, func(f domain.Field) string { return f.Label })
	v.Rows = rowsOf(l, pg.Items, v.Custom, base != Prefix)
	current := r.sort
	if current == "" {
		current = "last_name"
	}
	for _, k := range sortKeys {
		sorted := r
		sorted.sort, sorted.cursor, sorted.back = k[0], "", nil
		col := column{Label: l.T(k[1]), Sort: "none"}
		switch current {
		case k[0]:
			sorted.sort, col.Sort = "-"+k[0], "ascending"
		case "-" + k[0]:
			col.Sort = "descending"
		}
		col.Href = href(base, sorted.values(false))
		v.Columns = append(v.Columns, col)
	}
	if pg.NextCursor != "" {
		next := r
		next.back = append(slices.Clone(r.back), r.cursor)
		if len(next.back) > maxBack {
			next.back = next.back[1:]
		}
		next.cursor = pg.NextCursor
		v.Next = href(base, next.values(true))
	}
	if r.cursor != "" {
		prev := r
		prev.back = nil
		prev.cursor = ""
		if n := len(r.back); n > 0 {
			prev.cursor, prev.back = r.back[n-1], slices.Clone(r.back[:n-1])
		}
		v.Prev = href(base, prev.values(true))
		v.First = href(base, r.values(false))
	}
	return v
}
