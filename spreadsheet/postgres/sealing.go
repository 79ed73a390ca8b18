package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/assoc/contacts/domain"
)

// A report keeps personal values: an update's old and new values, sealed
// under a key of their contact (Sealer), which deleting the contact
// destroys, as the log's values are: after a deletion they are gone from
// every copy of the rows, old row versions and backups included; a value
// sealed after its contact's deletion is not kept at all. While an import
// runs, the values its rows have still to apply are sealed under a key of
// the import, destroyed when it ends (applied, they are in the log; not
// applied, they belong to no one). A dry run keeps no values to apply, and
// a rejection's reason never quotes the cell (scrubbed).

// Sealer seals and opens a contact's personal values kept outside the log
// (*sealed.Keyring is one).
type Sealer interface {
	// SealOwned seals plains[i] under a key owned by contact owners[i].
	SealOwned(ctx context.Context, owners []string, plains [][]byte) ([]string, error)
	// OpenOwned opens sealed values; erased[i] is set when the contact was
	// deleted (its keys destroyed) and the value is gone.
	OpenOwned(ctx context.Context, sealed []string) (plains [][]byte, erased []bool, err error)
	// DestroyOwned destroys the keys an owner that is not a contact (an
	// import) owns.
	DestroyOwned(ctx context.Context, owner string) error
}

// sealJSON seals each value's JSON under its owner's key and returns each
// as a JSON string for a jsonb column (nil stays nil: no value).
func (p *Reports) sealJSON(ctx context.Context, owners []string, values []any) ([]any, error) {
	out := make([]any, len(values))
	var idx []int
	var who []string
	var plains [][]byte
	for i, v := range values {
		if v == nil {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		idx, who, plains = append(idx, i), append(who, owners[i]), append(plains, raw)
	}
	if len(plains) == 0 {
		return out, nil
	}
	if p.Sealer == nil {
		return nil, fmt.Errorf("import reports need a Sealer for personal values")
	}
	sealed, err := p.Sealer.SealOwned(ctx, who, plains)
	if err != nil {
		return nil, fmt.Errorf("seal import values: %w", err)
	}
	for j, i := range idx {
		if sealed[j] == "" {
			continue // its contact was deleted meanwhile: not kept
		}
		raw, _ := json.Marshal(sealed[j])
		out[i] = raw
	}
	return out, nil
}

// openJSON opens sealed values (each the raw jsonb of a column: a sealed
// JSON string, a plain JSON value written before values were sealed, or
// nil) into dst[i]; erased[i] is set for a value whose contact was deleted.
func (p *Reports) openJSON(ctx context.Context, raws [][]byte, dst []any) (erased []bool, err error) {
	erased = make([]bool, len(raws))
	var idx []int
	var sealed []string
	for i, raw := range raws {
		if raw == nil {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			idx, sealed = append(idx, i), append(sealed, s)
			continue
		}
		if err := json.Unmarshal(raw, dst[i]); err != nil { // written before sealing
			return nil, err
		}
	}
	if len(sealed) == 0 {
		return erased, nil
	}
	if p.Sealer == nil {
		return nil, fmt.Errorf("import reports need a Sealer to open their values")
	}
	plains, gone, err := p.Sealer.OpenOwned(ctx, sealed)
	if err != nil {
		return nil, fmt.Errorf("open import values: %w", err)
	}
	for j, i := range idx {
		if gone[j] {
			erased[i] = true
			continue
		}
		if err := json.Unmarshal(plains[j], dst[i]); err != nil {
			return nil, err
		}
	}
	return erased, nil
}

// quoted matches a Go-quoted string in a message: how the rules quote the
// value they refuse.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// scrubbed returns errs with no cell value quoted in their reasons: a
// report keeps the reason and the cell, not what the cell held (the file
// has it), so that a rejected row, which may belong to no contact, keeps
// nothing of a person.
func scrubbed(errs []domain.CellError) []domain.CellError {
	out := make([]domain.CellError, len(errs))
	for i, e := range errs {
		e.Reason = quoted.ReplaceAllString(e.Reason, "the cell's value")
		out[i] = e
	}
	return out
}
