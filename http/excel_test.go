package http_test

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/domain"
	chttp "github.com/assoc/contacts/http"
	"github.com/assoc/contacts/spreadsheet"
)

// upload sends data as the multipart part "file" to path.
func (s *stack) upload(t *testing.T, path, key string, data []byte, headers ...string) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", "contacts.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	return s.do(t, "POST", path, key, body.Bytes(), append(headers, "Content-Type", mw.FormDataContentType())...)
}

// importReport is the part of an import report the tests read.
type importReport struct {
	ID     string `json:"id"`
	DryRun bool   `json:"dry_run"`
	Counts struct {
		Created, Updated, Unchanged, Rejected int
	} `json:"counts"`
	Rows []struct {
		Row       int    `json:"row"`
		Outcome   string `json:"outcome"`
		ContactID string `json:"contact_id"`
		Changes   []struct{ Field, Old, New string }
	} `json:"rows"`
	Position string `json:"position"`
	Revert   *struct {
		Reverted, Archived, Skipped int
		Position                    string
	} `json:"revert"`
}

func TestExcelExportImportRevert(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ada := s.register(t, map[string]any{"email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace"})
	bob := s.register(t, map[string]any{"email": "bob@example.org", "first_name": "Bob", "last_name": "Martin"})
	pos := laterPosition(t, ada.Position, bob.Position)

	// Export, as an auditor may too.
	auditor := s.newKey(t, s.admin, "auditor")
	r := s.do(t, "GET", "/v1/exports/contacts.xlsx?after="+pos, auditor, nil)
	r.want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "contacts.xlsx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	rows, _ := f.GetRows(sheet)
	if len(rows) != 3 || rows[0][0] != "Contact ID" || rows[1][0] != ada.ID || rows[2][0] != bob.ID {
		t.Fatalf("exported rows %q", rows)
	}

	// Edit it, preview it, import it.
	f.SetCellValue(sheet, "C2", "Augusta")
	f.SetSheetRow(sheet, "A4", &[]any{nil, "new@example.org", "Nina"})
	var edited bytes.Buffer
	f.Write(&edited)

	r = s.upload(t, "/v1/imports?dry_run=true", s.admin, edited.Bytes())
	r.want(t, http.StatusCreated)
	var dry importReport
	r.decode(t, &dry)
	if !dry.DryRun || dry.Counts.Created != 1 || dry.Counts.Updated != 1 || dry.Counts.Unchanged != 1 {
		t.Fatalf("dry run %s", r.body)
	}
	if got := s.get(t, ada.ID, pos); got.FirstName != "Ada" {
		t.Errorf("a dry run changed Ada: %+v", got)
	}

	r = s.upload(t, "/v1/imports", s.admin, edited.Bytes())
	r.want(t, http.StatusCreated)
	var rep importReport
	r.decode(t, &rep)
	if r.header.Get("Location") != "/v1/imports/"+rep.ID || rep.DryRun || rep.Counts.Updated != 1 || rep.Counts.Created != 1 {
		t.Fatalf("import %s", r.body)
	}
	if got := s.get(t, ada.ID, rep.Position); got.FirstName != "Augusta" {
		t.Errorf("after the import, Ada is %+v", got)
	}

	// The report is kept, for the community only.
	r = s.do(t, "GET", "/v1/imports/"+rep.ID, auditor, nil)
	r.want(t, http.StatusOK)
	var stored importReport
	r.decode(t, &stored)
	if stored.ID != rep.ID || len(stored.Rows) != 3 {
		t.Errorf("stored report %s", r.body)
	}
	_, otherAdmin := s.createCommunity(t, "Community B")
	s.do(t, "GET", "/v1/imports/"+rep.ID, otherAdmin, nil).wantProblem(t, http.StatusNotFound, "")
	s.do(t, "POST", "/v1/imports/"+rep.ID+"/revert", otherAdmin, nil).wantProblem(t, http.StatusNotFound, "")

	// Revert it.
	r = s.do(t, "POST", "/v1/imports/"+rep.ID+"/revert", s.admin, nil)
	r.want(t, http.StatusOK)
	var reverted importReport
	r.decode(t, &reverted)
	if reverted.Revert == nil || reverted.Revert.Reverted != 1 || reverted.Revert.Archived != 1 {
		t.Fatalf("revert %s", r.body)
	}
	if got := s.get(t, ada.ID, reverted.Revert.Position); got.FirstName != "Ada" {
		t.Errorf("after the revert, Ada is %+v", got)
	}
	s.do(t, "POST", "/v1/imports/"+rep.ID+"/revert", s.admin, nil).wantProblem(t, http.StatusConflict, "")
	s.do(t, "POST", "/v1/imports/"+dry.ID+"/revert", s.admin, nil).wantProblem(t, http.StatusConflict, "")
}

func TestImportRefusesBadUploads(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	p := s.upload(t, "/v1/imports", s.admin, []byte("name,email\nAda,ada@example.org\n")).wantProblem(t, http.StatusBadRequest, "file")
	if !strings.Contains(p.Detail, "not an .xlsx") {
		t.Errorf("not a workbook: %q", p.Detail)
	}
	s.doInvalid(t, "POST", "/v1/imports", s.admin, map[string]any{}).wantProblem(t, http.StatusBadRequest, "file")
	s.upload(t, "/v1/imports?dry_run=perhaps", s.admin, nil, invalidRequest, "on purpose").wantProblem(t, http.StatusBadRequest, "dry_run")
	p = s.upload(t, "/v1/imports", s.admin, bytes.Repeat([]byte{'x'}, 50<<20)).wantProblem(t, http.StatusRequestEntityTooLarge, "file")
	if !strings.Contains(p.Detail, "20 MB") || p.Type != "https://contacts.invalid/problems/too_large" {
		t.Errorf("50 MB upload: %+v", p)
	}
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"First name"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"Ada"})
	var noKey bytes.Buffer
	f.Write(&noKey)
	p = s.upload(t, "/v1/imports", s.admin, noKey.Bytes()).wantProblem(t, http.StatusBadRequest, "file")
	if !strings.Contains(p.Detail, "no identifying column") {
		t.Errorf("no key column: %q", p.Detail)
	}
	if l := s.list(t, "/v1/contacts"); len(l.Items) != 0 {
		t.Errorf("refused uploads registered %d contacts", len(l.Items))
	}
	s.doInvalid(t, "GET", "/v1/exports/contacts.xlsx?archived=maybe", s.admin, nil).wantProblem(t, http.StatusBadRequest, "archived")
	s.do(t, "GET", "/v1/imports/not-an-id", s.admin, nil).wantProblem(t, http.StatusNotFound, "")
}

// Every broken workbook of xlsx/testdata is refused whole with a
// problem naming the file and the reason, and changes nothing.
func TestImportRefusesBrokenWorkbooks(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	for file, reason := range map[string]string{
		"not-xlsx.xlsx":      "not an .xlsx",
		"empty-sheet.xlsx":   "is empty",
		"merged.xlsx":        "merged cells",
		"no-sheet.xlsx":      "has no sheet",
		"too-many-rows.xlsx": "more than 1048576 rows",
		"zip-bomb.xlsx":      "over the 256 MB limit",
		"password.xlsx":      "password-protected",
	} {
		data, err := os.ReadFile(filepath.Join("..", "xlsx", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/v1/imports", "/v1/imports?dry_run=true"} {
			p := s.upload(t, path, s.admin, data).wantProblem(t, http.StatusBadRequest, "file")
			if !strings.Contains(p.Detail, reason) {
				t.Errorf("%s: %q, want %q", file, p.Detail, reason)
			}
		}
	}
	if l := s.list(t, "/v1/contacts"); len(l.Items) != 0 {
		t.Errorf("broken workbooks registered %d contacts", len(l.Items))
	}
}

// TestImportReportThatCannotBeRead: a report whose rows cannot be read
// answers with a problem, not with a 200 and a cut-off body.
func TestImportReportThatCannotBeRead(t *testing.T) {
	s := newStack(t)
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Email", "First name"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"new@example.org", "Nina"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	r := s.upload(t, "/v1/imports", s.admin, buf.Bytes())
	r.want(t, http.StatusCreated)
	var rep importReport
	r.decode(t, &rep)
	// A row the service cannot read back (its changes are not a list).
	if _, err := s.pool.Exec(t.Context(), `UPDATE import_rows SET changes = '{"x":1}' WHERE import_id = $1`, rep.ID); err != nil {
		t.Fatal(err)
	}
	s.do(t, "GET", "/v1/imports/"+rep.ID, s.admin, nil).wantProblem(t, http.StatusInternalServerError, "")
}

// hookedStore calls its hooks before the store's reads and appends, to
// hold an import at one point.
type hookedStore struct {
	domain.EventStore
	mu       sync.Mutex
	onRead   func(stream string)
	onAppend func(stream string)
}

func (s *hookedStore) hooks() (func(string), func(string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.onRead, s.onAppend
}

func (s *hookedStore) ReadStream(ctx context.Context, stream string, dir domain.Direction, from int64, limit int) ([]domain.RecordedEvent, error) {
	if read, _ := s.hooks(); read != nil {
		read(stream)
	}
	return s.EventStore.ReadStream(ctx, stream, dir, from, limit)
}

func (s *hookedStore) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	if _, appendHook := s.hooks(); appendHook != nil {
		appendHook(stream)
	}
	return s.EventStore.Append(ctx, stream, expected, events)
}

// withHookedExcel is a newStack option: the Excel service's commands go
// through a hooked store (the rest of the API through the plain one), and
// configure adjusts the service.
func withHookedExcel(store **hookedStore, configure func(*spreadsheet.Service)) func(*chttp.Server) {
	return func(srv *chttp.Server) {
		ex := srv.Services.Excel.(*spreadsheet.Service)
		*store = &hookedStore{EventStore: ex.Handler.Store}
		svc := &spreadsheet.Service{Handler: &domain.Handler{Store: *store, KeySecret: ex.Handler.KeySecret},
			Queries: ex.Queries, Reports: ex.Reports}
		configure(svc)
		srv.Services.Excel = svc
	}
}

// workbook is an .xlsx of rows.
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportStopsWhenTheClientLeaves: a client that cancels its upload
// while the rows are applied stops the import at a row boundary; the
// report, stored, says where and why, and agrees with the contacts.
func TestImportStopsWhenTheClientLeaves(t *testing.T) {
	t.Parallel()
	var store *hookedStore
	s := newStack(t, withHookedExcel(&store, func(svc *spreadsheet.Service) { svc.Workers = 1 }))
	rows := [][]any{{"Contact ID", "First name"}}
	var ids []string
	for i := range 5 {
		c := s.register(t, map[string]any{"first_name": "Ada", "email": "ada" + string(rune('a'+i)) + "@example.org"})
		ids = append(ids, c.ID)
		rows = append(rows, []any{c.ID, "Augusta"})
	}
	// The server's own view of the request: its context ends once the
	// server has seen the client go.
	serverCtx, handled := make(chan context.Context, 1), make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/imports" {
			serverCtx <- r.Context()
			defer close(handled)
		}
		s.server.Handler().ServeHTTP(w, r)
	}))
	defer ts.Close()
	reached, release := make(chan struct{}), make(chan struct{})
	appends := 0
	store.mu.Lock()
	store.onAppend = func(stream string) {
		if strings.HasPrefix(stream, "contact-") {
			if appends++; appends == 2 { // row 3
				close(reached)
				<-release
			}
		}
	}
	store.mu.Unlock()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "contacts.xlsx")
	part.Write(workbook(t, rows))
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/imports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.admin)
	clientErr := make(chan error, 1)
	go func() {
		resp, err := checkedClient(t, ts.Client()).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		clientErr <- err
	}()
	server := <-serverCtx
	<-reached // row 3 is being applied
	cancel()
	<-server.Done() // the server saw the client go
	close(release)
	<-handled
	if err := <-clientErr; !errors.Is(err, context.Canceled) {
		t.Errorf("client: %v, want context.Canceled", err)
	}

	var id string
	if err := s.pool.QueryRow(t.Context(), `SELECT id::text FROM imports`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	r := s.do(t, "GET", "/v1/imports/"+id, s.admin, nil)
	r.want(t, http.StatusOK)
	var rep struct {
		importReport
		StoppedAtRow  int    `json:"stopped_at_row"`
		StoppedReason string `json:"stopped_reason"`
		Rows          []struct {
			Row     int
			Outcome string
			Errors  []struct{ Reason string }
		} `json:"rows"`
	}
	r.decode(t, &rep)
	if rep.StoppedAtRow != 4 || rep.StoppedReason != "the client left" || rep.Counts.Updated != 2 || rep.Counts.Rejected != 3 {
		t.Fatalf("report %s", r.body)
	}
	for i, o := range rep.Rows {
		applied := o.Row < 4
		if applied != (o.Outcome == "updated") || (!applied && (len(o.Errors) != 1 || !strings.Contains(o.Errors[0].Reason, "not applied: the import stopped at row 4"))) {
			t.Errorf("row %+v", o)
		}
		if got := s.get(t, ids[i], rep.Position); (got.FirstName == "Augusta") != applied {
			t.Errorf("row %d: first name %q, but the report says %s", o.Row, got.FirstName, o.Outcome)
		}
	}
}

// TestImportsTakeTurnsOverHTTP: an import that finds the turns taken
// answers 503, with Retry-After, once it has waited its bound.
func TestImportsTakeTurnsOverHTTP(t *testing.T) {
	t.Parallel()
	var store *hookedStore
	s := newStack(t, withHookedExcel(&store, func(svc *spreadsheet.Service) { svc.MaxImports, svc.ImportWait = 1, 10*time.Millisecond }))
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	store.mu.Lock()
	store.onRead = func(string) { once.Do(func() { close(reached); <-release }) }
	store.mu.Unlock()
	data := workbook(t, [][]any{{"Email", "First name"}, {"ada@example.org", "Ada"}})
	first := make(chan response, 1)
	go func() { first <- s.upload(t, "/v1/imports?dry_run=true", s.admin, data) }()
	<-reached // the first import has its turn, and holds it
	r := s.upload(t, "/v1/imports?dry_run=true", s.admin, data)
	p := r.wantProblem(t, http.StatusServiceUnavailable, "")
	if !strings.HasSuffix(p.Type, "/unavailable") || r.header.Get("Retry-After") != "5" || !strings.Contains(p.Detail, "try again") {
		t.Errorf("busy: Retry-After %q, problem %+v", r.header.Get("Retry-After"), p)
	}
	close(release)
	(<-first).want(t, http.StatusCreated)
}
