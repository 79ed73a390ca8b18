package domain

import (
	"sync"
	"time"
)

// Leases on key claims are durations each process measures itself, on its
// own monotonic clock, never times compared across processes: the clocks
// of two nodes may differ by seconds, and a lease judged by them would let
// both hold one email. Rates of clocks agree where their readings do not.
//
//   - A command gives its claims up when it is still short of recording
//     its contact half a lease after it claimed (keyChange.inTime).
//   - Another command takes a claim over (its command presumed dead) only
//     once this process has seen that claim, at the same version, still in
//     flight for a whole lease (claimExpired). The claim was made before
//     it was first seen, so by then its command has given it up, or died.

// sighting is when this process first saw a claim in flight.
type sighting struct {
	version int64
	at      time.Duration // on the handler's monotonic clock
}

// maxSightings bounds the claims a handler remembers seeing; contended
// claims are rare, and a forgotten one is only seen anew.
const maxSightings = 10_000

// leaseClock is a handler's monotonic clock and what it has seen.
type leaseClock struct {
	once   sync.Once
	origin time.Time
	mu     sync.Mutex
	seen   map[string]sighting
}

// uptime is how long the handler has been running, on its monotonic clock
// (Handler.Uptime when set: tests move it).
func (h *Handler) uptime() time.Duration {
	if h.Uptime != nil {
		return h.Uptime()
	}
	h.clock.once.Do(func() { h.clock.origin = time.Now() })
	return time.Since(h.clock.origin)
}

// claimExpired reports whether the claim in flight on stream at version
// has been seen by this process for a whole lease; the first sighting of
// it (or of a new version) starts the count.
func (h *Handler) claimExpired(stream string, version int64) bool {
	now := h.uptime()
	h.clock.mu.Lock()
	defer h.clock.mu.Unlock()
	s, ok := h.clock.seen[stream]
	if ok && s.version == version {
		if now-s.at < h.lease() {
			return false
		}
		delete(h.clock.seen, stream)
		return true
	}
	if h.clock.seen == nil || len(h.clock.seen) >= maxSightings {
		h.clock.seen = map[string]sighting{}
	}
	h.clock.seen[stream] = sighting{version: version, at: now}
	return false
}
