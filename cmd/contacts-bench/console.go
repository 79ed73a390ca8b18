package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	chttp "github.com/assoc/contacts/http"
)

// The console's list pages, rendered by the service (read model query,
// template, HTTP over loopback), beside the read model's query alone.
const (
	bcTargetConsoleActiveP99   = 25 * time.Millisecond
	bcTargetConsoleArchivedP99 = 80 * time.Millisecond
)

// bcConsole is the console served over loopback, with an admin's session.
type bcConsole struct {
	url    string
	client *http.Client
	close  func()
}

// openConsole serves the service's routes (the console's among them) on a
// loopback listener, signed in as an admin of the bench community.
func (b *contactsBench) openConsole(ctx context.Context, app *wire.App) (*bcConsole, error) {
	ts, _, key, err := b.serveLoopback(ctx, app)
	if err != nil {
		return nil, err
	}
	token, _, err := app.Keys.StartSession(ctx, key.ID, time.Hour)
	if err != nil {
		ts.Close()
		return nil, fmt.Errorf("bench contacts: console session: %w", err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(ts.URL + "/console/")
	jar.SetCookies(u, []*http.Cookie{{Name: "console_session", Value: token, Path: "/console/"}})
	return &bcConsole{url: ts.URL, client: &http.Client{Jar: jar}, close: ts.Close}, nil
}

// serveLoopback serves the service's routes (the API's and the console's)
// on a loopback listener, with a new admin key of the bench community.
func (b *contactsBench) serveLoopback(ctx context.Context, app *wire.App) (*httptest.Server, string, apikeys.Key, error) {
	server := chttp.NewServer("127.0.0.1:0", b.logger)
	server.Services = app.HTTPServices()
	server.SetReady(true)
	ts := httptest.NewServer(server.Handler())
	secret, key, err := app.Keys.Create(ctx, apikeys.RoleAdmin, b.community)
	if err != nil {
		ts.Close()
		return nil, "", apikeys.Key{}, fmt.Errorf("bench: admin key: %w", err)
	}
	return ts, secret, key, nil
}

// page reads a console page whole and checks it is one.
func (c *bcConsole) page(ctx context.Context, path, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("GET %s: status %d, %d bytes without %q", path, resp.StatusCode, len(body), want)
	}
	return nil
}

// ensureConsole opens the console once, for the scenarios that read it.
func (b *contactsBench) ensureConsole(ctx context.Context) error {
	if b.console != nil {
		return nil
	}
	c, err := b.openConsole(ctx, b.app)
	b.console = c
	return err
}

// closeConsole stops the console's listener, if open.
func (b *contactsBench) closeConsole() {
	if b.console != nil {
		b.console.close()
		b.console = nil
	}
}

// activeCursors walks the active list once to collect its pages' cursors.
func (b *contactsBench) activeCursors(ctx context.Context) ([]string, error) {
	var cursors []string
	for token := ""; ; {
		page, err := b.queries.ListContacts(ctx, domain.ListQuery{
			CommunityID: b.community, Status: domain.StatusActive, Cursor: token, Limit: bcActivePage})
		if err != nil {
			return nil, fmt.Errorf("bench contacts: walk the active list: %w", err)
		}
		if page.NextCursor == "" {
			break
		}
		token = page.NextCursor
		cursors = append(cursors, token)
	}
	if len(cursors) == 0 {
		return nil, fmt.Errorf("bench contacts: the active list has a single page")
	}
	return cursors, nil
}

// consoleActivePages measures the contacts page (50 contacts) at random
// cursors of the active list.
func (b *contactsBench) consoleActivePages(ctx context.Context) (bcLine, error) {
	if err := b.ensureConsole(ctx); err != nil {
		return bcLine{}, err
	}
	cursors, err := b.activeCursors(ctx)
	if err != nil {
		return bcLine{}, err
	}
	return compareLatency(ctx, b, "console: contacts page of 50", bcTargetConsoleActiveP99,
		func(int) string { return cursors[b.rng.IntN(len(cursors))] },
		func(ctx context.Context, cursor string) error {
			return b.console.page(ctx, "/console/?cursor="+url.QueryEscape(cursor), "Edit profile")
		},
		func(ctx context.Context, cursor string) error {
			_, err := b.queries.ListContacts(ctx, domain.ListQuery{
				CommunityID: b.community, Status: domain.StatusActive, Cursor: cursor, Limit: bcActivePage})
			return err
		})
}

// consoleArchivedPage measures the archived page: its first 1000 and
// their count.
func (b *contactsBench) consoleArchivedPage(ctx context.Context) (bcLine, error) {
	if err := b.ensureConsole(ctx); err != nil {
		return bcLine{}, err
	}
	return compareLatency(ctx, b, "console: archived page of 1000", bcTargetConsoleArchivedP99,
		func(int) struct{} { return struct{}{} },
		func(ctx context.Context, _ struct{}) error {
			return b.console.page(ctx, "/console/archived", "Showing the first 1000 of")
		},
		func(ctx context.Context, _ struct{}) error {
			_, err := b.queries.ListContacts(ctx, domain.ListQuery{
				CommunityID: b.community, Status: domain.StatusArchived, Limit: bcArchivedPage})
			return err
		})
}
