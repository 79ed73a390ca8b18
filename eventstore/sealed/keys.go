package sealed

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
)

// MasterKeySize is the size of the master key (AES-256).
const MasterKeySize = 32

// keyBatch is how many contact keys one insert makes ahead: handing out a
// key then costs no round trip, and the insert's commit is shared.
const keyBatch = 256

// maxAssigned bounds the contact → key memory. A contact whose entry was
// dropped gets a fresh key on its next event, which is harmless: every
// event names its key, and erasure finds them all.
const maxAssigned = 100_000

// Keyring keeps the contacts' keys in PostgreSQL table contact_keys,
// wrapped by the master key.
type Keyring struct {
	pool   *pgxpool.Pool
	master cipher.AEAD

	mu       sync.Mutex
	spare    []contactKey          // made ahead, not yet handed out
	assigned map[string]contactKey // contact ID → the key its events are sealed with
}

type contactKey struct {
	id   string
	aead cipher.AEAD
}

// NewKeyring returns a keyring using master (MasterKeySize bytes). It checks
// the master key against the one the database was first used with, so a
// wrong key is refused instead of silently making every contact look erased.
func NewKeyring(ctx context.Context, pool *pgxpool.Pool, master []byte) (*Keyring, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("master key: want %d bytes, got %d", MasterKeySize, len(master))
	}
	aead, err := newAEAD(master)
	if err != nil {
		return nil, err
	}
	k := &Keyring{pool: pool, master: aead, assigned: map[string]contactKey{}}
	if err := k.checkMaster(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// masterCheck is sealed with the master key and kept in settings.
const masterCheck = "contacts master key check"

// checkMaster stores a value sealed by the master key on first use and
// later opens it: only the same master key can.
func (k *Keyring) checkMaster(ctx context.Context) error {
	nonce := make([]byte, k.master.NonceSize())
	rand.Read(nonce) //nolint:errcheck // never fails
	sealed := k.master.Seal(nonce, nonce, []byte(masterCheck), nil)
	if _, err := k.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('master_key_check', $1) ON CONFLICT (name) DO NOTHING`, sealed); err != nil {
		return fmt.Errorf("master key check: %w", err)
	}
	var stored []byte
	if err := k.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'master_key_check'`).Scan(&stored); err != nil {
		return fmt.Errorf("master key check: %w", err)
	}
	n := k.master.NonceSize()
	if len(stored) < n {
		return errors.New("master key check: stored value is malformed")
	}
	if plain, err := k.master.Open(nil, stored[:n], stored[n:], nil); err != nil || string(plain) != masterCheck {
		return errors.New("the master key differs from the one this database was first used with: " +
			"contacts' personal data could not be read; give the original CONTACTS_MASTER_KEY (or master.key file)")
	}
	return nil
}

// forContact returns the key to seal contactID's new events with.
func (k *Keyring) forContact(ctx context.Context, contactID string) (contactKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.assigned[contactID]; ok {
		return key, nil
	}
	if len(k.spare) == 0 {
		spare, err := k.makeKeys(ctx, keyBatch)
		if err != nil {
			return contactKey{}, err
		}
		k.spare = spare
	}
	key := k.spare[len(k.spare)-1]
	k.spare = k.spare[:len(k.spare)-1]
	if len(k.assigned) >= maxAssigned {
		clear(k.assigned)
	}
	k.assigned[contactID] = key
	return key, nil
}

// owned returns a new key recorded as contactID's, for its values in
// another contact's stream (see duplicateSide): destroy finds it by its
// owner. Merges are rare: one insert each is no burden.
func (k *Keyring) owned(ctx context.Context, contactID string) (contactKey, error) {
	raw := make([]byte, 32)
	rand.Read(raw) //nolint:errcheck // never fails
	aead, err := newAEAD(raw)
	if err != nil {
		return contactKey{}, err
	}
	id := domain.NewID()
	if _, err := k.pool.Exec(ctx, `INSERT INTO contact_keys (key_id, wrapped, contact_id) VALUES ($1, $2, $3)`,
		id, k.wrap(id, raw), contactID); err != nil {
		return contactKey{}, fmt.Errorf("make a key of contact %s: %w", contactID, err)
	}
	return contactKey{id: id, aead: aead}, nil
}

// makeKeys makes n random keys and stores them wrapped, in one insert.
func (k *Keyring) makeKeys(ctx context.Context, n int) ([]contactKey, error) {
	keys := make([]contactKey, n)
	ids := make([]string, n)
	wrapped := make([][]byte, n)
	for i := range keys {
		raw := make([]byte, 32)
		rand.Read(raw) //nolint:errcheck // never fails
		aead, err := newAEAD(raw)
		if err != nil {
			return nil, err
		}
		id := domain.NewID()
		keys[i], ids[i], wrapped[i] = contactKey{id: id, aead: aead}, id, k.wrap(id, raw)
	}
	_, err := k.pool.Exec(ctx, `INSERT INTO contact_keys (key_id, wrapped) SELECT * FROM unnest($1::uuid[], $2::bytea[])`, ids, wrapped)
	if err != nil {
		return nil, fmt.Errorf("make contact keys: %w", err)
	}
	return keys, nil
}

// wrap seals a contact key with the master key, bound to its ID.
func (k *Keyring) wrap(id string, raw []byte) []byte {
	nonce := make([]byte, k.master.NonceSize())
	rand.Read(nonce) //nolint:errcheck // never fails
	return k.master.Seal(nonce, nonce, raw, []byte(id))
}

func (k *Keyring) unwrap(id string, wrapped []byte) (cipher.AEAD, error) {
	n := k.master.NonceSize()
	if len(wrapped) < n {
		return nil, fmt.Errorf("contact key %s is malformed", id)
	}
	raw, err := k.master.Open(nil, wrapped[:n], wrapped[n:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("contact key %s: %w", id, err)
	}
	return newAEAD(raw)
}

// lookup returns the keys of ids that still exist (a destroyed key is
// absent from the map).
func (k *Keyring) lookup(ctx context.Context, ids []string) (map[string]cipher.AEAD, error) {
	found := make(map[string]cipher.AEAD, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	rows, err := k.pool.Query(ctx, `SELECT key_id::text, wrapped FROM contact_keys WHERE key_id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("read contact keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      string
			wrapped []byte
		)
		if err := rows.Scan(&id, &wrapped); err != nil {
			return nil, err
		}
		aead, err := k.unwrap(id, wrapped)
		if err != nil {
			return nil, err
		}
		found[id] = aead
	}
	return found, rows.Err()
}

// destroy deletes keys for good (in tx when given) and forgets contactID's.
func (k *Keyring) destroy(ctx context.Context, tx pgx.Tx, contactID string, ids []string) error {
	k.mu.Lock()
	delete(k.assigned, contactID)
	k.mu.Unlock()
	// The keys that sealed its stream, and those of its values in other
	// contacts' streams and outside the log (which name their owner); the
	// contact is marked erased, under its owner lock, so that no key is
	// made for it again (see SealOwned).
	destroy := func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, ownerLockClass, contactID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			WITH tombstone AS (INSERT INTO erased_contacts (contact_id) VALUES ($2) ON CONFLICT (contact_id) DO NOTHING)
			DELETE FROM contact_keys WHERE key_id = ANY($1::uuid[]) OR contact_id = $2`, ids, contactID)
		return err
	}
	var err error
	if tx != nil {
		err = destroy(tx)
	} else {
		err = pgx.BeginFunc(ctx, k.pool, destroy)
	}
	if err != nil {
		return fmt.Errorf("destroy contact keys: %w", err)
	}
	return nil
}
