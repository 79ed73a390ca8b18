package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// historyEntryJSON is one event of a contact's history, for auditors.
type historyEntryJSON struct {
	Version       int64        `json:"version"`
	Position      string       `json:"position"`
	Type          string       `json:"type"`
	Schema        int          `json:"schema"`
	Time          time.Time    `json:"time"`
	Actor         string       `json:"actor"`
	Command       string       `json:"command"`
	CorrelationID string       `json:"correlation_id"`
	CausationID   string       `json:"causation_id"`
	Changes       []changeJSON `json:"changes"`
	// Related links the contacts the event ties this one to (a merge's
	// survivor or duplicates), to their own histories.
	Related []relatedJSON `json:"related"`
	Erased  bool          `json:"erased"`
}

// changeJSON is one field's change: old → new ("" is empty). A value
// erased with its contact reads as erasedValue.
type changeJSON struct {
	Field string  `json:"field"`
	Old   string  `json:"old"`
	New   string  `json:"new"`
	From  *string `json:"from,omitempty"`
}

type relatedJSON struct {
	ID      string `json:"id"`
	History string `json:"history"`
}

// erasedValue stands for a personal value erased with its contact.
const erasedValue = "[erased]"

func (s *Server) handleContactHistory(c *gin.Context) {
	entries, err := s.Services.Contacts.History(c.Request.Context(), keyOf(c).CommunityID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listJSON[historyEntryJSON]{Items: make([]historyEntryJSON, 0, len(entries))}
	for _, e := range entries {
		out.Items = append(out.Items, toHistoryEntryJSON(e))
	}
	c.JSON(http.StatusOK, out)
}

func toHistoryEntryJSON(e domain.HistoryEntry) historyEntryJSON {
	j := historyEntryJSON{
		Version: e.Version, Position: e.Position.String(), Type: e.Type, Schema: e.Schema, Time: e.Time.UTC(),
		Actor: e.Actor, Command: e.Command, CorrelationID: e.CorrelationID, CausationID: e.CausationID,
		Changes: make([]changeJSON, 0, len(e.Changes)), Related: make([]relatedJSON, 0, len(e.Related)), Erased: e.Erased,
	}
	for _, ch := range e.Changes {
		cj := changeJSON{Field: ch.Field, Old: ch.Old, New: ch.New}
		if e.Erased && ch.Field != domain.StatusField {
			cj.Old, cj.New = erasedValue, erasedValue
		}
		if ch.From != "" {
			from := ch.From
			cj.From = &from
		}
		j.Changes = append(j.Changes, cj)
	}
	for _, id := range e.Related {
		j.Related = append(j.Related, relatedJSON{ID: id, History: "/v1/contacts/" + id + "/history"})
	}
	return j
}

// handleContactAsOf answers GET /v1/contacts/{id}?as_of=: the contact as it
// was at that instant, replayed from the log, not from a read model.
func (s *Server) handleContactAsOf(c *gin.Context) {
	at, err := time.Parse(time.RFC3339Nano, c.Query("as_of"))
	if err != nil {
		s.fail(c, domain.FieldError("as_of", "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z"))
		return
	}
	view, err := s.Services.Contacts.AsOf(c.Request.Context(), keyOf(c).CommunityID, c.Param("id"), at)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(view.Version))
	c.JSON(http.StatusOK, toContactJSON(view))
}
