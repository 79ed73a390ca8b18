package wire

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/eventstore/sealed"
)

// masterKey returns the key that wraps the contacts' keys: cfg.MasterKey
// (CONTACTS_MASTER_KEY: 32 bytes, base64 or hex), else the file
// <data>/secrets/master.key, made on first use. It is kept out of the
// database on purpose: a copy of the database alone cannot read anyone.
func masterKey(cfg Config) ([]byte, error) {
	if cfg.MasterKey != "" {
		return parseMasterKey(cfg.MasterKey, "CONTACTS_MASTER_KEY")
	}
	path := filepath.Join(cfg.DataDir, "secrets", "master.key")
	b, err := os.ReadFile(path)
	if err == nil {
		return parseMasterKey(strings.TrimSpace(string(b)), path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("master key: %w", err)
	}
	key := make([]byte, sealed.MasterKeySize)
	rand.Read(key) //nolint:errcheck // never fails
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	// Written whole to a temporary file, then linked into place: a process
	// starting at the same moment never reads a half-written key, a crash
	// never leaves an empty one, and only one of two racing starts wins
	// (the other reads the winner's).
	tmp, err := os.CreateTemp(filepath.Dir(path), "master.key.*")
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone once linked, or a leftover to clean
	_, werr := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return masterKey(cfg)
	} else if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return key, nil
}

func parseMasterKey(s, from string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == sealed.MasterKeySize {
		return b, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == sealed.MasterKeySize {
		return b, nil
	}
	return nil, fmt.Errorf("%s: want %d bytes in base64 or hex (e.g. openssl rand -base64 32)", from, sealed.MasterKeySize)
}

// cursorKey derives from the master key the key that seals list cursors
// (projections.Queries.CursorKey): every node shares the master key, so a
// cursor made on one node opens on another.
func cursorKey(master []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, master, nil, "contacts: list cursors", 32)
}

// keySecret returns the secret that keys the hashes naming key reservation
// streams (so stream names hold no personal data). Every node of one
// deployment must use the same one, or unique keys silently stop being
// enforced, so the database keeps it: the first start stores a random
// secret (or the one given, CONTACTS_KEY_SECRET, in hex) in settings; later
// starts read it, and refuse to run with a given secret that differs from
// it.
func keySecret(ctx context.Context, pool *pgxpool.Pool, givenHex string) ([]byte, error) {
	var given []byte
	if givenHex != "" {
		b, err := hex.DecodeString(givenHex)
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
