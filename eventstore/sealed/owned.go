package sealed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/assoc/contacts/domain"
)

// Personal values kept outside the log, such as the values in import
// reports, are sealed the same way as the log's: under keys recorded as
// the contact's own (contact_keys.contact_id), which deleting the contact
// destroys (see destroy). Until then they open; after, they are gone for
// good, even from old copies of the rows (dead tuples, WAL, backups).

// ownedPrefix starts a value SealOwned made: "o1.<key id>.<sealed>".
const ownedPrefix = "o1."

// ownedAAD binds a sealed value to its key and its use.
func ownedAAD(keyID string) []byte { return []byte("owned\x00" + keyID) }

// SealOwned seals plains[i] under a key owned by contact owners[i]: one
// new key per distinct owner in the call, made in one insert.
func (k *Keyring) SealOwned(ctx context.Context, owners []string, plains [][]byte) ([]string, error) {
	if len(owners) != len(plains) {
		return nil, fmt.Errorf("seal owned values: %d owners for %d values", len(owners), len(plains))
	}
	keys, err := k.makeOwnedKeys(ctx, owners)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(plains))
	for i, plain := range plains {
		key := keys[owners[i]]
		nonce := make([]byte, key.aead.NonceSize())
		rand.Read(nonce) //nolint:errcheck // never fails
		out[i] = ownedPrefix + key.id + "." + base64.RawStdEncoding.EncodeToString(key.aead.Seal(nonce, nonce, plain, ownedAAD(key.id)))
	}
	return out, nil
}

// OpenOwned opens values SealOwned made. A value whose key was destroyed
// (its contact deleted) comes back nil, with erased set.
func (k *Keyring) OpenOwned(ctx context.Context, sealed []string) (plains [][]byte, erased []bool, err error) {
	ids := make([]string, 0, len(sealed))
	for _, s := range sealed {
		id, _, err := splitOwned(s)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
	}
	found, err := k.lookup(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	plains, erased = make([][]byte, len(sealed)), make([]bool, len(sealed))
	for i, s := range sealed {
		id, box, _ := splitOwned(s)
		aead, ok := found[id]
		if !ok {
			erased[i] = true
			continue
		}
		n := aead.NonceSize()
		if len(box) < n {
			return nil, nil, fmt.Errorf("sealed value under key %s is malformed", id)
		}
		if plains[i], err = aead.Open(nil, box[:n], box[n:], ownedAAD(id)); err != nil {
			return nil, nil, fmt.Errorf("open value sealed under key %s: %w", id, err)
		}
	}
	return plains, erased, nil
}

// IsOwned reports whether s is a value SealOwned made.
func IsOwned(s string) bool { return strings.HasPrefix(s, ownedPrefix) }

func splitOwned(s string) (string, []byte, error) {
	rest, ok := strings.CutPrefix(s, ownedPrefix)
	id, b64, ok2 := strings.Cut(rest, ".")
	box, err := base64.RawStdEncoding.DecodeString(b64)
	if !ok || !ok2 || err != nil || !domain.ValidID(id) {
		return "", nil, fmt.Errorf("not a sealed value")
	}
	return id, box, nil
}

// makeOwnedKeys makes one key for each distinct contact of owners, stored
// wrapped and recorded as that contact's, in one insert.
func (k *Keyring) makeOwnedKeys(ctx context.Context, owners []string) (map[string]contactKey, error) {
	keys := map[string]contactKey{}
	var ids, contacts []string
	var wrapped [][]byte
	for _, owner := range owners {
		if _, ok := keys[owner]; ok {
			continue
		}
		if !domain.ValidID(owner) {
			return nil, fmt.Errorf("seal owned values: %q is not a contact ID", owner)
		}
		raw := make([]byte, 32)
		rand.Read(raw) //nolint:errcheck // never fails
		aead, err := newAEAD(raw)
		if err != nil {
			return nil, err
		}
		id := domain.NewID()
		keys[owner] = contactKey{id: id, aead: aead}
		ids, contacts, wrapped = append(ids, id), append(contacts, owner), append(wrapped, k.wrap(id, raw))
	}
	if len(ids) == 0 {
		return keys, nil
	}
	_, err := k.pool.Exec(ctx, `INSERT INTO contact_keys (key_id, wrapped, contact_id) SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::uuid[])`,
		ids, wrapped, contacts)
	if err != nil {
		return nil, fmt.Errorf("make owned keys: %w", err)
	}
	return keys, nil
}
