package storetest

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/assoc/contacts/domain"
)

// benchData and benchMetadata are the sizes of a registration's payload and
// metadata, as in `contacts-bench store` (212 and 176 bytes).
var (
	benchData     = []byte(`{"schema":1,"first_name":"Hélène","last_name":"Dupré-Lefèvre","email":"helene.dupre@example.org","external_id":"ext-000123","fields":{"phone":"+33 6 12 34 56 78","city":"Paris","member_since":"2019-04-01"}}`)
	benchMetadata = []byte(`{"community_id":"0193a5c2-7f00-7000-8000-000000000001","actor":"admin","command":"RegisterContact","correlation_id":"0193a5c2-7f00-7000-8000-00000000000c","at":"2026-11-25T22:00:00Z"}`)
)

// Bench measures a backend's appends and log reads with the same workload
// on every backend, so their figures compare: appends of 1 and of 100
// events (one stream per batch, expected version checked), and ReadAll in
// pages of 1000. Each reports ns/event besides ns/op and allocs/op.
func Bench(b *testing.B, newStore func(b *testing.B) domain.EventStore) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("Append%d", n), func(b *testing.B) {
			s := newStore(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Append(b.Context(), "contact-"+uuid.NewString(), domain.NoStream, benchEvents(n)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
	b.Run("ReadAll1000", func(b *testing.B) {
		const size = 20000
		s := newStore(b)
		for range size / 100 {
			if _, err := s.Append(b.Context(), "contact-"+uuid.NewString(), domain.NoStream, benchEvents(100)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		from, read := domain.Start, 0
		for b.Loop() {
			page, err := s.ReadAll(b.Context(), from, 1000)
			if err != nil {
				b.Fatal(err)
			}
			if len(page) < 1000 {
				// End of the log: start over (rare: 1 page in 20).
				from = domain.Start
				if len(page) == 0 {
					continue
				}
			} else {
				from = page[len(page)-1].Position
			}
			read += len(page)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(read, 1)), "ns/event")
	})
}

func benchEvents(n int) []domain.EventData {
	events := make([]domain.EventData, n)
	for i := range events {
		events[i] = domain.EventData{ID: uuid.NewString(), Type: "ContactRegistered", Data: benchData, Metadata: benchMetadata}
	}
	return events
}
