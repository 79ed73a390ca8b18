package console

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/http/errstatus"
)

func asDomainError(err error, target **domain.Error) bool { return errors.As(err, target) }

// refuse shows a page saying why the domain refused an action.
func (con *Console) refuse(c *gin.Context, err error) {
	code := domain.ErrorCode(err)
	if code == domain.EINTERNAL {
		con.fail(c, err)
		return
	}
	con.render(c, errstatus.Of(code), "refused", page{Title: "Not done", Problem: langOf(c).Problem(err)})
}
