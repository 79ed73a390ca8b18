package console_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/xuri/excelize/v2"
)

// rowsOf reads the first sheet of an .xlsx answer.
func rowsOf(t *testing.T, resp *http.Response) [][]string {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestExportsTemplateSelectionAndSearch: the template is the header row
// alone; a selection exports the ticked contacts (an auditor may); an
// export of the list follows its search.
func TestExportsTemplateSelectionAndSearch(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	helene := s.person(t, "Hélène", "Dupré")
	zoe := s.person(t, "Zoé", "Martin")
	s.person(t, "Élodie", "Abel")
	auditor := signIn(t, s, s.auditor)

	resp, err := auditor.client.Get(s.url + "/console/imports/template.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if rows := rowsOf(t, resp); len(rows) != 1 || len(rows[0]) < 5 {
		t.Errorf("template rows %v, want the header alone", rows)
	}
	resp, err = auditor.client.PostForm(s.url+"/console/export-selection", url.Values{"csrf": {auditor.csrf}, "id": {helene, zoe}})
	if err != nil {
		t.Fatal(err)
	}
	if rows := rowsOf(t, resp); len(rows) != 3 || !containsAll(rows[1][0]+rows[2][0], helene, zoe) {
		t.Errorf("selection rows %v, want the header and the two ticked", rows)
	}
	resp, err = auditor.client.Get(s.url + "/console/export.xlsx?q=helene")
	if err != nil {
		t.Fatal(err)
	}
	if rows := rowsOf(t, resp); len(rows) != 2 || rows[1][0] != helene {
		t.Errorf("export of the search rows %v, want Hélène alone", rows)
	}
}
