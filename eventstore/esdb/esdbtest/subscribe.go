package esdbtest

import (
	"github.com/google/uuid"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// subscribe serves a catch-up subscription as the real server: first a
// confirmation, then the stored events after the starting point, then
// "caught up", then every new event as it is written, until the client
// goes away. Subscriptions start after their position or revision
// (exclusive), unlike reads.
func (f *Server) subscribe(r reader, opts *api.ReadReq_Options) error {
	ctx := r.srv.Context()
	if err := r.srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{
		Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	next, match := f.store.startOf(opts)
	caughtUp := false
	for {
		records, changed := f.store.since(next)
		next += len(records)
		for _, rec := range records {
			if !match(rec) || !r.filter.match(rec) {
				continue
			}
			if err := r.send(rec); err != nil {
				return err
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := r.srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// startOf returns the index of the log where a subscription starts, and
// which records it follows (one stream's, or all).
func (s *store) startOf(opts *api.ReadReq_Options) (int, func(*record) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if all := opts.GetAll(); all != nil {
		match := func(*record) bool { return true }
		switch {
		case all.GetEnd() != nil:
			return len(s.log), match
		case all.GetPosition() != nil:
			p := all.GetPosition().GetCommitPosition()
			i := s.firstAt(p)
			if i < len(s.log) && s.log[i].position == p {
				i++ // after the position
			}
			return i, match
		}
		return 0, match
	}
	stream := string(opts.GetStream().GetStreamIdentifier().GetStreamName())
	after := int64(-1)
	switch r := opts.GetStream().GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		after = int64(r.Revision)
	case *api.ReadReq_Options_StreamOptions_End:
		return len(s.log), func(rec *record) bool { return rec.stream == stream }
	}
	return 0, func(rec *record) bool { return rec.stream == stream && int64(rec.revision) > after }
}
