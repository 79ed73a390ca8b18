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
	// maxValueLength bounds a value of an admin-defined field.
	maxValueLength = 1000
	// maxNameLength bounds the built-in names and the external ID: far
	// above any real name, and low enough that the read model's sort and
	// search indexes always hold a contact's row (PostgreSQL refuses an
	// index entry over 2,704 bytes).
	maxNameLength = 100
	// maxEmailLength is the longest address SMTP can carry (RFC 5321), in
	// bytes: an address of accented letters is shorter in characters.
	maxEmailLength = 254
	maxLabelLength = 100
	maxChoices     = 100
)

// maxLength is the most characters a value of the field may have.
func (f Field) maxLength() int {
	switch f.Key {
	case KeyEmail:
		return maxEmailLength
	case KeyFirstName, KeyLastName, KeyExternalID:
		return maxNameLength
	}
	return maxValueLength
}

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
	if err := checkText(f.Key, v, f.multiline(), f.maxLength()); err != nil {
		return "", err
	}
	switch f.Type {
	case FieldText:
		return normalizeLineBreaks(v), nil
	case FieldEmail:
		if len(v) > maxEmailLength {
			return "", FieldError(f.Key, "is longer than %d bytes (the most an address can be)", maxEmailLength)
		}
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
			if foldText(c) == foldText(v) {
				return c, nil
			}
		}
		return "", FieldError(f.Key, "%q is not one of the choices %s", v, strings.Join(f.Choices, ", "))
	}
	return v, nil
}

// multiline reports whether the field's values may hold line breaks and
// tabs: an admin-defined text field may (a note, an address); the built-in
// names and every typed field hold one line.
func (f Field) multiline() bool {
	return f.Type == FieldText && !IsBuiltin(f.Key)
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
	if err := checkText("label", label, false, maxLabelLength); err != nil {
		return err
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
			if err := checkText("choices", c, false, maxLabelLength); err != nil {
				return err
			}
			c = foldText(c)
			if c == "" || seen[c] {
				return FieldError("choices", "choices must be non-empty and distinct (compared without case or accents)")
			}
			seen[c] = true
		}
	default:
		return FieldError("type", "%q is not a field type (text, email, phone, date, number, choice)", f.Type)
	}
	return nil
}
