package spreadsheet

import (
	"context"
	"sync"
	"time"

	"github.com/assoc/contacts/domain"
)

// Imports take turns to read and match their files: each holds the file
// and, while it reads, its shared strings (up to MaxSharedStringBytes) and
// a core. Six bombs at once took excelize to 2.1 GB; with turns, the
// memory of the imports running is bounded by MaxImports of them, and the
// others wait, briefly, then are told to come back.

const (
	defaultMaxImports = 2
	defaultImportWait = 5 * time.Second
)

// takeTurn waits for the import's turn, up to ImportWait, and returns what
// ends it. Refused, the error is EUNAVAILABLE; ctx's end ends the wait.
func (s *Service) takeTurn(ctx context.Context) (func(), error) {
	s.turnsOnce.Do(func() {
		n := s.MaxImports
		if n <= 0 {
			n = defaultMaxImports
		}
		s.turns = make(chan struct{}, n)
	})
	end := sync.OnceFunc(func() { <-s.turns })
	select {
	case s.turns <- struct{}{}:
		return end, nil
	default:
	}
	wait := s.ImportWait
	if wait <= 0 {
		wait = defaultImportWait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case s.turns <- struct{}{}:
		return end, nil
	case <-timer.C:
		return nil, domain.Errorf(domain.EUNAVAILABLE, "other imports are running (%d at most at once): try again in a few seconds", cap(s.turns))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
