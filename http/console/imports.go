package console

import (
	"context"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/http/errstatus"
)

// maxUpload is the largest workbook the console takes (the API's cap).
const maxUpload = 20 << 20

// importView is the import page: the upload form, and the report of the
// dry run or of the import shown.
type importView struct {
	Report *ImportReport
}

// workbooks returns the workbook service, or answers 503 without one.
func (con *Console) workbooks(c *gin.Context) Workbooks {
	w := con.deps().Workbooks
	if w == nil {
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("imports and exports are not configured"))
		c.Abort()
	}
	return w
}

// handleImportPage shows the upload form (admins: an auditor may read
// reports, not import).
func (con *Console) handleImportPage(c *gin.Context) {
	if mustSession(c).Key.Role != apikeys.RoleAdmin {
		con.forbid(c, "Only an admin imports.")
		return
	}
	con.render(c, http.StatusOK, "import", page{Title: "Import people", Nav: "imports", Data: importView{}})
}

// handleImport reads the uploaded workbook and either shows its dry run
// (nothing changes; the page offers Apply and Cancel) or applies it and
// goes to its report, kept at its own address.
func (con *Console) handleImport(c *gin.Context) {
	w := con.workbooks(c)
	if w == nil {
		return
	}
	l := langOf(c)
	name, data, problem := readWorkbook(c)
	if problem != "" {
		con.render(c, http.StatusBadRequest, "import", page{Title: "Import people", Nav: "imports", Problem: l.T(problem), Data: importView{}})
		return
	}
	dryRun := c.PostForm("mode") != "apply"
	rep, err := w.Import(context.WithoutCancel(c.Request.Context()), callerOf(c), name, data, dryRun)
	if err != nil {
		if domain.ErrorCode(err) == domain.EINTERNAL {
			con.fail(c, err)
			return
		}
		con.render(c, errstatus.Of(domain.ErrorCode(err)), "import", page{Title: "Import people", Nav: "imports",
			Problem: l.T("The file was not imported: %s", l.Problem(err)), Data: importView{}})
		return
	}
	con.labelChanges(c, &rep)
	if dryRun {
		con.render(c, http.StatusOK, "import", page{Title: "Import people", Nav: "imports", Data: importView{Report: &rep}})
		return
	}
	con.settle(c, rep.Position)
	c.Redirect(http.StatusSeeOther, withNotice(Prefix+"imports/"+rep.ID, "imported", -1, rep.Position))
}

// readWorkbook reads the upload's file, or says what is wrong with it: a
// CSV or .ods file gets told how to save it as .xlsx.
func readWorkbook(c *gin.Context) (string, []byte, string) {
	fh, err := c.FormFile("file")
	if err != nil {
		return "", nil, "Choose an .xlsx file first."
	}
	switch strings.ToLower(path.Ext(fh.Filename)) {
	case ".csv", ".txt":
		return "", nil, "This is a CSV file. Open it in your spreadsheet (Excel, LibreOffice Calc), choose File › Save as, pick the Excel 2007-365 (.xlsx) format, and import that file."
	case ".ods":
		return "", nil, "This is a LibreOffice (.ods) file. In LibreOffice Calc choose File › Save as, pick the Excel 2007-365 (.xlsx) format, and import that file."
	}
	if fh.Size > maxUpload {
		return "", nil, "This file is over 20 MB: split it into smaller files."
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, "The file could not be read: try again."
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return "", nil, "The file could not be read: try again."
	}
	return fh.Filename, data, ""
}

// handleImportReport shows a stored import report, with Revert.
func (con *Console) handleImportReport(c *gin.Context) {
	w := con.workbooks(c)
	if w == nil {
		return
	}
	rep, err := w.Report(c.Request.Context(), mustSession(c).Key.CommunityID, c.Param("id"))
	if err != nil {
		con.refuse(c, err)
		return
	}
	con.labelChanges(c, &rep)
	con.render(c, http.StatusOK, "import-report", page{Title: "Import report", Nav: "imports", Notice: noticeOf(c), Data: importView{Report: &rep}})
}

// handleRevertImport undoes an import and shows its report again.
func (con *Console) handleRevertImport(c *gin.Context) {
	w := con.workbooks(c)
	if w == nil {
		return
	}
	rep, err := w.Revert(context.WithoutCancel(c.Request.Context()), callerOf(c), c.Param("id"))
	if err != nil {
		con.refuse(c, err)
		return
	}
	pos := rep.Position
	if rep.Reverted == nil {
		pos = domain.Start
	}
	con.settle(c, pos)
	c.Redirect(http.StatusSeeOther, withNotice(Prefix+"imports/"+rep.ID, "reverted", -1, domain.Start))
}

// labelChanges names a report's changes by field label, as the pages do
// (a field removed since keeps its key).
func (con *Console) labelChanges(c *gin.Context, rep *ImportReport) {
	fields, err := con.deps().Contacts.Fields(c.Request.Context(), mustSession(c).Key.CommunityID, domain.Start)
	if err != nil {
		return
	}
	labels := fieldLabels(langOf(c), fields)
	for i := range rep.Rows {
		for j, ch := range rep.Rows[i].Changes {
			if label, ok := labels[ch.Field]; ok {
				rep.Rows[i].Changes[j].Field = label
			}
		}
	}
}
