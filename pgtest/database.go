package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// createDatabase makes a database named test_<random> as a copy of the
// migrated template: copying is much faster than migrating each time. The
// server's default copy strategy is kept: on PostgreSQL 15, STRATEGY
// FILE_COPY was faster one database at a time but slower with parallel tests
// (each copy forces a checkpoint), measured ~20% slower on this package.
func (in *instance) createDatabase(ctx context.Context) (string, error) {
	template, err := in.ensureTemplate(ctx)
	if err != nil {
		return "", err
	}
	in.mu.Lock()
	admin, err := in.adminPool(ctx)
	in.mu.Unlock()
	if err != nil {
		return "", err
	}
	random := make([]byte, 8)
	if _, err := rand.Read(random); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	name := "test_" + hex.EncodeToString(random)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize())); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

// dropDatabase drops a test database, cutting any connection left open.
func (in *instance) dropDatabase(ctx context.Context, name string) error {
	in.mu.Lock()
	admin, err := in.adminPool(ctx)
	in.mu.Unlock()
	if err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}
