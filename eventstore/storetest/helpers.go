package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
)

const (
	// pageSize is the limit of the ReadAll pages readAll asks for.
	pageSize = 1000
	// visibleTimeout bounds how long readAllN waits for committed events to
	// show up in ReadAll (a backend may hold back events behind a transaction
	// that is still open, possibly another test's).
	visibleTimeout = 30 * time.Second
	// recordedAtSkew is how far RecordedAt may be from the test's clock. It
	// catches time zone and unit mix-ups, not clock drift.
	recordedAtSkew = time.Hour
)

var eventTypes = []string{"ContactRegistered", "ContactRenamed", "ContactArchived"}

// seq makes every event's data and metadata unique in the test binary, so an
// event read back with another's payload is caught.
var seq atomic.Int64

// newStream returns a stream name no other case uses.
func newStream() string { return "contact-" + uuid.NewString() }

// newEvents returns n events with fresh UUIDs, varied types and unique JSON
// objects as data and metadata.
func newEvents(n int) []domain.EventData {
	events := make([]domain.EventData, n)
	for i := range events {
		k := seq.Add(1)
		events[i] = domain.EventData{
			ID:       uuid.NewString(),
			Type:     eventTypes[int(k)%len(eventTypes)],
			Data:     fmt.Appendf(nil, `{"n":%d}`, k),
			Metadata: fmt.Appendf(nil, `{"by":"storetest","seq":%d}`, k),
		}
	}
	return events
}

// concat returns the events of batches, in order.
func concat(batches ...[]domain.EventData) []domain.EventData {
	var all []domain.EventData
	for _, b := range batches {
		all = append(all, b...)
	}
	return all
}

// mustAppend appends events and fails the test on error.
func mustAppend(t *testing.T, s domain.EventStore, stream string, expected domain.ExpectedVersion, events []domain.EventData) domain.AppendResult {
	t.Helper()
	res, err := s.Append(t.Context(), stream, expected, events)
	if err != nil {
		t.Fatalf("Append(%s, expected %s, %d events): %v", stream, expected, len(events), err)
	}
	return res
}

// wantConflict checks that err is a *WrongExpectedVersionError about stream
// and expected whose Actual is actual, classified as ECONFLICT.
func wantConflict(t *testing.T, err error, stream string, expected domain.ExpectedVersion, actual int64) {
	t.Helper()
	w := wantConflictError(t, err, stream)
	if w == nil {
		return
	}
	if w.Actual != actual {
		t.Errorf("WrongExpectedVersionError.Actual = %d, want %d (the stream's version)", w.Actual, actual)
	}
	if w.Expected != expected {
		t.Errorf("WrongExpectedVersionError.Expected = %s, want %s", w.Expected, expected)
	}
}

// wantConflictError checks that err is a *WrongExpectedVersionError about
// stream, classified as ECONFLICT, and returns it (nil after a failure).
func wantConflictError(t *testing.T, err error, stream string) *domain.WrongExpectedVersionError {
	t.Helper()
	if err == nil {
		t.Errorf("Append to %s succeeded, want a *WrongExpectedVersionError", stream)
		return nil
	}
	if code := domain.ErrorCode(err); code != domain.ECONFLICT {
		t.Errorf("ErrorCode(%v) = %q, want %q", err, code, domain.ECONFLICT)
	}
	if !domain.IsWrongExpectedVersion(err) {
		t.Errorf("Append error %v (%T) is not a *WrongExpectedVersionError", err, err)
		return nil
	}
	var w *domain.WrongExpectedVersionError
	if !errors.As(err, &w) {
		t.Errorf("errors.As(%v, *WrongExpectedVersionError) = false", err)
		return nil
	}
	if w.Stream != stream {
		t.Errorf("WrongExpectedVersionError.Stream = %q, want %q", w.Stream, stream)
	}
	return w
}

// readStream reads a stream and fails the test on error.
func readStream(t *testing.T, s domain.EventStore, stream string, dir domain.Direction, from int64, limit int) []domain.RecordedEvent {
	t.Helper()
	events, err := s.ReadStream(t.Context(), stream, dir, from, limit)
	if err != nil {
		t.Fatalf("ReadStream(%s, %s, from %d, limit %d): %v", stream, dirName(dir), from, limit, err)
	}
	if len(events) > limit {
		t.Fatalf("ReadStream(%s, %s, from %d, limit %d) returned %d events, more than the limit", stream, dirName(dir), from, limit, len(events))
	}
	return events
}

// wantStreamNotFound checks that reading stream answers ErrStreamNotFound,
// forwards and backwards.
func wantStreamNotFound(t *testing.T, s domain.EventStore, stream string) {
	t.Helper()
	for _, dir := range []domain.Direction{domain.Forwards, domain.Backwards} {
		from := int64(1)
		if dir == domain.Backwards {
			from = 0
		}
		events, err := s.ReadStream(t.Context(), stream, dir, from, 10)
		if !errors.Is(err, domain.ErrStreamNotFound) {
			t.Errorf("ReadStream(%s, %s) of a stream without events = %d events, error %v; want domain.ErrStreamNotFound", stream, dirName(dir), len(events), err)
			continue
		}
		if code := domain.ErrorCode(err); code != domain.ENOTFOUND {
			t.Errorf("ErrorCode(%v) = %q, want %q", err, code, domain.ENOTFOUND)
		}
	}
}

// streamNow returns the events of stream, none when it is not found.
func streamNow(t *testing.T, s domain.EventStore, stream string) []domain.RecordedEvent {
	t.Helper()
	events, err := s.ReadStream(t.Context(), stream, domain.Forwards, 1, 1<<20)
	if errors.Is(err, domain.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("ReadStream(%s, forwards, from 1): %v", stream, err)
	}
	return events
}

// readAll reads the whole log as it is visible now, in pages, checking
// that every page respects the limit and that positions strictly increase.
func readAll(t *testing.T, s domain.EventStore) []domain.RecordedEvent {
	t.Helper()
	var all []domain.RecordedEvent
	from := domain.Start
	for {
		page, err := s.ReadAll(t.Context(), from, pageSize)
		if err != nil {
			t.Fatalf("ReadAll(from %s, limit %d): %v", from, pageSize, err)
		}
		if len(page) > pageSize {
			t.Fatalf("ReadAll(from %s, limit %d) returned %d events, more than the limit", from, pageSize, len(page))
		}
		if len(page) == 0 {
			return all
		}
		for i, e := range page {
			if e.Position.Compare(from) <= 0 {
				t.Fatalf("ReadAll(from %s): event %d (%s) has position %s, not after the previous %s", from, i, e.ID, e.Position, from)
			}
			from = e.Position
		}
		all = append(all, page...)
	}
}

// readAllN reads the whole log once it holds n events, waiting up to
// visibleTimeout for committed events to become visible, and fails if it
// holds any other number of events.
func readAllN(t *testing.T, s domain.EventStore, n int) []domain.RecordedEvent {
	t.Helper()
	deadline := time.Now().Add(visibleTimeout)
	for {
		all := readAll(t, s)
		if len(all) > n {
			t.Fatalf("ReadAll returned %d events, want %d; the extra ones start with %s", len(all), n, describe(all[n]))
		}
		if len(all) == n {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("ReadAll returned %d events after %v, want %d", len(all), visibleTimeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantLog checks that the log holds exactly the events want.
func wantLog(t *testing.T, s domain.EventStore, want []domain.RecordedEvent) {
	t.Helper()
	sameRecorded(t, "ReadAll", readAllN(t, s, len(want)), want)
}

// wantStream checks that stream holds exactly the events want (none: the
// stream is not found).
func wantStream(t *testing.T, s domain.EventStore, stream string, want []domain.RecordedEvent) {
	t.Helper()
	if len(want) == 0 {
		wantStreamNotFound(t, s, stream)
		return
	}
	got := readStream(t, s, stream, domain.Forwards, 1, len(want)+10)
	sameRecorded(t, "ReadStream("+stream+")", got, want)
}

// checkRecorded checks that got are the events want of stream, read forwards
// from version first: same IDs, types, data and metadata, consecutive
// versions, set stream, recorded time and strictly increasing positions.
func checkRecorded(t *testing.T, what string, got []domain.RecordedEvent, stream string, first int64, want []domain.EventData) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s returned %d events, want %d", what, len(got), len(want))
	}
	now := time.Now()
	for i, e := range got {
		w := want[i]
		version := first + int64(i)
		if e.ID != w.ID {
			t.Errorf("%s event %d: ID = %q, want %q", what, i, e.ID, w.ID)
		}
		if e.Stream != stream {
			t.Errorf("%s event %d: Stream = %q, want %q", what, i, e.Stream, stream)
		}
		if e.Version != version {
			t.Errorf("%s event %d: Version = %d, want %d", what, i, e.Version, version)
		}
		if e.Type != w.Type {
			t.Errorf("%s event %d: Type = %q, want %q", what, i, e.Type, w.Type)
		}
		checkJSON(t, fmt.Sprintf("%s event %d: Data", what, i), e.Data, w.Data)
		checkJSON(t, fmt.Sprintf("%s event %d: Metadata", what, i), e.Metadata, w.Metadata)
		if e.RecordedAt.IsZero() {
			t.Errorf("%s event %d: RecordedAt is zero", what, i)
		} else if d := e.RecordedAt.Sub(now).Abs(); d > recordedAtSkew {
			t.Errorf("%s event %d: RecordedAt = %v, %v away from now (%v)", what, i, e.RecordedAt, d, now)
		}
		if e.Position.IsStart() {
			t.Errorf("%s event %d: Position is the zero position (Start)", what, i)
		}
		if i > 0 && e.Position.Compare(got[i-1].Position) <= 0 {
			t.Errorf("%s event %d: Position %s is not after the previous event's %s", what, i, e.Position, got[i-1].Position)
		}
	}
}

// checkJSON checks that got is byte for byte the JSON written, and says
// whether it is at least the same JSON value when it is not.
func checkJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	if jsonEqual(got, want) {
		t.Errorf("%s = %s, want the bytes written, %s (same JSON value, but re-encoded)", what, got, want)
		return
	}
	t.Errorf("%s = %s, want %s", what, got, want)
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// sameRecorded checks that got and want are the same recorded events, field
// by field, in the same order.
func sameRecorded(t *testing.T, what string, got, want []domain.RecordedEvent) {
	t.Helper()
	n := min(len(got), len(want))
	for i := range n {
		if diff := diffRecorded(got[i], want[i]); diff != "" {
			t.Fatalf("%s event %d differs: %s", what, i, diff)
		}
	}
	switch {
	case len(got) > n:
		t.Fatalf("%s returned %d events, want %d; the first extra is %s", what, len(got), len(want), describe(got[n]))
	case len(want) > n:
		t.Fatalf("%s returned %d events, want %d; the first missing is %s", what, len(got), len(want), describe(want[n]))
	}
}

// diffRecorded describes the first difference between two recorded events,
// or returns "".
func diffRecorded(got, want domain.RecordedEvent) string {
	switch {
	case got.ID != want.ID:
		return fmt.Sprintf("got %s, want %s", describe(got), describe(want))
	case got.Stream != want.Stream:
		return fmt.Sprintf("event %s: Stream = %q, want %q", got.ID, got.Stream, want.Stream)
	case got.Version != want.Version:
		return fmt.Sprintf("event %s: Version = %d, want %d", got.ID, got.Version, want.Version)
	case got.Type != want.Type:
		return fmt.Sprintf("event %s: Type = %q, want %q", got.ID, got.Type, want.Type)
	case !bytes.Equal(got.Data, want.Data):
		return fmt.Sprintf("event %s: Data = %s, want %s", got.ID, got.Data, want.Data)
	case !bytes.Equal(got.Metadata, want.Metadata):
		return fmt.Sprintf("event %s: Metadata = %s, want %s", got.ID, got.Metadata, want.Metadata)
	case got.Position != want.Position:
		return fmt.Sprintf("event %s: Position = %s, want %s", got.ID, got.Position, want.Position)
	case !got.RecordedAt.Equal(want.RecordedAt):
		return fmt.Sprintf("event %s: RecordedAt = %v, want %v", got.ID, got.RecordedAt, want.RecordedAt)
	}
	return ""
}

// describe names an event for failure messages.
func describe(e domain.RecordedEvent) string {
	return fmt.Sprintf("%s (%s v%d at %s)", e.ID, e.Stream, e.Version, e.Position)
}

// reversed returns a reversed copy of events.
func reversed(events []domain.RecordedEvent) []domain.RecordedEvent {
	out := slices.Clone(events)
	slices.Reverse(out)
	return out
}

// ofStream returns the events of log that belong to stream.
func ofStream(log []domain.RecordedEvent, stream string) []domain.RecordedEvent {
	var out []domain.RecordedEvent
	for _, e := range log {
		if e.Stream == stream {
			out = append(out, e)
		}
	}
	return out
}

func dirName(d domain.Direction) string {
	if d == domain.Backwards {
		return "backwards"
	}
	return "forwards"
}
