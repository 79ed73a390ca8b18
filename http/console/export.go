package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// handleExport downloads what a list shows (search included) as .xlsx.
func (con *Console) handleExport(c *gin.Context) {
	con.export(c, "contacts", ExportQuery{Archived: c.Query("archived") == "true", Search: c.Query("q")})
}

// handleExportSelection downloads the ticked contacts as .xlsx.
func (con *Console) handleExportSelection(c *gin.Context) {
	ids, ok := selectedIDs(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, withNotice(safeNext(c.PostForm("back")), "none", -1, afterOf(c)))
		return
	}
	con.export(c, "selection", ExportQuery{Archived: c.PostForm("archived") == "true", IDs: ids})
}

// handleTemplate downloads an empty workbook of the community's columns.
func (con *Console) handleTemplate(c *gin.Context) {
	con.export(c, "template", ExportQuery{HeaderOnly: true})
}

// export streams the workbook q selects as an attachment. Once the first
// byte has gone, a failure can only cut the download short (and is logged).
func (con *Console) export(c *gin.Context, name string, q ExportQuery) {
	w := con.workbooks(c)
	if w == nil {
		return
	}
	q.CommunityID = mustSession(c).Key.CommunityID
	file := fmt.Sprintf("%s-%s.xlsx", name, time.Now().UTC().Format("2006-01-02"))
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", `attachment; filename="`+file+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := w.Export(c.Request.Context(), c.Writer, q); err != nil {
		con.logger.Error("console export failed", "err", err)
		c.Error(err) //nolint:errcheck // returns its argument
		panic(http.ErrAbortHandler)
	}
}
