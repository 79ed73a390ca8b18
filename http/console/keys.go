package console

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

// keysView is the keys page: the community's keys, the one just made
// (shown once), and the session's own key (which it cannot revoke here).
type keysView struct {
	Keys    []apikeys.Key
	Made    string
	MadeFor apikeys.Role
	Own     string
}

// creatableRoles are the keys an admin makes from the console: people who
// read (auditors) and programs that follow the log (analytics).
var creatableRoles = map[apikeys.Role]bool{apikeys.RoleAuditor: true, apikeys.RoleAnalytics: true}

// handleKeys lists the community's keys (admins only).
func (con *Console) handleKeys(c *gin.Context) {
	con.showKeys(c, keysView{})
}

func (con *Console) showKeys(c *gin.Context, view keysView) {
	s := mustSession(c)
	if s.Key.Role != apikeys.RoleAdmin {
		con.forbid(c, "Only an admin manages keys.")
		return
	}
	keys, err := con.deps().Keys.List(c.Request.Context(), s.Key.CommunityID)
	if err != nil {
		con.fail(c, err)
		return
	}
	view.Keys, view.Own = keys, s.Key.ID
	con.render(c, http.StatusOK, "keys", page{Title: "Keys", Nav: "keys", Notice: noticeOf(c), Data: view})
}

// handleCreateKey makes an auditor or analytics key and shows it, once.
func (con *Console) handleCreateKey(c *gin.Context) {
	role := apikeys.Role(c.PostForm("role"))
	if !creatableRoles[role] {
		con.refuse(c, domain.FieldError("role", "%s", langOf(c).T("Choose auditor or analytics.")))
		return
	}
	key, _, err := con.deps().Keys.Create(c.Request.Context(), role, mustSession(c).Key.CommunityID)
	if err != nil {
		con.refuse(c, err)
		return
	}
	con.showKeys(c, keysView{Made: key, MadeFor: role})
}

// handleRevokeKey revokes one of the community's keys.
func (con *Console) handleRevokeKey(c *gin.Context) {
	s := mustSession(c)
	if c.Param("id") == s.Key.ID {
		con.refuse(c, domain.Errorf(domain.ECONFLICT, "%s", langOf(c).T("You are signed in with this key: revoke it from another admin key.")))
		return
	}
	if err := con.deps().Keys.Revoke(c.Request.Context(), s.Key.CommunityID, c.Param("id")); err != nil {
		con.refuse(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, withNotice(Prefix+"keys", "revoked", -1, domain.Start))
}
