package http

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

// createCommunityRequest is the body of POST /v1/communities.
type createCommunityRequest struct {
	Name string `json:"name"`
}

// createCommunityResponse gives the new community and its first admin key
// (shown this once).
type createCommunityResponse struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	AdminKey string `json:"admin_key"`
}

func (s *Server) handleCreateCommunity(c *gin.Context) {
	var req createCommunityRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	res, err := s.Services.Commands.CreateCommunity(ctx, callerOf(c), req.Name)
	if err != nil {
		s.fail(c, err)
		return
	}
	key, _, err := s.Services.Keys.Create(ctx, apikeys.RoleAdmin, res.ID)
	if err != nil {
		s.fail(c, fmt.Errorf("community %s created, but not its admin key: %w", res.ID, err))
		return
	}
	if err := s.settle(c, res.Position); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, createCommunityResponse{ID: res.ID, Name: strings.TrimSpace(req.Name), AdminKey: key})
}

// createKeyRequest is the body of POST /v1/keys.
type createKeyRequest struct {
	Role string `json:"role"`
}

// createKeyResponse gives the new key (shown this once) and its role.
type createKeyResponse struct {
	Key  string `json:"key"`
	Role string `json:"role"`
}

// handleCreateKey makes a key of the admin's community.
func (s *Server) handleCreateKey(c *gin.Context) {
	var req createKeyRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	role := apikeys.Role(req.Role)
	switch role {
	case apikeys.RoleAdmin, apikeys.RoleAuditor, apikeys.RoleAnalytics:
	default:
		s.fail(c, domain.FieldError("role", "%q is not one of admin, auditor, analytics", req.Role))
		return
	}
	key, _, err := s.Services.Keys.Create(c.Request.Context(), role, keyOf(c).CommunityID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, createKeyResponse{Key: key, Role: string(role)})
}
