package postgres

import (
	"bytes"
	"encoding/json"
)

// communityOf is the community an event belongs to, for the log's
// community column (migration 0018): its metadata's "community_id" when
// that is a well-formed UUID, else nil (NULL) — the rule 0016 computed in
// the database, where parsing every event's JSON inside the insert cost
// batch appends about a third of their throughput.
//
// The domain writes compact JSON (encoding/json), so the key is found by
// its bytes; metadata written otherwise is decoded.
func communityOf(metadata []byte) *[16]byte {
	const key = `"community_id":"`
	i := bytes.Index(metadata, []byte(key))
	if i > 0 && (metadata[i-1] == '{' || metadata[i-1] == ',') && bytes.Count(metadata, []byte(`"community_id"`)) == 1 {
		value := metadata[i+len(key):]
		if end := bytes.IndexByte(value, '"'); end == 36 {
			return parseUUID(value[:36])
		}
		return nil
	}
	var m struct {
		CommunityID json.RawMessage `json:"community_id"`
	}
	var s string
	if json.Unmarshal(metadata, &m) != nil || json.Unmarshal(m.CommunityID, &s) != nil || len(s) != 36 {
		return nil
	}
	return parseUUID([]byte(s))
}

// uuidHexAt are the offsets of the 16 hex pairs of a UUID's 36-character
// form (hyphens at 8, 13, 18 and 23).
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// parseUUID reads a UUID in its 36-character form (hex digits of either
// case), or returns nil.
func parseUUID(s []byte) *[16]byte {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return nil
	}
	var id [16]byte
	for n, at := range uuidHexAt {
		hi, ok1 := hexValue(s[at])
		lo, ok2 := hexValue(s[at+1])
		if !ok1 || !ok2 {
			return nil
		}
		id[n] = hi<<4 | lo
	}
	return &id
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
