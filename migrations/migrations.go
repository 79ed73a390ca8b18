// Package migrations holds the database schema as numbered SQL files,
// embedded in the binary, and applies the ones a database lacks.
//
// Files are named NNNN_description.sql and applied in the order of NNNN, each
// in its own transaction, and recorded in schema_migrations with the SHA-256
// of the file. Two processes starting together serialise on an advisory
// lock, so each file runs once. A file that has landed is never edited:
// change the schema with a new file. Apply refuses a database whose
// recorded migrations differ from the binary's files (ErrChanged) or
// include one the binary does not hold (ErrUnknown).
package migrations

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed *.sql
var files embed.FS

// lockKey is the advisory lock migrations hold (two int4 keys, so it never
// collides with single-bigint advisory locks taken elsewhere).
const lockKey1, lockKey2 = 0x636f6e74, 1 // "cont", 1

// Errors Apply returns (wrapped, with the migrations at fault named).
var (
	// ErrChanged is a migration whose file differs from the one the
	// database applied.
	ErrChanged = errors.New("a migration the database applied has changed since")
	// ErrUnknown is a migration the database applied that the binary does
	// not hold: a newer binary migrated it.
	ErrUnknown = errors.New("the database has migrations this binary does not know")
)

// Migration is one schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
	// Checksum is the SHA-256 of the file, in hex.
	Checksum string
}

// File is the migration's file name.
func (m Migration) File() string { return fmt.Sprintf("%04d_%s.sql", m.Version, m.Name) }

// All returns the embedded migrations in the order they apply.
func All() ([]Migration, error) { return load(files) }

// load returns the migrations of fsys in the order they apply.
func load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var all []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		all = append(all, Migration{Version: version, Name: name, SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Version < all[j].Version })
	for i := 1; i < len(all); i++ {
		if all[i].Version == all[i-1].Version {
			return nil, fmt.Errorf("two migrations numbered %d", all[i].Version)
		}
	}
	return all, nil
}

// Apply applies, in order, every migration the database has not recorded yet,
// and returns the versions it applied. It first checks the migrations the
// database recorded against the binary's, and applies nothing when one
// changed (ErrChanged) or is unknown (ErrUnknown).
func Apply(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	return apply(ctx, pool, files)
}

func apply(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) ([]int, error) {
	all, err := load(fsys)
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()

	// A session lock, held across the per-file transactions below.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockKey1, lockKey2); err != nil {
		return nil, fmt.Errorf("migrate: take lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, lockKey1, lockKey2) //nolint:errcheck // the session ends soon anyway

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	recorded, err := readRecorded(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	if err := check(recorded, all); err != nil {
		return nil, err
	}
	done := map[int]bool{}
	for _, r := range recorded {
		done[r.version] = true
	}
	var applied []int
	for _, m := range all {
		if done[m.Version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return err
			}
			return fillChecksums(ctx, tx, all)
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.File(), err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// recorded is a row of schema_migrations.
type recorded struct {
	version   int
	name      string
	checksum  string // "" before checksums were recorded
	appliedAt time.Time
}

// readRecorded reads schema_migrations, checksums included once the
// migration that adds them has run.
func readRecorded(ctx context.Context, conn *pgx.Conn) ([]recorded, error) {
	has, err := hasChecksums(ctx, conn)
	if err != nil {
		return nil, err
	}
	checksum := "NULL::text"
	if has {
		checksum = "checksum"
	}
	rows, err := conn.Query(ctx, `SELECT version, name, coalesce(`+checksum+`, ''), applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (recorded, error) {
		var r recorded
		var version int32
		err := row.Scan(&version, &r.name, &r.checksum, &r.appliedAt)
		r.version = int(version)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	return out, nil
}

// hasChecksums reports whether schema_migrations has its checksum column
// (migration 0015 adds it).
func hasChecksums(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (bool, error) {
	var has bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_attribute
		WHERE attrelid = 'schema_migrations'::regclass AND attname = 'checksum' AND NOT attisdropped)`).Scan(&has)
	if err != nil {
		return false, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	return has, nil
}

// check refuses recorded migrations the binary does not hold, or holds
// with another name or content.
func check(recorded []recorded, all []Migration) error {
	byVersion := map[int]Migration{}
	for _, m := range all {
		byVersion[m.Version] = m
	}
	var unknown, changed []string
	for _, r := range recorded {
		m, ok := byVersion[r.version]
		switch {
		case !ok:
			unknown = append(unknown, fmt.Sprintf("%04d_%s.sql (applied %s)", r.version, r.name, r.appliedAt.UTC().Format(time.DateTime)))
		case r.name != m.Name:
			changed = append(changed, fmt.Sprintf("%04d was applied as %04d_%s.sql, the binary has %s", r.version, r.version, r.name, m.File()))
		case r.checksum != "" && r.checksum != m.Checksum:
			changed = append(changed, fmt.Sprintf("%s was applied with SHA-256 %.12s…, the binary's file has %.12s…", m.File(), r.checksum, m.Checksum))
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%w: %s; a newer contacts migrated it: run that version or a later one", ErrUnknown, strings.Join(unknown, ", "))
	}
	if len(changed) > 0 {
		return fmt.Errorf("%w: %s; a landed migration is never edited: restore the file as it was and put the change in a new migration",
			ErrChanged, strings.Join(changed, "; "))
	}
	return nil
}

// fillChecksums records the checksums of the binary's files for the
// migrations recorded without one, once schema_migrations has the column:
// those applied before it existed, and the one that adds it.
func fillChecksums(ctx context.Context, tx pgx.Tx, all []Migration) error {
	has, err := hasChecksums(ctx, tx)
	if err != nil || !has {
		return err
	}
	versions := make([]int32, len(all))
	sums := make([]string, len(all))
	for i, m := range all {
		versions[i], sums[i] = int32(m.Version), m.Checksum
	}
	_, err = tx.Exec(ctx, `UPDATE schema_migrations s SET checksum = f.checksum
		FROM unnest($1::integer[], $2::text[]) AS f(version, checksum)
		WHERE s.version = f.version AND s.checksum IS NULL`, versions, sums)
	if err != nil {
		return fmt.Errorf("record checksums: %w", err)
	}
	return nil
}
