package http

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The hand-written line says exactly what encoding/json writes.
func TestEventLineMatchesEncodingJSON(t *testing.T) {
	for _, e := range []eventJSON{
		{Position: "12-3", Stream: "contact-x", Version: 7, Type: "ContactUpdated", Schema: 1,
			Time: time.Date(2026, 11, 26, 1, 2, 3, 450000000, time.UTC), Actor: "key:abc", Command: "UpdateContact",
			CorrelationID: "req-1", CausationID: "", Data: json.RawMessage(`{"changes":[{"field":"first_name","old":"Zoë","new":"<b>"}]}`), Erased: true},
		{Actor: "import:1 \"quoted\" é <&>\n", Data: json.RawMessage(`{}`)},
	} {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		line := appendEventLine(nil, e)
		var got, wanted any
		if len(line) == 0 || line[len(line)-1] != '\n' || json.Unmarshal(line, &got) != nil {
			t.Fatalf("not one JSON line: %q", line)
		}
		json.Unmarshal(want, &wanted) //nolint:errcheck // just encoded
		// Equal as JSON (encoding/json also escapes <, > and & in data,
		// which the line copies as stored: both are valid JSON).
		if !reflect.DeepEqual(got, wanted) {
			t.Errorf("line\n got %s\nwant %s", line, want)
		}
	}
}
