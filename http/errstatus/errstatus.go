// Package errstatus maps the domain's error codes to HTTP statuses: the one
// place where codes meet statuses, for the API's problems and the console's
// pages alike.
package errstatus

import (
	"net/http"

	"github.com/assoc/contacts/domain"
)

// Of is the HTTP status of a domain error code (500 for any other).
func Of(code string) int {
	switch code {
	case domain.EINVALID:
		return http.StatusBadRequest
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.EPRECONDITION:
		return http.StatusPreconditionFailed
	case domain.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	case domain.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
