package esdbtest

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
)

// Read implements the Streams service: a read of one stream or of $all
// with a count, or a subscription (see subscribe.go).
func (f *Server) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	opts := req.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "no read options")
	}
	filter, err := newFilter(opts.GetFilter())
	if err != nil {
		return err
	}
	r := reader{srv: srv, structured: opts.GetUuidOption().GetStructured() != nil, filter: filter}
	if opts.GetSubscription() != nil {
		return f.subscribe(r, opts)
	}
	count := opts.GetCount()
	backwards := opts.GetReadDirection() == api.ReadReq_Options_Backwards
	if all := opts.GetAll(); all != nil {
		return r.sendAll(f.store.readAll(all, backwards, count))
	}
	stream := string(opts.GetStream().GetStreamIdentifier().GetStreamName())
	records, found, tombstoned := f.store.readStream(opts.GetStream(), backwards, count)
	switch {
	case tombstoned:
		return streamDeleted(srv, stream)
	case !found:
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(stream)}}}})
	}
	return r.sendAll(records)
}

// readStream returns up to count records of a stream from a revision, and
// whether the stream is found (it has readable events) or hard-deleted.
func (s *store) readStream(opts *api.ReadReq_Options_StreamOptions, backwards bool, count uint64) (_ []*record, found, tombstoned bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[string(opts.GetStreamIdentifier().GetStreamName())]
	if st == nil {
		return nil, false, false
	}
	if st.tombstoned {
		return nil, true, true
	}
	visible := st.visible()
	if len(visible) == 0 {
		return nil, false, false
	}
	var out []*record
	if backwards {
		from := uint64(st.last())
		switch r := opts.GetRevisionOption().(type) {
		case *api.ReadReq_Options_StreamOptions_Revision:
			from = r.Revision
		case *api.ReadReq_Options_StreamOptions_Start:
			from = 0
		}
		for i := len(visible) - 1; i >= 0 && uint64(len(out)) < count; i-- {
			if visible[i].revision <= from {
				out = append(out, visible[i])
			}
		}
		return out, true, false
	}
	from := uint64(0)
	switch r := opts.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		from = r.Revision
	case *api.ReadReq_Options_StreamOptions_End:
		from = uint64(st.last()) + 1
	}
	for _, rec := range visible {
		if uint64(len(out)) == count {
			break
		}
		if rec.revision >= from {
			out = append(out, rec)
		}
	}
	return out, true, false
}

// readAll returns up to count records of $all: forwards from a position
// inclusive, backwards from before it, as the real server.
func (s *store) readAll(opts *api.ReadReq_Options_AllOptions, backwards bool, count uint64) []*record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*record
	if backwards {
		before := uint64(1<<64 - 1)
		if p := opts.GetPosition(); p != nil {
			before = p.GetCommitPosition()
		}
		for i := len(s.log) - 1; i >= 0 && uint64(len(out)) < count; i-- {
			if s.log[i].position < before {
				out = append(out, s.log[i])
			}
		}
		return out
	}
	var from uint64
	switch {
	case opts.GetPosition() != nil:
		from = opts.GetPosition().GetCommitPosition()
	case opts.GetEnd() != nil:
		return nil
	}
	for _, r := range s.log[s.firstAt(from):] {
		if uint64(len(out)) == count {
			break
		}
		out = append(out, r)
	}
	return out
}

// firstAt returns the index of the first record at or after position p;
// mu is held.
func (s *store) firstAt(p uint64) int {
	i := int((p + positionStep - 1) / positionStep) // positions are (index+1)*positionStep
	return min(max(i-1, 0), len(s.log))
}

// reader sends records to a client.
type reader struct {
	srv        api.Streams_ReadServer
	structured bool // the client wants UUIDs as two integers
	filter     *filter
}

func (r reader) sendAll(records []*record) error {
	for _, rec := range records {
		if !r.filter.match(rec) {
			continue
		}
		if err := r.send(rec); err != nil {
			return err
		}
	}
	return nil
}

// send sends one event with the system metadata the client requires: it
// calls log.Fatalf on an event without "created".
func (r reader) send(rec *record) error {
	id := &shared.UUID{Value: &shared.UUID_String_{String_: rec.id.String()}}
	if r.structured {
		most, least := esdb.UUIDAsInt64(rec.id)
		id = &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: most, LeastSignificantBits: least}}}
	}
	return r.srv.Send(&api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               id,
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(rec.stream)},
			StreamRevision:   rec.revision,
			PreparePosition:  rec.position,
			CommitPosition:   rec.position,
			Metadata: map[string]string{
				"type":         rec.eventType,
				"content-type": rec.contentType,
				"created":      strconv.FormatInt(rec.created, 10),
			},
			CustomMetadata: rec.metadata,
			Data:           rec.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: rec.position},
	}}})
}

// filter is a server-side filter on stream names or event types, by
// prefixes or a regular expression; nil matches everything.
type filter struct {
	onType   bool
	prefixes []string
	regex    *regexp.Regexp
}

func newFilter(opts *api.ReadReq_Options_FilterOptions) (*filter, error) {
	if opts == nil {
		return nil, nil
	}
	f := &filter{}
	expr := opts.GetStreamIdentifier()
	if expr == nil {
		f.onType, expr = true, opts.GetEventType()
	}
	f.prefixes = expr.GetPrefix()
	if r := expr.GetRegex(); r != "" {
		re, err := regexp.Compile(r)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter regex: %v", err)
		}
		f.regex = re
	}
	return f, nil
}

func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	s := r.stream
	if f.onType {
		s = r.eventType
	}
	if f.regex != nil && !f.regex.MatchString(s) {
		return false
	}
	if len(f.prefixes) == 0 {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
