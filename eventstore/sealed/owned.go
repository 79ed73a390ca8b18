package sealed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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

// ownerLockClass is the first key of the locks that order, per owner, the
// making of owned keys and their destruction: a key made while its owner
// is erased would otherwise escape the erasure.
const ownerLockClass int32 = 0x6f776e72 // "ownr"

// SealOwned seals plains[i] under a key owned by owners[i] (a contact, or
// an import for its transient values): the owner's key when it has one,
// else a new one. An owner erased already (a deleted contact) gets no key:
// its values come back "" and are not to be kept.
func (k *Keyring) SealOwned(ctx context.Context, owners []string, plains [][]byte) ([]string, error) {
	if len(owners) != len(plains) {
		return nil, fmt.Errorf("seal owned values: %d owners for %d values", len(owners), len(plains))
	}
	keys, err := k.ownedKeys(ctx, owners)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(plains))
	for i, plain := range plains {
		key, ok := keys[owners[i]]
		if !ok {
			continue // erased
		}
		nonce := make([]byte, key.aead.NonceSize())
		rand.Read(nonce) //nolint:errcheck // never fails
		out[i] = ownedPrefix + key.id + "." + base64.RawStdEncoding.EncodeToString(key.aead.Seal(nonce, nonce, plain, ownedAAD(key.id)))
	}
	return out, nil
}

// DestroyOwned destroys the keys owner owns: what they sealed is gone. For
// owners that are not contacts (an import's transient values); a contact's
// keys go with its erasure.
func (k *Keyring) DestroyOwned(ctx context.Context, owner string) error {
	if _, err := k.pool.Exec(ctx, `DELETE FROM contact_keys WHERE contact_id = $1`, owner); err != nil {
		return fmt.Errorf("destroy the keys of %s: %w", owner, err)
	}
	return nil
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
		return "", nil, fmt.Errorf("%.12q… is not a value SealOwned made (%s<key id>.<base64>)", s, ownedPrefix)
	}
	return id, box, nil
}

// ownedKeys returns a key for each distinct owner not erased: the one it
// owns already, else one made now, in one transaction holding the owners'
// locks (shared: makers do not wait for each other, only for an erasure).
func (k *Keyring) ownedKeys(ctx context.Context, owners []string) (map[string]contactKey, error) {
	distinct := make([]string, 0, len(owners))
	seen := map[string]bool{}
	for _, o := range owners {
		if !domain.ValidID(o) {
			return nil, fmt.Errorf("seal owned values: %q is not an ID", o)
		}
		if !seen[o] {
			seen[o] = true
			distinct = append(distinct, o)
		}
	}
	keys := map[string]contactKey{}
	err := pgx.BeginFunc(ctx, k.pool, func(tx pgx.Tx) error {
		clear(keys)
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1, hashtext(o)) FROM unnest($2::text[]) AS o`, ownerLockClass, distinct); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT o::text, k.key_id::text, k.wrapped, e.contact_id IS NOT NULL
			  FROM unnest($1::uuid[]) AS o
			  LEFT JOIN erased_contacts e ON e.contact_id = o
			  LEFT JOIN LATERAL (SELECT key_id, wrapped FROM contact_keys WHERE contact_id = o ORDER BY key_id LIMIT 1) k ON true`, distinct)
		if err != nil {
			return err
		}
		var missing []string
		for rows.Next() {
			var owner string
			var id *string
			var wrapped []byte
			var erased bool
			if err := rows.Scan(&owner, &id, &wrapped, &erased); err != nil {
				rows.Close()
				return err
			}
			switch {
			case erased:
			case id == nil:
				missing = append(missing, owner)
			default:
				aead, err := k.unwrap(*id, wrapped)
				if err != nil {
					rows.Close()
					return err
				}
				keys[owner] = contactKey{id: *id, aead: aead}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return k.makeOwnedKeys(ctx, tx, missing, keys)
	})
	if err != nil {
		return nil, fmt.Errorf("owned keys: %w", err)
	}
	return keys, nil
}

// makeOwnedKeys makes a key for each of owners, stored wrapped and
// recorded as its owner's, in one insert, and adds them to keys.
func (k *Keyring) makeOwnedKeys(ctx context.Context, tx pgx.Tx, owners []string, keys map[string]contactKey) error {
	if len(owners) == 0 {
		return nil
	}
	ids, wrapped := make([]string, len(owners)), make([][]byte, len(owners))
	for i, owner := range owners {
		raw := make([]byte, 32)
		rand.Read(raw) //nolint:errcheck // never fails
		aead, err := newAEAD(raw)
		if err != nil {
			return err
		}
		ids[i] = domain.NewID()
		wrapped[i] = k.wrap(ids[i], raw)
		keys[owner] = contactKey{id: ids[i], aead: aead}
	}
	_, err := tx.Exec(ctx, `INSERT INTO contact_keys (key_id, wrapped, contact_id) SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::uuid[])`,
		ids, wrapped, owners)
	return err
}
