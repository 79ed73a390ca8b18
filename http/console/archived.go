package console

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// archivedPageSize is the archived list's page: the first 1000 at once,
// as the platform's users knew it.
const archivedPageSize = 1000

// archivedSortKeys are the archived list's sortable columns.
var archivedSortKeys = [][2]string{{"last_name", "Last name"}, {"first_name", "First name"}, {"email", "Email"}, {"archived", "Archived"}}

// archivedView is the archived page: a list, and how many it holds.
type archivedView struct {
	listView
	Total int
	// Shown is how many this page shows.
	Count int
}

// Capped reports whether the list holds more than one page shows.
func (v archivedView) Capped() bool { return v.Total > v.Count }

// handleArchived shows the first 1000 archived contacts (search reaches
// any), with Restore and Delete for good.
func (con *Console) handleArchived(c *gin.Context) {
	r := listRequestOf(c)
	view, problem, err := con.listPage(c, r, domain.StatusArchived, archivedPageSize, archivedSortKeys, Prefix+"archived")
	if err != nil {
		con.fail(c, err)
		return
	}
	s := mustSession(c)
	total, err := con.deps().Contacts.Count(c.Request.Context(), domain.ListQuery{CommunityID: s.Key.CommunityID,
		Status: domain.StatusArchived, Search: r.query}, afterOf(c))
	if domain.ErrorCode(err) == domain.EINVALID {
		err = nil
	}
	if err != nil {
		con.fail(c, err)
		return
	}
	con.render(c, http.StatusOK, "archived", page{Title: "Archived contacts", Nav: "archived", Notice: noticeOf(c), Problem: problem,
		Data: archivedView{listView: view, Total: total, Count: len(view.Rows)}})
}

// handleRestore brings the ticked archived contacts back to the list.
func (con *Console) handleRestore(c *gin.Context) {
	con.bulkAction(c, "restored", func(ctx context.Context, caller domain.Caller, id string) (domain.Result, error) {
		return con.deps().Commands.RestoreContact(ctx, caller, id)
	})
}

// confirmDelete is the confirmation page of Delete for good.
type confirmDelete struct {
	IDs  []string
	Back string
}

// handleDelete deletes the ticked archived contacts for good, once the
// person has confirmed it on a page that names how many and warns that
// their personal data is erased.
func (con *Console) handleDelete(c *gin.Context) {
	if c.PostForm("confirm") != "yes" {
		ids, ok := selectedIDs(c)
		if !ok {
			c.Redirect(http.StatusSeeOther, withNotice(safeNext(c.PostForm("back")), "none", -1, domain.Start))
			return
		}
		con.render(c, http.StatusOK, "confirm-delete", page{Title: "Delete for good?", Nav: "archived",
			Data: confirmDelete{IDs: ids, Back: safeNext(c.PostForm("back"))}})
		return
	}
	con.bulkAction(c, "deleted", func(ctx context.Context, caller domain.Caller, id string) (domain.Result, error) {
		return con.deps().Commands.DeleteContact(ctx, caller, id)
	})
}
