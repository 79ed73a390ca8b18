package http

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

// Context keys of what the middleware learns about a request.
const (
	ctxRequestID = "contacts.request_id"
	ctxKey       = "contacts.key"
)

// maxBodyBytes bounds request bodies (413 above).
const maxBodyBytes = 1 << 20

// maxRequestIDLength bounds a client's X-Request-ID.
const maxRequestIDLength = 128

// requestID names the request: the client's X-Request-ID when it is sane
// (1-128 letters, digits and . _ : -), else a new ID. It is echoed in the
// answer and is the correlation ID of every event the request causes.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !saneRequestID(id) {
		id = domain.NewID()
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for _, r := range []byte(id) {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-') {
			return false
		}
	}
	return true
}

// slowRequest is how long a request may take before it is logged.
const slowRequest = 2 * time.Second

// logFailures logs the requests answered with a 5xx status, with the error
// behind it when a handler recorded one, and the slow ones. Other requests
// are not logged: a line per request costs more than it tells.
func (s *Server) logFailures(c *gin.Context) {
	start := time.Now()
	c.Next()
	status, elapsed := c.Writer.Status(), time.Since(start)
	// A followed event stream lasts as long as its client follows: its
	// length says nothing about the service.
	if status < http.StatusInternalServerError && (elapsed < slowRequest || followedStream(c)) {
		return
	}
	attrs := []any{
		"method", c.Request.Method, "route", c.FullPath(), "path", c.Request.URL.Path,
		"status", status, "duration", elapsed, "request_id", c.GetString(ctxRequestID),
	}
	if err := c.Errors.Last(); err != nil {
		attrs = append(attrs, "err", err.Err)
	}
	switch {
	case status == http.StatusServiceUnavailable:
		s.Logger.Warn("request unavailable", attrs...)
	case status >= http.StatusInternalServerError:
		s.Logger.Error("request failed", attrs...)
	default:
		s.Logger.Warn("slow request", attrs...)
	}
}

// recover turns a handler's panic into a 500 problem, recording the panic
// and its stack for logFailures.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
			panic(v)
		}
		c.Error(fmt.Errorf("panic: %v\n%s", v, debug.Stack())) //nolint:errcheck // returns its argument
		writeProblem(c, http.StatusInternalServerError, "internal error; the request ID is in the X-Request-ID header", "", domain.EINTERNAL)
	}()
	c.Next()
}

// limitBody caps the request body; reading past the cap fails with
// *http.MaxBytesError, which decodeJSON (and the upload) answer with 413.
// Workbook uploads get a larger cap than JSON bodies.
func limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		limit := int64(maxBodyBytes)
		if c.FullPath() == "/v1/imports" || c.FullPath() == "/console/imports" {
			limit = maxImportBytes + 64<<10 // the multipart framing around the file
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}

// followedStream reports whether the request follows the event stream
// (GET /v1/events?follow=true): an answer that never ends by design.
func followedStream(c *gin.Context) bool {
	return c.FullPath() == "/v1/events" && c.Query("follow") == "true"
}

// longAnswers are the routes whose answer may take longer to make than
// Limits.Write allows a whole answer: exports stream a whole community,
// imports receive a slow upload and apply many rows before they answer,
// reverts undo as many. (Event streams set a deadline before each of
// their writes themselves, which supersedes the server's.)
var longAnswers = map[string]bool{
	"GET /v1/exports/contacts.xlsx": true,
	"POST /v1/imports":              true,
	"POST /v1/imports/:id/revert":   true,
	// The console's exports and imports, as the API's.
	"GET /console/export.xlsx":           true,
	"POST /console/export-selection":     true,
	"GET /console/imports/template.xlsx": true,
	"POST /console/imports":              true,
	"POST /console/imports/:id/revert":   true,
}

// boundEachWrite gives each write of a long answer Limits.Write to go
// through, instead of one deadline for the whole answer: only a client
// that stops reading is cut off.
func (s *Server) boundEachWrite(c *gin.Context) {
	if longAnswers[c.Request.Method+" "+c.FullPath()] {
		c.Writer = &writeDeadlines{ResponseWriter: c.Writer, rc: http.NewResponseController(c.Writer), timeout: s.Limits.withDefaults().Write}
	}
	c.Next()
}

// slowUpload gives a workbook upload Limits.Upload to send its body, once
// its sender is known to be an admin: others keep Limits.Read. (net/http
// lifts the read deadline once a body is read whole.)
func (s *Server) slowUpload(c *gin.Context) {
	http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(s.Limits.withDefaults().Upload)) //nolint:errcheck // unsupported (tests' recorders): no deadline to extend
	c.Next()
}

// writeDeadlines gives each write of an answer Limits.Write to go through,
// instead of one deadline for the whole answer.
type writeDeadlines struct {
	gin.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *writeDeadlines) extend() {
	w.rc.SetWriteDeadline(time.Now().Add(w.timeout)) //nolint:errcheck // unsupported: no deadline to extend
}

func (w *writeDeadlines) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

func (w *writeDeadlines) WriteString(s string) (int, error) {
	w.extend()
	return w.ResponseWriter.WriteString(s)
}

func (w *writeDeadlines) Flush() {
	w.extend()
	w.ResponseWriter.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *writeDeadlines) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// authenticate requires Authorization: Bearer <key> with a stored key, and
// keeps the key's description for the handlers.
func (s *Server) authenticate(c *gin.Context) {
	if s.Services.Keys == nil || s.Services.Commands == nil || s.Services.Contacts == nil {
		writeProblem(c, http.StatusServiceUnavailable, "the API is not configured yet", "", domain.EUNAVAILABLE)
		return
	}
	header := c.GetHeader("Authorization")
	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if header == "" || !strings.EqualFold(scheme, "Bearer") || token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="contacts"`)
		writeProblem(c, http.StatusUnauthorized, "send your API key as Authorization: Bearer <key>", "", domain.EUNAUTHORIZED)
		return
	}
	key, err := s.Services.Keys.Lookup(c.Request.Context(), token)
	if code := domain.ErrorCode(err); code == domain.EUNAUTHORIZED || code == domain.ENOTFOUND {
		c.Header("WWW-Authenticate", `Bearer realm="contacts", error="invalid_token"`)
		writeProblem(c, http.StatusUnauthorized, "the API key is not valid", "", domain.EUNAUTHORIZED)
		return
	}
	if err != nil {
		s.fail(c, fmt.Errorf("authenticate: %w", err))
		return
	}
	c.Set(ctxKey, key)
	c.Next()
}

// allow lets only keys with one of roles through (403 for the others).
func (s *Server) allow(roles ...apikeys.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !slices.Contains(roles, keyOf(c).Role) {
			writeProblem(c, http.StatusForbidden, fmt.Sprintf("an %s key may not do this", keyOf(c).Role), "", domain.EFORBIDDEN)
			return
		}
		c.Next()
	}
}

// keyOf returns the request's authenticated key.
func keyOf(c *gin.Context) apikeys.Key {
	k, _ := c.Get(ctxKey)
	key, _ := k.(apikeys.Key)
	return key
}

// callerOf says who issues a command: the key's community, the key as
// actor, the request as correlation.
func callerOf(c *gin.Context) domain.Caller {
	k := keyOf(c)
	return domain.Caller{
		CommunityID:   k.CommunityID,
		Actor:         "key:" + k.ID,
		CorrelationID: c.GetString(ctxRequestID),
		// The request directly caused the command; a command a command
		// causes (a merged duplicate deleted with its survivor) names
		// that instead.
		CausationID: c.GetString(ctxRequestID),
	}
}
