package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// The Excel routes: HTTP receives the file or streams the workbook; the
// import service (domain.Imports) does the rest.

// maxImportBytes bounds an uploaded workbook (413 above): 100,000 contacts
// with a dozen columns make ~6 MB.
const maxImportBytes = 20 << 20

// xlsxType is the media type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// excel returns the import service, or answers 503 without one.
func (s *Server) excel(c *gin.Context) domain.Imports {
	if s.Services.Excel == nil {
		writeProblem(c, http.StatusServiceUnavailable, "Excel import and export are not configured", "", domain.EUNAVAILABLE)
		return nil
	}
	return s.Services.Excel
}

// lazyHeaders sets a streamed answer's status and headers when its first
// byte is written, so that a failure before that can still answer with a
// problem.
type lazyHeaders struct {
	c           *gin.Context
	status      int
	contentType string
	disposition string
	started     bool
}

func (w *lazyHeaders) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.c.Header("Content-Type", w.contentType)
		if w.disposition != "" {
			w.c.Header("Content-Disposition", w.disposition)
		}
		w.c.Status(w.status)
	}
	return w.c.Writer.Write(p)
}

func (s *Server) handleExportContacts(c *gin.Context) {
	svc := s.excel(c)
	if svc == nil {
		return
	}
	archived, err := boolQuery(c, "archived")
	if err != nil {
		s.fail(c, err)
		return
	}
	if !s.waitAfter(c) {
		return
	}
	w := &lazyHeaders{c: c, status: http.StatusOK, contentType: xlsxType, disposition: `attachment; filename="contacts.xlsx"`}
	s.stream(c, w, func(w io.Writer) error {
		return svc.Export(c.Request.Context(), w, domain.ExportQuery{
			CommunityID: keyOf(c).CommunityID, Archived: archived, Search: c.Query("q"),
		})
	})
}

// stream answers with what write writes, the status and headers going with
// its first byte (see lazyHeaders). A failure before that answers with a
// problem; after it, all that is left is to cut the answer short, so the
// client sees a broken download rather than a short workbook or report.
func (s *Server) stream(c *gin.Context, w *lazyHeaders, write func(io.Writer) error) {
	err := write(w)
	if err != nil && !w.started {
		s.fail(c, err)
		return
	}
	if err != nil {
		c.Error(err) //nolint:errcheck // returns its argument
		panic(http.ErrAbortHandler)
	}
}

func (s *Server) handleImport(c *gin.Context) {
	svc := s.excel(c)
	if svc == nil {
		return
	}
	dryRun, err := boolQuery(c, "dry_run")
	if err != nil {
		s.fail(c, err)
		return
	}
	// The upload is read once the import has its turn. A client that
	// leaves stops its import: a dry run at once, a real import at a row
	// boundary, its report (stored) saying where.
	rep, err := svc.Import(c.Request.Context(), domain.ImportRequest{
		Caller: callerOf(c), DryRun: dryRun, Upload: func() (string, []byte, error) { return readUpload(c) },
	})
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, errUploadTooLarge) || errors.As(err, &tooLarge):
		writeProblem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("the upload is over %d MB", maxImportBytes>>20), "file", codeTooLarge)
		return
	case domain.ErrorCode(err) == domain.EUNAVAILABLE:
		// Other imports hold the turns: come back once one is done.
		c.Header("Retry-After", strconv.Itoa(int(domain.ImportRetryAfter.Seconds())))
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if !dryRun && !s.settleImport(c, rep.Position) {
		return
	}
	c.Header("Location", "/v1/imports/"+rep.ID)
	s.writeReport(c, http.StatusCreated, svc, rep)
}

// settleImport holds an applied (or reverted) import's answer, as every
// command's, until the read models have applied its last event (at);
// false when the request ended meanwhile (answered).
func (s *Server) settleImport(c *gin.Context, at string) bool {
	pos, err := domain.ParsePosition(at)
	if err != nil || pos == domain.Start {
		return true // the import changed nothing
	}
	if err := s.settle(c, pos); err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

// writeReport answers with an import report, its rows streamed from the
// store a page at a time (a report has as many rows as its file).
func (s *Server) writeReport(c *gin.Context, status int, svc domain.Imports, rep *domain.ImportReport) {
	w := &lazyHeaders{c: c, status: status, contentType: "application/json; charset=utf-8"}
	s.stream(c, w, func(w io.Writer) error { return svc.WriteImportReport(c.Request.Context(), w, rep) })
}

// errUploadTooLarge is an upload over maxImportBytes.
var errUploadTooLarge = errors.New("the upload is too large")

// readUpload reads the multipart part "file", whole (the zip format needs
// random access), straight from the request: one copy of it in memory
// (gin's form parsing would keep a second). A body over the limit fails
// with errUploadTooLarge or *http.MaxBytesError (limitBody's).
func readUpload(c *gin.Context) (string, []byte, error) {
	missing := domain.FieldError("file", "is required: send the workbook as the multipart/form-data part \"file\"")
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return "", nil, missing
	}
	var tooLarge *http.MaxBytesError
	for {
		part, err := mr.NextPart()
		switch {
		case errors.Is(err, io.EOF):
			return "", nil, missing
		case errors.As(err, &tooLarge):
			return "", nil, err
		case err != nil:
			return "", nil, domain.FieldError("file", "could not be read: the multipart/form-data body is damaged or cut short")
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, maxImportBytes+1))
		switch {
		case errors.As(err, &tooLarge):
			return "", nil, err
		case err != nil:
			return "", nil, domain.FieldError("file", "could not be read: the upload was cut short")
		case len(data) > maxImportBytes:
			return "", nil, errUploadTooLarge
		}
		return part.FileName(), data, nil
	}
}

func (s *Server) handleGetImport(c *gin.Context) {
	svc := s.excel(c)
	if svc == nil {
		return
	}
	rep, err := svc.ImportSummary(c.Request.Context(), keyOf(c).CommunityID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeReport(c, http.StatusOK, svc, rep)
}

func (s *Server) handleRevertImport(c *gin.Context) {
	svc := s.excel(c)
	if svc == nil {
		return
	}
	rep, err := svc.RevertImport(context.WithoutCancel(c.Request.Context()), callerOf(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if rep.Revert != nil && !s.settleImport(c, rep.Revert.Position) {
		return
	}
	s.writeReport(c, http.StatusOK, svc, rep)
}

// boolQuery reads an optional true/false query parameter.
func boolQuery(c *gin.Context, name string) (bool, error) {
	raw := c.Query(name)
	if raw == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return false, domain.FieldError(name, "%q is not true or false", raw)
	}
	return v, nil
}

// importsPageSize is the imports list's default page; maxImportsPage its
// largest.
const importsPageSize, maxImportsPage = 20, 100

func (s *Server) handleListImports(c *gin.Context) {
	svc := s.excel(c)
	if svc == nil {
		return
	}
	limit, err := parseLimit(c.Query("limit"), importsPageSize, maxImportsPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := svc.ListImports(c.Request.Context(), keyOf(c).CommunityID, c.Query("cursor"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listJSON[*domain.ImportReport]{Items: page.Items}
	if out.Items == nil {
		out.Items = []*domain.ImportReport{}
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	c.JSON(http.StatusOK, out)
}
