package http

import (
	"bytes"
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

// decodeJSON reads the request body, one JSON object, into v, refusing
// fields v does not have, and null where v (a struct) has no room for it:
// encoding/json would read null as "absent", which the document does not
// allow (a body of null, "choices": null). On failure it answers (400
// naming the field at fault when it can, 413 for a body over the limit)
// and returns false.
func (s *Server) decodeJSON(c *gin.Context, v any) bool {
	if c.Request.Body == nil {
		s.fail(c, domain.Errorf(domain.EINVALID, "the body is empty: send a JSON object"))
		return false
	}
	var raw json.RawMessage
	dec := json.NewDecoder(c.Request.Body)
	err := dec.Decode(&raw)
	var tooLarge *http.MaxBytesError
	if err == nil {
		// Nothing but white space may follow the value.
		_, terr := dec.Token()
		if terr == io.EOF { //nolint:errorlint // Token returns io.EOF itself
			err = decodeObject(raw, v)
		} else if errors.As(terr, &tooLarge) {
			err = terr
		} else {
			err = errTrailingData
		}
	}
	if err == nil {
		return true
	}
	if errors.As(err, &tooLarge) {
		writeProblem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", tooLarge.Limit), "", codeTooLarge)
		return false
	}
	s.fail(c, jsonError(err))
	return false
}

// decodeObject decodes raw, a JSON value, into v: an object whose keys v
// knows, with no null member when v is a struct.
func decodeObject(raw json.RawMessage, v any) error {
	if string(raw) == "null" {
		return domain.Errorf(domain.EINVALID, "the body must be a JSON object, not null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if reflect.TypeOf(v).Elem().Kind() != reflect.Struct {
		return nil // a map keeps its nulls: a profile's null clears
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return err
	}
	for _, key := range sortedKeys(members) {
		if string(members[key]) == "null" {
			return domain.FieldError(key, "must not be null: leave it out instead")
		}
	}
	return nil
}

// errTrailingData says something follows the body's JSON value.
var errTrailingData = errors.New("trailing data")

// jsonError explains a decoding error as an EINVALID error, naming the
// field at fault when there is one.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var coded *domain.Error
	switch {
	case errors.As(err, &coded):
		return err // says what is wrong already
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
