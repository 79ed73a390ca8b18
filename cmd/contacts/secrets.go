package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// keySecret returns the secret that keys the hashes naming key reservation
// streams (so stream names hold no personal data). CONTACTS_KEY_SECRET (hex)
// wins; otherwise it is read from, or created in, <data>/secrets/key-secret.
// Every node of one deployment must use the same secret.
func keySecret(cfg Config) ([]byte, error) {
	if s := os.Getenv("CONTACTS_KEY_SECRET"); s != "" {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) < 16 {
			return nil, fmt.Errorf("CONTACTS_KEY_SECRET: want at least 32 hex digits")
		}
		return b, nil
	}
	return secretFile(filepath.Join(cfg.DataDir, "secrets", "key-secret"))
}

// secretFile reads a hex secret from path, creating it (mode 0600) with 32
// random bytes when missing.
func secretFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		return hex.DecodeString(strings.TrimSpace(string(raw)))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	secret := make([]byte, 32)
	rand.Read(secret) //nolint:errcheck // never fails
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create secret folder: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	return secret, nil
}
