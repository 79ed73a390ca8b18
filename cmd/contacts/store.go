package main

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
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/eventstore/sealed"
	"github.com/assoc/contacts/spreadsheet"
)

// openEventStore returns the event log the configuration selects (see
// openLog), wrapped so that contacts' personal data is sealed under
// per-contact keys (deleting a contact destroys them). close releases it.
func openEventStore(ctx context.Context, cfg Config, pool *pgxpool.Pool, logger *slog.Logger) (store *sealed.Store, close func(), err error) {
	master, err := masterKey(cfg)
	if err != nil {
		return nil, nil, err
	}
	keys, err := sealed.NewKeyring(ctx, pool, master)
	if err != nil {
		return nil, nil, err
	}
	log, closeLog, err := openLog(ctx, cfg, pool, logger)
	if err != nil {
		return nil, nil, err
	}
	return sealed.New(log, keys, sealed.WithLogger(logger)), closeLog, nil
}

// masterKey returns the key that wraps the contacts' keys: from
// CONTACTS_MASTER_KEY (32 bytes, base64 or hex), else from the file
// <data>/secrets/master.key, made on first use. It is kept out of the
// database on purpose: a copy of the database alone cannot read anyone.
func masterKey(cfg Config) ([]byte, error) {
	if s := strings.TrimSpace(os.Getenv("CONTACTS_MASTER_KEY")); s != "" {
		return parseMasterKey(s, "CONTACTS_MASTER_KEY")
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

// cursorKey derives from the master key the key that seals list cursors
// (projections.Queries.CursorKey): every node shares the master key, so a
// cursor made on one node opens on another.
func cursorKey(cfg Config) ([]byte, error) {
	master, err := masterKey(cfg)
	if err != nil {
		return nil, err
	}
	return hkdf.Key(sha256.New, master, nil, "contacts: list cursors", 32)
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

// eraseElsewhere erases a deleted contact from the tables beyond the log
// and the read models that hold its data (see sealed.Erasure).
var eraseElsewhere = []func(context.Context, pgx.Tx, string) error{spreadsheet.EraseContact}
