package storetest

import (
	"testing"

	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
)

var appendCases = []testCase{
	{name: "ReadBack", run: testAppendReadBack},
	{name: "SingleEvents", run: testAppendSingleEvents},
	{name: "StreamsAreSeparate", run: testAppendStreamsAreSeparate},
	{name: "RefusesBadInput", run: testAppendRefusesBadInput},
}

// richEvent has a payload a backend could easily alter: keys out of order,
// non-ASCII text, nesting, a float and a null.
func richEvent() domain.EventData {
	return domain.EventData{
		ID:       uuid.NewString(),
		Type:     "ContactRegistered",
		Data:     []byte(`{"name":"Zoë Ångström","tags":["b","a"],"address":{"zip":"75001","city":"Paris"},"score":1.5,"note":null}`),
		Metadata: []byte(`{"user":"ça-va","at":"2025-01-02T03:04:05Z","causation":{"id":"x"}}`),
	}
}

func testAppendReadBack(t *testing.T, s domain.EventStore) {
	stream := newStream()
	first := append([]domain.EventData{richEvent()}, newEvents(4)...)
	res := mustAppend(t, s, stream, domain.NoStream, first)
	got := readStream(t, s, stream, domain.Forwards, 1, 100)
	checkRecorded(t, "ReadStream after one append", got, stream, 1, first)
	if res.Version != 5 {
		t.Errorf("AppendResult.Version = %d, want 5", res.Version)
	}
	if res.Position != got[len(got)-1].Position {
		t.Errorf("AppendResult.Position = %s, want %s, the last event's position as read back", res.Position, got[len(got)-1].Position)
	}

	second := newEvents(3)
	res = mustAppend(t, s, stream, domain.Exact(5), second)
	all := readStream(t, s, stream, domain.Forwards, 1, 100)
	checkRecorded(t, "ReadStream after two appends", all, stream, 1, concat(first, second))
	sameRecorded(t, "ReadStream of the first batch after a second append", all[:5], got)
	if res.Version != 8 {
		t.Errorf("second AppendResult.Version = %d, want 8", res.Version)
	}
	if res.Position != all[7].Position {
		t.Errorf("second AppendResult.Position = %s, want %s, the last event's position as read back", res.Position, all[7].Position)
	}
}

func testAppendSingleEvents(t *testing.T, s domain.EventStore) {
	stream := newStream()
	var (
		events  []domain.EventData
		results []domain.AppendResult
	)
	for i := 1; i <= 5; i++ {
		e := newEvents(1)
		res := mustAppend(t, s, stream, domain.Any, e)
		if res.Version != int64(i) {
			t.Errorf("append %d: AppendResult.Version = %d, want %d", i, res.Version, i)
		}
		if i > 1 && res.Position.Compare(results[i-2].Position) <= 0 {
			t.Errorf("append %d: AppendResult.Position %s is not after the previous append's %s", i, res.Position, results[i-2].Position)
		}
		events = append(events, e...)
		results = append(results, res)
	}
	got := readStream(t, s, stream, domain.Forwards, 1, 100)
	checkRecorded(t, "ReadStream", got, stream, 1, events)
	for i, res := range results {
		if res.Position != got[i].Position {
			t.Errorf("append %d: AppendResult.Position = %s, but the event reads back at %s", i+1, res.Position, got[i].Position)
		}
	}
}

func testAppendStreamsAreSeparate(t *testing.T, s domain.EventStore) {
	a, b := newStream(), newStream()
	a1, b1, a2, b2 := newEvents(2), newEvents(3), newEvents(1), newEvents(2)
	mustAppend(t, s, a, domain.NoStream, a1)
	mustAppend(t, s, b, domain.NoStream, b1)
	if res := mustAppend(t, s, a, domain.Exact(2), a2); res.Version != 3 {
		t.Errorf("AppendResult.Version of the second append to %s = %d, want 3", a, res.Version)
	}
	if res := mustAppend(t, s, b, domain.Exact(3), b2); res.Version != 5 {
		t.Errorf("AppendResult.Version of the second append to %s = %d, want 5", b, res.Version)
	}
	checkRecorded(t, "ReadStream("+a+")", readStream(t, s, a, domain.Forwards, 1, 100), a, 1, concat(a1, a2))
	checkRecorded(t, "ReadStream("+b+")", readStream(t, s, b, domain.Forwards, 1, 100), b, 1, concat(b1, b2))
}

var expectedVersionCases = []testCase{
	{name: "NoStreamOnNewStream", run: testNoStreamOnNewStream},
	{name: "NoStreamOnExistingStream", run: testNoStreamOnExistingStream},
	{name: "ExactEqual", run: testExactEqual},
	{name: "ExactLower", run: testExactLower},
	{name: "ExactHigher", run: testExactHigher},
	{name: "ExactOnMissingStream", run: testExactOnMissingStream},
	{name: "ExactZeroIsNoStream", run: testExactZeroIsNoStream},
	{name: "StreamExistsOnMissingStream", run: testStreamExistsOnMissingStream},
	{name: "StreamExistsOnExistingStream", run: testStreamExistsOnExistingStream},
	{name: "AnyOnNewAndExistingStream", run: testAnyOnNewAndExistingStream},
}

// setup appends n events to a new stream and returns the stream and its
// events as read back.
func setup(t *testing.T, s domain.EventStore, n int) (string, []domain.RecordedEvent) {
	t.Helper()
	stream := newStream()
	events := newEvents(n)
	mustAppend(t, s, stream, domain.NoStream, events)
	got := readStream(t, s, stream, domain.Forwards, 1, n+10)
	checkRecorded(t, "ReadStream after setup", got, stream, 1, events)
	return stream, got
}

// wantRejected appends to stream with expected and checks the append fails
// with a conflict reporting actual, and that neither the stream nor the log,
// which holds logSize events, changed.
func wantRejected(t *testing.T, s domain.EventStore, stream string, expected domain.ExpectedVersion, actual int64, logSize int) {
	t.Helper()
	beforeStream, beforeLog := streamNow(t, s, stream), readAllN(t, s, logSize)
	_, err := s.Append(t.Context(), stream, expected, newEvents(2))
	wantConflict(t, err, stream, expected, actual)
	wantStream(t, s, stream, beforeStream)
	wantLog(t, s, beforeLog)
}

// wantAccepted appends n events to stream with expected and checks they are
// written after the stream's version version.
func wantAccepted(t *testing.T, s domain.EventStore, stream string, expected domain.ExpectedVersion, version int64, n int) {
	t.Helper()
	events := newEvents(n)
	res, err := s.Append(t.Context(), stream, expected, events)
	if err != nil {
		t.Fatalf("Append(%s, expected %s) to a stream at version %d: %v", stream, expected, version, err)
	}
	if want := version + int64(n); res.Version != want {
		t.Errorf("Append(%s, expected %s): AppendResult.Version = %d, want %d", stream, expected, res.Version, want)
	}
	got := readStream(t, s, stream, domain.Forwards, version+1, n+10)
	checkRecorded(t, "ReadStream of the appended events", got, stream, version+1, events)
}

func testNoStreamOnNewStream(t *testing.T, s domain.EventStore) {
	wantAccepted(t, s, newStream(), domain.NoStream, 0, 2)
}

func testNoStreamOnExistingStream(t *testing.T, s domain.EventStore) {
	stream, _ := setup(t, s, 2)
	wantRejected(t, s, stream, domain.NoStream, 2, 2)
}

func testExactEqual(t *testing.T, s domain.EventStore) {
	stream, _ := setup(t, s, 2)
	wantAccepted(t, s, stream, domain.Exact(2), 2, 3)
	wantAccepted(t, s, stream, domain.Exact(5), 5, 1)
}

func testExactLower(t *testing.T, s domain.EventStore) {
	stream, _ := setup(t, s, 3)
	wantRejected(t, s, stream, domain.Exact(2), 3, 3)
	wantRejected(t, s, stream, domain.Exact(1), 3, 3)
}

func testExactHigher(t *testing.T, s domain.EventStore) {
	stream, _ := setup(t, s, 3)
	wantRejected(t, s, stream, domain.Exact(4), 3, 3)
	wantRejected(t, s, stream, domain.Exact(100), 3, 3)
}

func testExactOnMissingStream(t *testing.T, s domain.EventStore) {
	wantRejected(t, s, newStream(), domain.Exact(1), 0, 0)
	// Another stream's events must not count.
	setup(t, s, 3)
	wantRejected(t, s, newStream(), domain.Exact(3), 0, 3)
}

func testExactZeroIsNoStream(t *testing.T, s domain.EventStore) {
	stream := newStream()
	wantAccepted(t, s, stream, domain.Exact(0), 0, 2)
	wantRejected(t, s, stream, domain.Exact(0), 2, 2)
}

func testStreamExistsOnMissingStream(t *testing.T, s domain.EventStore) {
	wantRejected(t, s, newStream(), domain.StreamExists, 0, 0)
}

func testStreamExistsOnExistingStream(t *testing.T, s domain.EventStore) {
	stream, _ := setup(t, s, 1)
	wantAccepted(t, s, stream, domain.StreamExists, 1, 2)
}

func testAnyOnNewAndExistingStream(t *testing.T, s domain.EventStore) {
	stream := newStream()
	wantAccepted(t, s, stream, domain.Any, 0, 2)
	wantAccepted(t, s, stream, domain.Any, 2, 1)
}

var idempotencyCases = []testCase{
	{name: "RetrySameExpectedVersion", run: testRetrySameExpectedVersion},
	{name: "RetryWithAny", run: testRetryWithAny},
	{name: "RetryOfEarlierBatch", run: testRetryOfEarlierBatch},
	{name: "IDsStoredInAnotherStream", run: testIDsStoredInAnotherStream},
}

// wantIdempotent retries an append of events already stored, and checks it
// succeeds with result want and writes nothing.
func wantIdempotent(t *testing.T, s domain.EventStore, stream string, expected domain.ExpectedVersion, events []domain.EventData, want domain.AppendResult) {
	t.Helper()
	// The test's appends all went to stream.
	beforeStream := streamNow(t, s, stream)
	beforeLog := readAllN(t, s, len(beforeStream))
	res, err := s.Append(t.Context(), stream, expected, events)
	if err != nil {
		t.Fatalf("retrying Append(%s, expected %s) of %d stored events: %v; want success without writing", stream, expected, len(events), err)
	}
	if res != want {
		t.Errorf("retried Append(%s, expected %s) = version %d at %s, want version %d at %s as the first time",
			stream, expected, res.Version, res.Position, want.Version, want.Position)
	}
	wantStream(t, s, stream, beforeStream)
	wantLog(t, s, beforeLog)
}

func testRetrySameExpectedVersion(t *testing.T, s domain.EventStore) {
	stream := newStream()
	first := newEvents(3)
	res := mustAppend(t, s, stream, domain.NoStream, first)
	wantIdempotent(t, s, stream, domain.NoStream, first, res)

	second := newEvents(2)
	res = mustAppend(t, s, stream, domain.Exact(3), second)
	wantIdempotent(t, s, stream, domain.Exact(3), second, res)
	checkRecorded(t, "ReadStream after retries", readStream(t, s, stream, domain.Forwards, 1, 100), stream, 1, concat(first, second))
}

func testRetryWithAny(t *testing.T, s domain.EventStore) {
	stream := newStream()
	first := newEvents(2)
	mustAppend(t, s, stream, domain.Any, first)
	second := newEvents(3)
	res := mustAppend(t, s, stream, domain.Any, second)
	wantIdempotent(t, s, stream, domain.Any, second, res)
	single := newEvents(1)
	res = mustAppend(t, s, stream, domain.Exact(5), single)
	wantIdempotent(t, s, stream, domain.Any, single, res)
	checkRecorded(t, "ReadStream after retries", readStream(t, s, stream, domain.Forwards, 1, 100), stream, 1, concat(first, second, single))
}

// The port says a retry returns "the version and position those events
// have", even when the stream has moved on since.
func testRetryOfEarlierBatch(t *testing.T, s domain.EventStore) {
	stream := newStream()
	first, second := newEvents(2), newEvents(3)
	res := mustAppend(t, s, stream, domain.NoStream, first)
	mustAppend(t, s, stream, domain.Exact(2), second)
	wantIdempotent(t, s, stream, domain.NoStream, first, res)
	checkRecorded(t, "ReadStream after the retry", readStream(t, s, stream, domain.Forwards, 1, 100), stream, 1, concat(first, second))
}

func testIDsStoredInAnotherStream(t *testing.T, s domain.EventStore) {
	stored := newStream()
	events := newEvents(2)
	mustAppend(t, s, stored, domain.NoStream, events)
	other, _ := setup(t, s, 1)
	batches := []struct {
		name   string
		events []domain.EventData
	}{
		{"the same batch", events},
		{"a batch starting with a stored ID", append([]domain.EventData{events[0]}, newEvents(1)...)},
		{"a batch ending with a stored ID", append(newEvents(1), events[1])},
	}
	for _, target := range []string{newStream(), other} {
		for _, b := range batches {
			for _, expected := range []domain.ExpectedVersion{domain.Any, domain.NoStream} {
				beforeStream, beforeLog := streamNow(t, s, target), readAllN(t, s, 3)
				_, err := s.Append(t.Context(), target, expected, b.events)
				if err == nil {
					t.Errorf("Append(%s, expected %s) of %s whose IDs are stored in %s succeeded, want a conflict", target, expected, b.name, stored)
				} else {
					wantConflictError(t, err, target)
				}
				wantStream(t, s, target, beforeStream)
				wantLog(t, s, beforeLog)
			}
		}
	}
}

// testAppendRefusesBadInput: an event ID that is not a UUID, alone or in a
// batch, and an empty batch are refused as invalid, and nothing is written.
func testAppendRefusesBadInput(t *testing.T, s domain.EventStore) {
	stream := newStream()
	bad := newEvents(3)
	bad[1].ID = "not-a-uuid"
	for _, c := range []struct {
		what   string
		events []domain.EventData
	}{
		{"a batch with one bad event ID", bad},
		{"one event with a bad ID", bad[1:2]},
		{"no events", nil},
	} {
		_, err := s.Append(t.Context(), stream, domain.Any, c.events)
		if code := domain.ErrorCode(err); code != domain.EINVALID {
			t.Errorf("Append of %s: error %v (code %q), want code %q", c.what, err, code, domain.EINVALID)
		}
	}
	wantStreamNotFound(t, s, stream)
}
