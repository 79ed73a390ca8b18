package projections

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/assoc/contacts/domain"
)

// Rebuildable is a projector whose read model can be rebuilt from the log
// aside, while the current one keeps serving, then swapped in.
type Rebuildable interface {
	Projector
	// Tables are the tables (in schema public) the projector writes.
	Tables() []string
}

// Tables implements Rebuildable.
func (ContactsProjector) Tables() []string {
	return []string{"communities", "community_fields", "contacts", "open_merges"}
}

// RebuildStats says what a rebuild did.
type RebuildStats struct {
	Events   int // events read from the log
	Position domain.Position
	Load     time.Duration // replaying the log into the new tables
	Indexes  time.Duration // building their secondary indexes
	Swap     time.Duration // the final catch-up and swap, under lock
}

// rebuildLockClass is the first key of the rebuilds' advisory locks.
const rebuildLockClass = projectorLockClass + 1

// rebuildPage is how many events a rebuild reads and applies at once;
// rebuildPagesAhead how many pages its reader keeps ready.
const (
	rebuildPage       = 5000
	rebuildPagesAhead = 2
)

// Rebuild rebuilds p's read model from the whole log into new tables in a
// schema of their own, while the current tables keep serving reads and the
// running projector keeps them current. The new tables get only their
// primary keys while they load (maintaining every secondary index row by
// row is most of a replay's cost); their indexes are built at the end. Then,
// in one transaction holding the checkpoint's row, the new tables catch up
// with the log, replace the current ones and take over the checkpoint: the
// running projector sees the checkpoint moved, restarts from it on the new
// tables, and no event is applied twice or lost.
func (r *Runner) Rebuild(ctx context.Context, p Rebuildable) (RebuildStats, error) {
	var stats RebuildStats
	schema := pgx.Identifier{"rebuild_" + p.Name()}.Sanitize()

	// The rebuild holds a connection of its own, outside the pool: while
	// the swap holds the checkpoint's row, the running projector holds a
	// pooled connection waiting on that row, and the final catch-up still
	// needs one from the pool to read the log; a small pool would
	// deadlock. On it, a lock keeps two rebuilds of one read model (which
	// share the schema's name) from running at once.
	conn, err := pgx.ConnectConfig(ctx, r.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return stats, fmt.Errorf("rebuild %s: connect: %w", p.Name(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, rebuildLockClass, projectorLockKey(p.Name())).Scan(&locked); err != nil {
		return stats, fmt.Errorf("rebuild %s: %w", p.Name(), err)
	}
	if !locked {
		return stats, fmt.Errorf("rebuild %s: another rebuild of this read model is running", p.Name())
	}

	if err := r.prepareRebuild(ctx, schema, p.Tables()); err != nil {
		return stats, err
	}

	start := time.Now()
	parking := &rebuildParking{streams: map[string]domain.Position{}}
	pos, n, err := r.replay(ctx, p, schema, domain.Start, parking)
	if err != nil {
		return stats, err
	}
	stats.Load = time.Since(start)

	start = time.Now()
	if err := r.buildIndexes(ctx, schema, p.Tables()); err != nil {
		return stats, err
	}
	stats.Indexes = time.Since(start)

	// Catch up outside the lock first, so the locked part is short.
	pos, more, err := r.replay(ctx, p, schema, pos, parking)
	if err != nil {
		return stats, err
	}
	n += more

	start = time.Now()
	pos, more, err = r.swap(ctx, conn, p, schema, pos, parking)
	if err != nil {
		return stats, fmt.Errorf("rebuild %s: swap: %w", p.Name(), err)
	}
	n += more
	stats.Swap = time.Since(start)
	stats.Events, stats.Position = n, pos
	return stats, nil
}

// swap, in one transaction holding the checkpoint's row (the running
// projector waits on it), applies to the new tables in schema the events
// committed since pos, makes them the read model's (with the events they
// set aside) and moves the checkpoint to their last event. It returns that
// position and how many events it applied.
func (r *Runner) swap(ctx context.Context, conn *pgx.Conn, p Rebuildable, schema string, pos domain.Position, parking *rebuildParking) (domain.Position, int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, _, err := lockCheckpoint(ctx, tx, p.Name()); err != nil {
			return err
		}
		for {
			events, err := r.Store.ReadAll(ctx, pos, rebuildPage)
			if err != nil {
				return err
			}
			if len(events) == 0 {
				break
			}
			if err := parking.applyPage(ctx, tx, p, schema, events); err != nil {
				return err
			}
			pos = events[len(events)-1].Position
			n += len(events)
		}
		if err := parking.replace(ctx, tx, p.Name()); err != nil {
			return err
		}
		retired := pgx.Identifier{"retired_" + p.Name()}.Sanitize()
		statements := []string{`DROP SCHEMA IF EXISTS ` + retired + ` CASCADE`, `CREATE SCHEMA ` + retired}
		for _, t := range p.Tables() {
			table := pgx.Identifier{t}.Sanitize()
			statements = append(statements,
				`ALTER TABLE public.`+table+` SET SCHEMA `+retired,
				`ALTER TABLE `+schema+`.`+table+` SET SCHEMA public`)
		}
		statements = append(statements, `DROP SCHEMA `+retired+` CASCADE`, `DROP SCHEMA `+schema)
		for _, sql := range statements {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
		}
		return saveCheckpoint(ctx, tx, p.Name(), pos)
	})
	return pos, n, err
}

// prepareRebuild makes empty copies of the tables, with their columns,
// defaults, generated columns, checks and primary keys, in schema.
func (r *Runner) prepareRebuild(ctx context.Context, schema string, tables []string) error {
	statements := []string{`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`, `CREATE SCHEMA ` + schema}
	for _, t := range tables {
		table := pgx.Identifier{t}.Sanitize()
		statements = append(statements, `CREATE TABLE `+schema+`.`+table+` (LIKE public.`+table+
			` INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS)`)
		var pk string
		err := r.Pool.QueryRow(ctx, `SELECT pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid = ('public.' || quote_ident($1))::regclass AND contype = 'p'`, t).Scan(&pk)
		if err != nil {
			return fmt.Errorf("rebuild: primary key of %s: %w", t, err)
		}
		statements = append(statements, `ALTER TABLE `+schema+`.`+table+` ADD `+pk)
		targets, err := statisticsTargets(ctx, r.Pool, t)
		if err != nil {
			return err
		}
		for column, target := range targets {
			statements = append(statements, fmt.Sprintf(`ALTER TABLE %s.%s ALTER COLUMN %s SET STATISTICS %d`,
				schema, table, pgx.Identifier{column}.Sanitize(), target))
		}
	}
	for _, sql := range statements {
		if _, err := r.Pool.Exec(ctx, sql); err != nil {
			return fmt.Errorf("rebuild: %s: %w", sql, err)
		}
	}
	return nil
}

// statisticsTargets returns the columns of table whose statistics target
// a migration set (LIKE does not copy them), with their targets.
func statisticsTargets(ctx context.Context, pool *pgxpool.Pool, table string) (map[string]int, error) {
	rows, err := pool.Query(ctx, `SELECT attname::text, attstattarget::int FROM pg_attribute
		WHERE attrelid = ('public.' || quote_ident($1))::regclass AND attnum > 0 AND NOT attisdropped AND attstattarget >= 0`, table)
	if err != nil {
		return nil, fmt.Errorf("rebuild: statistics targets of %s: %w", table, err)
	}
	targets := map[string]int{}
	var (
		column string
		target int
	)
	_, err = pgx.ForEachRow(rows, []any{&column, &target}, func() error {
		targets[column] = target
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rebuild: statistics targets of %s: %w", table, err)
	}
	return targets, nil
}

// buildIndexes gives the new tables the secondary indexes of the current
// ones, building as many at once as there are cores: each build is one
// CPU-bound sort, and builds on one table take compatible (SHARE) locks.
// The longest builds start first, so that none is left running alone at
// the end: the trigram (GIN) index, which PostgreSQL builds on one core
// only (16 s at a million contacts), then the others, largest first
// (docs/BENCHMARKS.md).
func (r *Runner) buildIndexes(ctx context.Context, schema string, tables []string) error {
	rows, err := r.Pool.Query(ctx, `SELECT i.indexdef FROM pg_indexes i
		JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = 'public'::regnamespace
		WHERE i.schemaname = 'public' AND i.tablename = ANY ($1)
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid AND k.contype = 'p')
		ORDER BY i.indexdef LIKE '% USING gin %' DESC, pg_relation_size(c.oid) DESC`, tables)
	if err != nil {
		return fmt.Errorf("rebuild: indexes: %w", err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("rebuild: indexes: %w", err)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for _, def := range defs {
		def = strings.Replace(def, " ON public.", " ON "+schema+".", 1)
		g.Go(func() error {
			// One process a build: the builds already fill the cores, and a
			// btree build's parallel workers would take them from the GIN
			// build, which has none (it then took twice as long).
			err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SET LOCAL max_parallel_maintenance_workers = 0`); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, def)
				return err
			})
			if err != nil {
				return fmt.Errorf("rebuild: %s: %w", def, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// replay applies the log after from into the tables of schema, page by
// page, and returns where it stopped and how many events it read. Reading
// (the log's query, opening sealed payloads) and applying (the read
// model's statements) take turns on different cores: a reader goroutine
// keeps the next pages ready while the current one is applied.
func (r *Runner) replay(ctx context.Context, p Projector, schema string, from domain.Position, parking *rebuildParking) (domain.Position, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan []domain.RecordedEvent, rebuildPagesAhead)
	var readErr error
	go func() {
		defer close(pages)
		for at := from; ; {
			events, err := r.Store.ReadAll(ctx, at, rebuildPage)
			if err != nil {
				readErr = fmt.Errorf("rebuild %s: read log: %w", p.Name(), err)
				return
			}
			if len(events) == 0 {
				return
			}
			select {
			case pages <- events:
			case <-ctx.Done():
				return
			}
			at = events[len(events)-1].Position
		}
	}()
	n := 0
	for events := range pages {
		err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error { return parking.applyPage(ctx, tx, p, schema, events) })
		if err != nil {
			return from, n, fmt.Errorf("rebuild %s: %w", p.Name(), err)
		}
		from = events[len(events)-1].Position
		n += len(events)
	}
	// pages is closed: the reader has returned, and readErr is its last word.
	return from, n, readErr
}

// applyIn applies events with the projector's own code, aimed at the
// tables of schema: its statements name tables without a schema, and the
// search path resolves them there first.
func applyIn(ctx context.Context, tx pgx.Tx, p Projector, schema string, events []domain.RecordedEvent) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, schema+", public"); err != nil {
		return err
	}
	if err := p.Apply(ctx, tx, events); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT set_config('search_path', 'public', true)`)
	return err
}
