package domain

import (
	"context"
	"sync"
	"time"
)

// communityCache keeps recently loaded communities, so that contact
// commands do not read the community's stream every time. A contact command
// never locks its community's stream anyway (it appends to the contact's
// stream only), so deciding on a state a moment old changes no guarantee: a
// field defined on another node is usable here within the cache's age. This
// handler's own field commands drop the entry at once.
type communityCache struct {
	mu      sync.Mutex
	entries map[string]cachedCommunity
}

type cachedCommunity struct {
	community *Community
	loadedAt  time.Time
}

// communityMaxAge bounds how stale a cached community may be.
const communityMaxAge = time.Second

// community returns the caller's community, from the cache when fresh.
func (h *Handler) community(ctx context.Context, id string) (*Community, error) {
	h.cache.mu.Lock()
	e, ok := h.cache.entries[id]
	h.cache.mu.Unlock()
	if ok && time.Since(e.loadedAt) < communityMaxAge {
		return e.community, nil
	}
	c, err := LoadCommunity(ctx, h.Store, id)
	if err != nil {
		return nil, err
	}
	h.cache.mu.Lock()
	if h.cache.entries == nil {
		h.cache.entries = map[string]cachedCommunity{}
	}
	h.cache.entries[id] = cachedCommunity{community: c, loadedAt: time.Now()}
	h.cache.mu.Unlock()
	return c, nil
}

// forgetCommunity drops a community from the cache after it changed.
func (h *Handler) forgetCommunity(id string) {
	h.cache.mu.Lock()
	delete(h.cache.entries, id)
	h.cache.mu.Unlock()
}
