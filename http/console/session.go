package console

import (
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

const (
	// sessionCookie holds the session's token; the key itself never
	// leaves the sign-in form.
	sessionCookie = "console_session"
	// signInCookie holds the sign-in form's CSRF token (double submit):
	// before a session there is nowhere else to keep it.
	signInCookie = "console_signin"
	// sessionTTL is how long a session lasts: a working day.
	sessionTTL = 12 * time.Hour
	// ctxSession is where requireSession keeps the session.
	ctxSession = "console.session"
)

// setCookie sets a console cookie: HttpOnly, SameSite=Strict, Secure when
// the browser reached us over TLS (maxAge < 0 deletes it).
func setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/console/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overTLS(c),
	})
}

// overTLS reports whether the browser's connection is encrypted: to this
// server, or to the proxy in front of it.
func overTLS(c *gin.Context) bool {
	return c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"
}

// sessionOf returns the request's session, once requireSession has run.
func sessionOf(c *gin.Context) (apikeys.Session, bool) {
	v, ok := c.Get(ctxSession)
	s, _ := v.(apikeys.Session)
	return s, ok
}

// callerOf says who issues a command from the console: the session's
// community and key, the request as correlation (as the API does).
func callerOf(c *gin.Context) domain.Caller {
	s, _ := sessionOf(c)
	id := c.GetString(requestIDKey)
	if id == "" {
		id = domain.NewID()
	}
	return domain.Caller{CommunityID: s.Key.CommunityID, Actor: "key:" + s.Key.ID, CorrelationID: id, CausationID: id}
}

// requireSession lets a signed-in admin or auditor through, sending
// anyone else to the sign-in page. A form it lets through must carry the
// session's CSRF token, and come from an admin: an auditor reads only.
func (con *Console) requireSession(c *gin.Context) {
	deps := con.deps()
	if deps.Sessions == nil || deps.Keys == nil || deps.Commands == nil || deps.Contacts == nil {
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("the console is not configured yet"))
		c.Abort()
		return
	}
	token, _ := c.Cookie(sessionCookie)
	s, err := deps.Sessions.Session(c.Request.Context(), token)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		con.toSignIn(c)
		return
	}
	if err != nil {
		con.fail(c, err)
		return
	}
	c.Set(ctxSession, s)
	if c.Request.Method == http.MethodPost && !con.formAllowed(c, s) {
		return
	}
	c.Next()
}

// formAllowed refuses (403) any change an auditor's session asks for
// (the readerPosts are every role's), then a form without the session's
// CSRF token. An upload's token is checked once the upload has been given
// its time to arrive (checkUploadCSRF), after the role: the role needs no
// body, the token does.
func (con *Console) formAllowed(c *gin.Context, s apikeys.Session) bool {
	if s.Key.Role != apikeys.RoleAdmin && !readerPosts[c.FullPath()] {
		con.forbid(c, "Your key reads only: ask an admin to make this change.")
		return false
	}
	if uploadRoutes[c.FullPath()] {
		return true
	}
	return con.csrfAllowed(c, s)
}

// csrfAllowed refuses (403) a form without the session's CSRF token.
func (con *Console) csrfAllowed(c *gin.Context, s apikeys.Session) bool {
	if !sameToken(c.PostForm("csrf"), s.CSRF) {
		con.forbid(c, "This form has expired or did not come from this console. Go back, reload the page and try again.")
		return false
	}
	return true
}

// checkUploadCSRF checks an upload's CSRF token (see formAllowed).
func (con *Console) checkUploadCSRF(c *gin.Context) {
	if con.csrfAllowed(c, mustSession(c)) {
		c.Next()
	}
}

func (con *Console) forbid(c *gin.Context, why string) {
	con.render(c, http.StatusForbidden, "refused", page{Title: "Not allowed", Problem: langOf(c).T(why)})
	c.Abort()
}

// sameToken compares a form's token with the expected one in constant time.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// toSignIn sends a signed-out person to the sign-in page (a page read
// comes back to where it was afterwards).
func (con *Console) toSignIn(c *gin.Context) {
	next := ""
	if c.Request.Method == http.MethodGet {
		next = "?next=" + urlQueryEscape(c.Request.URL.RequestURI())
	}
	c.Redirect(http.StatusSeeOther, "/console/sign-in"+next)
	c.Abort()
}

// mustSession is the session of a request requireSession let through.
func mustSession(c *gin.Context) apikeys.Session {
	s, _ := sessionOf(c)
	return s
}
