package spreadsheet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// rowPlan is one data row, parsed: its values by field key, normalised
// ("" for a #CLEAR cell), and what is wrong with it. Every row of the file
// has one until the import ends, so what it keeps once decided is small.
type rowPlan struct {
	number int
	id     string // the contact ID cell
	// email (lower-cased) and externalID are the row's keys, kept for the
	// checks across rows once values is gone.
	email, externalID string
	values            map[string]string // field key → normalised value ("" clears); nil once shed
	errs              []domain.CellError
	contact           *domain.Contact // the matched contact until decided, nil for a new one
	newID             string          // the ID a registered contact gets
	changes           []domain.FieldChange
	outcome           string
	contactID         string
	version           int64           // the contact's version: decided at, then (applied) after
	done              bool            // decided (and applied, unless a dry run)
	position          domain.Position // of the row's last event
	weight            int64           // what the row counts for in its import's rowsInFlight
}

// shed drops what a decided row no longer needs: an unchanged or rejected
// row keeps only its outcome and keys; a row to apply keeps its values.
// Memory then grows with the rows that change, not with the file.
func (p *rowPlan) shed() {
	p.contact = nil
	if p.outcome == domain.RowUnchanged || len(p.errs) > 0 {
		p.values = nil
	}
}

func (p *rowPlan) reject(e domain.CellError) {
	p.errs = append(p.errs, e)
}

// parseRow turns a sheet's row into a plan, validating each cell by its
// field's type (the domain's own rules). formulas are its formula cells.
func parseRow(r xlsx.Row, formulas []string, h header) *rowPlan {
	p := &rowPlan{number: r.Number, values: map[string]string{}}
	for _, ref := range formulas {
		p.reject(domain.CellError{Cell: ref, Reason: "holds a formula: import reads values only (paste values instead)"})
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
				p.reject(where)
				continue
			}
			p.values[col.field.Key] = ""
			continue
		}
		if col.field.Key == idColumn {
			if !domain.ValidID(raw) {
				where.Reason = fmt.Sprintf("%q is not a contact ID", raw)
				p.reject(where)
			}
			p.id = strings.ToLower(raw)
			continue
		}
		v, err := col.field.Normalize(cellValue(col.field, raw))
		if err != nil {
			where.Reason = domain.ErrorMessage(err)
			p.reject(where)
			continue
		}
		p.values[col.field.Key] = v
	}
	p.email, p.externalID = strings.ToLower(p.values[domain.KeyEmail]), p.values[domain.KeyExternalID]
	return p
}

// domainReject records a domain decision's refusal as the row's error,
// naming the column of the field at fault.
func (p *rowPlan) domainReject(err error, h header) {
	e := domain.CellError{Reason: domain.ErrorMessage(err)}
	var de *domain.Error
	if errors.As(err, &de) && de.Field != "" {
		e.Field = de.Field
		if i, ok := h.byKey[de.Field]; ok {
			col := h.columns[i]
			e.Column, e.Cell = col.header, xlsx.CellName(col.index, p.number)
		}
	}
	p.reject(e)
}

// otherRows lists the row numbers of rows other than n.
func otherRows(rows []int, n int) string {
	var others []string
	for _, o := range rows {
		if o != n {
			others = append(others, strconv.Itoa(o))
		}
	}
	return strings.Join(others, ", ")
}
