package console

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// maxMerged is the most contacts one merge takes: a survivor and up to 10
// duplicates (the domain's rule; the page only says it early).
const maxMerged = 11

// mergeView is the merge page: the contacts side by side, a row per
// field, and a radio per contact for the value to keep.
type mergeView struct {
	Contacts []domain.ContactView
	Rows     []mergeRow
	Back     string
}

// mergeRow is one field across the contacts.
type mergeRow struct {
	Field  domain.Field
	Values []string
	// Differ is set when the contacts hold different values: only then is
	// there a choice to make.
	Differ bool
	// Picked is the index of the value picked by default: the first
	// contact's (the one that stays by default) unless it is empty, then
	// the first non-empty one, as the merge itself does.
	Picked int
}

// handleMergePage shows the ticked contacts side by side (a POST from the
// list's toolbar: the selection and the page's CSRF token).
func (con *Console) handleMergePage(c *gin.Context) {
	ids, _ := selectedIDs(c)
	back := safeNext(c.PostForm("back"))
	if len(ids) < 2 || len(ids) > maxMerged {
		con.refuse(c, domain.FieldError("ids", "%s", langOf(c).T("Select 2 to %d contacts to merge.", maxMerged)))
		return
	}
	ctx, community := c.Request.Context(), mustSession(c).Key.CommunityID
	deps := con.deps()
	view := mergeView{Back: back}
	for _, id := range ids {
		v, err := deps.Contacts.Contact(ctx, community, id, domain.Start)
		if err != nil {
			con.contactFailed(c, err)
			return
		}
		view.Contacts = append(view.Contacts, v)
	}
	fields, err := deps.Contacts.Fields(ctx, community, domain.Start)
	if err != nil {
		con.fail(c, err)
		return
	}
	for _, f := range fields {
		row := mergeRow{Field: f}
		for _, v := range view.Contacts {
			row.Values = append(row.Values, valueOf(v, f))
		}
		row.Differ = slices.ContainsFunc(row.Values, func(s string) bool { return s != row.Values[0] })
		row.Picked = max(0, slices.IndexFunc(row.Values, func(s string) bool { return s != "" }))
		view.Rows = append(view.Rows, row)
	}
	con.render(c, http.StatusOK, "merge", page{Title: "Merge contacts", Nav: "contacts", Data: view})
}

// handleMerge merges the duplicates into the survivor chosen, taking each
// field's value from the contact picked for it, and shows the survivor's
// history, where the merge can be undone.
func (con *Console) handleMerge(c *gin.Context) {
	ids, _ := selectedIDs(c)
	survivor := c.PostForm("survivor")
	if !slices.Contains(ids, survivor) {
		con.refuse(c, domain.FieldError("survivor", "%s", langOf(c).T("Choose the contact that stays.")))
		return
	}
	duplicates := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == survivor })
	fields, err := con.deps().Contacts.Fields(c.Request.Context(), mustSession(c).Key.CommunityID, domain.Start)
	if err != nil {
		con.fail(c, err)
		return
	}
	take := map[string]string{}
	for _, f := range fields {
		if from := c.PostForm("take." + f.Key); from != "" && from != survivor && slices.Contains(duplicates, from) {
			take[f.Key] = from
		}
	}
	res, err := con.deps().Commands.MergeContacts(c.Request.Context(), callerOf(c), survivor, duplicates, take)
	if err != nil {
		con.refuse(c, err)
		return
	}
	con.settle(c, res.Position)
	c.Redirect(http.StatusSeeOther, withNotice(Prefix+"contacts/"+survivor+"?tab=history", "merged", -1, res.Position))
}

// handleUnmerge gives a merged duplicate back (UnmergeContact) and shows
// the survivor's history again.
func (con *Console) handleUnmerge(c *gin.Context) {
	id, dup := c.Param("id"), c.PostForm("duplicate")
	res, err := con.deps().Commands.UnmergeContact(c.Request.Context(), callerOf(c), id, dup)
	if err != nil {
		con.refuse(c, err)
		return
	}
	con.settle(c, res.Position)
	c.Redirect(http.StatusSeeOther, withNotice(Prefix+"contacts/"+id+"?tab=history", "unmerged", -1, res.Position))
}
