package projections

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"sync"

	"github.com/assoc/contacts/domain"
)

// A list's cursor is the keyset position after a page's last row: its sort
// values (a name, an email) and its ID. Cursors travel in URLs, which land
// in proxy logs and browser histories, so they are sealed (AES-256-GCM):
// opaque to whoever reads the URL. Every node seals with the same key
// (Queries.CursorKey, derived from the master key), so a cursor works on
// any node; whoever holds the master key can open one, even after the
// person it follows was deleted (README: Known limits).

// cursor is the keyset position after the last row of a page.
type cursor struct {
	Sort  string `json:"s"`
	Value string `json:"v"`
	Then  string `json:"t,omitempty"` // the thenBy column's value
	ID    string `json:"i"`
}

// cursorSealer seals and opens cursors.
type cursorSealer struct {
	once sync.Once
	aead cipher.AEAD
	err  error
}

// sealer returns the queries' cursor sealer, made on first use from
// CursorKey (a random key of this process when it is unset: cursors then
// work on this node only).
func (q *Queries) sealer() (*cursorSealer, error) {
	s := &q.cursors
	s.once.Do(func() {
		key := q.CursorKey
		if len(key) == 0 {
			key = make([]byte, 32)
			rand.Read(key) //nolint:errcheck // never fails
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			s.err = err
			return
		}
		s.aead, s.err = cipher.NewGCM(block)
	})
	return s, s.err
}

// seal returns cur as an opaque, URL-safe string, good for the list of
// status in community only.
func (s *cursorSealer) seal(cur cursor, community, status string) string {
	plain, _ := json.Marshal(cur)
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce) //nolint:errcheck // never fails
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, cursorList(community, status)))
}

// cursorList binds a cursor to its list.
func cursorList(community, status string) []byte {
	return []byte("cursor\x00" + community + "\x00" + status)
}

// errBadCursor refuses a cursor that this service did not make for the list.
var errBadCursor = domain.FieldError("cursor", "is not a cursor of this list and sort")

// open returns the cursor sealed in raw for the list of status in community.
func (s *cursorSealer) open(raw, community, status string) (cursor, error) {
	var cur cursor
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	n := s.aead.NonceSize()
	if err != nil || len(sealed) < n {
		return cur, errBadCursor
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], cursorList(community, status))
	if err != nil || json.Unmarshal(plain, &cur) != nil {
		return cur, errBadCursor
	}
	return cur, nil
}
