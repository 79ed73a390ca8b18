package console

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// contactsPageSize is the active list's page, as the API's.
const contactsPageSize = 50

// activeSortKeys are the active list's sortable columns: sort key, label.
var activeSortKeys = [][2]string{{"last_name", "Last name"}, {"first_name", "First name"}, {"email", "Email"}, {"updated", "Updated"}}

// handleContacts is the home page: the active list, searched, sorted and
// paged as the API's, with a toolbar of actions on the ticked rows.
func (con *Console) handleContacts(c *gin.Context) {
	r := listRequestOf(c)
	view, problem, err := con.listPage(c, r, domain.StatusActive, contactsPageSize, activeSortKeys, Prefix)
	if err != nil {
		con.fail(c, err)
		return
	}
	con.render(c, http.StatusOK, "contacts", page{Title: "Contacts", Nav: "contacts", Notice: noticeOf(c), Problem: problem, Data: view})
}

// listPage reads one page of a list once the read model shows the
// address's after=. A search or sort the read model refuses is a problem
// shown on the page (with an empty list), not a failure.
func (con *Console) listPage(c *gin.Context, r listRequest, status domain.ContactStatus, size int, sortKeys [][2]string, base string) (listView, string, error) {
	ctx, s := c.Request.Context(), mustSession(c)
	deps := con.deps()
	fields, err := deps.Contacts.Fields(ctx, s.Key.CommunityID, afterOf(c))
	if err != nil {
		return listView{}, "", err
	}
	pg, err := deps.Contacts.List(ctx, domain.ListQuery{CommunityID: s.Key.CommunityID, Status: status,
		Search: r.query, Sort: r.sort, Cursor: r.cursor, Limit: size}, afterOf(c))
	problem := ""
	if domain.ErrorCode(err) == domain.EINVALID {
		problem, pg, err = langOf(c).Problem(err), domain.ContactPage{}, nil
	}
	if err != nil {
		return listView{}, "", err
	}
	return newListView(langOf(c), base, r, pg, fields, sortKeys), problem, nil
}

// handleArchive archives the ticked contacts and shows the list again,
// once the read model no longer lists them.
func (con *Console) handleArchive(c *gin.Context) {
	con.bulkAction(c, "archived", func(ctx context.Context, caller domain.Caller, id string) (domain.Result, error) {
		return con.deps().Commands.ArchiveContact(ctx, caller, id)
	})
}

// bulkAction runs command on the ticked contacts and goes back to the
// list the form came from, saying what happened.
func (con *Console) bulkAction(c *gin.Context, done string, command func(context.Context, domain.Caller, string) (domain.Result, error)) {
	back := safeNext(c.PostForm("back"))
	ids, ok := selectedIDs(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, withNotice(back, "none", -1, domain.Start))
		return
	}
	caller := callerOf(c)
	outcomes, last := domain.RunBulk(c.Request.Context(), ids, func(ctx context.Context, id string) (domain.Result, error) {
		return command(ctx, caller, id)
	})
	refused := 0
	for _, o := range outcomes {
		if o.Err == nil {
			continue
		}
		refused++
		if domain.ErrorCode(o.Err) == domain.EINTERNAL {
			con.logger.Error("console: action failed", "action", done, "contact", o.ID, "err", o.Err)
		}
	}
	con.settle(c, last)
	msg, n := done, len(outcomes)-refused
	if refused > 0 {
		msg, n = "refused", refused
	}
	c.Redirect(http.StatusSeeOther, withNotice(back, msg, n, last))
}
