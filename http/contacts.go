package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// contactJSON is a contact as the API shows it. Empty text is "", absent
// dates and links are null.
type contactJSON struct {
	ID         string            `json:"id"`
	Status     string            `json:"status"`
	Email      string            `json:"email"`
	FirstName  string            `json:"first_name"`
	LastName   string            `json:"last_name"`
	ExternalID string            `json:"external_id"`
	Fields     map[string]string `json:"fields"`
	Version    int64             `json:"version"`
	CreatedAt  string            `json:"created_at"`
	UpdatedAt  string            `json:"updated_at"`
	ArchivedAt *string           `json:"archived_at"`
	MergedInto *string           `json:"merged_into"`
}

// jsonTime formats an instant as time.Time's MarshalJSON does (RFC 3339,
// UTC, nanoseconds without trailing zeros), as a plain string: the JSON
// encoder re-reads and compacts what a MarshalJSON returns, which cost a
// page of 1000 contacts more than the rest of its encoding.
func jsonTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// contactResult is a command's answer: the contact and the log position
// of the last event the command appended.
type contactResult struct {
	contactJSON
	Position string `json:"position"`
}

func toContactJSON(v domain.ContactView) contactJSON {
	fields := v.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	c := contactJSON{
		ID: v.ID, Status: v.Status, Email: v.Email, FirstName: v.FirstName, LastName: v.LastName,
		ExternalID: v.ExternalID, Fields: fields, Version: v.Version,
		CreatedAt: jsonTime(v.CreatedAt), UpdatedAt: jsonTime(v.UpdatedAt), MergedInto: v.MergedInto,
	}
	if v.ArchivedAt != nil {
		at := jsonTime(*v.ArchivedAt)
		c.ArchivedAt = &at
	}
	return c
}

// etag is a contact version as an entity tag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// parseIfMatch reads an If-Match header: 0 (no condition) when absent or
// "*", else the version of the ETag it holds.
func parseIfMatch(h string) (int64, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return 0, nil
	}
	if strings.HasPrefix(h, "W/") {
		return 0, domain.FieldError("If-Match", "a weak ETag never matches: send the ETag as read, \"<version>\"")
	}
	inner, ok := strings.CutPrefix(h, `"`)
	inner, ok2 := strings.CutSuffix(inner, `"`)
	n, err := strconv.ParseInt(inner, 10, 64)
	if !ok || !ok2 || err != nil || n < 1 {
		return 0, domain.FieldError("If-Match", "must be one ETag, \"<version>\", as read from the contact")
	}
	return n, nil
}

// profile is the body of a register or an update: values by field key, nil
// for JSON null. custom holds the keys given under "fields".
type profile struct {
	values map[string]*string
	custom map[string]bool
}

// parseProfile reads a contact body: the built-in keys at the top level,
// the community's own fields under "fields"; each value a string or null.
func parseProfile(raw map[string]json.RawMessage) (profile, error) {
	p := profile{values: map[string]*string{}, custom: map[string]bool{}}
	for _, key := range sortedKeys(raw) {
		switch {
		case domain.IsBuiltin(key):
			v, err := stringOrNull(key, raw[key])
			if err != nil {
				return p, err
			}
			p.values[key] = v
		case key == "fields":
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(raw[key], &fields); err != nil {
				return p, domain.FieldError("fields", "must be an object of field keys to strings or null")
			}
			for _, k := range sortedKeys(fields) {
				if domain.IsBuiltin(k) {
					return p, domain.FieldError("fields."+k, "is a built-in field: give it at the top level")
				}
				v, err := stringOrNull("fields."+k, fields[k])
				if err != nil {
					return p, err
				}
				p.values[k], p.custom[k] = v, true
			}
		default:
			return p, domain.FieldError(key, "is not a known field (email, first_name, last_name, external_id, fields)")
		}
	}
	return p, nil
}

// registerValues returns the values to register (null is no value).
func (p profile) registerValues() map[string]string {
	out := map[string]string{}
	for k, v := range p.values {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// updateValues returns the values to change (null clears).
func (p profile) updateValues() map[string]string {
	out := map[string]string{}
	for k, v := range p.values {
		if v == nil {
			out[k] = ""
		} else {
			out[k] = *v
		}
	}
	return out
}

// locate names a domain error's field as the body spells it: a community
// field given under "fields" becomes "fields.<key>".
func (p profile) locate(err error) error {
	var e *domain.Error
	if errors.As(err, &e) && p.custom[e.Field] {
		return &domain.Error{Code: e.Code, Message: e.Message, Field: "fields." + e.Field}
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Server) handleRegisterContact(c *gin.Context) {
	var raw map[string]json.RawMessage
	if !s.decodeJSON(c, &raw) {
		return
	}
	p, err := parseProfile(raw)
	if err != nil {
		s.fail(c, err)
		return
	}
	caller := callerOf(c)
	res, err := s.Services.Commands.RegisterContact(c.Request.Context(), caller, p.registerValues())
	if err != nil {
		s.fail(c, p.locate(err))
		return
	}
	c.Header("Location", "/v1/contacts/"+res.ID)
	s.writeContactResult(c, http.StatusCreated, caller.CommunityID, res)
}

func (s *Server) handleGetContact(c *gin.Context) {
	if c.Query("as_of") != "" {
		s.handleContactAsOf(c)
		return
	}
	view, err := s.Services.Contacts.Contact(c.Request.Context(), keyOf(c).CommunityID, c.Param("id"), afterOf(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(view.Version))
	c.JSON(http.StatusOK, toContactJSON(view))
}

func (s *Server) handleUpdateContact(c *gin.Context) {
	ifVersion, err := parseIfMatch(c.GetHeader("If-Match"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var raw map[string]json.RawMessage
	if !s.decodeJSON(c, &raw) {
		return
	}
	p, err := parseProfile(raw)
	if err != nil {
		s.fail(c, err)
		return
	}
	caller := callerOf(c)
	res, err := s.Services.Commands.UpdateContact(c.Request.Context(), caller, c.Param("id"), p.updateValues(), ifVersion)
	if err != nil {
		s.fail(c, p.locate(err))
		return
	}
	s.writeContactResult(c, http.StatusOK, caller.CommunityID, res)
}

// mergeRequest is the body of POST /v1/contacts/{id}/merge.
type mergeRequest struct {
	Duplicates []string          `json:"duplicates"`
	Take       map[string]string `json:"take"`
}

func (s *Server) handleMergeContacts(c *gin.Context) {
	var req mergeRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	caller := callerOf(c)
	res, err := s.Services.Commands.MergeContacts(c.Request.Context(), caller, c.Param("id"), req.Duplicates, req.Take)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeContactResult(c, http.StatusOK, caller.CommunityID, res)
}

// unmergeRequest is the body of POST /v1/contacts/{id}/unmerge.
type unmergeRequest struct {
	Duplicate string `json:"duplicate"`
}

// handleUnmergeContact undoes the merge of a duplicate into the contact in
// the path, and answers with that contact (the survivor) as it is after.
func (s *Server) handleUnmergeContact(c *gin.Context) {
	var req unmergeRequest
	if !s.decodeJSON(c, &req) {
		return
	}
	if req.Duplicate == "" {
		s.fail(c, domain.FieldError("duplicate", "is required: the ID of a contact merged into this one"))
		return
	}
	caller := callerOf(c)
	res, err := s.Services.Commands.UnmergeContact(c.Request.Context(), caller, c.Param("id"), req.Duplicate)
	if err != nil {
		s.fail(c, err)
		return
	}
	// res is the duplicate's; its position covers the survivor's side too.
	s.writeContactResult(c, http.StatusOK, caller.CommunityID, domain.Result{ID: c.Param("id"), Position: res.Position})
}

// writeContactResult answers a command with the contact it left, its
// version as ETag and the command's log position.
func (s *Server) writeContactResult(c *gin.Context, status int, communityID string, res domain.Result) {
	view, err := s.contactAfter(c, communityID, res)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(view.Version))
	c.JSON(status, contactResult{contactJSON: toContactJSON(view), Position: res.Position.String()})
}
