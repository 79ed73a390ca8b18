package esdbtest

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// Delete soft-deletes a stream, as the real server: it writes a $metadata
// event (truncate before the next revision) to the stream's metadata
// stream "$$<stream>"; reads then answer "not found" and the next append
// continues the revisions.
func (f *Server) Delete(ctx context.Context, req *api.DeleteReq) (*api.DeleteResp, error) {
	opts := req.GetOptions()
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	expected := expectAny
	switch r := opts.GetExpectedStreamRevision().(type) {
	case *api.DeleteReq_Options_Revision:
		expected = int64(r.Revision)
	case *api.DeleteReq_Options_NoStream:
		expected = expectNoStream
	case *api.DeleteReq_Options_StreamExists:
		expected = expectStreamExists
	}
	s := f.store
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[stream]
	if err := s.deletable(ctx, stream, st, expected); err != nil {
		return nil, err
	}
	truncate := uint64(st.last() + 1)
	meta := &record{id: uuid.New(), eventType: "$metadata", contentType: "application/json",
		data: fmt.Appendf(nil, `{"$tb":%d}`, truncate), metadata: []byte{}}
	metaStream := "$$" + stream
	s.write(metaStream, uint64(s.streams[metaStream].last()+1), []*record{meta})
	st.visibleAt, st.deleted = truncate, true
	return &api.DeleteResp{PositionOption: &api.DeleteResp_Position_{Position: &api.DeleteResp_Position{
		CommitPosition: meta.position, PreparePosition: meta.position}}}, nil
}

// Tombstone hard-deletes a stream, as the real server: a $streamDeleted
// event at the last possible revision; the stream can never be read or
// written again.
func (f *Server) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	opts := req.GetOptions()
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	expected := expectAny
	switch r := opts.GetExpectedStreamRevision().(type) {
	case *api.TombstoneReq_Options_Revision:
		expected = int64(r.Revision)
	case *api.TombstoneReq_Options_NoStream:
		expected = expectNoStream
	case *api.TombstoneReq_Options_StreamExists:
		expected = expectStreamExists
	}
	s := f.store
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[stream]
	if err := s.deletable(ctx, stream, st, expected); err != nil {
		return nil, err
	}
	mark := &record{id: uuid.New(), eventType: "$streamDeleted", contentType: "application/octet-stream", data: []byte{}, metadata: []byte{}}
	records := st.records
	s.write(stream, tombstoneRevision, []*record{mark})
	st.records = records // the marker is in $all, not among the stream's readable events
	st.tombstoned = true
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{
		CommitPosition: mark.position, PreparePosition: mark.position}}}, nil
}

// deletable checks a delete's expected revision; mu is held.
func (s *store) deletable(ctx context.Context, stream string, st *streamState, expected int64) error {
	if st != nil && st.tombstoned {
		grpc.SetTrailer(ctx, metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
		return status.Errorf(codes.FailedPrecondition, "stream %q is deleted", stream)
	}
	current := st.last()
	ok := expected == expectAny ||
		(expected == expectStreamExists && current >= 0) ||
		expected == current
	if !ok {
		grpc.SetTrailer(ctx, metadata.Pairs("exception", "wrong-expected-version"))
		return status.Errorf(codes.FailedPrecondition, "wrong expected version: expected %d, current %d", expected, current)
	}
	if st == nil {
		return status.Errorf(codes.NotFound, "stream %q not found", stream)
	}
	return nil
}
