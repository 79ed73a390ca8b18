package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// eventsReadPage is how many events of the whole log one read takes;
	// other communities' events are skipped in the same pass.
	eventsReadPage = 2000
)

// defaultHeartbeat is how often a followed stream without events says it
// is still alive.
const defaultHeartbeat = 15 * time.Second

// eventJSON is one line of the NDJSON event stream. Data is the event's
// payload in its current schema (older versions are upcast on read).
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
// is reached, else the last event read.
func (s *Server) readEvents(ctx context.Context, req eventsRequest, w *ndjsonWriter) (domain.Position, error) {
	from := req.from
	for {
		page, err := s.Services.Handler.Store.ReadAll(ctx, from, eventsReadPage)
		if err != nil {
			return from, err
		}
		if len(page) == 0 {
			return from, w.flush()
		}
		if err := w.send(req, page); err != nil {
			return w.last, err
		}
		from = page[len(page)-1].Position
	}
}

// followEvents sends the events after req.from, then new ones as they come,
// until the client leaves, the server shuts down or req.limit is reached.
func (s *Server) followEvents(ctx context.Context, req eventsRequest, w *ndjsonWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []domain.RecordedEvent)
	subscription := make(chan error, 1)
	go func() {
		subscription <- s.Services.Handler.Store.Subscribe(ctx, req.from, func(ctx context.Context, events []domain.RecordedEvent) error {
			select {
			case batches <- events:
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
		case events := <-batches:
			if err := w.send(req, events); err != nil {
				return err
			}
			scanned = events[len(events)-1].Position
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

// send writes the events of page that belong to the request's community
// and types, up to its limit (then errLimitReached).
func (w *ndjsonWriter) send(req eventsRequest, page []domain.RecordedEvent) error {
	for _, r := range page {
		line, ok, err := eventLine(req, r)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		w.buf = appendEventLine(w.buf[:0], line)
		w.deadline()
		if _, err := w.c.Writer.Write(w.buf); err != nil {
			return err
		}
		w.sent++
		w.last = r.Position
		if req.limit > 0 && w.sent >= req.limit {
			w.flush() //nolint:errcheck // the stream ends here anyway
			return errLimitReached
		}
	}
	return nil
}

// eventLine turns a recorded event into its line, or says it is not one
// for this request: another community's, an internal key reservation, or
// a type not asked for.
func eventLine(req eventsRequest, r domain.RecordedEvent) (eventJSON, bool, error) {
	// Key reservations are the store's bookkeeping for unique emails and
	// external IDs: no fact about contacts an analyst would count.
	if strings.HasPrefix(r.Stream, domain.KeyStreamPrefix) {
		return eventJSON{}, false, nil
	}
	if len(req.types) > 0 && !slices.Contains(req.types, r.Type) {
		return eventJSON{}, false, nil
	}
	var meta domain.Metadata
	if err := json.Unmarshal(r.Metadata, &meta); err != nil {
		return eventJSON{}, false, fmt.Errorf("event %s@%d: metadata: %w", r.Stream, r.Version, err)
	}
	if meta.CommunityID != req.communityID {
		return eventJSON{}, false, nil
	}
	data := json.RawMessage(r.Data)
	if meta.Schema != domain.SchemaVersion(r.Type) {
		// An older shape: upcast it (Decode does) and send the current one.
		e, _, err := domain.Decode(r)
		if err != nil {
			return eventJSON{}, false, err
		}
		if data, err = json.Marshal(e); err != nil {
			return eventJSON{}, false, err
		}
	}
	return eventJSON{
		Position: r.Position.String(), Stream: r.Stream, Version: r.Version, Type: r.Type,
		Schema: domain.SchemaVersion(r.Type), Time: meta.Time.UTC(), Actor: meta.Actor, Command: meta.Command,
		CorrelationID: meta.CorrelationID, CausationID: meta.CausationID, Data: data, Erased: r.Erased,
	}, true, nil
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
