package domain

import (
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FieldType is the type of a profile field; it decides which values the
// field accepts and how they are normalised.
type FieldType string

// The field types an admin can choose.
const (
	FieldText   FieldType = "text"
	FieldEmail  FieldType = "email"
	FieldPhone  FieldType = "phone"
	FieldDate   FieldType = "date"
	FieldNumber FieldType = "number"
	FieldChoice FieldType = "choice"
)

// Built-in profile fields: every community has them; they cannot be removed.
const (
	KeyEmail      = "email"
	KeyFirstName  = "first_name"
	KeyLastName   = "last_name"
	KeyExternalID = "external_id"
)

// BuiltinFields are the fields every community has, in display order.
var BuiltinFields = []Field{
	{Key: KeyEmail, Label: "Email", Type: FieldEmail},
	{Key: KeyFirstName, Label: "First name", Type: FieldText},
	{Key: KeyLastName, Label: "Last name", Type: FieldText},
	{Key: KeyExternalID, Label: "External ID", Type: FieldText},
}

// IsBuiltin reports whether key names a built-in field.
func IsBuiltin(key string) bool {
	return slices.ContainsFunc(BuiltinFields, func(f Field) bool { return f.Key == key })
}

// Field is the definition of a profile field. Built-in fields have no ID;
// an admin-defined field has one, and a field removed then defined again
// gets a new ID, so the old values (kept under the old ID) do not come back.
type Field struct {
	ID      string    `json:"id,omitempty"`
	Key     string    `json:"key"`
	Label   string    `json:"label"`
	Type    FieldType `json:"type"`
	Choices []string  `json:"choices,omitempty"`
}

// Slot is where a contact keeps the field's value: the key for built-ins,
// the field ID for admin-defined fields.
func (f Field) Slot() string {
	if f.ID != "" {
		return f.ID
	}
	return f.Key
}

const (
	maxValueLength = 1000
	maxLabelLength = 100
	maxChoices     = 100
)

var (
	keyPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	phonePattern = regexp.MustCompile(`^\+?[0-9 ().\-/]{4,30}$`)
	// numberPattern is a decimal number, with a point or a comma.
	numberPattern = regexp.MustCompile(`^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$`)
)

// Normalize checks value against the field's type and returns it in its
// canonical form: trimmed; dates as YYYY-MM-DD; numbers in shortest decimal
// form; choices spelled as defined. The empty string means "no value".
func (f Field) Normalize(value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", nil
	}
	if !utf8.ValidString(v) {
		return "", FieldError(f.Key, "is not valid UTF-8 text")
	}
	if utf8.RuneCountInString(v) > maxValueLength {
		return "", FieldError(f.Key, "is longer than %d characters", maxValueLength)
	}
	switch f.Type {
	case FieldEmail:
		addr, err := mail.ParseAddress(v)
		if err != nil || addr.Address != v || !strings.Contains(v[strings.LastIndex(v, "@"):], ".") {
			return "", FieldError(f.Key, "%q is not an email address", v)
		}
		return v, nil
	case FieldPhone:
		digits := 0
		for _, r := range v {
			if '0' <= r && r <= '9' {
				digits++
			}
		}
		if !phonePattern.MatchString(v) || digits < 4 {
			return "", FieldError(f.Key, "%q is not a phone number (digits, spaces, + ( ) . - /)", v)
		}
		return v, nil
	case FieldDate:
		for _, layout := range []string{"2006-01-02", time.RFC3339} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.Format("2006-01-02"), nil
			}
		}
		return "", FieldError(f.Key, "%q is not a date (want YYYY-MM-DD)", v)
	case FieldNumber:
		// Plain decimal notation only: ParseFloat alone would also take
		// "Inf", "NaN", hex floats and digit underscores.
		if !numberPattern.MatchString(v) {
			return "", FieldError(f.Key, "%q is not a number", v)
		}
		n, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return "", FieldError(f.Key, "%q is not a number", v)
		}
		if n == 0 {
			n = 0 // -0 is 0
		}
		return strconv.FormatFloat(n, 'f', -1, 64), nil
	case FieldChoice:
		for _, c := range f.Choices {
			if strings.EqualFold(c, v) {
				return c, nil
			}
		}
		return "", FieldError(f.Key, "%q is not one of the choices %s", v, strings.Join(f.Choices, ", "))
	}
	return v, nil
}

// validateDefinition checks a field definition an admin submits.
func (f Field) validateDefinition() error {
	if !keyPattern.MatchString(f.Key) {
		return FieldError("key", "%q must be 1-63 lower-case letters, digits or _, starting with a letter", f.Key)
	}
	if IsBuiltin(f.Key) {
		return FieldError("key", "%q is a built-in field", f.Key)
	}
	label := strings.TrimSpace(f.Label)
	if label == "" || utf8.RuneCountInString(label) > maxLabelLength {
		return FieldError("label", "must be 1-%d characters", maxLabelLength)
	}
	switch f.Type {
	case FieldText, FieldEmail, FieldPhone, FieldDate, FieldNumber:
		if len(f.Choices) > 0 {
			return FieldError("choices", "only a choice field has choices")
		}
	case FieldChoice:
		if len(f.Choices) == 0 || len(f.Choices) > maxChoices {
			return FieldError("choices", "a choice field needs 1-%d choices", maxChoices)
		}
		seen := map[string]bool{}
		for _, c := range f.Choices {
			c = strings.ToLower(strings.TrimSpace(c))
			if c == "" || seen[c] {
				return FieldError("choices", "choices must be non-empty and distinct")
			}
			seen[c] = true
		}
	default:
		return FieldError("type", "%q is not a field type (text, email, phone, date, number, choice)", f.Type)
	}
	return nil
}
