package esdbtest

import (
	"math"
	"sync"
	"time"

	"github.com/google/uuid"
)

// record is one event of the fake's log.
type record struct {
	stream      string
	revision    uint64
	id          uuid.UUID
	eventType   string
	contentType string
	data        []byte
	metadata    []byte // the user's (custom) metadata
	created     int64  // .NET ticks (100 ns) since the Unix epoch, as the server sets it
	position    uint64 // commit and prepare position alike
}

// streamState is what the fake knows of one stream.
type streamState struct {
	records    []*record
	visibleAt  uint64 // first readable revision; raised by a soft delete
	deleted    bool   // soft-deleted: reads answer "not found" until the next append
	tombstoned bool   // hard-deleted: never readable or writable again
}

// last returns the stream's current revision, -1 when it has no event.
func (s *streamState) last() int64 {
	if s == nil || len(s.records) == 0 {
		return -1
	}
	return int64(s.records[len(s.records)-1].revision)
}

// visible returns the readable records of the stream.
func (s *streamState) visible() []*record {
	out := s.records
	for len(out) > 0 && out[0].revision < s.visibleAt {
		out = out[1:]
	}
	return out
}

// positionStep spaces positions out like the byte offsets of a real log,
// so that a client cannot mistake them for event counts.
const positionStep = 97

// tombstoneRevision is the revision of the event a hard delete writes, as
// on the real server (long.MaxValue).
const tombstoneRevision = math.MaxInt64

// store is the fake's log: every record in position order, streams, and
// the index of event IDs the real server keeps (bounded there, complete
// here) to answer retries with expected version Any.
type store struct {
	mu      sync.Mutex
	log     []*record
	streams map[string]*streamState
	ids     map[uuid.UUID]*record
	changed chan struct{} // closed and replaced at every write
}

func newStore() *store {
	return &store{streams: map[string]*streamState{}, ids: map[uuid.UUID]*record{}, changed: make(chan struct{})}
}

// write appends records to stream, from revision first; mu is held.
func (s *store) write(stream string, first uint64, proposed []*record) {
	st := s.streams[stream]
	if st == nil {
		st = &streamState{}
		s.streams[stream] = st
	}
	now := time.Now().UnixNano() / 100
	for i, r := range proposed {
		r.stream = stream
		r.revision = first + uint64(i)
		r.created = now
		r.position = uint64(len(s.log)+1) * positionStep
		s.log = append(s.log, r)
		st.records = append(st.records, r)
		s.ids[r.id] = r
	}
	st.deleted = false
	close(s.changed)
	s.changed = make(chan struct{})
}

// since returns the records after index i of the log and a channel closed
// at the next write.
func (s *store) since(i int) ([]*record, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log[i:len(s.log):len(s.log)], s.changed
}
