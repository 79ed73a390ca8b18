package esdbtest

import (
	"errors"
	"io"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
)

// Expected revisions, as the real server numbers them.
const (
	expectAny          int64 = -2
	expectNoStream     int64 = -1
	expectStreamExists int64 = -4
)

// decision is the outcome of the real server's commit check.
type decision int

const (
	decideWrite decision = iota
	decideIdempotent
	decideWrongVersion
)

// Append implements the Streams service: a header naming the stream and
// the expected revision, then the proposed events.
func (f *Server) Append(srv api.Streams_AppendServer) error {
	head, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := head.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "first append message must be the options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	expected := expectAny
	switch r := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		expected = int64(r.Revision)
	case *api.AppendReq_Options_NoStream:
		expected = expectNoStream
	case *api.AppendReq_Options_StreamExists:
		expected = expectStreamExists
	}
	var proposed []*record
	for {
		msg, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		p := msg.GetProposedMessage()
		if p == nil {
			return status.Error(codes.InvalidArgument, "expected a proposed message")
		}
		id, err := parseUUID(p.GetId())
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "event id: %v", err)
		}
		proposed = append(proposed, &record{
			id: id, eventType: p.GetMetadata()["type"], contentType: p.GetMetadata()["content-type"],
			data: p.GetData(), metadata: p.GetCustomMetadata(),
		})
	}

	f.store.mu.Lock()
	st := f.store.streams[stream]
	if st != nil && st.tombstoned {
		f.store.mu.Unlock()
		return streamDeleted(srv, stream)
	}
	current := st.last()
	d, lastRevision := f.store.check(stream, st, expected, proposed)
	var resp *api.AppendResp
	switch d {
	case decideWrite:
		f.store.write(stream, uint64(current+1), proposed)
		last := proposed[len(proposed)-1]
		resp = success(last.revision, &api.AppendResp_Position{CommitPosition: last.position, PreparePosition: last.position})
	case decideIdempotent:
		// As the real server: an idempotent write reports no position.
		resp = success(lastRevision, nil)
	default:
		resp = wrongExpectedVersion(expected, current)
	}
	f.store.mu.Unlock()
	return srv.SendAndClose(resp)
}

// check is the real server's commit check: whether the batch is written,
// is a retry of a batch already stored at the place it expects (success,
// no write), or conflicts. It returns the retried batch's last revision.
// mu is held.
func (s *store) check(stream string, st *streamState, expected int64, proposed []*record) (decision, uint64) {
	current := st.last()
	softDeleted := st != nil && st.deleted
	switch expected {
	case expectAny, expectStreamExists:
		if expected == expectStreamExists && (current < 0 || softDeleted) {
			return decideWrongVersion, 0
		}
		// The real server looks the first ID up in its cache of recent
		// event IDs: unknown, or in another stream, means a new write.
		first, ok := s.ids[proposed[0].id]
		if !ok || first.stream != stream {
			return decideWrite, 0
		}
		for i, p := range proposed {
			r, ok := s.ids[p.id]
			if !ok || r.stream != stream || r.revision != first.revision+uint64(i) {
				return decideWrongVersion, 0 // part of the batch is stored: corrupted idempotency
			}
		}
		return decideIdempotent, first.revision + uint64(len(proposed)) - 1
	}
	if expected == current || (expected == expectNoStream && softDeleted) {
		return decideWrite, 0
	}
	if expected > current || st == nil {
		return decideWrongVersion, 0
	}
	// The stream moved past the expected revision: a retry if the events
	// after it are this batch.
	next := uint64(expected + 1)
	for i, p := range proposed {
		k := next + uint64(i)
		if k > uint64(current) || st.records[k].id != p.id {
			return decideWrongVersion, 0
		}
	}
	return decideIdempotent, next + uint64(len(proposed)) - 1
}

// success is the answer to a write or a retry; pos is nil for a retry.
func success(revision uint64, pos *api.AppendResp_Position) *api.AppendResp {
	ok := &api.AppendResp_Success{CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: revision}}
	if pos == nil {
		ok.PositionOption = &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	} else {
		ok.PositionOption = &api.AppendResp_Success_Position{Position: pos}
	}
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: ok}}
}

// wrongExpectedVersion is the answer to a conflict.
func wrongExpectedVersion(expected, current int64) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
	}
	switch expected {
	case expectAny:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	case expectNoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expectStreamExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: uint64(expected)}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

func parseUUID(id *shared.UUID) (uuid.UUID, error) {
	if s := id.GetStructured(); s != nil {
		return esdb.ParseUUIDFromInt64(s.GetMostSignificantBits(), s.GetLeastSignificantBits())
	}
	return uuid.Parse(id.GetString_())
}

// streamDeleted answers as the real server does for a hard-deleted stream:
// an error whose trailers name the exception and the stream.
func streamDeleted(srv interface{ SetTrailer(metadata.MD) }, stream string) error {
	srv.SetTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
	return status.Errorf(codes.FailedPrecondition, "stream %q is deleted", stream)
}
