package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
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
	if !s.waitAfter(c) {
		return
	}
	page, err := s.Services.Queries.ListContacts(c.Request.Context(), projections.ListQuery{
		CommunityID: keyOf(c).CommunityID,
		Status:      status,
		Search:      c.Query("q"),
		Sort:        c.Query("sort"),
		Cursor:      c.Query("cursor"),
		Limit:       limit,
	})
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

// waitAfter honours after=<position>: it waits, briefly, until the contacts
// read model has applied that position, so a client reads its own writes.
// On failure (a bad position: 400; not reached in time: 503) it answers and
// returns false.
func (s *Server) waitAfter(c *gin.Context) bool {
	raw := c.Query("after")
	if raw == "" {
		return true
	}
	pos, err := domain.ParsePosition(raw)
	if err != nil {
		s.fail(c, domain.FieldError("after", "%s", domain.ErrorMessage(err)))
		return false
	}
	if err := s.waitFor(c.Request.Context(), pos); err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

// commandWait is how long a command's answer waits for the read model
// before it is built from the log instead.
const commandWait = time.Second

// waitFor waits until the contacts read model has applied pos.
func (s *Server) waitFor(ctx context.Context, pos domain.Position) error {
	if pos.IsStart() {
		return nil
	}
	if s.Services.Runner == nil {
		return domain.Errorf(domain.EUNAVAILABLE, "the read models are not running")
	}
	return s.Services.Runner.WaitFor(ctx, projections.ContactsReadModel, pos, s.waitTimeout())
}

// contactAfter returns the contact a command left: from the read model,
// once it has applied the command, as a GET would show it; from the log
// when the read model lags too far behind (the command succeeded and must
// not look failed).
func (s *Server) contactAfter(ctx context.Context, communityID string, res domain.Result) (projections.ContactView, error) {
	// A command waits briefly: its answer must not hang on a stalled read
	// model (one long transaction anywhere on the server holds the log's
	// visibility back), and the log answers as well.
	var err error
	if !res.Position.IsStart() {
		if s.Services.Runner == nil {
			err = domain.Errorf(domain.EUNAVAILABLE, "the read models are not running")
		} else {
			err = s.Services.Runner.WaitFor(ctx, projections.ContactsReadModel, res.Position, commandWait)
		}
	}
	if err == nil {
		view, err := s.Services.Queries.Contact(ctx, communityID, res.ID)
		if err == nil && view.Version >= res.Version {
			return view, nil
		}
		if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
			return view, err
		}
		// A command that changed nothing has no position to wait for: the
		// read model may not show the contact's latest events yet.
	} else if domain.ErrorCode(err) != domain.EUNAVAILABLE {
		return projections.ContactView{}, err
	} else {
		s.Logger.Warn("read model lags; answering a command from the log", "contact", res.ID, "position", res.Position.String())
	}
	return s.contactFromLog(ctx, communityID, res.ID)
}

// contactFromLog folds a contact from its events and shows it as the read
// model would.
func (s *Server) contactFromLog(ctx context.Context, communityID, id string) (projections.ContactView, error) {
	return s.contactFromLogAsOf(ctx, communityID, id, time.Time{})
}

// contactFromLogAsOf folds a contact, and its community's fields, from
// their events recorded up to at (all when at is zero).
func (s *Server) contactFromLogAsOf(ctx context.Context, communityID, id string, at time.Time) (projections.ContactView, error) {
	store := s.Services.Handler.Store
	contact, err := domain.LoadContactAsOf(ctx, store, communityID, id, at)
	if err != nil {
		return projections.ContactView{}, err
	}
	community, err := domain.LoadCommunityAsOf(ctx, store, communityID, at)
	if err != nil {
		return projections.ContactView{}, err
	}
	// The read model keeps times to the microsecond.
	micro := func(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
	v := projections.ContactView{
		ID: contact.ID, CommunityID: contact.CommunityID, Status: string(contact.Status),
		Email: contact.Email(), FirstName: contact.FirstName(), LastName: contact.LastName(), ExternalID: contact.ExternalID(),
		Fields: contact.FieldValues(community), Version: contact.Version,
		CreatedAt: micro(contact.CreatedAt), UpdatedAt: micro(contact.UpdatedAt),
	}
	if !contact.ArchivedAt.IsZero() && contact.Status != domain.StatusDeleted {
		at := micro(contact.ArchivedAt)
		v.ArchivedAt = &at
	}
	if contact.MergedInto != "" {
		into := contact.MergedInto
		v.MergedInto = &into
	}
	return v, nil
}
