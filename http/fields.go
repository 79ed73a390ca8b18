package http

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// fieldJSON is a profile field as the API shows it. Built-in fields have
// no ID.
type fieldJSON struct {
	ID      *string  `json:"id"`
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Type    string   `json:"type"`
	Choices []string `json:"choices"`
	Builtin bool     `json:"builtin"`
}

// fieldResult answers POST /v1/fields: the field and the log position of
// its definition.
type fieldResult struct {
	fieldJSON
	Position string `json:"position"`
}

func toFieldJSON(f domain.Field) fieldJSON {
	out := fieldJSON{Key: f.Key, Label: f.Label, Type: string(f.Type), Choices: f.Choices, Builtin: f.ID == ""}
	if f.ID != "" {
		id := f.ID
		out.ID = &id
	}
	if out.Choices == nil {
		out.Choices = []string{}
	}
	return out
}

func (s *Server) handleListFields(c *gin.Context) {
	fields, err := s.Services.Contacts.Fields(c.Request.Context(), keyOf(c).CommunityID, afterOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listJSON[fieldJSON]{Items: make([]fieldJSON, 0, len(fields))}
	for _, f := range fields {
		out.Items = append(out.Items, toFieldJSON(f))
	}
	c.JSON(http.StatusOK, out)
}

// defineFieldRequest is the body of POST /v1/fields.
type defineFieldRequest struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Type    string   `json:"type"`
	Choices []string `json:"choices"`
}

// handleDefineField defines a field: 201, or 200 when the same definition
// was already there (nothing changes).
func (s *Server) handleDefineField(c *gin.Context) {
	var req defineFieldRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	f, res, err := s.Services.Commands.DefineField(c.Request.Context(), callerOf(c), domain.Field{
		Key: req.Key, Label: req.Label, Type: domain.FieldType(req.Type), Choices: req.Choices,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusCreated
	if !res.Changed {
		status = http.StatusOK
	}
	if err := s.settle(c, res.Position); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(status, fieldResult{fieldJSON: toFieldJSON(f), Position: res.Position.String()})
}

// removedField is the answer to DELETE /v1/fields/{key}: like every
// command's, it carries the log position, so the caller can read the
// contacts without the field with after=.
type removedField struct {
	Key      string `json:"key"`
	Position string `json:"position"`
}

func (s *Server) handleRemoveField(c *gin.Context) {
	res, err := s.Services.Commands.RemoveField(c.Request.Context(), callerOf(c), c.Param("key"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.settle(c, res.Position); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, removedField{Key: c.Param("key"), Position: res.Position.String()})
}
