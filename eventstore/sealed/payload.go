package sealed

import (
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

// sealedKey returns the ID of the key that sealed data ("" when none did).
func sealedKey(data []byte) string {
	var probe struct {
		Key string `json:"sealed_with"`
	}
	json.Unmarshal(data, &probe) //nolint:errcheck // not an object: not sealed
	return probe.Key
}

// openPayload returns data with its values opened by aead, or, when aead is
// nil (the key was destroyed), with them erased (empty); either way without
// the key member, so readers see the event's own shape.
func openPayload(data []byte, stream, keyID string, aead cipher.AEAD) ([]byte, error) {
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(data, &payload); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	aad := []byte(stream + "\x00" + keyID)
	for member, fields := range sealedMembers {
		raw, ok := payload[member]
		if !ok {
			continue
		}
		out, _, err := transform(raw, fields, func(sealed string) (string, error) {
			if aead == nil {
				return "", nil
			}
			b, err := base64.RawStdEncoding.DecodeString(sealed)
			if err != nil || len(b) < aead.NonceSize() {
				return "", fmt.Errorf("sealed value is malformed")
			}
			n := aead.NonceSize()
			plain, err := aead.Open(nil, b[:n], b[n:], aad)
			if err != nil {
				return "", fmt.Errorf("sealed value does not open: %w", err)
			}
			return string(plain), nil
		})
		if err != nil {
			return nil, fmt.Errorf("open %s of %s: %w", member, stream, err)
		}
		payload[member] = out
	}
	delete(payload, keyMember)
	return json.Marshal(payload)
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
