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

// duplicateSide names, for the survivor's events of a merge, the member of
// each change (one that says which duplicate it is from) that holds the
// duplicate's value: what the survivor took, then what it gave back. That
// value is sealed under a key of the duplicate, so that deleting the
// duplicate after an unmerge erases it from the survivor's stream too; the
// survivor's own values stay under its key.
var duplicateSide = map[string]string{
	"DuplicatesAbsorbed": "new",
	"DuplicateReleased":  "old",
}

// ownedKey returns a key of another contact than the stream's.
type ownedKey func(contactID string) (contactKey, error)

// sealPayload returns data with its personal values sealed under key,
// bound to the stream (so a value cannot be moved to another contact). A
// duplicate's value in a merge's event is sealed under a key of the
// duplicate's (from owned), named in the value itself: "<key id>.<sealed>".
func sealPayload(data []byte, stream, eventType string, key contactKey, owned ownedKey) ([]byte, error) {
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(data, &payload); err != nil {
		return nil, fmt.Errorf("seal: payload is not a JSON object: %w", err)
	}
	seal := func(k contactKey, plain string) string {
		nonce := make([]byte, k.aead.NonceSize())
		rand.Read(nonce) //nolint:errcheck // never fails
		return base64.RawStdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, []byte(plain), []byte(stream+"\x00"+k.id)))
	}
	changed := false
	for member, fields := range sealedMembers {
		raw, ok := payload[member]
		if !ok {
			continue
		}
		out, n, err := transform(raw, fields, func(item map[string]json.RawMessage, field, plain string) (string, error) {
			var from string
			if field == duplicateSide[eventType] {
				json.Unmarshal(item["from"], &from) //nolint:errcheck // absent or not a string: not a duplicate's
			}
			if from == "" {
				return seal(key, plain), nil
			}
			k, err := owned(from)
			if err != nil {
				return "", err
			}
			return k.id + "." + seal(k, plain), nil
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

// ownKeyLen is the length of a key ID at the start of a value sealed under
// another contact's key ("<key id>.<sealed>").
const ownKeyLen = 36

// valueKey splits a sealed value into the ID of the key that sealed it
// ("" for the payload's key) and the sealed bytes.
func valueKey(sealed []byte) (string, []byte) {
	if len(sealed) > ownKeyLen && sealed[ownKeyLen] == '.' {
		return string(sealed[:ownKeyLen]), sealed[ownKeyLen+1:]
	}
	return "", sealed
}

// eachValue calls f with the bounds of each sealed value's string in data
// (between its quotes).
func eachValue(data []byte, f func(start, end int) error) error {
	for pos := 0; ; {
		at, pattern := -1, []byte(nil)
		for _, p := range valuePatterns {
			if i := bytes.Index(data[pos:], p); i >= 0 && (at < 0 || i < at) {
				at, pattern = i, p
			}
		}
		if at < 0 {
			return nil
		}
		start := pos + at + len(pattern)
		end := bytes.IndexByte(data[start:], '"')
		if end < 0 {
			return fmt.Errorf("malformed sealed payload")
		}
		if err := f(start, start+end); err != nil {
			return err
		}
		pos = start + end + 1
	}
}

// sealedKeys returns the IDs of every key that sealed something in data:
// the payload's and those named in its values.
func sealedKeys(data []byte) []string {
	main := sealedKey(data)
	if main == "" {
		return nil
	}
	ids := []string{main}
	eachValue(data, func(start, end int) error { //nolint:errcheck // a malformed payload fails when opened
		if id, _ := valueKey(data[start:end]); id != "" {
			ids = append(ids, id)
		}
		return nil
	})
	return ids
}

// openPayload returns data with its values opened with keys (by key ID),
// those whose key is gone (destroyed with its contact) erased (empty), and
// says whether any was; either way without the key member, so readers see
// the event's own shape.
func openPayload(data []byte, stream, keyID string, keys map[string]cipher.AEAD) ([]byte, bool, error) {
	k := bytes.Index(data, keyPattern)
	if k < 0 {
		return data, false, nil
	}
	// Without the key member: encoding/json sorts members, so values may
	// come before or after it.
	keyEnd := k + len(keyPattern) + len(keyID) + 1 // past its closing quote
	rest := make([]byte, 0, len(data))
	rest = append(append(rest, data[:k]...), data[keyEnd:]...)
	out := make([]byte, 0, len(data))
	erased, last := false, 0
	err := eachValue(rest, func(start, end int) error {
		out = append(out, rest[last:start-1]...)
		last = end + 1
		plain := ""
		if start < end {
			id, sealed := valueKey(rest[start:end])
			if id == "" {
				id = keyID
			}
			if aead, ok := keys[id]; ok {
				var err error
				if plain, err = openValue(aead, sealed, []byte(stream+"\x00"+id)); err != nil {
					return err
				}
			} else {
				erased = true
			}
		}
		quoted, _ := json.Marshal(plain)
		out = append(out, quoted...)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("open %s: %w", stream, err)
	}
	return append(out, rest[last:]...), erased, nil
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
func transform(raw json.RawMessage, fields []string, f func(item map[string]json.RawMessage, field, value string) (string, error)) (json.RawMessage, int, error) {
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
			out, err := f(item, field, value)
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
