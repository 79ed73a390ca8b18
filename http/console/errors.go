package console

import (
	"errors"
	"net/http"

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
