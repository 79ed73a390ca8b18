package http

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// bulkOp is a command applied to many contacts at once.
type bulkOp int

const (
	bulkArchive bulkOp = iota
	bulkRestore
	bulkDelete
)

// bulkRequest is the body of the bulk commands.
type bulkRequest struct {
	IDs []string `json:"ids"`
}

// bulkItem is one contact's outcome: its version on success, else the
// problem that stopped it.
type bulkItem struct {
	ID      string   `json:"id"`
	OK      bool     `json:"ok"`
	Version *int64   `json:"version,omitempty"`
	Error   *problem `json:"error,omitempty"`
}

// bulkResponse answers a bulk command; Position is the last position it
// appended ("0-0" when it appended nothing).
type bulkResponse struct {
	Results  []bulkItem `json:"results"`
	Position string     `json:"position"`
}

// handleBulk returns the handler of POST /v1/contacts/{archive,restore,delete}:
// each ID is handled on its own (one refusal stops no other), and the
// answer lists every outcome in the order of the IDs.
func (s *Server) handleBulk(op bulkOp) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req bulkRequest
		if !s.decodeJSON(c, &req) {
			return
		}
		if len(req.IDs) == 0 || len(req.IDs) > domain.MaxBulk {
			s.fail(c, domain.FieldError("ids", "give 1 to %d contact IDs (got %d)", domain.MaxBulk, len(req.IDs)))
			return
		}
		run := s.bulkCommand(op)
		caller := callerOf(c)
		ctx := c.Request.Context()
		outcomes, last := domain.RunBulk(ctx, req.IDs, func(ctx context.Context, id string) (domain.Result, error) {
			return run(ctx, caller, id)
		})
		if ctx.Err() != nil {
			s.fail(c, ctx.Err())
			return
		}
		results := make([]bulkItem, len(outcomes))
		for i, o := range outcomes {
			if o.Err != nil {
				p, internal := problemOf(o.Err)
				if internal {
					s.Logger.Error("bulk command failed", "request_id", caller.CorrelationID, "contact", o.ID, "err", o.Err)
				}
				results[i] = bulkItem{ID: o.ID, Error: &p}
				continue
			}
			results[i] = bulkItem{ID: o.ID, OK: true, Version: &o.Result.Version}
		}
		if err := s.settle(c, last); err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, bulkResponse{Results: results, Position: last.String()})
	}
}

// bulkCommand returns the domain command of op.
func (s *Server) bulkCommand(op bulkOp) func(context.Context, domain.Caller, string) (domain.Result, error) {
	h := s.Services.Commands
	switch op {
	case bulkArchive:
		return h.ArchiveContact
	case bulkRestore:
		return h.RestoreContact
	default:
		return h.DeleteContact
	}
}
