package postgres

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
		UPDATE import_rows SET changes = NULL, errors = NULL, erased = true
		 WHERE contact_id = $1`, contactID)
	if err != nil {
		return fmt.Errorf("erase contact %s from import reports: %w", contactID, err)
	}
	return nil
}
