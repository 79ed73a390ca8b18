package http

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

	"github.com/assoc/contacts/domain"
)

// bulkOp is a command applied to many contacts at once.
type bulkOp int

const (
	bulkArchive bulkOp = iota
	bulkRestore
	bulkDelete
)

// maxBulkIDs is the most contacts one bulk command takes.
const maxBulkIDs = 1000

// bulkWorkers is how many contacts of one bulk command are handled at once.
const bulkWorkers = 8

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
		if len(req.IDs) == 0 || len(req.IDs) > maxBulkIDs {
			s.fail(c, domain.FieldError("ids", "give 1 to %d contact IDs (got %d)", maxBulkIDs, len(req.IDs)))
			return
		}
		run := s.bulkCommand(op)
		caller := callerOf(c)
		ctx := c.Request.Context()
		results := make([]bulkItem, len(req.IDs))
		positions := make([]domain.Position, len(req.IDs))
		// Each ID is its own command: a refusal is that ID's outcome, never
		// the group's error, so every ID is tried.
		var g errgroup.Group
		g.SetLimit(bulkWorkers)
		for i, id := range req.IDs {
			g.Go(func() error {
				res, err := run(ctx, caller, id)
				if err != nil {
					p, internal := problemOf(err)
					if internal {
						s.Logger.Error("bulk command failed", "request_id", caller.CorrelationID, "contact", id, "err", err)
					}
					results[i] = bulkItem{ID: id, Error: &p}
					return nil
				}
				results[i] = bulkItem{ID: id, OK: true, Version: &res.Version}
				positions[i] = res.Position
				return nil
			})
		}
		g.Wait() //nolint:errcheck // no goroutine returns an error
		if ctx.Err() != nil {
			s.fail(c, ctx.Err())
			return
		}
		last := domain.Start
		for _, p := range positions {
			if p.Compare(last) > 0 {
				last = p
			}
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
