package http_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
	chttp "github.com/assoc/contacts/http"
)

// failingFeed sends the first batch of its feed, then fails: the stream's
// status line is sent by then.
type failingFeed struct{ domain.EventFeed }

var errFeedBroke = errors.New("the log could not be read")

func (f failingFeed) Read(ctx context.Context, q domain.FeedQuery, send func([]domain.FeedEvent, domain.Position) error) error {
	err := f.EventFeed.Read(ctx, q, func(events []domain.FeedEvent, scanned domain.Position) error {
		if err := send(events, scanned); err != nil {
			return err
		}
		return errFeedBroke
	})
	return err
}

// A stream that fails once its status is sent ends with an error line,
// which the document's line schema describes (the answer's check reads it).
func TestEventsStreamEndsWithErrorLine(t *testing.T) {
	t.Parallel()
	s := newStack(t, func(srv *chttp.Server) { srv.Services.Events = failingFeed{srv.Services.Events} })
	s.register(t, map[string]any{"first_name": "Ada"})
	r := s.do(t, "GET", "/v1/events", s.admin, nil)
	r.want(t, http.StatusOK)
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	if last := lines[len(lines)-1]; len(lines) < 2 || !strings.HasPrefix(last, `{"error":`) {
		t.Fatalf("the stream does not end with an error line after its events:\n%s", r.body)
	}
	if next := r.trailer.Get("Next-From"); next != "" {
		t.Errorf("a failed stream sent Next-From %q", next)
	}
}
