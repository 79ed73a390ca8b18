package console

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// statusOfCode is the status of a page that shows a domain refusal.
func statusOfCode(code string) int {
	switch code {
	case domain.EINVALID:
		return http.StatusBadRequest
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.EPRECONDITION:
		return http.StatusPreconditionFailed
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	case domain.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func asDomainError(err error, target **domain.Error) bool { return errors.As(err, target) }

// refuse shows a page saying why the domain refused an action.
func (con *Console) refuse(c *gin.Context, err error) {
	code := domain.ErrorCode(err)
	if code == domain.EINTERNAL {
		con.fail(c, err)
		return
	}
	con.render(c, statusOfCode(code), "refused", page{Title: "Not done", Problem: langOf(c).Problem(err)})
}
