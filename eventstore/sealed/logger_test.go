package sealed_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/sealed"
)

// unreadable is a store whose streams cannot be read back.
type unreadable struct{ domain.EventStore }

func (unreadable) ReadStream(context.Context, string, domain.Direction, int64, int) ([]domain.RecordedEvent, error) {
	return nil, errors.New("read refused")
}

// A deletion whose erasure fails still succeeds, and says so in the
// store's own log, never the process's default logger.
func TestErasureLeftToTheProjectorIsLogged(t *testing.T) {
	f := setup(t)
	keys, err := sealed.NewKeyring(t.Context(), f.pool, f.master)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	store := sealed.New(unreadable{f.inner}, keys, sealed.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	id := domain.NewID()
	events := []domain.EventData{registered(id, domain.Value{Field: "email", Value: "zoe@example.org"}), deleted(id)}
	if _, err := store.Append(t.Context(), domain.ContactStream(id), domain.NoStream, events); err != nil {
		t.Fatalf("the deletion failed: %v", err)
	}
	if !strings.Contains(logs.String(), "left to the erasure projector") || !strings.Contains(logs.String(), id) {
		t.Errorf("logged %q, want the erasure left to the projector, for %s", logs.String(), id)
	}
}
