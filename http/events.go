package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// The event stream's page sizes.
const (
	defaultEventsLimit = 1000
	maxEventsLimit     = 10000
)

// defaultHeartbeat is how often a followed stream without events says it
// is still alive.
const defaultHeartbeat = 15 * time.Second

// eventJSON is one line of the NDJSON event stream (domain.FeedEvent).
type eventJSON struct {
	Position      string          `json:"position"`
	Stream        string          `json:"stream"`
	Version       int64           `json:"version"`
	Type          string          `json:"type"`
	Schema        int             `json:"schema"`
	Time          time.Time       `json:"time"`
	Actor         string          `json:"actor"`
	Command       string          `json:"command"`
	CorrelationID string          `json:"correlation_id"`
	CausationID   string          `json:"causation_id"`
	Data          json.RawMessage `json:"data"`
	// Erased is true when the event's personal values were erased with
	// its contact: they read as empty.
	Erased bool `json:"erased"`
}

// heartbeatJSON is the line a followed stream sends when it has had no
// event to send for a while. Position is how far the server has read the
// log for this consumer: resuming from it skips nothing of the community.
type heartbeatJSON struct {
	Heartbeat bool      `json:"heartbeat"`
	Position  string    `json:"position"`
	Time      time.Time `json:"time"`
}

// eventsRequest is a parsed GET /v1/events.
type eventsRequest struct {
	communityID string
	from        domain.Position
	limit       int // 0: no limit (follow without limit=)
	types       []string
	follow      bool
}

// query is what the request asks of the feed.
func (r eventsRequest) query() domain.FeedQuery {
	return domain.FeedQuery{CommunityID: r.communityID, From: r.from, Types: r.types}
}

func parseEventsRequest(c *gin.Context) (eventsRequest, error) {
	r := eventsRequest{communityID: keyOf(c).CommunityID}
	if raw := c.Query("from"); raw != "" {
		pos, err := domain.ParsePosition(raw)
		if err != nil {
			return r, domain.FieldError("from", "%s", domain.ErrorMessage(err))
		}
		r.from = pos
	}
	switch c.Query("follow") {
	case "", "false":
	case "true":
		r.follow = true
	default:
		return r, domain.FieldError("follow", "must be true or false")
	}
	def := defaultEventsLimit
	if r.follow {
		def = 0
	}
	if c.Query("limit") != "" || !r.follow {
		limit, err := parseLimit(c.Query("limit"), def, maxEventsLimit)
		if err != nil {
			return r, err
		}
		r.limit = limit
	}
	for _, t := range strings.Split(c.Query("type"), ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !slices.Contains(domain.EventTypes, t) {
			return r, domain.FieldError("type", "%q is not an event type; the types are %s", t, strings.Join(domain.EventTypes, ", "))
		}
		r.types = append(r.types, t)
	}
	return r, nil
}

// handleEvents answers GET /v1/events: the community's events in log order
// after from, as NDJSON; with follow=true the response stays open and
// streams new events as they are appended, with heartbeats.
func (s *Server) handleEvents(c *gin.Context) {
	req, err := parseEventsRequest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Type", "application/x-ndjson")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	w := &ndjsonWriter{c: c, enc: json.NewEncoder(c.Writer)}
	// The write deadlines set while streaming stay on the connection:
	// clear them, or the next request on it would fail once they pass.
	defer http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{}) //nolint:errcheck // see deadline
	if req.follow {
		err = s.followEvents(c.Request.Context(), req, w)
	} else {
		// The trailer gives the position to resume from, even when the
		// community's last event is far behind: what follows it (other
		// communities' events, key reservations, types not asked for)
		// need not be read again.
		c.Writer.Header().Set("Trailer", nextFromTrailer)
		var next domain.Position
		next, err = s.readEvents(c.Request.Context(), req, w)
		if err == nil || errors.Is(err, errLimitReached) {
			c.Writer.Header().Set(nextFromTrailer, next.String())
		}
	}
	if err != nil && !errors.Is(err, errLimitReached) && c.Request.Context().Err() == nil {
		// The status line is sent: say so in the stream, as its last line.
		s.Logger.Error("event stream failed", "err", err)
		w.write(gin.H{"error": domain.ErrorMessage(err)}) //nolint:errcheck // the stream ends anyway
	}
}

// errLimitReached ends a stream that sent the events it was asked for.
var errLimitReached = errors.New("limit reached")

// nextFromTrailer is the HTTP trailer of a stream without follow: the
// position to pass as from= next time.
const nextFromTrailer = "Next-From"

// readEvents sends up to req.limit events after req.from and ends. It
// returns the position to resume from: the last event sent when the limit
// is reached, else how far the log was read.
func (s *Server) readEvents(ctx context.Context, req eventsRequest, w *ndjsonWriter) (domain.Position, error) {
	next := req.from
	err := s.Services.Events.Read(ctx, req.query(), func(events []domain.FeedEvent, scanned domain.Position) error {
		if err := w.send(req, events); err != nil {
			return err
		}
		next = scanned
		return nil
	})
	if err != nil {
		return w.last, err
	}
	return next, w.flush()
}

// feedBatch is what the feed sends a followed stream.
type feedBatch struct {
	events  []domain.FeedEvent
	scanned domain.Position
}

// followEvents sends the events after req.from, then new ones as they come,
// until the client leaves, the server shuts down or req.limit is reached.
func (s *Server) followEvents(ctx context.Context, req eventsRequest, w *ndjsonWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan feedBatch)
	subscription := make(chan error, 1)
	go func() {
		subscription <- s.Services.Events.Follow(ctx, req.query(), func(events []domain.FeedEvent, scanned domain.Position) error {
			select {
			case batches <- feedBatch{events, scanned}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	heartbeat := time.NewTicker(s.heartbeat())
	defer heartbeat.Stop()
	scanned := req.from
	if err := w.flush(); err != nil {
		return err
	}
	for {
		select {
		case b := <-batches:
			if err := w.send(req, b.events); err != nil {
				return err
			}
			scanned = b.scanned
			if err := w.flush(); err != nil {
				return err
			}
		case <-heartbeat.C:
			if err := w.write(heartbeatJSON{Heartbeat: true, Position: scanned.String(), Time: time.Now().UTC()}); err != nil {
				return err
			}
			if err := w.flush(); err != nil {
				return err
			}
		case err := <-subscription:
			return err
		case <-s.closing:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

func (s *Server) heartbeat() time.Duration {
	if s.Services.Heartbeat > 0 {
		return s.Services.Heartbeat
	}
	return defaultHeartbeat
}

// ndjsonWriter writes a stream's lines and counts the events sent.
type ndjsonWriter struct {
	c    *gin.Context
	enc  *json.Encoder
	buf  []byte // the line being written
	sent int
	last domain.Position // of the last event sent
}

// send writes events, up to the request's limit (then errLimitReached).
func (w *ndjsonWriter) send(req eventsRequest, events []domain.FeedEvent) error {
	for _, e := range events {
		w.buf = appendEventLine(w.buf[:0], eventJSON{
			Position: e.Position.String(), Stream: e.Stream, Version: e.Version, Type: e.Type,
			Schema: e.Schema, Time: e.Time, Actor: e.Actor, Command: e.Command,
			CorrelationID: e.CorrelationID, CausationID: e.CausationID, Data: e.Data, Erased: e.Erased,
		})
		w.deadline()
		if _, err := w.c.Writer.Write(w.buf); err != nil {
			return err
		}
		w.sent++
		w.last = e.Position
		if req.limit > 0 && w.sent >= req.limit {
			w.flush() //nolint:errcheck // the stream ends here anyway
			return errLimitReached
		}
	}
	return nil
}

func (w *ndjsonWriter) write(v any) error {
	w.deadline()
	return w.enc.Encode(v)
}

// writeTimeout bounds one write of a stream: a client that stops reading
// is let go, rather than hold the handler (and a shutdown) for ever.
const writeTimeout = 30 * time.Second

func (w *ndjsonWriter) deadline() {
	http.NewResponseController(w.c.Writer).SetWriteDeadline(time.Now().Add(writeTimeout)) //nolint:errcheck // unsupported in tests' recorders: no deadline then
}

func (w *ndjsonWriter) flush() error {
	w.deadline()
	return http.NewResponseController(w.c.Writer).Flush()
}
