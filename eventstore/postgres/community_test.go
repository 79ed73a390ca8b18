package postgres

import (
	"testing"

	"github.com/google/uuid"
)

// communityOf keeps the rule migration 0016 computed in the database: the
// metadata's community_id when a well-formed UUID, else NULL.
func TestCommunityOf(t *testing.T) {
	id := "0195b5a2-7c1e-7abc-8def-0123456789AB"
	for _, tc := range []struct {
		metadata string
		want     string // "" for NULL
	}{
		{`{"community_id":"` + id + `","actor":"a"}`, id},
		{`{"actor":"a","community_id":"` + id + `"}`, id},
		{`{"actor": "a", "community_id": "` + id + `"}`, id}, // not compact: decoded
		{`{"actor":"\"community_id\":\"` + id + `\""}`, ""},  // only inside a string
		{`{"community_id":"x","community_id":"` + id + `"}`, id},
		{`{"community_id":"` + id[:35] + `"}`, ""},
		{`{"community_id":"` + id + `0"}`, ""},
		{`{"community_id":"0195b5a2x7c1e-7abc-8def-0123456789a"}`, ""},
		{`{"community_id":"0195b5a2-7c1e-7abc-8def-0123456789ag"}`, ""},
		{`{"community_id":42}`, ""},
		{`{}`, ""},
		{`not json`, ""},
	} {
		got := communityOf([]byte(tc.metadata))
		switch {
		case tc.want == "" && got != nil:
			t.Errorf("%s: %x, want NULL", tc.metadata, *got)
		case tc.want != "" && (got == nil || uuid.UUID(*got) != uuid.MustParse(tc.want)):
			t.Errorf("%s: %v, want %s", tc.metadata, got, tc.want)
		}
	}
}
