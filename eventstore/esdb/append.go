package esdb

import (
	"context"
	"errors"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
)

// Append implements domain.EventStore.
//
// Idempotency is the server's: the port's event IDs become the server's, so
// a batch sent again at the same place (same expected version, or NoStream,
// or Any while the server still remembers the IDs) is answered as written
// without writing. A batch whose IDs are stored elsewhere is not detected:
// EventStoreDB keeps no index of event IDs (see the README).
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	if len(events) == 0 {
		return domain.AppendResult{}, domain.Errorf(domain.EINVALID, "append to %s: no events", stream)
	}
	proposed := make([]esdb.EventData, len(events))
	for i, e := range events {
		id, err := uuid.Parse(e.ID)
		if err != nil {
			return domain.AppendResult{}, domain.Errorf(domain.EINVALID, "append to %s: event ID %q: %v", stream, e.ID, err)
		}
		metadata := e.Metadata
		if metadata == nil {
			metadata = []byte("{}") // as the PostgreSQL backend: metadata is always a JSON object
		}
		proposed[i] = esdb.EventData{EventID: id, EventType: e.Type, ContentType: esdb.ContentTypeJson, Data: e.Data, Metadata: metadata}
	}
	opts := esdb.AppendToStreamOptions{ExpectedRevision: expectedRevision(expected)}
	res, err := s.client.AppendToStream(ctx, s.serverName(stream), opts, proposed...)
	if err != nil {
		var e *esdb.Error
		if errors.As(err, &e) && e.Code() == esdb.ErrorCodeWrongExpectedVersion {
			actual, ok := actualVersion(err)
			if !ok {
				actual = s.version(ctx, stream)
			}
			return domain.AppendResult{}, &domain.WrongExpectedVersionError{Stream: stream, Expected: expected, Actual: actual}
		}
		return domain.AppendResult{}, clientError(ctx, "append to "+stream, err)
	}
	result := domain.AppendResult{
		Version:  int64(res.NextExpectedVersion) + 1,
		Position: domain.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition},
	}
	if result.Position.IsStart() {
		// The server answers an idempotent retry without a position: the
		// batch's last event has it.
		last, err := s.ReadStream(ctx, stream, domain.Forwards, result.Version, 1)
		if err != nil {
			return domain.AppendResult{}, err
		}
		if len(last) != 1 || last[0].ID != events[len(events)-1].ID {
			return domain.AppendResult{}, domain.Errorf(domain.EINTERNAL, "append to %s: the server took the batch as a retry, but version %d is not its last event", stream, result.Version)
		}
		result.Position = last[0].Position
	}
	return result, nil
}

// expectedRevision maps an expected version to the server's: version v is
// revision v-1.
func expectedRevision(e domain.ExpectedVersion) esdb.ExpectedRevision {
	v, exact := e.ExactVersion()
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	case exact:
		return esdb.Revision(uint64(v - 1))
	}
	return esdb.Any{}
}

// version returns stream's version as read now, 0 when it cannot tell; it
// only fills in a conflict's Actual when the server's message lacks it.
func (s *Store) version(ctx context.Context, stream string) int64 {
	last, err := s.ReadStream(ctx, stream, domain.Backwards, 0, 1)
	if err != nil || len(last) == 0 {
		return 0
	}
	return last[0].Version
}
