package storetest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
)

var concurrencyCases = []testCase{
	{name: "OneWinnerPerVersion", run: testOneWinnerPerVersion},
}

// testOneWinnerPerVersion runs rounds in which writers race to append to one
// stream, all expecting the version read before the round: exactly one must
// win, the others must get a conflict reporting the winner's version.
func testOneWinnerPerVersion(t *testing.T, s domain.EventStore) {
	const writers, rounds = 10, 10
	stream := newStream()
	var (
		version int64 // the stream's version, as read before each round
		winners []domain.EventData
	)
	for round := range rounds {
		if round > 0 {
			last := readStream(t, s, stream, domain.Backwards, 0, 1)
			if len(last) != 1 {
				t.Fatalf("round %d: ReadStream(backwards, from the end, limit 1) returned %d events, want 1", round, len(last))
			}
			version = last[0].Version
		}
		// Round 0 runs on an empty stream, where Exact(0) is NoStream.
		expected := domain.Exact(version)
		batches := make([][]domain.EventData, writers)
		results := make([]domain.AppendResult, writers)
		errs := make([]error, writers)
		for w := range batches {
			batches[w] = newEvents(1 + w%3)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				results[w], errs[w] = s.Append(t.Context(), stream, expected, batches[w])
			})
		}
		close(start)
		wg.Wait()

		winner := -1
		for w, err := range errs {
			if err != nil {
				continue
			}
			if winner >= 0 {
				t.Fatalf("round %d: writers %d and %d both appended expecting version %s", round, winner, w, expected)
			}
			winner = w
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer appended expecting version %s, the stream's version; first error: %v", round, expected, errs[0])
		}
		newVersion := version + int64(len(batches[winner]))
		if results[winner].Version != newVersion {
			t.Errorf("round %d: the winner's AppendResult.Version = %d, want %d", round, results[winner].Version, newVersion)
		}
		for w, err := range errs {
			if w != winner {
				wantConflict(t, err, stream, expected, newVersion)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		winners = append(winners, batches[winner]...)
		version = newVersion
	}
	got := readStream(t, s, stream, domain.Forwards, 1, len(winners)+10)
	checkRecorded(t, "ReadStream after the races", got, stream, 1, winners)
	wantLog(t, s, got)
}

var stressCases = []testCase{
	// Serial: it loads the backend enough to slow the other cases down.
	{name: "WritersAndSubscribers", run: testStress, serial: true},
}

// stressTimeout bounds how long the subscribers of the stress case may take
// to receive every event once the writers are done.
const stressTimeout = 2 * time.Minute

// appended is one append made by a stress writer.
type appended struct {
	stream string
	events []domain.EventData
	result domain.AppendResult
}

// testStress has writers append, with Any, to streams they share, while
// subscribers follow the log from the start; every subscriber must receive
// every event exactly once, in log order.
func testStress(t *testing.T, s domain.EventStore) {
	if testing.Short() {
		t.Skip("stress case skipped in -short mode")
	}
	const (
		writers   = 8
		perWriter = 2000
		nStreams  = 20
		maxBatch  = 3
		total     = writers * perWriter
	)
	streams := make([]string, nStreams)
	for i := range streams {
		streams[i] = newStream()
	}
	subs := []*subscription{
		subscribe(t, s, domain.Start, nil),
		subscribe(t, s, domain.Start, nil),
	}

	appends := stressWriters(t, s, streams, writers, perWriter, maxBatch)

	deadline := time.Now().Add(stressTimeout)
	for _, sub := range subs {
		sub.waitFor(t, total, time.Until(deadline))
	}
	for _, sub := range subs {
		sub.stop(t)
	}
	log := readAllN(t, s, total)
	index := checkStressLog(t, log, appends, total)
	for k, sub := range subs {
		checkDelivered(t, fmt.Sprintf("subscriber %d", k), sub.received(), log, index)
	}
}

// stressWriters has writers append perWriter events each, in batches of 1
// to maxBatch, with Any, to streams picked at random, and returns what
// each appended, in order.
func stressWriters(t *testing.T, s domain.EventStore, streams []string, writers, perWriter, maxBatch int) [][]appended {
	appends := make([][]appended, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for n := 0; n < perWriter; {
				stream := streams[rng.IntN(len(streams))]
				events := newEvents(min(1+rng.IntN(maxBatch), perWriter-n))
				res, err := s.Append(t.Context(), stream, domain.Any, events)
				if err != nil {
					errs[w] = fmt.Errorf("writer %d, after %d events: Append(%s, any, %d events): %w", w, n, stream, len(events), err)
					return
				}
				appends[w] = append(appends[w], appended{stream, events, res})
				n += len(events)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return appends
}

// checkStressLog checks the log holds every event written, once, each
// writer's appends in their order, each stream's versions in log order,
// and returns where each event ID is in the log.
func checkStressLog(t *testing.T, log []domain.RecordedEvent, appends [][]appended, total int) map[string]int {
	t.Helper()
	// The log holds every event written, once, and nothing else.
	index := make(map[string]int, total) // event ID -> place in the log
	for i, e := range log {
		if j, dup := index[e.ID]; dup {
			t.Fatalf("ReadAll returned event %s twice, at %d and %d", e.ID, j, i)
		}
		index[e.ID] = i
	}
	for w, as := range appends {
		last := -1
		for _, a := range as {
			checkAppended(t, log, index, w, a)
			// A writer's appends follow one another, so the log has them in
			// that order.
			i := index[a.events[0].ID]
			if i <= last {
				t.Fatalf("writer %d appended %s after %s, but the log has it before", w, describe(log[i]), describe(log[last]))
			}
			last = index[a.events[len(a.events)-1].ID]
		}
	}
	// Each stream's versions follow the log order, with no gap.
	versions := make(map[string]int64)
	for i, e := range log {
		if want := versions[e.Stream] + 1; e.Version != want {
			t.Fatalf("ReadAll event %d is %s, want version %d of its stream next", i, describe(e), want)
		}
		versions[e.Stream] = e.Version
	}
	return index
}

// checkAppended checks the events of one append are in the log, in its
// stream at consecutive versions, ending at the version and position the
// append returned.
func checkAppended(t *testing.T, log []domain.RecordedEvent, index map[string]int, writer int, a appended) {
	t.Helper()
	first := a.result.Version - int64(len(a.events)) + 1
	for k, e := range a.events {
		i, ok := index[e.ID]
		if !ok {
			t.Fatalf("writer %d appended event %s to %s (version %d), but ReadAll does not return it", writer, e.ID, a.stream, first+int64(k))
		}
		got := log[i]
		if got.Stream != a.stream || got.Version != first+int64(k) {
			t.Fatalf("writer %d appended event %s to %s as version %d (the append returned version %d), but the log has %s",
				writer, e.ID, a.stream, first+int64(k), a.result.Version, describe(got))
		}
	}
	last := log[index[a.events[len(a.events)-1].ID]]
	if last.Position != a.result.Position {
		t.Fatalf("writer %d: Append to %s returned position %s, but its last event is at %s", writer, a.stream, a.result.Position, last.Position)
	}
}

// checkDelivered checks a subscriber received every event of log exactly
// once, in log order.
func checkDelivered(t *testing.T, who string, got, log []domain.RecordedEvent, index map[string]int) {
	t.Helper()
	seen := make(map[string]int, len(got))
	for i, e := range got {
		if j, dup := seen[e.ID]; dup {
			t.Fatalf("%s received event %s twice, as its %dth and %dth event", who, describe(e), j+1, i+1)
		}
		seen[e.ID] = i
		if _, ok := index[e.ID]; !ok {
			t.Fatalf("%s received event %s, which ReadAll does not return", who, describe(e))
		}
	}
	for _, e := range log {
		if _, ok := seen[e.ID]; !ok {
			t.Fatalf("%s received %d of %d events and never %s", who, len(got), len(log), describe(e))
		}
	}
	for i := range got {
		if diff := diffRecorded(got[i], log[i]); diff != "" {
			t.Fatalf("%s's %dth event differs from ReadAll's: %s", who, i+1, diff)
		}
	}
}
