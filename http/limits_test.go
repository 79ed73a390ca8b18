package http_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	chttp "github.com/assoc/contacts/http"
)

// The limits tests run the server as contacts serve does (Open: its own
// listener and http.Server), with small limits, and talk to it over raw
// TCP where a client must misbehave. They never time the server: each
// waits for what must happen, up to a generous deadline.

// patience is how long a test waits for what must happen.
const patience = 20 * time.Second

// serveWithLimits returns a stack whose server listens for real with
// limits, and the address it listens on.
func serveWithLimits(t *testing.T, limits chttp.Limits, configure ...func(*chttp.Server)) (*stack, string) {
	t.Helper()
	s := newStack(t, append(configure, func(srv *chttp.Server) { srv.Limits = limits })...)
	if err := s.server.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		s.server.Close(ctx) //nolint:errcheck // the test is over
	})
	return s, strings.TrimPrefix(s.server.URL(), "http://")
}

// dial opens a raw connection, closed at the end of the test.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitClosed reads conn until the server closes it, and fails the test if
// it is still open after patience.
func waitClosed(t *testing.T, conn net.Conn, what string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(patience)) //nolint:errcheck
	_, err := io.Copy(io.Discard, conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: the connection is still open after %s", what, patience)
	}
}

// get sends GET path on conn and reads the answer.
func get(t *testing.T, conn net.Conn, r *bufio.Reader, path string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(patience)) //nolint:errcheck
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	return resp
}

func TestIdleConnectionIsClosed(t *testing.T) {
	t.Parallel()
	_, addr := serveWithLimits(t, chttp.Limits{Idle: 100 * time.Millisecond})
	conn := dial(t, addr)
	if resp := get(t, conn, bufio.NewReader(conn), "/healthz"); resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("GET /healthz = %d, close=%v: want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	waitClosed(t, conn, "idle keep-alive connection")
}

func TestUnfinishedHeadersAreCut(t *testing.T) {
	t.Parallel()
	_, addr := serveWithLimits(t, chttp.Limits{ReadHeader: 100 * time.Millisecond})
	conn := dial(t, addr)
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: test\r\n"); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, conn, "headers never finished")
}

func TestOversizedHeadersAreRefused(t *testing.T) {
	t.Parallel()
	_, addr := serveWithLimits(t, chttp.Limits{MaxHeaderBytes: 1 << 10})
	conn := dial(t, addr)
	r := bufio.NewReader(conn)
	if resp := get(t, conn, r, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d", resp.StatusCode)
	}
	// net/http reads ahead (and does not count) up to 4 KB of a request on
	// a kept-alive connection, and lets 4 KB more through: far more.
	big := "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: " + strings.Repeat("p", 64<<10) + "\r\n\r\n"
	if _, err := io.WriteString(conn, big); err != nil {
		t.Fatal(err)
	}
	// The server answers 431 and hangs up half a second later: a reader
	// slower than that finds the connection reset instead, which is a
	// refusal too (the request was not served).
	resp, err := http.ReadResponse(r, nil)
	if err == nil && resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KB of headers answered %d; want 431", resp.StatusCode)
	}
}

func TestTrickledBodyIsCut(t *testing.T) {
	t.Parallel()
	s, addr := serveWithLimits(t, chttp.Limits{Read: 200 * time.Millisecond})
	conn := dial(t, addr)
	body := `{"first_name":"` + strings.Repeat("a", 500) + `"}`
	header := "POST /v1/contacts HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n" +
		"Authorization: Bearer " + s.admin + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(conn, header); err != nil {
		t.Fatal(err)
	}
	// One byte every 50 ms: the whole body would take 25 s.
	var sent atomic.Int64
	go func() {
		for i := range len(body) {
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return
			}
			sent.Add(1)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	waitClosed(t, conn, "body trickled byte by byte")
	if n := sent.Load(); n >= int64(len(body)) {
		t.Fatalf("the server waited for the whole trickled body (%d bytes)", n)
	}
}

func TestConnectionCapHolds(t *testing.T) {
	t.Parallel()
	_, addr := serveWithLimits(t, chttp.Limits{MaxConns: 2})
	// Two connections, served (so accepted), then kept alive.
	var held []net.Conn
	for range 2 {
		conn := dial(t, addr)
		if resp := get(t, conn, bufio.NewReader(conn), "/healthz"); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /healthz = %d", resp.StatusCode)
		}
		held = append(held, conn)
	}
	third := dial(t, addr)
	if _, err := io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// No answer while two connections are open. (A server slower than this
	// wait would let a broken cap pass, never fail a working one.)
	third.SetReadDeadline(time.Now().Add(300 * time.Millisecond)) //nolint:errcheck
	r := bufio.NewReader(third)
	if _, err := r.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a third connection was served while two were open (read: %v)", err)
	}
	held[0].Close()
	third.SetReadDeadline(time.Now().Add(patience)) //nolint:errcheck
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the third connection once one closed: %v, %v", resp, err)
	}
}

func TestFollowedStreamOutlivesTimeouts(t *testing.T) {
	t.Parallel()
	tight := chttp.Limits{ReadHeader: 100 * time.Millisecond, Read: 100 * time.Millisecond, Write: 100 * time.Millisecond, Idle: 100 * time.Millisecond}
	s, addr := serveWithLimits(t, tight, func(srv *chttp.Server) { srv.Services.Heartbeat = 20 * time.Millisecond })
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/v1/events?follow=true", nil)
	req.Header.Set("Authorization", "Bearer "+s.admin)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	// 50 heartbeats span at least 49 intervals: ten times every limit.
	for heartbeats := 0; heartbeats < 50; {
		if !lines.Scan() {
			t.Fatalf("the stream ended after %d heartbeats: %v", heartbeats, lines.Err())
		}
		if strings.Contains(lines.Text(), `"heartbeat":true`) {
			heartbeats++
		}
	}
	// Still delivering events (registered through the other listener,
	// whose answers the tight write limit would not bound).
	created := s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"first_name": "Ada"})
	created.want(t, http.StatusCreated)
	for lines.Scan() {
		if strings.Contains(lines.Text(), `"ContactRegistered"`) && strings.Contains(lines.Text(), `"Ada"`) {
			return
		}
	}
	t.Fatalf("the stream ended before the event of %s: %v", created.body, lines.Err())
}

func TestSlowUploadPasses(t *testing.T) {
	t.Parallel()
	// The upload takes longer than an ordinary request may take to be
	// read, and its answer comes later than an ordinary answer may.
	s, addr := serveWithLimits(t, chttp.Limits{Read: 100 * time.Millisecond, Write: 100 * time.Millisecond, Upload: patience})
	s.do(t, "POST", "/v1/contacts", s.admin, map[string]any{"first_name": "Ada", "email": "ada@example.org"}).want(t, http.StatusCreated)
	workbook := s.do(t, "GET", "/v1/exports/contacts.xlsx", s.admin, nil)
	workbook.want(t, http.StatusOK)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	part, _ := mw.CreateFormFile("file", "contacts.xlsx")
	part.Write(workbook.body) //nolint:errcheck
	mw.Close()
	// Sent in 20 pieces 20 ms apart: several times the read limit of an
	// ordinary request.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", "http://"+addr+"/v1/imports?dry_run=true", &slowReader{data: form.Bytes(), pieces: 20})
	req.ContentLength = int64(form.Len())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.admin)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("slow upload = %d %s", resp.StatusCode, body)
	}
}

// slowReader hands its data over in pieces, 20 ms apart.
type slowReader struct {
	data   []byte
	pieces int
	sent   int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.sent > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	r.sent++
	n := min(len(p), max(len(r.data)/r.pieces, 1), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// A followed event stream lasts as long as its client follows: it is
// never a slow request.
func TestFollowedStreamIsNotLoggedSlow(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	s := newStack(t, func(srv *chttp.Server) {
		srv.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		srv.Services.Heartbeat = 100 * time.Millisecond
	})
	// A server of its own, whose Close waits for the stream's handler
	// (and its logging) to end.
	ts := httptest.NewServer(s.server.Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/v1/events?follow=true", nil)
	req.Header.Set("Authorization", "Bearer "+s.admin)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	// Follow for longer than a request may take before it is logged slow.
	lines := bufio.NewScanner(resp.Body)
	for start := time.Now(); time.Since(start) < 3*time.Second; {
		if !lines.Scan() {
			t.Fatalf("the stream ended: %v", lines.Err())
		}
	}
	resp.Body.Close()
	ts.Close()
	if strings.Contains(logs.String(), "slow request") {
		t.Errorf("a followed stream was logged:\n%s", logs.String())
	}
}
