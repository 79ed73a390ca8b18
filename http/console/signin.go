package console

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

// signInForm is the sign-in page's data.
type signInForm struct {
	CSRF, Next string
}

func (con *Console) handleSignInPage(c *gin.Context) {
	con.showSignIn(c, http.StatusOK, "")
}

// showSignIn renders the sign-in form with a fresh double-submit token.
func (con *Console) showSignIn(c *gin.Context, status int, problem string) {
	b := make([]byte, 24)
	rand.Read(b) //nolint:errcheck // never fails
	token := base64.RawURLEncoding.EncodeToString(b)
	setCookie(c, signInCookie, token, int(time.Hour/time.Second))
	con.render(c, status, "signin", page{Title: "Sign in", Problem: problem,
		Data: signInForm{CSRF: token, Next: safeNext(c.Query("next") + c.PostForm("next"))}})
}

// handleSignIn opens a session for an admin or auditor key.
func (con *Console) handleSignIn(c *gin.Context) {
	deps := con.deps()
	if deps.Sessions == nil || deps.Keys == nil {
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("the console is not configured yet"))
		return
	}
	l := langOf(c)
	expected, _ := c.Cookie(signInCookie)
	if !sameToken(c.PostForm("csrf"), expected) {
		con.showSignIn(c, http.StatusForbidden, l.T("This form has expired. Try again."))
		return
	}
	key, err := deps.Keys.Lookup(c.Request.Context(), c.PostForm("key"))
	switch code := domain.ErrorCode(err); {
	case code == domain.EUNAUTHORIZED || code == domain.ENOTFOUND:
		con.showSignIn(c, http.StatusUnauthorized, l.T("This key is not valid. Paste the whole key, starting with ck_."))
		return
	case err != nil:
		con.fail(c, err)
		return
	case key.Role != apikeys.RoleAdmin && key.Role != apikeys.RoleAuditor:
		con.showSignIn(c, http.StatusForbidden, l.T("The console takes an admin or auditor key."))
		return
	}
	token, _, err := deps.Sessions.StartSession(c.Request.Context(), key.ID, sessionTTL)
	if err != nil {
		con.fail(c, err)
		return
	}
	setCookie(c, signInCookie, "", -1)
	setCookie(c, sessionCookie, token, int(sessionTTL/time.Second))
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("next")))
}

// handleSignOut ends the session everywhere.
func (con *Console) handleSignOut(c *gin.Context) {
	token, _ := c.Cookie(sessionCookie)
	if err := con.deps().Sessions.EndSession(c.Request.Context(), token); err != nil {
		con.fail(c, err)
		return
	}
	setCookie(c, sessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/console/sign-in")
}
