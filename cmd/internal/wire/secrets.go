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

// keySecret derives from the master key the secret that keys the hashes
// naming key reservation streams (so stream names hold no personal data):
// every node shares the master key, and, unlike a secret kept in the
// database, it is not in a copy of the database, which alone then cannot
// test guessed emails against the reservations of erased people.
func keySecret(master []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, master, nil, "contacts: key reservation streams", 32)
}

// legacyKeySecret returns the secret a database started before the key
// secret was derived keeps in settings (nil for any other): its
// reservations are still read under the names it gave them
// (domain.Handler.LegacyKeySecret); no new one is ever stored.
func legacyKeySecret(ctx context.Context, pool *pgxpool.Pool) ([]byte, error) {
	var stored []byte
	err := pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'key_secret'`).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the database's former key secret: %w", err)
	}
	return stored, nil
}
