package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	chttp "github.com/assoc/contacts/http"
)

// Every request the tests send through a stack's client, and every answer,
// is checked against http/openapi.yaml (checkedTransport): a route, a
// parameter, a status, a header or a body shape that drifts from the
// document fails the test that met it.

// invalidRequest is a request header a test sets (to why) when it sends an
// invalid request on purpose, to see it refused: the request is then not
// checked, its answer still is. The header never reaches the server.
const invalidRequest = "X-Test-Invalid-Request"

// openAPIDoc is the document, loaded and validated once, with its router.
var openAPIDoc = sync.OnceValues(func() (*openAPIChecker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(chttp.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not valid OpenAPI: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route openapi.yaml: %w", err)
	}
	return &openAPIChecker{doc: doc, router: router}, nil
})

// openAPIChecker validates requests and answers against the document.
type openAPIChecker struct {
	doc    *openapi3.T
	router routers.Router
}

// loadOpenAPI returns the checker, failing the test when the document is
// broken.
func loadOpenAPI(t testing.TB) *openAPIChecker {
	t.Helper()
	c, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// schemaOptions check formats the validator leaves alone by default:
// format: email, as the server reads an address (net/mail).
var schemaOptions = []openapi3.SchemaValidationOption{
	openapi3.EnableJSONSchema2020(),
	openapi3.WithStringFormatValidator("email", openapi3.NewCallbackValidator(func(v string) error {
		if addr, err := mail.ParseAddress(v); err != nil || addr.Address != v {
			return fmt.Errorf("%q is not an email address", v)
		}
		return nil
	})),
}

// filterOptions are the checks run: every status must be documented.
var filterOptions = &openapi3filter.Options{
	IncludeResponseStatus:   true,
	AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
	SchemaValidationOptions: schemaOptions[1:],
}

// checkedTransport sends requests through base and checks each request
// and answer against the document. Problems are reported to t.
type checkedTransport struct {
	t       *testing.T
	base    http.RoundTripper
	checker *openAPIChecker
	// streamed collects what the checks of streamed bodies find, read
	// maybe after the request's test step: reported at the test's end.
	mu       sync.Mutex
	streamed []string
}

// checkedClient returns a client whose requests and answers are checked
// against the document.
func checkedClient(t *testing.T, base *http.Client) *http.Client {
	t.Helper()
	ct := &checkedTransport{t: t, base: base.Transport, checker: loadOpenAPI(t)}
	if ct.base == nil {
		ct.base = http.DefaultTransport
	}
	t.Cleanup(ct.report)
	client := *base
	client.Transport = ct
	return &client
}

func (ct *checkedTransport) report() {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	for _, msg := range ct.streamed {
		ct.t.Error(msg)
	}
	ct.streamed = nil
}

func (ct *checkedTransport) streamError(format string, args ...any) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	ct.streamed = append(ct.streamed, fmt.Sprintf(format, args...))
}

func (ct *checkedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	name := req.Method + " " + req.URL.RequestURI()
	why := req.Header.Get(invalidRequest)
	req = req.Clone(req.Context())
	req.Header.Del(invalidRequest)
	route, params, routeErr := ct.checker.router.FindRoute(req)
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: filterOptions}
	// A body that can be read twice is checked before it is sent; another
	// (a slow upload) as it is sent, then checked once answered.
	var sent *bytes.Buffer
	checkLater := false
	if routeErr == nil && why == "" {
		switch {
		case req.Body == nil || req.Body == http.NoBody:
			ct.checkRequest(name, input, nil)
		case req.GetBody != nil:
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			ct.checkRequest(name, input, body)
		default:
			sent, checkLater = &bytes.Buffer{}, true
			req.Body = teeBody{io.TeeReader(req.Body, sent), req.Body}
		}
	}
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if checkLater {
		ct.checkRequest(name, input, io.NopCloser(sent))
	}
	if routeErr != nil {
		return ct.checkUnrouted(name, routeErr, resp)
	}
	return ct.checkResponse(name, input, resp)
}

// teeBody is a request body copied as it is read.
type teeBody struct {
	io.Reader
	io.Closer
}

// checkRequest checks the request, with body as its body.
func (ct *checkedTransport) checkRequest(name string, input *openapi3filter.RequestValidationInput, body io.ReadCloser) {
	ct.t.Helper()
	r := input.Request.Clone(input.Request.Context())
	r.Body = body
	in := *input
	in.Request = r
	if err := openapi3filter.ValidateRequest(r.Context(), &in); err != nil {
		ct.t.Errorf("%s: the request does not follow openapi.yaml (set %s if it is invalid on purpose): %v", name, invalidRequest, err)
	}
}

// checkUnrouted checks the answer to a request the document has no
// operation for: only a problem, 404 or 405, is right.
func (ct *checkedTransport) checkUnrouted(name string, routeErr error, resp *http.Response) (*http.Response, error) {
	ct.t.Helper()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		ct.t.Errorf("%s: not in openapi.yaml (%v), yet answered %d", name, routeErr, resp.StatusCode)
	}
	body, err := readBody(resp)
	if err != nil {
		return resp, nil
	}
	var v any
	problem := ct.checker.doc.Components.Schemas["Problem"].Value
	if err := json.Unmarshal(body, &v); err != nil {
		ct.t.Errorf("%s: the answer %d is not JSON: %s", name, resp.StatusCode, body)
	} else if err := problem.VisitJSON(v, schemaOptions...); err != nil {
		ct.t.Errorf("%s: the answer %d is not a Problem: %v", name, resp.StatusCode, err)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/problem+json" {
		ct.t.Errorf("%s: Content-Type %q, want application/problem+json", name, got)
	}
	return resp, nil
}

// readBody reads resp's body whole and puts it back, to be read again; a
// read error is put back too.
func readBody(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
	return body, err
}

// errReader fails with err (io.EOF when nil).
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err == nil {
		return 0, io.EOF
	}
	return 0, r.err
}

// checkResponse checks an answer: its status, its headers, its content
// type and its body. NDJSON streams are checked line by line as they are
// read; workbooks are not read.
func (ct *checkedTransport) checkResponse(name string, input *openapi3filter.RequestValidationInput, resp *http.Response) (*http.Response, error) {
	ct.t.Helper()
	doc := input.Route.Operation.Responses.Status(resp.StatusCode)
	if doc == nil || doc.Value == nil {
		ct.t.Errorf("%s: status %d is not in openapi.yaml: %s", name, resp.StatusCode, peek(resp))
		return resp, nil
	}
	ct.checkHeaders(name, resp.StatusCode, resp.Header, doc.Value)
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header, Options: filterOptions,
	}
	switch media {
	case "application/x-ndjson", xlsxType:
		if doc.Value.Content.Get(media) == nil {
			ct.t.Errorf("%s: Content-Type %s is not in openapi.yaml for %d", name, media, resp.StatusCode)
			return resp, nil
		}
		options := *filterOptions
		options.ExcludeResponseBody = true
		out.Options = &options
		if err := openapi3filter.ValidateResponse(input.Request.Context(), out); err != nil {
			ct.t.Errorf("%s: the answer does not follow openapi.yaml: %v", name, err)
		}
		if media == "application/x-ndjson" {
			resp.Body = &ndjsonChecker{ct: ct, name: name, resp: resp, doc: doc.Value,
				schema: doc.Value.Content.Get(media).Schema.Value, body: resp.Body}
		}
		return resp, nil
	}
	body, err := readBody(resp)
	if err != nil {
		return resp, nil // cut short: the test sees it
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(input.Request.Context(), out); err != nil {
		ct.t.Errorf("%s: the answer does not follow openapi.yaml: %v", name, err)
	}
	return resp, nil
}

// xlsxType is the media type of a workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// peek returns the start of resp's body, leaving it readable.
func peek(resp *http.Response) string {
	body, _ := readBody(resp)
	return string(body[:min(len(body), 300)])
}

// transportHeaders are set by HTTP itself, not by the API.
var transportHeaders = []string{"Content-Type", "Content-Length", "Date", "Trailer", "Connection", "Keep-Alive"}

// checkHeaders fails for a header the answer carries that the document
// does not declare for it.
func (ct *checkedTransport) checkHeaders(name string, status int, header http.Header, doc *openapi3.Response) {
	ct.t.Helper()
	for h := range header {
		if slices.Contains(transportHeaders, h) {
			continue
		}
		if !declaresHeader(doc, h) {
			ct.t.Errorf("%s: header %s of the answer %d is not in openapi.yaml", name, h, status)
		}
	}
}

// declaresHeader reports whether the response declares header h.
func declaresHeader(doc *openapi3.Response, h string) bool {
	for name := range doc.Headers {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// ndjsonChecker checks each line of an NDJSON body against the line
// schema as the test reads it, and the trailers once it ends.
type ndjsonChecker struct {
	ct     *checkedTransport
	name   string
	resp   *http.Response
	doc    *openapi3.Response
	schema *openapi3.Schema
	body   io.ReadCloser
	line   []byte
	lines  int
}

func (n *ndjsonChecker) Read(p []byte) (int, error) {
	k, err := n.body.Read(p)
	n.line = append(n.line, p[:k]...)
	for {
		i := bytes.IndexByte(n.line, '\n')
		if i < 0 {
			break
		}
		n.checkLine(n.line[:i])
		n.line = n.line[i+1:]
	}
	if errors.Is(err, io.EOF) {
		if len(n.line) > 0 {
			n.ct.streamError("%s: the NDJSON stream ends inside a line: %q", n.name, n.line)
		}
		for h := range n.resp.Trailer {
			if !declaresHeader(n.doc, h) {
				n.ct.streamError("%s: trailer %s is not in openapi.yaml", n.name, h)
			}
		}
	}
	return k, err
}

func (n *ndjsonChecker) checkLine(line []byte) {
	n.lines++
	var v any
	if err := json.Unmarshal(line, &v); err != nil {
		n.ct.streamError("%s: NDJSON line %d is not JSON: %q", n.name, n.lines, line)
		return
	}
	if err := n.schema.VisitJSON(v, schemaOptions...); err != nil {
		n.ct.streamError("%s: NDJSON line %d does not follow openapi.yaml: %v\n%s", n.name, n.lines, err, line)
	}
}

func (n *ndjsonChecker) Close() error { return n.body.Close() }
