package spreadsheet

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// idColumn is the pseudo-field key of the contact ID column.
const idColumn = "id"

// idLabel is the header of the contact ID column in an export.
const idLabel = "Contact ID"

// fold is the form headers are compared in: accents removed, lower case,
// inner spaces and underscores as one space ("Date de naissance",
// "date_de_naissance" and "DATE DE NAISSANCE" match).
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.ToLower(strings.ReplaceAll(out, "_", " "))
	return strings.Join(strings.Fields(out), " ")
}

// column is what one column of a sheet holds.
type column struct {
	index  int          // 0-based
	header string       // as written
	field  domain.Field // the field it fills; Key idColumn for the contact ID
}

// header is a sheet's first row matched to the community's fields.
type header struct {
	columns []column
	unknown []string // headers that name no field
	byKey   map[string]int
}

// aliases are other headers for the built-in fields, as French (and
// English) files name them, folded. "Identifiant" alone is the external
// ID: "Contact ID" and "id" stay the contact ID.
var aliases = map[string][]string{
	domain.KeyEmail:      {"e-mail", "email address", "courriel", "mail", "adresse e-mail", "adresse email", "adresse mail", "adresse courriel", "adresse electronique"},
	domain.KeyFirstName:  {"prenom"},
	domain.KeyLastName:   {"nom", "nom de famille"},
	domain.KeyExternalID: {"identifiant", "identifiant externe", "id externe"},
}

// matchHeader maps a header row to fields by label or key (or, for the
// built-in fields, an alias). Two columns naming the same field are
// refused: which one would win is a guess.
func matchHeader(row []string, fields []domain.Field) (header, error) {
	names := map[string]domain.Field{}
	for _, f := range fields {
		for _, a := range aliases[f.Key] {
			names[a] = f // an alias gives way to any field's own key or label
		}
	}
	names[fold(idLabel)], names[idColumn] = domain.Field{Key: idColumn, Label: idLabel}, domain.Field{Key: idColumn, Label: idLabel}
	for _, f := range fields {
		names[fold(f.Key)] = f
	}
	for _, f := range fields {
		names[fold(f.Label)] = f // a label wins over another field's key
	}
	h := header{byKey: map[string]int{}}
	for i, raw := range row {
		name := xlsx.Unneutralise(strings.TrimSpace(raw))
		if name == "" {
			continue
		}
		f, ok := names[fold(name)]
		if !ok {
			h.unknown = append(h.unknown, name)
			continue
		}
		if j, dup := h.byKey[f.Key]; dup {
			return h, domain.FieldError("file", "columns %s and %s both name the field %q", xlsx.ColumnName(h.columns[j].index), xlsx.ColumnName(i), f.Key)
		}
		h.byKey[f.Key] = len(h.columns)
		h.columns = append(h.columns, column{index: i, header: name, field: f})
	}
	_, id := h.byKey[idColumn]
	_, email := h.byKey[domain.KeyEmail]
	_, ext := h.byKey[domain.KeyExternalID]
	if !id && !email && !ext {
		return h, domain.FieldError("file", "no identifying column in row 1: add a %q, %q or %q column", idLabel, "Email", "External ID")
	}
	return h, nil
}

// equalFold compares emails as their reservations do (case-insensitively).
func equalFold(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
