package console_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/domain"
)

// TestBrowser runs each flow of the console as a person would, in one
// headless Chromium, each flow in a tab (and a browser context) of its
// own, on a stack of its own.
func TestBrowser(t *testing.T) {
	browser := startBrowser(t)
	for name, flow := range map[string]func(*testing.T, *tab){
		"SignInAndSearch":         flowSignInAndSearch,
		"ArchiveRestoreDelete":    flowArchiveRestoreDelete,
		"EditProfileMeets412":     flowEditProfileMeets412,
		"SwitchLanguage":          flowSwitchLanguage,
		"AuditorReadsOnly":        flowAuditorReadsOnly,
		"FieldsAddUseRemove":      flowFieldsAddUseRemove,
		"KeysMakeAndRevoke":       flowKeysMakeAndRevoke,
		"MergeAndUndo":            flowMergeAndUndo,
		"EveryPageIsAccessible":   flowEveryPageIsAccessible,
		"ImportDryRunApplyRevert": flowImportDryRunApplyRevert,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			flow(t, newTab(t, browser, newStack(t)))
		})
	}
}

// flowSignInAndSearch: sign in with the admin key, search "helene" as one
// types and find "Hélène" (and not the others), then sign out.
func flowSignInAndSearch(t *testing.T, tb *tab) {
	s := tb.stack
	s.person(t, "Hélène", "Dupré")
	s.person(t, "Zoé", "Martin")
	s.person(t, "Élodie", "Abel")
	s.person(t, "Elodie", "Zèbre")
	tb.signIn(s.admin)
	if n := tb.count("table.list tbody tr"); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	// French order: Élodie Abel first, Elodie Zèbre last; a header sorts,
	// and again reverses.
	if first := tb.text("table.list tbody tr td:nth-child(2)"); first != "Abel" {
		t.Errorf("first row %q, want Abel", first)
	}
	tb.click("th a[href*='sort=first_name']")
	tb.waitFor(`location.search.includes("sort=first_name")`)
	tb.waitText("th[aria-sort=ascending]", "First name")
	tb.click("th a[href*='sort=-first_name']")
	tb.waitText("th[aria-sort=descending]", "First name")
	if first := tb.text("table.list tbody tr td:nth-child(3)"); first != "Zoé" {
		t.Errorf("first names backwards start with %q, want Zoé", first)
	}
	tb.visit("/console/")
	tb.fill("#q", "helene")
	tb.waitFor(`document.querySelectorAll("table.list tbody tr").length === 1`)
	if got := tb.text("table.list tbody"); !containsAll(got, "Hélène", "Dupré") {
		t.Errorf("search helene shows %q", got)
	}
	tb.waitFor(`location.search.includes("q=helene")`)
	tb.screenshot("search")
	tb.click("form[action='/console/sign-out'] button")
	tb.waitFor(`location.pathname === "/console/sign-in"`)
	tb.visit("/console/")
	tb.waitFor(`location.pathname === "/console/sign-in"`)
}

// tick ticks the row of the contact named text.
func (tb *tab) tick(text string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.JSPath(fmt.Sprintf(
		`[...document.querySelectorAll("table.list tbody tr")].find(r => r.innerText.includes(%q)).querySelector("input[type=checkbox]")`, text))))
}

// flowArchiveRestoreDelete: tick three rows, archive them, see them leave
// the list and appear in the archived page, restore one, delete one with
// the confirmation.
func flowArchiveRestoreDelete(t *testing.T, tb *tab) {
	s := tb.stack
	for _, n := range [][2]string{{"Anne", "Archambault"}, {"Bruno", "Boulanger"}, {"Chloé", "Cordier"}, {"Denis", "Durand"}, {"Émile", "Étienne"}} {
		s.person(t, n[0], n[1])
	}
	tb.signIn(s.admin)
	for _, name := range []string{"Archambault", "Boulanger", "Cordier"} {
		tb.tick(name)
	}
	tb.waitText("[data-count]", "3 selected")
	tb.screenshot("selected")
	tb.click("button[formaction='/console/contacts/archive']")
	tb.waitText(".notice", "3 archived")
	if got := tb.text("table.list tbody"); strings.Contains(got, "Archambault") || !containsAll(got, "Durand", "Étienne") {
		t.Errorf("after archiving, the list shows %q", got)
	}
	tb.click("nav a[href='/console/archived']")
	tb.waitText("main", "3 archived contacts")
	if got := tb.text("table.list tbody"); !containsAll(got, "Archambault", "Boulanger", "Cordier") {
		t.Errorf("archived page shows %q", got)
	}
	tb.tick("Boulanger")
	tb.click("button[formaction='/console/archived/restore']")
	tb.waitText(".notice", "1 restored")
	if got := tb.text("table.list tbody"); strings.Contains(got, "Boulanger") {
		t.Errorf("restored contact still archived: %q", got)
	}
	tb.tick("Cordier")
	tb.click("button[formaction='/console/archived/delete']")
	tb.waitText("#confirm-title", "Delete 1 person for good?")
	if w := tb.text("#confirm-warning"); !strings.Contains(w, "cannot be brought back") {
		t.Errorf("confirmation warns %q", w)
	}
	tb.screenshot("confirm")
	tb.click("form[role=alertdialog] button.danger")
	tb.waitText(".notice", "1 deleted for good")
	if got := tb.text("table.list tbody"); strings.Contains(got, "Cordier") || !strings.Contains(got, "Archambault") {
		t.Errorf("after delete, archived page shows %q", got)
	}
	tb.visit("/console/")
	if got := tb.text("table.list tbody"); !strings.Contains(got, "Boulanger") {
		t.Errorf("restored contact not back in the list: %q", got)
	}
}

// flowEditProfileMeets412: open a profile from its pencil, type a change,
// meet a concurrent edit (412): the typing stays, "save mine anyway"
// saves it.
func flowEditProfileMeets412(t *testing.T, tb *tab) {
	s := tb.stack
	id := s.person(t, "Hélène", "Dupré")
	tb.signIn(s.admin)
	tb.click("a[aria-label='Edit profile']")
	tb.waitFor(`location.pathname === "/console/contacts/` + id + `"`)
	tb.fill("[name='f.first_name']", "Helena")
	// Someone else changes the contact meanwhile.
	res, err := s.handler.UpdateContact(t.Context(), domain.Caller{CommunityID: s.community, Actor: "other"}, id, map[string]string{"last_name": "Dupont"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.reader.WaitFor(t.Context(), res.Position); err != nil {
		t.Fatal(err)
	}
	tb.click("form.form-grid button.primary")
	tb.waitText(".problem", "Someone changed this contact")
	if v := tb.value("[name='f.first_name']"); v != "Helena" {
		t.Errorf("typed first name %q after the conflict, want Helena", v)
	}
	tb.screenshot("conflict")
	if v := tb.value("[name='f.last_name']"); v != "Dupont" {
		t.Errorf("last name %q after the conflict, want theirs, Dupont", v)
	}
	tb.click("form.form-grid button.primary")
	tb.waitText(".notice", "Profile updated")
	if first, last := tb.value("[name='f.first_name']"), tb.value("[name='f.last_name']"); first != "Helena" || last != "Dupont" {
		t.Errorf("after saving: %s %s, want Helena (mine) Dupont (theirs)", first, last)
	}
	// A bad email is refused beside its field.
	tb.fill("[name='f.email']", "not an email")
	tb.click("form.form-grid button.primary")
	tb.waitFor(`document.getElementById("f.email-error").innerText.length > 0`)
	tb.click(".tabs a[href$='tab=history']")
	tb.waitText(".timeline", "Profile updated")
	tb.screenshot("history")
	// As of: before the contact existed, then now.
	tb.click(".tabs a[href$='tab=asof']")
	tb.waitFor(`document.getElementById("at") !== null`)
	tb.setValue("#at", "2020-01-01T00:00")
	tb.click("form[action^='/console/contacts/'] button[type=submit]")
	tb.waitText(".problem", "did not exist yet")
	tb.setValue("#at", time.Now().UTC().Add(time.Minute).Format("2006-01-02T15:04"))
	tb.click("form[action^='/console/contacts/'] button[type=submit]")
	tb.waitText("dl.profile", "Helena")
}

// flowSwitchLanguage: the switch puts the console in French: French words,
// French dates, the pencil read "Modifier le profil".
func flowSwitchLanguage(t *testing.T, tb *tab) {
	s := tb.stack
	s.person(t, "Hélène", "Dupré")
	tb.signIn(s.admin)
	tb.click("a[hreflang=fr]")
	tb.waitFor(`document.documentElement.lang === "fr"`)
	if n := tb.count("a[aria-label='Modifier le profil']"); n != 1 {
		t.Errorf("%d pencils named Modifier le profil", n)
	}
	if got := tb.text("table.list tbody"); !strings.Contains(got, " à ") {
		t.Errorf("dates not French: %q", got)
	}
	if got := tb.text("nav"); !containsAll(got, "Archivés", "Champs") {
		t.Errorf("menu not French: %q", got)
	}
	tb.screenshot("french")
	tb.click("a[hreflang=en]")
	tb.waitFor(`document.documentElement.lang === "en"`)
}

// flowAuditorReadsOnly: an auditor sees the lists and profiles, and no
// button it may not use.
func flowAuditorReadsOnly(t *testing.T, tb *tab) {
	s := tb.stack
	s.person(t, "Hélène", "Dupré")
	tb.signIn(s.auditor)
	if n := tb.count("button[formaction='/console/contacts/archive'], a[href='/console/keys']"); n != 0 {
		t.Errorf("an auditor sees %d controls it may not use", n)
	}
	tb.click("a[aria-label='Edit profile']")
	tb.waitFor(`document.querySelector("dl.profile") !== null`)
	if n := tb.count("form.form-grid, button.primary"); n != 0 {
		t.Errorf("an auditor sees %d edit controls on a profile", n)
	}
	tb.screenshot("profile")
}

// flowFieldsAddUseRemove: add a choice field, pick a value on a profile,
// show it as a column of the list, then remove it past its warning.
func flowFieldsAddUseRemove(t *testing.T, tb *tab) {
	s := tb.stack
	s.person(t, "Hélène", "Dupré")
	tb.signIn(s.admin)
	tb.click("nav a[href='/console/fields']")
	tb.waitFor(`document.getElementById("label") !== null`)
	tb.fill("#label", "Membership")
	tb.fill("#key", "Bad Key")
	tb.click("form.form-grid button.primary")
	tb.waitFor(`document.getElementById("key")?.getAttribute("aria-invalid") === "true"`)
	tb.fill("#key", "membership")
	tb.setValue("#type", "choice")
	tb.fill("#choices", "Member\nVolunteer")
	tb.click("form.form-grid button.primary")
	tb.waitText(".notice", "Field added")
	tb.screenshot("fields")
	tb.visit("/console/")
	tb.click("a[aria-label='Edit profile']")
	tb.waitFor(`document.querySelector("select[name='f.membership']") !== null`)
	tb.setValue("select[name='f.membership']", "Volunteer")
	tb.click("form.form-grid button.primary")
	tb.waitText(".notice", "Profile updated")
	tb.visit("/console/?col=membership")
	if got := tb.text("table.list"); !containsAll(got, "Membership", "Volunteer") {
		t.Errorf("list with the membership column: %q", got)
	}
	tb.visit("/console/fields")
	tb.click("button[aria-label='Remove the field Membership']")
	tb.waitText("#confirm-warning", "Every contact's value")
	tb.click("form[role=alertdialog] button.danger")
	tb.waitText(".notice", "Field removed")
	if got := tb.text("table.list"); strings.Contains(got, "Membership") {
		t.Errorf("removed field still listed: %q", got)
	}
}

// flowKeysMakeAndRevoke: make an auditor key (shown once), see it listed,
// revoke it: it signs in no more.
func flowKeysMakeAndRevoke(t *testing.T, tb *tab) {
	s := tb.stack
	tb.signIn(s.admin)
	tb.click("nav a[href='/console/keys']")
	tb.waitFor(`document.getElementById("role") !== null`)
	before := tb.count("table.list tbody tr")
	tb.click("form[action='/console/keys'] button.primary")
	tb.waitFor(`document.getElementById("new-key") !== null`)
	key := tb.text("#new-key")
	if !strings.HasPrefix(key, "ck_") || tb.count("table.list tbody tr") != before+1 {
		t.Fatalf("made key %q, %d keys listed (was %d)", key, tb.count("table.list tbody tr"), before)
	}
	tb.screenshot("made")
	made, err := s.keys.Lookup(t.Context(), key)
	if err != nil {
		t.Fatalf("the new key: %v", err)
	}
	tb.visit("/console/keys")
	tb.click("form[action='/console/keys/" + made.ID + "/revoke'] button")
	tb.waitText(".notice", "Key revoked")
	if _, err := s.keys.Lookup(t.Context(), key); err == nil {
		t.Error("a revoked key still authenticates")
	}
}

// flowMergeAndUndo: tick two duplicates, merge them side by side keeping
// the second one's email, then undo the merge from the survivor's history.
func flowMergeAndUndo(t *testing.T, tb *tab) {
	s := tb.stack
	survivor := s.register(t, s.community, map[string]string{"first_name": "Hélène", "last_name": "Dupré", "email": "helene@example.org"})
	s.register(t, s.community, map[string]string{"first_name": "Helene", "last_name": "Dupré", "email": "h.dupre@example.org", "external_id": "M-12"})
	s.person(t, "Zoé", "Martin")
	tb.signIn(s.admin)
	tb.tick("helene@example.org")
	tb.tick("h.dupre@example.org")
	tb.waitText("[data-count]", "2 selected")
	tb.click("button[formaction='/console/merge/compare']")
	tb.waitFor(`document.querySelector("table.compare") !== null`)
	tb.click("input[name=survivor][value='" + survivor + "']")
	tb.click("input[name='take.email'][value]:not([value='" + survivor + "'])")
	tb.screenshot("compare")
	tb.click("form[action='/console/merge'] button.primary")
	tb.waitText(".notice", "Contacts merged")
	tb.waitText(".timeline", "Absorbed duplicates")
	tb.screenshot("merged")
	v, err := s.reader.Contact(t.Context(), s.community, survivor, domain.Start)
	if err != nil || v.Email != "h.dupre@example.org" || v.ExternalID != "M-12" || v.FirstName != "Hélène" {
		t.Fatalf("survivor after merge: %+v, %v", v, err)
	}
	tb.click("form[action$='/unmerge'] button")
	tb.waitText(".notice", "Merge undone")
	tb.visit("/console/")
	if n := tb.count("table.list tbody tr"); n != 3 {
		t.Errorf("%d contacts listed after the undo, want 3", n)
	}
}

// flowImportDryRunApplyRevert: upload a workbook, see its dry run (counts,
// changes, a rejection with its row), apply it, see its report at its own
// address, revert it. A CSV file is told how to become .xlsx.
func flowImportDryRunApplyRevert(t *testing.T, tb *tab) {
	s := tb.stack
	id := s.person(t, "Hélène", "Dupré")
	dir := t.TempDir()
	book := writeWorkbook(t, filepath.Join(dir, "people.xlsx"), [][]string{
		{"Email", "First name", "Last name"},
		{"helene.dupre@example.org", "Helena", ""},
		{"zoe@example.org", "Zoé", "Martin"},
		{"not an email", "Bad", "Row"},
	})
	csv := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(csv, []byte("Email,First name\nzoe@example.org,Zoé\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.signIn(s.admin)
	tb.click("nav a[href='/console/imports']")
	tb.waitFor(`document.getElementById("file") !== null`)
	tb.upload("#file", csv)
	tb.click("button[value=dry-run]")
	tb.waitText("#report", "(.xlsx) format")
	tb.upload("#file", book)
	tb.click("button[value=dry-run]")
	tb.waitText("#report", "Dry run of people.xlsx")
	if c, u, r := tb.text("[data-count-created]"), tb.text("[data-count-updated]"), tb.text("[data-count-rejected]"); c != "1" || u != "1" || r != "1" {
		t.Errorf("dry run counts created %s, updated %s, rejected %s; want 1 each", c, u, r)
	}
	if got := tb.text("#report"); !containsAll(got, "Hélène", "Helena", "4") {
		t.Errorf("dry run rows: %q", got)
	}
	tb.screenshot("dry-run")
	if st := s.status(t, id); st != "active" {
		t.Fatal(st)
	}
	tb.click("button[data-apply]")
	tb.waitText(".notice", "Import applied")
	tb.waitFor(`location.pathname.startsWith("/console/imports/")`)
	tb.screenshot("applied")
	eventually(t, "the import's change", func() bool { return s.contact(t, id).FirstName == "Helena" })
	tb.click("form[action$='/revert'] button")
	tb.waitText(".notice", "Import reverted")
	eventually(t, "the revert", func() bool { return s.contact(t, id).FirstName == "Hélène" })
}

// writeWorkbook writes rows as the first sheet of an .xlsx file.
func writeWorkbook(t *testing.T, path string, rows [][]string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}
