package main

// The auditors' verbs: contacts history ID, contacts replay -as-of T ID,
// and the operators' contacts rebuild.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
)

// withLog opens the database and the event log for a verb.
func withLog(ctx context.Context, cfg wire.Config, logger *slog.Logger, f func(*wire.App) error) error {
	app, err := wire.Open(ctx, cfg, wire.Log, logger)
	if err != nil {
		return err
	}
	defer app.Close() //nolint:errcheck // logged
	return f(app)
}

// communityOf finds the community of a contact from its first event, so an
// auditor at the terminal needs only the contact's ID.
func communityOf(ctx context.Context, store domain.EventStore, id string) (string, error) {
	if !domain.ValidID(id) {
		return "", fmt.Errorf("%q is not a contact ID", id)
	}
	first, err := store.ReadStream(ctx, domain.ContactStream(id), domain.Forwards, 1, 1)
	if errors.Is(err, domain.ErrStreamNotFound) || (err == nil && len(first) == 0) {
		return "", fmt.Errorf("contact %s not found", id)
	}
	if err != nil {
		return "", err
	}
	_, meta, err := domain.Decode(first[0])
	return meta.CommunityID, err
}

func runHistory(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "one JSON object per event instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: contacts history [-json] CONTACT_ID")
	}
	return withLog(ctx, cfg, logger, func(app *wire.App) error {
		community, err := communityOf(ctx, app.Store, fs.Arg(0))
		if err != nil {
			return err
		}
		entries, err := domain.ContactHistory(ctx, app.Store, community, fs.Arg(0))
		if err != nil {
			return err
		}
		return printHistory(os.Stdout, entries, *asJSON)
	})
}

func printHistory(w io.Writer, entries []domain.HistoryEntry, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tTIME\tEVENT\tACTOR\tCOMMAND\tCORRELATION\tCHANGES")
	for _, e := range entries {
		var changes []string
		for _, c := range e.Changes {
			old, new := c.Old, c.New
			if e.Erased && c.Field != domain.StatusField {
				old, new = "[erased]", "[erased]"
			}
			changes = append(changes, fmt.Sprintf("%s: %q → %q", c.Field, old, new))
		}
		for _, id := range e.Related {
			changes = append(changes, "related: "+id)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Version, e.Time.UTC().Format(time.RFC3339), e.Type,
			e.Actor, e.Command, e.CorrelationID, strings.Join(changes, "; "))
	}
	return tw.Flush()
}

func runReplay(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	asOf := fs.String("as-of", "", "the instant (RFC 3339) to replay the contact to (default: now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: contacts replay [-as-of 2026-01-31T12:00:00Z] CONTACT_ID")
	}
	at := time.Now()
	if *asOf != "" {
		t, err := time.Parse(time.RFC3339Nano, *asOf)
		if err != nil {
			return fmt.Errorf("-as-of: want an RFC 3339 date-time such as 2026-01-31T12:00:00Z")
		}
		at = t
	}
	id := fs.Arg(0)
	return withLog(ctx, cfg, logger, func(app *wire.App) error {
		communityID, err := communityOf(ctx, app.Store, id)
		if err != nil {
			return err
		}
		c, err := domain.LoadContactAsOf(ctx, app.Store, communityID, id, at)
		if err != nil {
			return err
		}
		community, err := domain.LoadCommunityAsOf(ctx, app.Store, communityID, at)
		if err != nil {
			return err
		}
		// Values by field key, as the API shows them: built-ins, then the
		// community's fields.
		values := c.FieldValues(community)
		for _, key := range []string{domain.KeyEmail, domain.KeyFirstName, domain.KeyLastName, domain.KeyExternalID} {
			if v := c.Value(key); v != "" {
				values[key] = v
			}
		}
		out := map[string]any{
			"id": c.ID, "community_id": c.CommunityID, "status": c.Status, "version": c.Version, "values": values,
			"created_at": c.CreatedAt.UTC(), "updated_at": c.UpdatedAt.UTC(), "as_of": at.UTC(),
		}
		if c.MergedInto != "" {
			out["merged_into"] = c.MergedInto
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	})
}

func runRebuild(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("usage: contacts rebuild")
	}
	return withLog(ctx, cfg, logger, func(app *wire.App) error {
		start := time.Now()
		stats, err := app.Runner.Rebuild(ctx, projections.ContactsProjector{})
		if err != nil {
			return err
		}
		elapsed := time.Since(start)
		fmt.Printf("rebuilt the contacts read model from %d events in %s (%.0f events/s; load %s, indexes %s, swap %s), now at %s\n",
			stats.Events, elapsed.Round(time.Millisecond), float64(stats.Events)/elapsed.Seconds(),
			stats.Load.Round(time.Millisecond), stats.Indexes.Round(time.Millisecond), stats.Swap.Round(time.Millisecond), stats.Position)
		return nil
	})
}
