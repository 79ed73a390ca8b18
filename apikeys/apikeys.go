// Package apikeys keeps the API keys that authenticate HTTP callers, in
// PostgreSQL (table api_keys, migrations/0003_api_keys.sql).
//
// A key is "ck_" followed by 32 random bytes in unpadded base64url. It is
// shown once, when made; the table keeps only its SHA-256 hash, so a copy of
// the database holds no usable key. (A plain, unsalted hash is enough: the
// keys are random, not chosen by people, so there is nothing to guess.)
//
// Each key has one role: RoleOperator (the platform; no community), or
// RoleAdmin, RoleAuditor or RoleAnalytics inside exactly one community.
package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
)

// Role is what a key may do.
type Role string

// The roles.
const (
	// RoleOperator runs the platform: it creates communities and sees no
	// contact. It belongs to no community.
	RoleOperator Role = "operator"
	// RoleAdmin does everything inside its community.
	RoleAdmin Role = "admin"
	// RoleAuditor reads its community's contacts and their history.
	RoleAuditor Role = "auditor"
	// RoleAnalytics reads its community's event stream.
	RoleAnalytics Role = "analytics"
)

// Roles lists every role.
var Roles = []Role{RoleOperator, RoleAdmin, RoleAuditor, RoleAnalytics}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOperator, RoleAdmin, RoleAuditor, RoleAnalytics:
		return true
	}
	return false
}

// Prefix starts every key, so that a key pasted where it does not belong
// is easy to recognise (and to scan for in leaked text).
const Prefix = "ck_"

// keyBytes is how many random bytes a key made by Create holds.
const keyBytes = 32

// Key is a stored key's description; the key itself is never stored.
type Key struct {
	ID   string
	Role Role
	// CommunityID is the key's community; "" for an operator key.
	CommunityID string
	CreatedAt   time.Time
}

// Store keeps API keys in PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool, whose database must have the migrations
// applied.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Create makes a new random key with role, in communityID (which must be ""
// for RoleOperator and a community ID for the other roles). It returns the
// key, to hand to its user once, and its description.
//
// Errors: EINVALID (field "role" or "community_id") for a bad role or
// community.
func (s *Store) Create(ctx context.Context, role Role, communityID string) (string, Key, error) {
	random := make([]byte, keyBytes)
	rand.Read(random) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	key := Prefix + base64.RawURLEncoding.EncodeToString(random)
	k, err := s.Add(ctx, key, role, communityID)
	if err != nil {
		return "", Key{}, err
	}
	return key, k, nil
}

// Add stores a key chosen by the caller, such as an operator key given in
// the service's configuration. The key must look like one Create makes:
// Prefix followed by 16 to 200 base64url characters.
//
// Errors: EINVALID (field "key", "role" or "community_id"); ECONFLICT when
// the key is already stored.
func (s *Store) Add(ctx context.Context, key string, role Role, communityID string) (Key, error) {
	if !wellFormed(key) {
		return Key{}, domain.FieldError("key", "must be %q followed by 16 to 200 base64url characters", Prefix)
	}
	if err := checkRole(role, communityID); err != nil {
		return Key{}, err
	}
	k := Key{ID: domain.NewID(), Role: role, CommunityID: communityID}
	hash := hashKey(key)
	err := s.pool.QueryRow(ctx, `INSERT INTO api_keys (id, hash, role, community_id) VALUES ($1, $2, $3, $4)
		RETURNING created_at`, k.ID, hash[:], string(role), nullable(communityID)).Scan(&k.CreatedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return Key{}, &domain.Error{Code: domain.ECONFLICT, Field: "key", Message: "this key is already stored"}
	}
	if err != nil {
		return Key{}, fmt.Errorf("store api key: %w", err)
	}
	return k, nil
}

// Lookup returns the description of key.
//
// Errors: EUNAUTHORIZED for a string that cannot be a key (empty, wrong
// prefix, wrong characters or length); ENOTFOUND for a well-formed key that
// is not stored, or revoked. A caller authenticating a request treats both alike (the
// caller is not authenticated) and should not tell its client which.
func (s *Store) Lookup(ctx context.Context, key string) (Key, error) {
	if !wellFormed(key) {
		return Key{}, domain.Errorf(domain.EUNAUTHORIZED, "malformed API key")
	}
	hash := hashKey(key)
	var k Key
	var role string
	var community *string
	err := s.pool.QueryRow(ctx, `SELECT id, role, community_id, created_at FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash[:]).
		Scan(&k.ID, &role, &community, &k.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Key{}, domain.Errorf(domain.ENOTFOUND, "unknown API key")
	}
	if err != nil {
		return Key{}, fmt.Errorf("look up api key: %w", err)
	}
	k.Role = Role(role)
	if community != nil {
		k.CommunityID = *community
	}
	return k, nil
}

// Count returns how many keys are stored (zero on a fresh database, which
// is how the service knows to make its first operator key).
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count api keys: %w", err)
	}
	return n, nil
}

// hashKey is what the store keeps of a key.
func hashKey(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }

// checkRole checks that role exists and that communityID suits it.
func checkRole(role Role, communityID string) error {
	if !role.Valid() {
		return domain.FieldError("role", "%q is not a role (operator, admin, auditor, analytics)", role)
	}
	if role == RoleOperator {
		if communityID != "" {
			return domain.FieldError("community_id", "an operator key belongs to no community")
		}
		return nil
	}
	if !domain.ValidID(communityID) {
		return domain.FieldError("community_id", "an %s key needs the ID of its community", role)
	}
	return nil
}

// wellFormed reports whether key can be a key: Prefix, then 16 to 200
// base64url characters.
func wellFormed(key string) bool {
	rest, ok := strings.CutPrefix(key, Prefix)
	if !ok || len(rest) < 16 || len(rest) > 200 {
		return false
	}
	for _, c := range []byte(rest) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
