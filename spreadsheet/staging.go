package spreadsheet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
)

// While an import runs, each row goes to import_rows as soon as it is
// decided (with, for a row to apply, its values), and its keys go to a
// temporary table of the import's own connection (keyStage); the checks
// across rows are queries on them, and the rows to apply are read back a
// page at a time. The import's memory is then the rows in flight, however
// long the file. The keys vanish with the connection; finishRows clears
// the values still pending.

var stagedColumns = []string{"import_id", "sheet_row", "outcome", "contact_id", "version", "changes", "errors", "pending"}

// stageRows writes decided rows, their personal values sealed (see
// sealing.go). A dry run keeps no values to apply: it applies nothing.
func (p *PGReports) stageRows(ctx context.Context, importID string, dryRun bool, plans []*DecidedRow) error {
	id, err := uuid.Parse(importID)
	if err != nil {
		return fmt.Errorf("stage import rows: %w", err)
	}
	rows := make([][]any, 0, len(plans))
	owners := make([]string, 0, 2*len(plans))
	personal := make([]any, 0, 2*len(plans)) // per row: its changes, then its values to apply
	for _, pl := range plans {
		o := pl.result()
		contact, err := uuidOrNull(o.ContactID)
		if err != nil {
			return fmt.Errorf("stage import row %d: %w", pl.Number, err)
		}
		errs, err := jsonOrNull(len(o.Errors) > 0, scrubbed(o.Errors))
		if err != nil {
			return err
		}
		var changes, pending any
		if len(o.Changes) > 0 && o.ContactID != "" {
			changes = o.Changes
		}
		if !dryRun && (o.Outcome == domain.RowCreated || o.Outcome == domain.RowUpdated) && o.ContactID != "" {
			pending = pl.Values
		}
		owners, personal = append(owners, o.ContactID, importID), append(personal, changes, pending)
		rows = append(rows, []any{[16]byte(id), int32(pl.Number), o.Outcome, contact, o.Version, nil, errs, nil})
	}
	sealed, err := p.sealJSON(ctx, owners, personal)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i][5], rows[i][7] = sealed[2*i], sealed[2*i+1]
	}
	if _, err := p.Pool.CopyFrom(ctx, pgx.Identifier{"import_rows"}, stagedColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("stage import rows: %w", err)
	}
	return nil
}

func uuidOrNull(s string) (pgtype.UUID, error) {
	if s == "" {
		return pgtype.UUID{}, nil
	}
	u, err := uuid.Parse(s)
	return pgtype.UUID{Bytes: u, Valid: err == nil}, err
}

func jsonOrNull(present bool, v any) (any, error) {
	if !present {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("stage import row: %w", err)
	}
	return raw, nil
}

// sharedKey is a key that several rows of one file claim.
type sharedKey struct {
	kind string // idColumn, domain.KeyEmail or domain.KeyExternalID
	key  string
	rows []int
}

// keyStage holds the keys of an import's rows (contact ID, email
// lower-cased, external ID) in a temporary table on a pooled connection
// the import keeps: they never reach the write-ahead log, and a stopped
// process's keys vanish with its sessions. Its methods are for one
// goroutine at a time.
type keyStage struct {
	mu   sync.Mutex // the connection serves the stager and the heartbeat
	conn *pgxpool.Conn
}

func (p *PGReports) newKeyStage(ctx context.Context) (*keyStage, error) {
	conn, err := p.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("stage import keys: %w", err)
	}
	k := &keyStage{conn: conn}
	if _, err := conn.Exec(ctx, `CREATE TEMPORARY TABLE import_keys (kind text NOT NULL, key text NOT NULL, sheet_row integer NOT NULL)`); err != nil {
		k.close()
		return nil, fmt.Errorf("stage import keys: %w", err)
	}
	return k, nil
}

// add stages the keys of decided rows.
func (k *keyStage) add(ctx context.Context, plans []*DecidedRow) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var rows [][]any
	for _, p := range plans {
		for _, key := range [...]struct{ kind, value string }{{idColumn, p.Keys.ID}, {domain.KeyEmail, p.Keys.Email}, {domain.KeyExternalID, p.Keys.ExternalID}} {
			if key.value != "" {
				rows = append(rows, []any{key.kind, key.value, int32(p.Number)})
			}
		}
	}
	if _, err := k.conn.CopyFrom(ctx, pgx.Identifier{"import_keys"}, []string{"kind", "key", "sheet_row"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("stage import keys: %w", err)
	}
	return nil
}

// shared finds the contact IDs, emails and external IDs that more than one
// row claims (every row counts, rejected or not).
func (k *keyStage) shared(ctx context.Context) ([]sharedKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rows, err := k.conn.Query(ctx, `
		SELECT kind, key, array_agg(sheet_row ORDER BY sheet_row)
		  FROM import_keys GROUP BY kind, key HAVING count(*) > 1
		 ORDER BY CASE kind WHEN $1 THEN 0 WHEN $2 THEN 1 ELSE 2 END, key`, idColumn, domain.KeyEmail)
	if err != nil {
		return nil, fmt.Errorf("check the rows' keys: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (sharedKey, error) {
		var s sharedKey
		err := r.Scan(&s.kind, &s.key, &s.rows)
		return s, err
	})
}

// hold marks the import as running for as long as this connection's
// session lives: a session lock, which a process that dies (kill -9, OOM)
// loses with its connections, so RecoverInterrupted can tell an import
// whose process died from one that runs, on any node, at once.
func (k *keyStage) hold(ctx context.Context, importID string) error {
	if _, err := k.conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, importLockClass, importID); err != nil {
		return fmt.Errorf("hold import %s: %w", importID, err)
	}
	return nil
}

// heartbeat is how often a running import says so (imports.heartbeat_at);
// RecoverAfter how old its last beat must be for RecoverInterrupted to
// take it for dead: far longer than a beat, and than the rows in flight
// take to finish once a beat fails.
const heartbeat, RecoverAfter = time.Second, 10 * time.Second

// errLostHold stops an import whose connection, and with it its hold on
// the import, is gone: another process may take it for interrupted.
var errLostHold = errors.New("the import lost its connection to the database, and with it its hold on the import")

// keepHold beats every second on the connection that holds the import,
// until ctx ends; when a beat fails the import has lost its hold (its
// session may be gone), and stop stops it at once.
func (k *keyStage) keepHold(ctx context.Context, importID string, stop context.CancelCauseFunc) {
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		k.mu.Lock()
		_, err := k.conn.Exec(ctx, `UPDATE imports SET heartbeat_at = now() WHERE id = $1`, importID)
		k.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			stop(fmt.Errorf("%w: %w", errLostHold, err))
			return
		}
	}
}

// importLockClass is the first key of the imports' session locks.
const importLockClass int32 = 0x696d7074 // "impt"

// close drops the keys and the import's lock and gives the connection
// back; should that fail, the connection is closed instead, and its
// session's table and lock with it.
func (k *keyStage) close() {
	ctx := context.Background()
	if _, err := k.conn.Exec(ctx, `DROP TABLE IF EXISTS import_keys; SELECT pg_advisory_unlock_all()`); err != nil {
		k.conn.Conn().Close(ctx) //nolint:errcheck // closing is the fallback; the pool drops a closed connection
	}
	k.conn.Release()
}

// sharedContacts finds the contacts more than one accepted row matched.
func (p *PGReports) sharedContacts(ctx context.Context, importID string) ([]sharedKey, error) {
	rows, err := p.Pool.Query(ctx, `
		SELECT contact_id::text, array_agg(sheet_row ORDER BY sheet_row)
		  FROM import_rows
		 WHERE import_id = $1 AND outcome <> 'rejected' AND contact_id IS NOT NULL
		 GROUP BY contact_id HAVING count(*) > 1
		 ORDER BY contact_id`, importID)
	if err != nil {
		return nil, fmt.Errorf("check the rows' contacts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (sharedKey, error) {
		var k sharedKey
		err := r.Scan(&k.key, &k.rows)
		return k, err
	})
}

// rejectSet is what rejecting a row sets, followed by the errors to add:
// a rejected row applies nothing, and reports no changes and no version,
// and only a contact it really matched (not the ID a new contact would
// have had).
const rejectSet = `outcome = 'rejected', changes = NULL, pending = NULL, version = 0,
	contact_id = CASE WHEN r.outcome = 'created' THEN NULL ELSE r.contact_id END,
	errors = coalesce(r.errors, '[]'::jsonb) || `

// rejectRows rejects rows with more errors (row number → errors).
func (p *PGReports) rejectRows(ctx context.Context, importID string, errs map[int][]domain.CellError) error {
	if len(errs) == 0 {
		return nil
	}
	numbers := make([]int32, 0, len(errs))
	lists := make([][]byte, 0, len(errs))
	for n, e := range errs {
		raw, err := json.Marshal(scrubbed(e))
		if err != nil {
			return err
		}
		numbers, lists = append(numbers, int32(n)), append(lists, raw)
	}
	_, err := p.Pool.Exec(ctx, `
		UPDATE import_rows r SET `+rejectSet+`e.errors
		  FROM unnest($2::int[], $3::jsonb[]) AS e (sheet_row, errors)
		 WHERE r.import_id = $1 AND r.sheet_row = e.sheet_row`, importID, numbers, lists)
	if err != nil {
		return fmt.Errorf("reject import rows: %w", err)
	}
	return nil
}

// pendingRows reads the next page of rows still to apply, after row.
func (p *PGReports) pendingRows(ctx context.Context, importID string, after int) ([]PendingRow, error) {
	rows, err := p.Pool.Query(ctx, `
		SELECT sheet_row, outcome, coalesce(contact_id::text, ''), version, pending
		  FROM import_rows
		 WHERE import_id = $1 AND sheet_row > $2 AND pending IS NOT NULL
		 ORDER BY sheet_row LIMIT $3`, importID, after, rowsPage)
	if err != nil {
		return nil, fmt.Errorf("read the rows to apply: %w", err)
	}
	var sealed [][]byte
	page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PendingRow, error) {
		var pr PendingRow
		var values []byte
		err := r.Scan(&pr.Number, &pr.Outcome, &pr.ContactID, &pr.Version, &values)
		sealed = append(sealed, values)
		return pr, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the rows to apply: %w", err)
	}
	dst := make([]any, len(page))
	for i := range page {
		dst[i] = &page[i].Values
	}
	erased, err := p.openJSON(ctx, sealed, dst)
	if err != nil {
		return nil, fmt.Errorf("read the rows to apply: %w", err)
	}
	for i := range page {
		if erased[i] { // its contact was deleted meanwhile: nothing to apply
			page[i].Values = map[string]string{}
		}
	}
	return page, nil
}

// appliedRows records what applying rows did: the contact's new version,
// or the rejection; their values are no longer kept.
func (p *PGReports) appliedRows(ctx context.Context, importID string, applied []AppliedRow) error {
	if len(applied) == 0 {
		return nil
	}
	var (
		numbers  []int32
		versions []int64
		rejected = map[int][]domain.CellError{}
	)
	for _, a := range applied {
		switch {
		case !a.Applied:
		case len(a.Errors) > 0:
			rejected[a.Number] = a.Errors
		default:
			numbers, versions = append(numbers, int32(a.Number)), append(versions, a.Version)
		}
	}
	_, err := p.Pool.Exec(ctx, `
		UPDATE import_rows r SET version = a.version, pending = NULL
		  FROM unnest($2::int[], $3::bigint[]) AS a (sheet_row, version)
		 WHERE r.import_id = $1 AND r.sheet_row = a.sheet_row`, importID, numbers, versions)
	if err != nil {
		return fmt.Errorf("record applied import rows: %w", err)
	}
	return p.rejectRows(ctx, importID, rejected)
}

// finishRows ends an import's staging. It writes the outcomes of applied
// rows that could not be written before (unrecorded), rejects as not
// applied the rows still pending when the import stopped early (stopped
// says why) and returns the first of them, erases the rows of contacts
// deleted meanwhile, clears the values a dry run left pending, and counts
// the outcomes.
func (p *PGReports) finishRows(ctx context.Context, importID string, dryRun bool, stopped string, unrecorded []AppliedRow) (domain.ImportCounts, int, error) {
	var counts domain.ImportCounts
	// Rows applied whose outcome could not be written (the write failed):
	// a second try, before the rows still pending are called not applied.
	if err := p.appliedRows(ctx, importID, unrecorded); err != nil {
		return counts, 0, err
	}
	var stoppedAt int
	if stopped != "" && !dryRun {
		err := p.Pool.QueryRow(ctx, `SELECT coalesce(min(sheet_row), 0) FROM import_rows WHERE import_id = $1 AND pending IS NOT NULL`, importID).Scan(&stoppedAt)
		if err != nil {
			return counts, 0, fmt.Errorf("finish import rows: %w", err)
		}
		notApplied, err := json.Marshal([]domain.CellError{{Reason: fmt.Sprintf("not applied: the import stopped at row %d (%s)", stoppedAt, stopped)}})
		if err != nil {
			return counts, 0, err
		}
		if _, err := p.Pool.Exec(ctx, `
			UPDATE import_rows r SET `+rejectSet+`$2
			 WHERE import_id = $1 AND pending IS NOT NULL`, importID, notApplied); err != nil {
			return counts, 0, fmt.Errorf("finish import rows: %w", err)
		}
	}
	// A contact deleted while the import ran was erased from the rows
	// staged by then (EraseContact); rows staged after are erased here,
	// once the contacts read model shows the deletion.
	if _, err := p.Pool.Exec(ctx, `
		UPDATE import_rows r SET changes = NULL, errors = NULL, erased = true
		  FROM contacts c
		 WHERE r.import_id = $1 AND c.id = r.contact_id AND c.status = 'deleted' AND NOT r.erased`, importID); err != nil {
		return counts, 0, fmt.Errorf("finish import rows: %w", err)
	}
	if _, err := p.Pool.Exec(ctx, `UPDATE import_rows SET pending = NULL WHERE import_id = $1 AND pending IS NOT NULL`, importID); err != nil {
		return counts, 0, fmt.Errorf("finish import rows: %w", err)
	}
	if dryRun {
		// A dry run registers nobody: the IDs its rows to create were
		// given are no contact's, and never will be (the import draws new
		// ones). A report shows only contacts that exist.
		if _, err := p.Pool.Exec(ctx, `UPDATE import_rows SET contact_id = NULL WHERE import_id = $1 AND outcome = 'created'`, importID); err != nil {
			return counts, 0, fmt.Errorf("finish import rows: %w", err)
		}
	}
	err := p.Pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE outcome = 'created'), count(*) FILTER (WHERE outcome = 'updated'),
		       count(*) FILTER (WHERE outcome = 'unchanged'), count(*) FILTER (WHERE outcome = 'rejected')
		  FROM import_rows WHERE import_id = $1`, importID).
		Scan(&counts.Created, &counts.Updated, &counts.Unchanged, &counts.Rejected)
	if err != nil {
		return counts, 0, fmt.Errorf("count import rows: %w", err)
	}
	return counts, stoppedAt, nil
}

// beginImport stores the summary of an import that starts, unfinished:
// not served, but found by RecoverInterrupted should its process die.
func (p *PGReports) beginImport(ctx context.Context, r *domain.ImportReport) error {
	raw, err := summaryJSON(r)
	if err != nil {
		return err
	}
	_, err = p.Pool.Exec(ctx, `INSERT INTO imports (id, community_id, dry_run, created_at, report, finished) VALUES ($1, $2, $3, $4, $5, false)`,
		r.ID, r.CommunityID, r.DryRun, r.CreatedAt, raw)
	if err != nil {
		return fmt.Errorf("begin import: %w", err)
	}
	return nil
}

// saveSummary stores the summary of a running import as it stands (its
// columns, once read), for RecoverInterrupted.
func (p *PGReports) saveSummary(ctx context.Context, r *domain.ImportReport) error {
	raw, err := summaryJSON(r)
	if err != nil {
		return err
	}
	if _, err := p.Pool.Exec(ctx, `UPDATE imports SET report = $2 WHERE id = $1 AND NOT finished`, r.ID, raw); err != nil {
		return fmt.Errorf("save import summary: %w", err)
	}
	return nil
}

// summaryJSON is a report without its rows, as imports.report keeps it.
func summaryJSON(r *domain.ImportReport) ([]byte, error) {
	head := *r
	head.Rows = nil
	raw, err := json.Marshal(head)
	if err != nil {
		return nil, fmt.Errorf("import summary: %w", err)
	}
	return raw, nil
}

// discardImport removes an unfinished import, its summary and rows, in
// one statement; nothing of an import that has finished.
func (p *PGReports) discardImport(ctx context.Context, importID string) error {
	_, err := p.Pool.Exec(ctx, `
		WITH summary AS (DELETE FROM imports WHERE id = $1 AND NOT finished)
		DELETE FROM import_rows WHERE import_id = $1 AND NOT EXISTS (SELECT 1 FROM imports WHERE id = $1 AND finished)`, importID)
	if err != nil {
		return fmt.Errorf("discard import: %w", err)
	}
	return p.forgetPending(ctx, importID)
}

// forgetPending destroys the key of an import's values to apply: once it
// ends they are in the log, or belong to no one.
func (p *PGReports) forgetPending(ctx context.Context, importID string) error {
	if p.Sealer == nil {
		return nil
	}
	return p.Sealer.DestroyOwned(ctx, importID)
}
