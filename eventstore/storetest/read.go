package storetest

import (
	"strconv"
	"testing"

	"github.com/assoc/contacts/domain"
)

var readStreamCases = []testCase{
	{name: "NotFound", run: testReadStreamNotFound},
	{name: "ForwardsFromMiddleWithLimit", run: testReadStreamForwards},
	{name: "BackwardsFromEnd", run: testReadStreamBackwardsFromEnd},
	{name: "BackwardsFromVersion", run: testReadStreamBackwardsFromVersion},
	{name: "PastTheEnd", run: testReadStreamPastTheEnd},
}

func testReadStreamNotFound(t *testing.T, s domain.EventStore) {
	wantStreamNotFound(t, s, newStream())
	// Events in other streams do not make a stream exist.
	setup(t, s, 2)
	wantStreamNotFound(t, s, newStream())
	// Nor does a failed append.
	stream := newStream()
	if _, err := s.Append(t.Context(), stream, domain.StreamExists, newEvents(1)); err == nil {
		t.Fatalf("Append(%s, expected stream exists) to a missing stream succeeded", stream)
	}
	wantStreamNotFound(t, s, stream)
}

// wantRead reads stream and checks it returns want.
func wantRead(t *testing.T, s domain.EventStore, stream string, dir domain.Direction, from int64, limit int, want []domain.RecordedEvent) {
	t.Helper()
	got := readStream(t, s, stream, dir, from, limit)
	sameRecorded(t, "ReadStream("+dirName(dir)+", from "+itoa(from)+", limit "+itoa(int64(limit))+")", got, want)
}

func testReadStreamForwards(t *testing.T, s domain.EventStore) {
	stream, all := setup(t, s, 10)
	wantRead(t, s, stream, domain.Forwards, 4, 3, all[3:6])
	wantRead(t, s, stream, domain.Forwards, 5, 1, all[4:5])
	wantRead(t, s, stream, domain.Forwards, 8, 10, all[7:])
	wantRead(t, s, stream, domain.Forwards, 10, 1, all[9:])
	wantRead(t, s, stream, domain.Forwards, 1, 4, all[:4])
	wantRead(t, s, stream, domain.Forwards, 1, 10, all)
}

func testReadStreamBackwardsFromEnd(t *testing.T, s domain.EventStore) {
	stream, all := setup(t, s, 10)
	wantRead(t, s, stream, domain.Backwards, 0, 100, reversed(all))
	wantRead(t, s, stream, domain.Backwards, 0, 3, reversed(all[7:]))
	wantRead(t, s, stream, domain.Backwards, 0, 1, all[9:])
	// "From the end" follows the stream as it grows.
	mustAppend(t, s, stream, domain.Exact(10), newEvents(2))
	all = readStream(t, s, stream, domain.Forwards, 1, 100)
	if len(all) != 12 {
		t.Fatalf("ReadStream after appending 2 events to 10 returned %d events, want 12", len(all))
	}
	wantRead(t, s, stream, domain.Backwards, 0, 2, reversed(all[10:]))
}

func testReadStreamBackwardsFromVersion(t *testing.T, s domain.EventStore) {
	stream, all := setup(t, s, 10)
	wantRead(t, s, stream, domain.Backwards, 5, 3, reversed(all[2:5]))
	wantRead(t, s, stream, domain.Backwards, 2, 10, reversed(all[:2]))
	wantRead(t, s, stream, domain.Backwards, 1, 5, all[:1])
	wantRead(t, s, stream, domain.Backwards, 10, 10, reversed(all))
	wantRead(t, s, stream, domain.Backwards, 9, 1, all[8:9])
}

func testReadStreamPastTheEnd(t *testing.T, s domain.EventStore) {
	stream, _ := setup(t, s, 3)
	for _, from := range []int64{4, 5, 1000} {
		events, err := s.ReadStream(t.Context(), stream, domain.Forwards, from, 10)
		if err != nil {
			t.Errorf("ReadStream(%s, forwards, from %d) past the end of a 3-event stream: %v, want no events and no error", stream, from, err)
			continue
		}
		if len(events) != 0 {
			t.Errorf("ReadStream(%s, forwards, from %d) past the end of a 3-event stream returned %d events, want none; the first is %s", stream, from, len(events), describe(events[0]))
		}
	}
}

var readAllCases = []testCase{
	{name: "EmptyLog", run: testReadAllEmptyLog},
	{name: "AllStreamsInOrder", run: testReadAllInOrder},
	{name: "Paging", run: testReadAllPaging},
	{name: "FromEachPosition", run: testReadAllFromEachPosition},
}

func testReadAllEmptyLog(t *testing.T, s domain.EventStore) {
	events, err := s.ReadAll(t.Context(), domain.Start, 10)
	if err != nil {
		t.Fatalf("ReadAll(Start) of an empty log: %v", err)
	}
	if len(events) != 0 {
		t.Fatalf("ReadAll(Start) of an empty log returned %d events; the first is %s", len(events), describe(events[0]))
	}
}

// appendMixed appends batches to three streams, interleaved, one append
// after the other, and returns the streams and the events in append order.
func appendMixed(t *testing.T, s domain.EventStore) (streams []string, written []domain.EventData, writtenTo []string) {
	t.Helper()
	streams = []string{newStream(), newStream(), newStream()}
	plan := []struct{ stream, size int }{{0, 2}, {1, 3}, {0, 1}, {2, 2}, {1, 1}, {2, 1}, {0, 2}}
	for _, p := range plan {
		events := newEvents(p.size)
		mustAppend(t, s, streams[p.stream], domain.Any, events)
		written = append(written, events...)
		for range events {
			writtenTo = append(writtenTo, streams[p.stream])
		}
	}
	return streams, written, writtenTo
}

func testReadAllInOrder(t *testing.T, s domain.EventStore) {
	streams, written, writtenTo := appendMixed(t, s)
	log := readAllN(t, s, len(written))
	// Appends made one after the other are in the log in that order.
	version := map[string]int64{}
	for i, e := range log {
		w := written[i]
		if e.ID != w.ID {
			t.Fatalf("ReadAll event %d is %s, want %s (%s), the %dth event appended", i, describe(e), w.ID, writtenTo[i], i+1)
		}
		version[writtenTo[i]]++
		checkRecorded(t, "ReadAll event "+itoa(int64(i)), log[i:i+1], writtenTo[i], version[writtenTo[i]], written[i:i+1])
		if i > 0 && e.Position.Compare(log[i-1].Position) <= 0 {
			t.Errorf("ReadAll event %d at %s is not after event %d at %s", i, e.Position, i-1, log[i-1].Position)
		}
	}
	// Each stream's events are the log's events of that stream, in version
	// order, with the same positions.
	for _, stream := range streams {
		wantStream(t, s, stream, ofStream(log, stream))
	}
}

func testReadAllPaging(t *testing.T, s domain.EventStore) {
	_, written, _ := appendMixed(t, s)
	all := readAllN(t, s, len(written))
	for _, limit := range []int{1, 3, 4, len(all), len(all) + 1} {
		var paged []domain.RecordedEvent
		from := domain.Start
		for len(paged) < len(all) {
			page, err := s.ReadAll(t.Context(), from, limit)
			if err != nil {
				t.Fatalf("ReadAll(from %s, limit %d): %v", from, limit, err)
			}
			if len(page) == 0 {
				t.Fatalf("ReadAll(from %s, limit %d) returned no events after %d of %d visible ones", from, limit, len(paged), len(all))
			}
			if len(page) > limit {
				t.Fatalf("ReadAll(from %s, limit %d) returned %d events, more than the limit", from, limit, len(page))
			}
			paged = append(paged, page...)
			from = page[len(page)-1].Position
		}
		sameRecorded(t, "ReadAll in pages of "+itoa(int64(limit)), paged, all)
		rest, err := s.ReadAll(t.Context(), from, limit)
		if err != nil {
			t.Fatalf("ReadAll(from the last position %s, limit %d): %v", from, limit, err)
		}
		if len(rest) != 0 {
			t.Fatalf("ReadAll(from the last position %s, limit %d) returned %d events, want none; the first is %s", from, limit, len(rest), describe(rest[0]))
		}
	}
}

func testReadAllFromEachPosition(t *testing.T, s domain.EventStore) {
	_, written, _ := appendMixed(t, s)
	all := readAllN(t, s, len(written))
	for i, e := range all {
		text := e.Position.String()
		p, err := domain.ParsePosition(text)
		if err != nil {
			t.Fatalf("ParsePosition(%q), the String of event %d's position: %v", text, i, err)
		}
		if p != e.Position {
			t.Fatalf("ParsePosition(%q) = %+v, want %+v", text, p, e.Position)
		}
		rest, err := s.ReadAll(t.Context(), p, len(all))
		if err != nil {
			t.Fatalf("ReadAll(from %s, the position of event %d): %v", p, i, err)
		}
		sameRecorded(t, "ReadAll from "+text, rest, all[i+1:])
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
