package sealed

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// Personal data in a contact event's payload is the values: the "value" of
// each entry of "values", the "old" and "new" of each entry of "changes".
// Field names, IDs and statuses are not personal and stay readable, so the
// history of an erased contact still says what changed, not to what.
var sealedMembers = map[string][]string{
	"values":  {"value"},
	"changes": {"old", "new"},
}

// keyMember names, in a sealed payload, the key that sealed its values. A
// payload without it was written before sealing and is read as is.
const keyMember = "sealed_with"

// sealPayload returns data with its personal values sealed under key,
// bound to the stream (so a value cannot be moved to another contact).
func sealPayload(data []byte, stream string, key contactKey) ([]byte, error) {
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(data, &payload); err != nil {
		return nil, fmt.Errorf("seal: payload is not a JSON object: %w", err)
	}
	aad := []byte(stream + "\x00" + key.id)
	changed := false
	for member, fields := range sealedMembers {
		raw, ok := payload[member]
		if !ok {
			continue
		}
		out, n, err := transform(raw, fields, func(plain string) (string, error) {
			nonce := make([]byte, key.aead.NonceSize())
			rand.Read(nonce) //nolint:errcheck // never fails
			return base64.RawStdEncoding.EncodeToString(key.aead.Seal(nonce, nonce, []byte(plain), aad)), nil
		})
		if err != nil {
			return nil, fmt.Errorf("seal %s: %w", member, err)
		}
		if n > 0 {
			payload[member], changed = out, true
		}
	}
	if !changed {
		return data, nil
	}
	id, _ := json.Marshal(key.id)
	payload[keyMember] = id
	return json.Marshal(payload)
}

// The payloads this package seals are compact JSON written by
// encoding/json (sealPayload), so reading them back needs no JSON parser:
// the key's ID follows keyPattern, and each sealed value is the base64
// string after one of valuePatterns (base64 holds no quote or backslash,
// and a quote inside a field name or other string is escaped, so these
// patterns match nowhere else). Opening is on every read of the log, and
// this is several times faster than decoding and re-encoding the payload.
var (
	keyPattern    = []byte(`,"` + keyMember + `":"`)
	valuePatterns = [][]byte{[]byte(`"value":"`), []byte(`"old":"`), []byte(`"new":"`)}
)

// sealedKey returns the ID of the key that sealed data ("" when none did).
func sealedKey(data []byte) string {
	i := bytes.Index(data, keyPattern)
	if i < 0 {
		return ""
	}
	rest := data[i+len(keyPattern):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	return string(rest[:end])
}

// openPayload returns data with its values opened by aead, or, when aead is
// nil (the key was destroyed), with them erased (empty); either way without
// the key member, so readers see the event's own shape.
func openPayload(data []byte, stream, keyID string, aead cipher.AEAD) ([]byte, error) {
	k := bytes.Index(data, keyPattern)
	if k < 0 {
		return data, nil
	}
	// Without the key member: encoding/json sorts members, so values may
	// come before or after it.
	keyEnd := k + len(keyPattern) + len(keyID) + 1 // past its closing quote
	rest := make([]byte, 0, len(data))
	rest = append(append(rest, data[:k]...), data[keyEnd:]...)
	aad := []byte(stream + "\x00" + keyID)
	out := make([]byte, 0, len(data))
	for {
		at, pattern := -1, []byte(nil)
		for _, p := range valuePatterns {
			if i := bytes.Index(rest, p); i >= 0 && (at < 0 || i < at) {
				at, pattern = i, p
			}
		}
		if at < 0 {
			return append(out, rest...), nil
		}
		start := at + len(pattern)
		end := bytes.IndexByte(rest[start:], '"')
		if end < 0 {
			return nil, fmt.Errorf("open %s: malformed payload", stream)
		}
		out = append(out, rest[:start-1]...)
		sealed := rest[start : start+end]
		plain := ""
		if aead != nil && len(sealed) > 0 {
			var err error
			if plain, err = openValue(aead, sealed, aad); err != nil {
				return nil, fmt.Errorf("open %s: %w", stream, err)
			}
		}
		quoted, _ := json.Marshal(plain)
		out = append(out, quoted...)
		rest = rest[start+end+1:]
	}
}

func openValue(aead cipher.AEAD, sealed, aad []byte) (string, error) {
	b := make([]byte, base64.RawStdEncoding.DecodedLen(len(sealed)))
	n, err := base64.RawStdEncoding.Decode(b, sealed)
	if err != nil || n < aead.NonceSize() {
		return "", fmt.Errorf("sealed value is malformed")
	}
	b = b[:n]
	ns := aead.NonceSize()
	plain, err := aead.Open(b[ns:ns], b[:ns], b[ns:], aad)
	if err != nil {
		return "", fmt.Errorf("sealed value does not open: %w", err)
	}
	return string(plain), nil
}

// transform applies f to the non-empty string fields of each object of the
// JSON array raw, and counts them. Empty values stay empty: they hold no
// personal data, and an emptied field must still read as emptied.
func transform(raw json.RawMessage, fields []string, f func(string) (string, error)) (json.RawMessage, int, error) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, 0, err
	}
	n := 0
	for _, item := range items {
		for _, field := range fields {
			rawValue, ok := item[field]
			if !ok {
				continue
			}
			var value string
			if err := json.Unmarshal(rawValue, &value); err != nil {
				return nil, 0, fmt.Errorf("%s: %w", field, err)
			}
			if value == "" {
				continue
			}
			out, err := f(value)
			if err != nil {
				return nil, 0, err
			}
			item[field], _ = json.Marshal(out)
			n++
		}
	}
	out, err := json.Marshal(items)
	return out, n, err
}
