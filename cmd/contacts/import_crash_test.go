package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/pgtest"
)

// TestImportCutByACrashIsListedAndReverted kills serve (SIGKILL) while an
// import registers contacts, starts it again, and finds the import listed,
// finished from the log: what it applied is reported, the rest not
// applied, and a revert archives every contact it created.
func TestImportCutByACrashIsListedAndReverted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and kills serve")
	}
	t.Parallel()
	const rows = 5000
	dbURL := pgtest.NewDatabase(t)
	dataDir := t.TempDir()
	serveURL, serve, logs := startServe(t, dataDir, "DATABASE_URL="+dbURL)
	api := newAPIClient(t, serveURL, dataDir)
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// The import, from a client that will see its connection die.
	upload := make(chan error, 1)
	go func() {
		body, contentType := multipartFile(t, workbookOf(t, rows))
		req, _ := http.NewRequestWithContext(context.Background(), "POST", serveURL+"/v1/imports", body)
		req.Header.Set("Authorization", "Bearer "+api.key)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("the import answered %d before the kill", resp.StatusCode)
		}
		upload <- err
	}()
	registered := func() int {
		var n int
		pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE type = 'ContactRegistered'`).Scan(&n) //nolint:errcheck // 0 until it can
		return n
	}
	waitUntil(t, "the import to register some contacts", func() bool { return registered() >= 200 })
	serve.Process.Kill() //nolint:errcheck
	serve.Wait()         //nolint:errcheck
	if err := <-upload; err == nil {
		t.Fatal("the upload got an answer")
	}
	applied := registered()
	if applied >= rows {
		t.Fatalf("the import ended (%d registered) before the kill; logs:\n%s", applied, logs.String())
	}

	// Started again, serve finishes the import from the log.
	serveURL, _, logs = startServe(t, dataDir, "DATABASE_URL="+dbURL)
	api.url = serveURL
	type report struct {
		ID     string `json:"id"`
		Counts struct {
			Created, Rejected int
		} `json:"counts"`
		StoppedAtRow  int    `json:"stopped_at_row"`
		StoppedReason string `json:"stopped_reason"`
		Revert        *struct {
			Archived int    `json:"archived"`
			Position string `json:"position"`
		} `json:"revert"`
	}
	var list struct{ Items []report }
	waitUntil(t, "the interrupted import to be listed", func() bool {
		status, body, err := api.do(t.Context(), "GET", "/v1/imports", "")
		return err == nil && status == http.StatusOK && json.Unmarshal(body, &list) == nil && len(list.Items) == 1
	})
	rep := list.Items[0]
	applied = registered() // commits sent before the kill may have landed after the first count
	if rep.Counts.Created != applied || rep.Counts.Created+rep.Counts.Rejected != rows || rep.StoppedAtRow < 2 ||
		rep.StoppedReason != "the service stopped during the import" {
		t.Fatalf("report %+v: want %d created (what the log holds), the rest not applied; logs:\n%s", rep, applied, logs.String())
	}
	t.Logf("killed after %d of %d rows applied; the report says %d created, stopped at row %d", applied, rows, rep.Counts.Created, rep.StoppedAtRow)

	status, body, err := api.do(t.Context(), "POST", "/v1/imports/"+rep.ID+"/revert", "")
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &rep) != nil || rep.Revert == nil || rep.Revert.Archived != applied {
		t.Fatalf("revert = %d %s (%v): want the %d contacts archived", status, body, err, applied)
	}
	status, body, err = api.do(t.Context(), "GET", "/v1/contacts?limit=1&after="+rep.Revert.Position, "")
	if err != nil || status != http.StatusOK || !bytes.Contains(body, []byte(`"items":[]`)) {
		t.Errorf("the active list after the revert: %d %s (%v), want empty", status, body, err)
	}
}

// workbookOf is an .xlsx of n new contacts.
func workbookOf(t *testing.T, n int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"Email", "First name", "Last name"}) //nolint:errcheck
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("member%d@example.org", i), "Member", fmt.Sprintf("N%05d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// multipartFile is a multipart/form-data body with data as part "file".
func multipartFile(t *testing.T, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", "members.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data) //nolint:errcheck
	w.Close()        //nolint:errcheck
	return &body, w.FormDataContentType()
}
