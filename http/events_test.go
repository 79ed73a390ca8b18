package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	chttp "github.com/assoc/contacts/http"
)

type eventLine struct {
	Position  string          `json:"position"`
	Stream    string          `json:"stream"`
	Version   int64           `json:"version"`
	Type      string          `json:"type"`
	Schema    int             `json:"schema"`
	Actor     string          `json:"actor"`
	Data      json.RawMessage `json:"data"`
	Erased    bool            `json:"erased"`
	Heartbeat bool            `json:"heartbeat"`
}

// readEvents reads a whole (not followed) event stream.
func (s *stack) readEvents(t *testing.T, key, query string) []eventLine {
	t.Helper()
	r := s.do(t, "GET", "/v1/events?"+query, key, nil)
	r.want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("content type %q", ct)
	}
	var out []eventLine
	for line := range strings.Lines(string(r.body)) {
		var e eventLine
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func TestEventsReadAndFilter(t *testing.T) {
	s := newStack(t)
	a := s.register(t, map[string]any{"first_name": "Ann", "email": "ann@example.org"})
	s.bulk(t, "archive", a.ID)
	_, otherAdmin := s.createCommunity(t, "Community B")
	r := s.do(t, "POST", "/v1/contacts", otherAdmin, map[string]any{"first_name": "Bob"})
	r.want(t, http.StatusCreated)

	analytics := s.newKey(t, s.admin, "analytics")
	all := s.readEvents(t, analytics, "")
	var types []string
	for _, e := range all {
		if strings.HasPrefix(e.Stream, "key-") {
			t.Fatalf("a key reservation is shown: %+v", e)
		}
		if strings.Contains(string(e.Data), "Bob") {
			t.Fatalf("community B's event is shown to A: %s", e.Data)
		}
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); got != "CommunityCreated,ContactRegistered,ContactArchived" {
		t.Fatalf("community A's events: %s", got)
	}
	reg := all[1]
	if reg.Stream != "contact-"+a.ID || reg.Version != 1 || reg.Schema != 1 || !strings.Contains(string(reg.Data), `"Ann"`) {
		t.Fatalf("registration line: %+v %s", reg, reg.Data)
	}

	// from is exclusive; limit bounds; type filters.
	if rest := s.readEvents(t, analytics, "from="+all[0].Position); len(rest) != 2 || rest[0].Position != all[1].Position {
		t.Fatalf("from the first: %+v", rest)
	}
	if one := s.readEvents(t, analytics, "limit=1"); len(one) != 1 || one[0].Position != all[0].Position {
		t.Fatalf("limit=1: %+v", one)
	}
	if archived := s.readEvents(t, analytics, "type=ContactArchived"); len(archived) != 1 || archived[0].Type != "ContactArchived" {
		t.Fatalf("type=ContactArchived: %+v", archived)
	}

	s.doInvalid(t, "GET", "/v1/events?type=Nope", analytics, nil).wantProblem(t, http.StatusBadRequest, "type")
	s.doInvalid(t, "GET", "/v1/events?from=zz", analytics, nil).wantProblem(t, http.StatusBadRequest, "from")
	s.doInvalid(t, "GET", "/v1/events?limit=0", analytics, nil).wantProblem(t, http.StatusBadRequest, "limit")
	auditor := s.newKey(t, s.admin, "auditor")
	s.do(t, "GET", "/v1/events", auditor, nil).wantProblem(t, http.StatusForbidden, "")
	s.do(t, "GET", "/v1/events", s.operator, nil).wantProblem(t, http.StatusForbidden, "")
}

// TestEventsNextFrom: a stream without follow ends with the trailer
// Next-From, where the next read resumes: past the other communities'
// events and the types filtered out, or at the last event sent when the
// limit cut the stream.
func TestEventsNextFrom(t *testing.T) {
	s := newStack(t)
	analytics := s.newKey(t, s.admin, "analytics")
	a := s.register(t, map[string]any{"first_name": "Ann"})
	_, otherAdmin := s.createCommunity(t, "Community B")
	for range 3 {
		s.do(t, "POST", "/v1/contacts", otherAdmin, map[string]any{"first_name": "Bob"}).want(t, http.StatusCreated)
	}
	all := s.readEvents(t, analytics, "")
	// The log may hold committed events back for a moment (the store's
	// port allows it): read until B's show, up to 20 s (another package's
	// open transaction on the shared server holds them back too).
	var r response
	var next string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r = s.do(t, "GET", "/v1/events?from="+all[len(all)-1].Position, analytics, nil)
		r.want(t, http.StatusOK)
		next = r.trailer.Get("Next-From")
		if next != all[len(all)-1].Position || time.Now().After(deadline) {
			break
		}
	}
	if len(r.body) != 0 || next == "" || next == all[len(all)-1].Position {
		t.Fatalf("after community A's last event: body %q, Next-From %q (its last event is at %s)", r.body, next, all[len(all)-1].Position)
	}
	// Resuming there skips B's events; A's next one comes.
	s.bulk(t, "archive", a.ID)
	var got []eventLine
	for deadline := time.Now().Add(5 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = s.readEvents(t, analytics, "from="+next)
	}
	if len(got) != 1 || got[0].Type != "ContactArchived" {
		t.Fatalf("from Next-From: %+v", got)
	}
	r = s.do(t, "GET", "/v1/events?limit=1", analytics, nil)
	if first := s.readEvents(t, analytics, "limit=1"); r.trailer.Get("Next-From") != first[0].Position {
		t.Fatalf("limit=1: Next-From %q, want the event sent, %s", r.trailer.Get("Next-From"), first[0].Position)
	}
}

// follower follows the event stream and hangs up after a few events, then
// resumes from the last position it got, again and again.
type follower struct {
	s      *stack
	key    string
	got    []eventLine
	beats  int
	resume string
}

// session follows until it has n more events (or the context ends) and
// hangs up.
func (f *follower) session(ctx context.Context, t *testing.T, n int) error {
	req, err := http.NewRequestWithContext(ctx, "GET", f.s.url+"/v1/events?follow=true&from="+f.resume, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+f.key)
	resp, err := f.s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("follow: status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for count := 0; count < n && sc.Scan(); {
		var e eventLine
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("line %q: %v", sc.Text(), err)
		}
		f.resume = e.Position
		if e.Heartbeat {
			f.beats++
			continue
		}
		f.got = append(f.got, e)
		count++
	}
	return sc.Err()
}

// TestEventsFollowResume follows the stream while 8 writers append,
// hanging up and resuming several times: it ends with exactly the events of
// a full read, in order.
func TestEventsFollowResume(t *testing.T) {
	s := newStack(t, func(srv *chttp.Server) { srv.Services.Heartbeat = 50 * time.Millisecond })
	analytics := s.newKey(t, s.admin, "analytics")
	const writers, perWriter = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				if _, err := s.handler.RegisterContact(context.Background(), s.caller(), map[string]string{
					"first_name": fmt.Sprintf("W%d-%d", w, i), "email": fmt.Sprintf("w%d-%d@example.org", w, i)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}

	f := &follower{s: s, key: analytics}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	want := 1 + writers*perWriter // CommunityCreated + every registration
	for len(f.got) < want && ctx.Err() == nil {
		// Each session hangs up after 17 events, or after a second
		// when the writers are done and fewer remain.
		sctx, scancel := context.WithTimeout(ctx, time.Second)
		err := f.session(sctx, t, 17)
		timedOut := sctx.Err() != nil
		scancel()
		if err != nil && !timedOut {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// One more session, once quiet: it only gets heartbeats, nothing twice.
	quiet, stop := context.WithTimeout(t.Context(), 300*time.Millisecond)
	f.session(quiet, t, 1) //nolint:errcheck // ends with the deadline
	stop()
	if f.beats == 0 {
		t.Fatal("an idle followed stream sent no heartbeat")
	}

	full := s.readEvents(t, analytics, "limit=10000")
	if len(f.got) != len(full) || len(full) != want {
		t.Fatalf("followed %d events, a full read has %d, want %d", len(f.got), len(full), want)
	}
	for i := range full {
		if f.got[i].Position != full[i].Position {
			t.Fatalf("event %d: followed %s, full read %s", i, f.got[i].Position, full[i].Position)
		}
	}
}
