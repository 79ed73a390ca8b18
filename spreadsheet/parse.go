package spreadsheet

import (
	"fmt"
	"strings"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// parseRow reads a sheet's row, validating each cell by its field's type
// (the domain's own rules). formulas are its formula cells.
func parseRow(r xlsx.Row, formulas []string, h header) *sheetRow {
	p := &sheetRow{number: r.Number, values: map[string]string{}}
	for _, ref := range formulas {
		p.errs = append(p.errs, domain.CellError{Cell: ref, Reason: "holds a formula: import reads values only (paste values instead)"})
	}
	for _, col := range h.columns {
		if col.index >= len(r.Cells) {
			continue
		}
		raw := xlsx.Unneutralise(strings.TrimSpace(r.Cells[col.index]))
		if raw == "" {
			continue // an empty cell changes nothing
		}
		where := domain.CellError{Cell: xlsx.CellName(col.index, r.Number), Column: col.header, Field: col.field.Key}
		if strings.EqualFold(raw, ClearMarker) {
			if col.field.Key == idColumn {
				where.Reason = "the contact ID cannot be cleared"
				p.errs = append(p.errs, where)
				continue
			}
			p.values[col.field.Key] = ""
			continue
		}
		if col.field.Key == idColumn {
			if !domain.ValidID(raw) {
				where.Reason = fmt.Sprintf("%q is not a contact ID", raw)
				p.errs = append(p.errs, where)
			}
			p.keys.ID = strings.ToLower(raw)
			continue
		}
		v, err := col.field.Normalize(cellValue(col.field, raw))
		if err != nil {
			where.Reason = domain.ErrorMessage(err)
			p.errs = append(p.errs, where)
			continue
		}
		p.values[col.field.Key] = v
	}
	p.keys.Email, p.keys.ExternalID = strings.ToLower(p.values[domain.KeyEmail]), p.values[domain.KeyExternalID]
	return p
}
