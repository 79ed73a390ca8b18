package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
)

// openMergeAge is how old an open merge must be before serve carries it
// on: far longer than a merge takes, so that it is one a crash cut short.
// Carrying on a merge that is in fact still running is safe (both write
// with expected versions; one waits for the other), only wasted work.
const openMergeAge = 30 * time.Second

// carryOnMerges finds, at start and then every interval, the merges a
// crash cut short (started over age ago, not closed) and carries each on:
// it completes, or rolls back when it can no longer complete
// (domain.Handler.CompleteMerge).
func carryOnMerges(ctx context.Context, queries *projections.Queries, handler *domain.Handler, logger *slog.Logger, age, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		merges, err := queries.OpenMerges(ctx, time.Now().Add(-age))
		if err != nil && ctx.Err() == nil {
			logger.Warn("look for merges cut short", "err", err)
		}
		for _, m := range merges {
			caller := domain.Caller{CommunityID: m.CommunityID, Actor: "system", CorrelationID: m.MergeID, CausationID: "merge-carried-on"}
			res, err := handler.CompleteMerge(ctx, caller, m.SurvivorID)
			if ctx.Err() != nil {
				return
			}
			logger.Info("carried on a merge cut short", "merge", m.MergeID, "survivor", m.SurvivorID, "version", res.Version, "outcome", errString(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// errString is "completed" for nil, else the error's text.
func errString(err error) string {
	if err == nil {
		return "completed"
	}
	return err.Error()
}
