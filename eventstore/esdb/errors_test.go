package esdb

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/assoc/contacts/domain"
)

// The client reports a conflict's current revision only in its message;
// the store turns it into the port's version (revision + 1).
func TestActualVersion(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want int64
		ok   bool
	}{
		{"wrong expected version: expecting '1' but got '3'", 4, true},
		{"wrong expected version: expecting 'no_stream' but got '0'", 1, true},
		{"wrong expected version: expecting 'stream_exists' but got 'no_stream'", 0, true},
		{"[ErrorCodeWrongExpectedVersion] an append request failed: wrong expected version: expecting 'any' but got '41'", 42, true},
		{"wrong expected version", 0, false},
		{"expecting '1' but got 'x'", 0, false},
	} {
		got, ok := actualVersion(errors.New(tc.msg))
		if got != tc.want || ok != tc.ok {
			t.Errorf("actualVersion(%q) = %d, %v; want %d, %v", tc.msg, got, ok, tc.want, tc.ok)
		}
	}
}

func TestClientErrorKeepsCtxErr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := clientError(ctx, "read", fmt.Errorf("transport closing"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("clientError after cancel = %v, want it to wrap context.Canceled", err)
	}
	if err := clientError(context.Background(), "read", errors.New("boom")); domain.ErrorCode(err) != domain.EINTERNAL {
		t.Errorf("clientError of an unknown error = %v (%s), want EINTERNAL", err, domain.ErrorCode(err))
	}
}
