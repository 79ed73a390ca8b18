package http

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/http/errstatus"
)

// problem is an RFC 9457 problem details body. Field names the input at fault
// when there is one.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// problemTypeBase prefixes each error code to make a problem's type URI.
const problemTypeBase = "https://contacts.invalid/problems/"

// codeTooLarge is the type of a 413: a body or upload over its limit is
// not invalid input a client can fix field by field, and has no domain
// code (the domain never sees it).
const codeTooLarge = "too_large"

// newProblem returns the problem for status, with a type naming code when
// there is one.
func newProblem(status int, detail, field, code string) problem {
	p := problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Field: field}
	if code != "" {
		p.Type = problemTypeBase + code
	}
	return p
}

// writeProblem answers with an application/problem+json body and stops the
// handler chain.
func writeProblem(c *gin.Context, status int, detail, field, code string) {
	writeProblemBody(c, newProblem(status, detail, field, code))
}

func writeProblemBody(c *gin.Context, p problem) {
	if p.Status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", "1")
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}

// problemOf turns err into the problem a client sees. Errors without a code
// of their own (bugs, broken dependencies) become a generic 500, or a 503
// when the database could not be reached; internal reports true for both:
// the caller must log the real error, which the client never sees.
func problemOf(err error) (p problem, internal bool) {
	code := domain.ErrorCode(err)
	status := errstatus.Of(code)
	if status == http.StatusInternalServerError && unreachable(err) {
		return newProblem(http.StatusServiceUnavailable, "the database cannot be reached; try again shortly", "", domain.EUNAVAILABLE), true
	}
	if status == http.StatusInternalServerError {
		return newProblem(status, "internal error; the request ID is in the X-Request-ID header", "", domain.EINTERNAL), true
	}
	var field string
	var e *domain.Error
	if errors.As(err, &e) {
		field = e.Field
	}
	return newProblem(status, domain.ErrorMessage(err), field, code), false
}

// fail answers with the problem err maps to. An internal error is recorded
// on the context, where the logging middleware finds it.
func (s *Server) fail(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The client went away: no one reads the answer, nothing went wrong.
		c.AbortWithStatus(statusClientClosedRequest)
		return
	}
	p, internal := problemOf(err)
	if internal || p.Status >= http.StatusInternalServerError {
		c.Error(err) //nolint:errcheck // returns its argument
	}
	writeProblemBody(c, p)
}

// statusClientClosedRequest is the status (nginx's) recorded when the client
// left before its answer was ready.
const statusClientClosedRequest = 499

// unreachable reports whether err says the database could not be reached
// or went away during the call, rather than refused it: the call may
// succeed once it is back (a restart takes about a second), so it is worth
// a 503 and a retry, not a 500. The drivers' errors are recognised by what
// they wrap and by SQLSTATE, so this package needs none of them.
func unreachable(err error) bool {
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return unreachableState(coded.SQLState())
	}
	var netErr *net.OpError
	return errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}

// unreachableState reports whether a SQLSTATE says the connection failed
// (class 08) or the server is shutting down, crashed, or starting up
// (57P01-57P03).
func unreachableState(state string) bool {
	switch state {
	case "57P01", "57P02", "57P03":
		return true
	}
	return strings.HasPrefix(state, "08")
}
