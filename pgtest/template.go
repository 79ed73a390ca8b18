package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/assoc/contacts/migrations"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// templateLock is the advisory lock (two int4 keys, "pgte", 1) held while a
// template is checked and built, so that processes sharing a server build it
// once; it differs from the migrations package's key.
const templateLock1, templateLock2 = 0x70677465, 1

// templateName names the template after a hash of the embedded migrations:
// a changed or added migration gets a new template, and test runs of
// different checkouts sharing a server never use each other's.
func templateName() (string, error) {
	all, err := migrations.All()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range all {
		fmt.Fprintf(h, "%d\x00%s\x00%d\x00%s\x00", m.Version, m.Name, len(m.SQL), m.SQL)
	}
	return "pgtest_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ensureTemplate returns the migrated template's name, building it if the
// server lacks it.
func (in *instance) ensureTemplate(ctx context.Context) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.template != "" {
		return in.template, nil
	}
	name, err := templateName()
	if err != nil {
		return "", err
	}
	admin, err := in.adminPool(ctx)
	if err != nil {
		return "", err
	}
	conn, err := admin.Acquire(ctx)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, templateLock1, templateLock2); err != nil {
		return "", fmt.Errorf("template: take lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, templateLock1, templateLock2) //nolint:errcheck // released with the session anyway
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("template: look for %s: %w", name, err)
	}
	if !exists {
		if err := in.buildTemplate(ctx, conn.Conn(), name); err != nil {
			return "", err
		}
	}
	in.template = name
	return name, nil
}

// buildTemplate migrates a database under a temporary name and renames it
// into place only when complete, so a crash never leaves a half-migrated
// template behind. Copies need no one connected to the template, so it is
// closed to connections afterwards.
func (in *instance) buildTemplate(ctx context.Context, conn *pgx.Conn, name string) error {
	build := pgx.Identifier{name + "_build"}.Sanitize()
	final := pgx.Identifier{name}.Sanitize()
	for _, sql := range []string{
		"DROP DATABASE IF EXISTS " + build + " WITH (FORCE)", // left by a crashed build
		"CREATE DATABASE " + build + " TEMPLATE template0",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("template: %s: %w", sql, err)
		}
	}
	if err := migrate(ctx, in, name+"_build"); err != nil {
		return err
	}
	for _, sql := range []string{
		"ALTER DATABASE " + build + " RENAME TO " + final,
		"ALTER DATABASE " + final + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("template: %s: %w", sql, err)
		}
	}
	return nil
}

// migrate applies every migration to database db.
func migrate(ctx context.Context, in *instance, db string) error {
	connString, err := in.connString(db)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, connString)
	if err != nil {
		return fmt.Errorf("template: open %s: %w", db, err)
	}
	defer pool.Close()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		return fmt.Errorf("template: migrate %s: %w", db, err)
	}
	return nil
}
