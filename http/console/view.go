package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/apikeys"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// page is what every template is given: the language, who is signed in
// (nil on the sign-in page), the page's own data, and a notice to show.
type page struct {
	L       lang
	Session *apikeys.Session
	// Title names the page (in the tab and its heading).
	Title string
	// Nav is the menu entry the page belongs to.
	Nav string
	// Notice is a message about the last action; Problem one about a
	// failure.
	Notice, Problem string
	// Path is the page's address with its query, for the language switch
	// to come back to.
	Path string
	Data any
}

// CanWrite reports whether the person may change things (an admin):
// buttons an auditor may not use are not shown to it.
func (p page) CanWrite() bool { return p.Session != nil && p.Session.Key.Role == apikeys.RoleAdmin }

// CSRF is the token every form of the session carries.
func (p page) CSRF() string {
	if p.Session == nil {
		return ""
	}
	return p.Session.CSRF
}

// templates holds one template set per page: the layout and the page.
type templates map[string]*template.Template

// loadTemplates parses every page of templates/ with the layout.
func loadTemplates() (templates, error) {
	layout, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("console: parse layout: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := templates{}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" || base == "parts.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, name)
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", name, err)
		}
		out[strings.TrimSuffix(base, ".html")] = t
	}
	return out, nil
}

// templateFuncs are the helpers templates share.
var templateFuncs = template.FuncMap{
	"join":      strings.Join,
	"fieldName": fieldLabel,
	"add":       func(a, b int) int { return a + b },
	// dict makes a map of its pairs, to hand a part several values.
	"dict": func(pairs ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(pairs); i += 2 {
			m[fmt.Sprint(pairs[i])] = pairs[i+1]
		}
		return m
	},
}

// render writes page name with status. The page is made whole before a
// byte is sent, so a template error is a clean 500.
func (con *Console) render(c *gin.Context, status int, name string, p page) {
	t, ok := con.pages[name]
	if !ok {
		con.fail(c, fmt.Errorf("console: no page %q", name))
		return
	}
	p.L = langOf(c)
	if s, ok := sessionOf(c); ok && p.Session == nil {
		p.Session = &s
	}
	p.Path = c.Request.URL.RequestURI()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		con.fail(c, fmt.Errorf("console: render %s: %w", name, err))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// fail answers an unexpected error with a plain page, and logs it.
func (con *Console) fail(c *gin.Context, err error) {
	c.Error(err) //nolint:errcheck // returns its argument
	con.logger.Error("console page failed", "path", c.Request.URL.Path, "err", err)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8",
		[]byte(langOf(c).T("Something went wrong on our side. Try again; if it happens again, tell your platform's operator.")))
	c.Abort()
}

// RoleName is the signed-in key's role, capitalised for a label.
func (p page) RoleName() string {
	if p.Session == nil {
		return ""
	}
	r := string(p.Session.Key.Role)
	return strings.ToUpper(r[:1]) + r[1:]
}
