package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// decodeJSON reads the request body, one JSON value, into v, refusing
// fields v does not have. On failure it answers (400 naming the field at
// fault when it can, 413 for a body over the limit) and returns false.
func (s *Server) decodeJSON(c *gin.Context, v any) bool {
	if c.Request.Body == nil {
		s.fail(c, domain.Errorf(domain.EINVALID, "the body is empty: send a JSON object"))
		return false
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var tooLarge *http.MaxBytesError
	if err == nil {
		// Nothing but white space may follow the value.
		_, terr := dec.Token()
		if terr == io.EOF { //nolint:errorlint // Token returns io.EOF itself
			return true
		}
		err = errTrailingData
		if errors.As(terr, &tooLarge) {
			err = terr
		}
	}
	if errors.As(err, &tooLarge) {
		writeProblem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", tooLarge.Limit), "", codeTooLarge)
		return false
	}
	s.fail(c, jsonError(err))
	return false
}

// errTrailingData says something follows the body's JSON value.
var errTrailingData = errors.New("trailing data")

// jsonError explains a decoding error as an EINVALID error, naming the
// field at fault when there is one.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return domain.Errorf(domain.EINVALID, "the body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Errorf(domain.EINVALID, "malformed JSON: the body ends too early")
	case errors.As(err, &syntax):
		return domain.Errorf(domain.EINVALID, "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return domain.Errorf(domain.EINVALID, "the body must be %s, not a JSON %s", kindName(typ.Type), typ.Value)
		}
		return domain.FieldError(typ.Field, "must be %s, not a JSON %s", kindName(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		return domain.FieldError(name, "is not a known field")
	case errors.Is(err, errTrailingData):
		return domain.Errorf(domain.EINVALID, "malformed JSON: data follows the JSON value")
	}
	return domain.Errorf(domain.EINVALID, "malformed JSON: %s", err.Error())
}

// kindName names, for people, the JSON a Go type takes.
func kindName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return kindName(t.Elem()) + " or null"
	}
	return "another type"
}

// stringOrNull decodes a JSON string or null (nil) at path.
func stringOrNull(path string, raw json.RawMessage) (*string, error) {
	var v *string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, domain.FieldError(path, "must be a string or null")
	}
	return v, nil
}
