package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// keySecret returns the secret that keys the hashes naming key reservation
// streams (so stream names hold no personal data). Every node of one
// deployment must use the same one, or unique keys silently stop being
// enforced, so the database keeps it: the first start stores a random
// secret (or CONTACTS_KEY_SECRET) in settings; later starts read it, and
// refuse to run with a CONTACTS_KEY_SECRET that differs from it.
func keySecret(ctx context.Context, pool *pgxpool.Pool) ([]byte, error) {
	var given []byte
	if s := os.Getenv("CONTACTS_KEY_SECRET"); s != "" {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) < 16 {
			return nil, fmt.Errorf("CONTACTS_KEY_SECRET: want at least 32 hex digits")
		}
		given = b
	}
	candidate := given
	if candidate == nil {
		candidate = make([]byte, 32)
		rand.Read(candidate) //nolint:errcheck // never fails
	}
	// Insert if absent, then read whichever value won (another node may
	// have started at the same moment).
	if _, err := pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('key_secret', $1) ON CONFLICT (name) DO NOTHING`, candidate); err != nil {
		return nil, fmt.Errorf("store key secret: %w", err)
	}
	var stored []byte
	err := pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'key_secret'`).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) || len(stored) == 0 {
		return nil, fmt.Errorf("read key secret: missing")
	}
	if err != nil {
		return nil, fmt.Errorf("read key secret: %w", err)
	}
	if given != nil && sha256.Sum256(given) != sha256.Sum256(stored) {
		return nil, fmt.Errorf("CONTACTS_KEY_SECRET differs from the secret this database was started with: unique keys would no longer be enforced; unset it or give the original")
	}
	return stored, nil
}
