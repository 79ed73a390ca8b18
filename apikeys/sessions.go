package apikeys

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// Session is a console sign-in: the key it was opened with, and the token
// every form of the session must carry (CSRF).
type Session struct {
	Key       Key
	CSRF      string
	ExpiresAt time.Time
}

// sessionPrefix starts every session token, to tell it from a key.
const sessionPrefix = "cs_"

// StartSession opens a session for key keyID, valid for ttl, and returns
// its token (for the browser's cookie) and the session. Only the token's
// hash is stored.
func (s *Store) StartSession(ctx context.Context, keyID string, ttl time.Duration) (string, Session, error) {
	// Expired sessions go as new ones come: nothing else sweeps them.
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at < now()`); err != nil {
		return "", Session{}, fmt.Errorf("start session: sweep expired ones: %w", err)
	}
	token := sessionPrefix + randomText()
	csrf := randomText()
	hash := hashKey(token)
	var sess Session
	var role string
	var community *string
	err := s.pool.QueryRow(ctx, `WITH k AS (SELECT id, role, community_id, created_at FROM api_keys WHERE id = $1 AND revoked_at IS NULL),
		s AS (INSERT INTO console_sessions (hash, key_id, csrf, expires_at)
			SELECT $2, id, $3, now() + $4::interval FROM k RETURNING expires_at)
		SELECT k.id, k.role, k.community_id, k.created_at, s.expires_at FROM k, s`,
		keyID, hash[:], csrf, ttl.String()).Scan(&sess.Key.ID, &role, &community, &sess.Key.CreatedAt, &sess.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", Session{}, domain.Errorf(domain.ENOTFOUND, "unknown API key")
	}
	if err != nil {
		return "", Session{}, fmt.Errorf("start session: %w", err)
	}
	sess.Key.Role, sess.CSRF = Role(role), csrf
	if community != nil {
		sess.Key.CommunityID = *community
	}
	return token, sess, nil
}

// Session returns the open session of token: ENOTFOUND when there is none
// (never opened, signed out, expired, or its key revoked).
func (s *Store) Session(ctx context.Context, token string) (Session, error) {
	if len(token) != len(sessionPrefix)+43 {
		return Session{}, domain.Errorf(domain.ENOTFOUND, "no such session")
	}
	hash := hashKey(token)
	var sess Session
	var role string
	var community *string
	err := s.pool.QueryRow(ctx, `SELECT k.id, k.role, k.community_id, k.created_at, s.csrf, s.expires_at
		FROM console_sessions s JOIN api_keys k ON k.id = s.key_id
		WHERE s.hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`, hash[:]).
		Scan(&sess.Key.ID, &role, &community, &sess.Key.CreatedAt, &sess.CSRF, &sess.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, domain.Errorf(domain.ENOTFOUND, "no such session")
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	sess.Key.Role = Role(role)
	if community != nil {
		sess.Key.CommunityID = *community
	}
	return sess, nil
}

// EndSession closes the session of token (signing out), and with it the
// expired sessions of every key.
func (s *Store) EndSession(ctx context.Context, token string) error {
	hash := hashKey(token)
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE hash = $1 OR expires_at < now()`, hash[:]); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// randomText is 32 random bytes in unpadded base64url (43 characters).
func randomText() string {
	b := make([]byte, keyBytes)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
