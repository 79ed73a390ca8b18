package http_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/domain"
)

// TestDeleteErases deletes a contact and then searches the whole database
// (the events, the read models, every column of every table) for its email
// and names: nothing is left in clear. Its history still says it existed
// and was deleted, by whom and when.
func TestDeleteErases(t *testing.T) {
	s := newStack(t)
	ctx := t.Context()
	secrets := []string{"Philomène", "Quatremaire", "philo.quatre@example.org", "EXT-PQ-77", "Philippa", "Quinquina", "0612345678", "Philibert"}
	s.do(t, "POST", "/v1/fields", s.admin, map[string]any{"key": "phone", "label": "Phone", "type": "phone"}).want(t, http.StatusCreated)
	c := s.register(t, map[string]any{"first_name": "Philomène", "last_name": "Quatremaire", "email": "philo.quatre@example.org", "external_id": "EXT-PQ-77"})
	s.do(t, "PATCH", "/v1/contacts/"+c.ID, s.admin, map[string]any{"first_name": "Philippa", "fields": map[string]any{"phone": "0612345678"}}).want(t, http.StatusOK)
	// An import changes it too: its report holds old → new values.
	book := excelize.NewFile()
	book.SetSheetRow("Sheet1", "A1", &[]any{"Contact ID", "first_name"})
	book.SetSheetRow("Sheet1", "A2", &[]any{c.ID, "Philibert"})
	var file bytes.Buffer
	if err := book.Write(&file); err != nil {
		t.Fatal(err)
	}
	imp := s.upload(t, "/v1/imports", s.admin, file.Bytes())
	imp.want(t, http.StatusCreated)
	if !strings.Contains(string(imp.body), "Philibert") {
		t.Fatalf("the import did not change the contact: %s", imp.body)
	}
	dup := s.register(t, map[string]any{"last_name": "Quinquina"})
	s.do(t, "POST", "/v1/contacts/"+c.ID+"/merge", s.admin, map[string]any{"duplicates": []string{dup.ID}}).want(t, http.StatusOK)
	beforeDelete := time.Now().UTC()
	s.bulk(t, "archive", c.ID)
	b := s.bulk(t, "delete", c.ID)
	if !b.Results[0].OK {
		t.Fatalf("delete: %+v", b.Results[0].Error)
	}
	s.get(t, c.ID, b.Position) // the read models have applied the delete
	pos, _ := domain.ParsePosition(b.Position)
	if err := s.runner.WaitFor(ctx, "erasure", pos, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	tables, err := s.pool.Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
		FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(tables, pgx.RowTo[string])
	if err != nil || len(names) < 5 {
		t.Fatalf("tables: %v %v", names, err)
	}
	for _, table := range names {
		for _, secret := range secrets {
			var n int
			// A row cast to text shows every column; jsonb escapes no
			// letter of these, and an accent-stripped copy is caught by
			// the unaccented needle.
			err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+table+` t WHERE t::text ILIKE '%' || $1 || '%' OR unaccent(t::text) ILIKE '%' || unaccent($1) || '%'`, secret).Scan(&n)
			if err != nil {
				t.Fatalf("search %s: %v", table, err)
			}
			if n > 0 {
				t.Errorf("%q is still in table %s (%d rows)", secret, table, n)
			}
		}
	}

	// The history says what happened, by whom and when, not who it was.
	auditor := s.newKey(t, s.admin, "auditor")
	r := s.do(t, "GET", "/v1/contacts/"+c.ID+"/history", auditor, nil)
	r.want(t, http.StatusOK)
	for _, secret := range secrets {
		if strings.Contains(string(r.body), secret) {
			t.Fatalf("history shows %q: %s", secret, r.body)
		}
	}
	var h historyBody
	r.decode(t, &h)
	last := h.Items[len(h.Items)-1]
	if last.Type != "ContactDeleted" || last.Actor == "" || last.Time.IsZero() || !h.Items[0].Erased {
		t.Fatalf("history after delete: %s", r.body)
	}
	if ch := h.Items[0].Changes; len(ch) < 2 || ch[1].New != "[erased]" {
		t.Fatalf("registration changes after delete: %+v", ch)
	}
	// So do as_of and the event stream.
	r = s.do(t, "GET", "/v1/contacts/"+c.ID+"?as_of="+url.QueryEscape(beforeDelete.Format(time.RFC3339Nano)), s.admin, nil)
	r.want(t, http.StatusOK)
	var then contact
	r.decode(t, &then)
	if then.Email != "" || then.FirstName != "" || then.Status != "active" {
		t.Fatalf("as_of before the delete shows %s", r.body)
	}
	events := s.do(t, "GET", "/v1/events", s.admin, nil)
	for _, secret := range secrets {
		if strings.Contains(string(events.body), secret) {
			t.Fatalf("the event stream shows %q", secret)
		}
	}
	if !strings.Contains(string(events.body), `"type":"ContactDeleted"`) || !strings.Contains(string(events.body), `"erased":true`) {
		t.Fatalf("the event stream lacks the deletion or the erased marks: %s", events.body)
	}
	// The email is free again.
	s.register(t, map[string]any{"email": "philo.quatre@example.org"})
}

// TestDeleteErasesWhatASurvivorGaveBack merges a duplicate into a survivor
// that takes its values, undoes the merge, then deletes the duplicate: its
// values are gone from the survivor's history and the event stream too,
// while the survivor keeps its own.
func TestDeleteErasesWhatASurvivorGaveBack(t *testing.T) {
	s := newStack(t)
	survivor := s.register(t, map[string]any{"first_name": "Sam", "last_name": "Survivor", "email": "sam@example.org"})
	dup := s.register(t, map[string]any{"last_name": "Dupliqua", "external_id": "EXT-DUP-9", "email": "dupliqua@example.org"})
	s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/merge", s.admin,
		map[string]any{"duplicates": []string{dup.ID}, "take": map[string]string{"last_name": dup.ID}}).want(t, http.StatusOK)
	r := s.do(t, "POST", "/v1/contacts/"+survivor.ID+"/unmerge", s.admin, map[string]any{"duplicate": dup.ID})
	r.want(t, http.StatusOK)
	s.bulk(t, "archive", dup.ID)
	b := s.bulk(t, "delete", dup.ID)
	if !b.Results[0].OK {
		t.Fatalf("delete: %+v", b.Results[0].Error)
	}
	got := s.get(t, survivor.ID, b.Position)
	if got.LastName != "Survivor" || got.Email != "sam@example.org" || got.ExternalID != "" {
		t.Fatalf("the survivor after unmerge and the duplicate's deletion: %+v", got)
	}
	r = s.do(t, "GET", "/v1/contacts/"+survivor.ID+"/history", s.admin, nil)
	r.want(t, http.StatusOK)
	events := s.do(t, "GET", "/v1/events", s.admin, nil)
	for _, secret := range []string{"Dupliqua", "EXT-DUP-9", "dupliqua@"} {
		if strings.Contains(string(r.body), secret) {
			t.Errorf("the survivor's history still shows %q: %s", secret, r.body)
		}
		if strings.Contains(string(events.body), secret) {
			t.Errorf("the event stream still shows %q", secret)
		}
	}
	// The survivor's own values are intact in its history.
	if !strings.Contains(string(r.body), "Survivor") || !strings.Contains(string(r.body), "sam@example.org") {
		t.Fatalf("the survivor's own values are gone from its history: %s", r.body)
	}
}

// TestReportsKeepNoOneInClear: an import report keeps an update's values
// sealed under keys of the contact (a copy of the row taken before the
// contact's deletion cannot be opened after it), a rejection's reason
// without the cell's value, and a dry run no values to apply: the
// database holds no one's values in clear, while the API still shows the
// report.
func TestReportsKeepNoOneInClear(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := t.Context()
	ada := s.register(t, map[string]any{"first_name": "Ada", "email": "ada.lovelace@example.org"})
	real := s.upload(t, "/v1/imports", s.admin, workbook(t, [][]any{{"Contact ID", "First name"}, {ada.ID, "Augustina-Zed"}}))
	real.want(t, http.StatusCreated)
	if !strings.Contains(string(real.body), "Augustina-Zed") {
		t.Fatalf("the report does not show the change: %s", real.body)
	}
	dry := s.upload(t, "/v1/imports?dry_run=true", s.admin, workbook(t, [][]any{
		{"Email", "First name"}, {"nina.unique@example.org", "Ninon-Quelconque"}, {"bogus-email-qq", "Bogus"}}))
	dry.want(t, http.StatusCreated)
	if strings.Contains(string(dry.body), "bogus-email-qq") || !strings.Contains(string(dry.body), "is not an email address") {
		t.Errorf("the dry run's rejection quotes the cell, or says nothing: %s", dry.body)
	}
	for _, secret := range []string{"Augustina-Zed", "bogus-email-qq", "nina.unique", "Ninon-Quelconque"} {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM import_rows r WHERE r::text LIKE '%' || $1 || '%'`, secret).Scan(&n); err != nil || n != 0 {
			t.Errorf("%q is in clear in %d import rows (%v)", secret, n, err)
		}
	}
	var sealedChanges string
	if err := s.pool.QueryRow(ctx, `SELECT changes #>> '{}' FROM import_rows WHERE contact_id = $1`, ada.ID).Scan(&sealedChanges); err != nil {
		t.Fatal(err)
	}
	plains, erased, err := s.store.Keyring().OpenOwned(ctx, []string{sealedChanges})
	if err != nil || erased[0] || !strings.Contains(string(plains[0]), "Augustina-Zed") {
		t.Fatalf("the sealed change opens to %q (erased %v, %v) before the deletion", plains[0], erased, err)
	}

	s.bulk(t, "archive", ada.ID)
	b := s.bulk(t, "delete", ada.ID)
	pos, _ := domain.ParsePosition(b.Position)
	if err := s.runner.WaitFor(ctx, "erasure", pos, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, erased, err := s.store.Keyring().OpenOwned(ctx, []string{sealedChanges}); err != nil || !erased[0] {
		t.Errorf("a copy of the row taken before the deletion still opens (erased %v, %v)", erased, err)
	}
}
