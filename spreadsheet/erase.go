package spreadsheet

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// EraseContact removes a deleted contact's personal data from the import
// reports: its rows keep their number, outcome and contact ID, and lose
// their changes (old → new values) and cell errors (which may quote
// values), marked erased. The erasure projector calls it (see
// eventstore/sealed.Erasure), in its transaction.
func EraseContact(ctx context.Context, tx pgx.Tx, contactID string) error {
	_, err := tx.Exec(ctx, `
		UPDATE imports SET report = jsonb_set(report, '{rows}', (
			SELECT jsonb_agg(CASE WHEN r->>'contact_id' = $1
				THEN (r - 'changes' - 'errors') || '{"erased": true}'::jsonb ELSE r END ORDER BY n)
			FROM jsonb_array_elements(report->'rows') WITH ORDINALITY AS t(r, n)))
		WHERE report->'rows' @> jsonb_build_array(jsonb_build_object('contact_id', $1::text))`, contactID)
	if err != nil {
		return fmt.Errorf("erase contact %s from import reports: %w", contactID, err)
	}
	return nil
}
