// Package console is the admin console: the web pages association admins
// and auditors use every day, server-rendered with html/template from the
// service's own binary (templates and assets embedded). It calls the same
// domain ports as the JSON API, so no rule is written twice, and it obeys
// the same rule of consistency: after an action, the next page read waits
// until the read model shows it.
package console

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// Prefix is where the console lives, beside /v1.
const Prefix = "/console/"

// requestIDKey is where the HTTP server's middleware keeps the request's
// ID: the correlation of the events a page's action causes.
const requestIDKey = "contacts.request_id"

// Console serves the console's pages.
type Console struct {
	// deps returns the dependencies at request time: the server gets them
	// after its routes are registered.
	deps   func() Deps
	pages  templates
	logger *slog.Logger
	// Uploads run before a workbook upload is read (the server gives it
	// more time to arrive than other requests).
	Uploads []gin.HandlerFunc
}

// readerPosts are the forms an auditor may send: they read, change nothing.
var readerPosts = map[string]bool{"/console/sign-out": true, "/console/export-selection": true}

// uploadRoutes take a workbook: their CSRF token, in the body, is read
// once Console.Uploads have given the body its time to arrive.
var uploadRoutes = map[string]bool{"/console/imports": true}

// New returns the console; deps is called on each request.
func New(deps func() Deps, logger *slog.Logger) (*Console, error) {
	pages, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Console{deps: deps, pages: pages, logger: logger}, nil
}

// Mount registers the console's routes on r, under Prefix.
func (con *Console) Mount(r gin.IRouter) {
	g := r.Group("/console", secureHeaders)
	static, _ := fs.Sub(staticFiles, "static")
	g.StaticFS("/static", http.FS(static))
	g.GET("/sign-in", con.handleSignInPage)
	g.POST("/sign-in", con.handleSignIn)
	g.GET("/language", con.handleLanguage)

	in := g.Group("", con.requireSession)
	in.POST("/sign-out", con.handleSignOut)
	in.GET("/", con.handleContacts)
	in.POST("/contacts/archive", con.handleArchive)
	in.GET("/contacts/:id", con.handleProfile)
	in.POST("/contacts/:id", con.handleUpdateProfile)
	in.POST("/contacts/:id/unmerge", con.handleUnmerge)
	in.GET("/archived", con.handleArchived)
	in.POST("/archived/restore", con.handleRestore)
	in.POST("/archived/delete", con.handleDelete)
	in.POST("/merge/compare", con.handleMergePage)
	in.POST("/merge", con.handleMerge)
	in.GET("/fields", con.handleFields)
	in.POST("/fields", con.handleDefineField)
	in.POST("/fields/:key/remove", con.handleRemoveField)
	in.GET("/imports", con.handleImportPage)
	in.POST("/imports", append(con.Uploads, con.checkUploadCSRF, con.handleImport)...)
	in.GET("/imports/template.xlsx", con.handleTemplate)
	in.GET("/imports/:id", con.handleImportReport)
	in.POST("/imports/:id/revert", con.handleRevertImport)
	in.GET("/export.xlsx", con.handleExport)
	in.POST("/export-selection", con.handleExportSelection)
	in.GET("/keys", con.handleKeys)
	in.POST("/keys", con.handleCreateKey)
	in.POST("/keys/:id/revoke", con.handleRevokeKey)
}

// handleLanguage keeps the person's choice of language for a year and
// goes back to the page they were on.
func (con *Console) handleLanguage(c *gin.Context) {
	to := c.Query("to")
	if to != "fr" && to != "en" {
		to = "en"
	}
	setCookie(c, langCookie, to, 365*24*3600)
	c.Redirect(http.StatusSeeOther, safeNext(c.Query("back")))
}

// safeNext is where to go after an action: a console address, else the
// contacts page (never another site: an open redirect).
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
