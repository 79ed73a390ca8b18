package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// keyJSON describes a key; the key itself is never shown again.
type keyJSON struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// handleListKeys lists the admin's community's keys, by role then age.
func (s *Server) handleListKeys(c *gin.Context) {
	keys, err := s.Services.Keys.List(c.Request.Context(), keyOf(c).CommunityID)
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]keyJSON, 0, len(keys))
	for _, k := range keys {
		items = append(items, keyJSON{ID: k.ID, Role: string(k.Role), CreatedAt: k.CreatedAt.UTC()})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// handleRevokeKey revokes a key of the admin's community.
func (s *Server) handleRevokeKey(c *gin.Context) {
	if err := s.Services.Keys.Revoke(c.Request.Context(), keyOf(c).CommunityID, c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
