package http

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// The read models' state, for the platform's operators: how far each has
// got, and the events it set aside (it could not apply them), which an
// operator retries once the cause is fixed.

type projectionJSON struct {
	Name       string  `json:"name"`
	Position   string  `json:"position"`
	Behind     bool    `json:"behind"`
	LagSeconds float64 `json:"lag_seconds"`
	Parked     int     `json:"parked"`
	Degraded   bool    `json:"degraded"`
}

func (s *Server) handleListProjections(c *gin.Context) {
	if s.Services.Projections == nil {
		writeProblem(c, http.StatusServiceUnavailable, "the read models are not running", "", domain.EUNAVAILABLE)
		return
	}
	statuses, err := s.Services.Projections.Status(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listJSON[projectionJSON]{Items: make([]projectionJSON, 0, len(statuses))}
	for _, st := range statuses {
		out.Items = append(out.Items, projectionJSON{Name: st.Name, Position: st.Position.String(), Behind: st.Behind,
			LagSeconds: st.LagSeconds, Parked: st.Parked, Degraded: st.Parked > 0})
	}
	c.JSON(http.StatusOK, out)
}

type retryJSON struct {
	Name        string `json:"name"`
	Applied     int    `json:"applied"`
	StillParked int    `json:"still_parked"`
}

func (s *Server) handleRetryParked(c *gin.Context) {
	if s.Services.Projections == nil {
		writeProblem(c, http.StatusServiceUnavailable, "the read models are not running", "", domain.EUNAVAILABLE)
		return
	}
	res, err := s.Services.Projections.RetryParked(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, retryJSON{Name: c.Param("name"), Applied: res.Applied, StillParked: res.StillParked})
}
