package sealed_test

import (
	"fmt"
	"testing"

	"github.com/assoc/contacts/domain"
)

// BenchmarkReadStream reads a contact's 1,000 events through the sealing
// store, and straight from the log (plain), to show what opening costs.
func BenchmarkReadStream(b *testing.B) {
	f := setup(b)
	ctx := b.Context()
	id := domain.NewID()
	stream := domain.ContactStream(id)
	events := []domain.EventData{registered(id, domain.Value{Field: "email", Value: "a@example.org"}, domain.Value{Field: "last_name", Value: "Trail"})}
	for i := 2; i <= 1000; i++ {
		events = append(events, updated(id, domain.Change{Field: "last_name", Old: fmt.Sprintf("Trail %d", i-1), New: fmt.Sprintf("Trail %d", i)}))
	}
	if _, err := f.store.Append(ctx, stream, domain.NoStream, events); err != nil {
		b.Fatal(err)
	}
	for _, side := range []struct {
		name  string
		store domain.EventStore
	}{{"sealed", f.store}, {"plain", f.inner}} {
		b.Run(side.name, func(b *testing.B) {
			for b.Loop() {
				got, err := side.store.ReadStream(ctx, stream, domain.Forwards, 1, 1000)
				if err != nil || len(got) != 1000 {
					b.Fatal(err, len(got))
				}
				for _, r := range got {
					if _, _, err := domain.Decode(r); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
