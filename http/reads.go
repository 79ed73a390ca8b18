package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// Page sizes of the contact lists.
const (
	// activePageSize is the active list's default page; maxPageSize is the
	// most either list returns at once.
	activePageSize = 50
	maxPageSize    = 1000
	// archivedPageSize is the archived list's default page: the whole first
	// 1000, as the platform users knew it.
	archivedPageSize = 1000
)

// listJSON is one page of a list; NextCursor is null on the last page.
type listJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func (s *Server) handleListContacts(c *gin.Context) {
	s.listContacts(c, domain.StatusActive, activePageSize)
}

func (s *Server) handleListArchivedContacts(c *gin.Context) {
	s.listContacts(c, domain.StatusArchived, archivedPageSize)
}

// listContacts answers one page of the active or archived list.
func (s *Server) listContacts(c *gin.Context, status domain.ContactStatus, defaultLimit int) {
	limit, err := parseLimit(c.Query("limit"), defaultLimit, maxPageSize)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.Services.Contacts.List(c.Request.Context(), domain.ListQuery{
		CommunityID: keyOf(c).CommunityID,
		Status:      status,
		Search:      c.Query("q"),
		Sort:        c.Query("sort"),
		Cursor:      c.Query("cursor"),
		Limit:       limit,
	}, afterOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listJSON[contactJSON]{Items: make([]contactJSON, 0, len(page.Items))}
	for _, v := range page.Items {
		out.Items = append(out.Items, toContactJSON(v))
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	c.JSON(http.StatusOK, out)
}

// parseLimit reads a page size: def when absent, else 1 to max.
func parseLimit(raw string, def, max int) (int, error) {
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, domain.FieldError("limit", "must be a whole number from 1 to %d", max)
	}
	return n, nil
}

// checkAfter refuses a request whose after= is not a log position, on
// every route: a read that has nothing to wait for (history, as_of and
// import reports read the log or their own tables) still says the
// parameter is wrong rather than ignore it.
func checkAfter(c *gin.Context) {
	if raw, ok := c.GetQuery("after"); ok {
		if _, err := domain.ParsePosition(raw); err != nil {
			writeProblem(c, http.StatusBadRequest, domain.ErrorMessage(err), "after", domain.EINVALID)
			return
		}
	}
	c.Next()
}

// afterOf is the request's after= position (checkAfter has checked it):
// a read waits, briefly, until the read model has applied it, so a client
// reads its own writes.
func afterOf(c *gin.Context) domain.Position {
	pos, _ := domain.ParsePosition(c.Query("after"))
	return pos
}

// waitAfter honours after= for a read that is not the contacts read
// model's own (an export): on failure it answers and returns false.
func (s *Server) waitAfter(c *gin.Context) bool {
	if err := s.Services.Contacts.WaitFor(c.Request.Context(), afterOf(c)); err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

// contactAfter returns the contact a command left, once the read models
// have applied the command (see settle).
func (s *Server) contactAfter(c *gin.Context, communityID string, res domain.Result) (domain.ContactView, error) {
	view, behind, err := s.Services.Contacts.AfterCommand(c.Request.Context(), communityID, res)
	if err == nil {
		s.sayBehind(c, res.Position, behind)
	}
	return view, err
}

// settle makes a command's answer wait, briefly, until every read model
// has applied the command's last event (pos), whichever node applies it:
// the one rule of every command, so that what a client reads next shows
// its write. Past the wait the answer goes, and says so (sayBehind).
func (s *Server) settle(c *gin.Context, pos domain.Position) error {
	behind, err := s.Services.Contacts.Settle(c.Request.Context(), pos)
	if err == nil {
		s.sayBehind(c, pos, behind)
	}
	return err
}

// readModelsBehind is the header of a command's answer that names the read
// models that had not applied the command yet when it answered: a read
// without after= may not show the write for a moment.
const readModelsBehind = "Read-Models-Behind"

// sayBehind puts readModelsBehind on the answer when behind names any.
func (s *Server) sayBehind(c *gin.Context, pos domain.Position, behind []string) {
	if len(behind) == 0 {
		return
	}
	c.Header(readModelsBehind, strings.Join(behind, ", "))
	s.Logger.Warn("read models lag; a command answers before they apply it", "read_models", behind, "position", pos.String())
}
