// Package http is the HTTP adapter: gin handlers that parse requests, call
// the domain's command handlers and the read models' queries, and encode the
// answers. Errors leave as application/problem+json, mapped from domain error
// codes in one place (problem.go). No business rule lives here.
package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/net/netutil"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/http/console"
)

// Services are what the API's routes call: ports of the domain (and of
// the platform: keys, the read models' state), never an adapter's own
// types. Set Server.Services before the server takes traffic; routes
// whose services are missing answer 503.
type Services struct {
	// Commands runs the commands.
	Commands domain.Commands
	// Contacts reads contacts, fields, history and the past, and answers
	// commands with the contact they left.
	Contacts domain.ContactReader
	// Events is the communities' event feed, for /v1/events.
	Events domain.EventFeed
	// Keys authenticates callers and makes new keys.
	Keys KeyService
	// Projections reports the read models' state, for /metrics, /readyz
	// and /v1/projections (optional).
	Projections ProjectionStatus
	// Heartbeat is how often a followed event stream with nothing to send
	// sends a heartbeat line (default 15 s).
	Heartbeat time.Duration
	// Excel imports and exports workbooks (optional: its routes answer 503
	// without it).
	Excel domain.Imports
	// Database is pinged by /readyz (optional: unchecked without it).
	Database Pinger
	// Sessions keep the console's sign-ins (optional: the console answers
	// 503 without them).
	Sessions console.Sessions
}

// Pinger checks that a dependency answers (*pgxpool.Pool is one).
type Pinger interface {
	Ping(ctx context.Context) error
}

// ProjectionStatus reports how far each read model lags behind the log,
// and retries the events one set aside (*projections.Runner is one).
type ProjectionStatus interface {
	Status(ctx context.Context) ([]domain.ReadModelStatus, error)
	// Parked counts the events each read model set aside (one query).
	Parked(ctx context.Context) (map[string]int, error)
	// RetryParked applies again the events read model name set aside
	// (ENOTFOUND for an unknown name).
	RetryParked(ctx context.Context, name string) (domain.ParkedRetry, error)
}

// KeyService keeps API keys (*apikeys.Store is one).
type KeyService interface {
	// Create makes a key with role in communityID ("" for operators).
	Create(ctx context.Context, role apikeys.Role, communityID string) (string, apikeys.Key, error)
	// Lookup describes key: EUNAUTHORIZED or ENOTFOUND when it is not one.
	Lookup(ctx context.Context, key string) (apikeys.Key, error)
	// List returns a community's keys (not revoked) by role, then age.
	List(ctx context.Context, communityID string) ([]apikeys.Key, error)
	// Revoke revokes a community's key: ENOTFOUND for another's, or one
	// already revoked.
	Revoke(ctx context.Context, communityID, id string) error
}

// Limits bound what one client may hold of the server: time to send a
// request, to take its answer, to stay idle between requests, and a share
// of the connections. Without them a client that trickles its request, or
// never reads its answer, holds a connection (and its goroutine) for ever.
type Limits struct {
	// ReadHeader bounds sending a request's headers.
	ReadHeader time.Duration
	// Read bounds sending a whole request, body included (JSON bodies: at
	// most 1 MB). net/http lifts it once the body is read, so that a long
	// answer is never cut for its client's silence.
	Read time.Duration
	// Upload replaces Read for a workbook upload (POST /v1/imports, up to
	// 20 MB), which a slow link needs minutes to send.
	Upload time.Duration
	// Write bounds sending an answer, from the end of the request's
	// headers. Answers that may take long to make (exports, imports and
	// their reverts) are bounded per write instead; followed event streams
	// bound each write themselves, and last as long as their client reads.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request.
	Idle time.Duration
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes int
	// MaxConns caps the connections open at once; more wait to be
	// accepted until one closes.
	MaxConns int
}

// DefaultLimits are the limits of a server NewServer makes. Upload lets a
// 20 MB workbook through at 35 KB/s (a 280 kbit/s link), Read a 1 MB
// JSON body at the same pace.
func DefaultLimits() Limits {
	return Limits{
		ReadHeader:     10 * time.Second,
		Read:           30 * time.Second,
		Upload:         10 * time.Minute,
		Write:          30 * time.Second,
		Idle:           60 * time.Second,
		MaxHeaderBytes: 64 << 10,
		MaxConns:       1024,
	}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	return Limits{
		ReadHeader:     orDefault(l.ReadHeader, d.ReadHeader),
		Read:           orDefault(l.Read, d.Read),
		Upload:         orDefault(l.Upload, d.Upload),
		Write:          orDefault(l.Write, d.Write),
		Idle:           orDefault(l.Idle, d.Idle),
		MaxHeaderBytes: orDefault(l.MaxHeaderBytes, d.MaxHeaderBytes),
		MaxConns:       orDefault(l.MaxConns, d.MaxConns),
	}
}

// orDefault returns v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Server serves the API on one address.
type Server struct {
	Addr   string
	Logger *slog.Logger
	// Services are the API's dependencies; set them before serving.
	Services Services
	// Limits bound each client; set them before Listen (zero fields take
	// the defaults).
	Limits Limits

	engine *gin.Engine
	server *http.Server
	ln     net.Listener
	ready  atomic.Bool
	// closing is closed when the server shuts down, so that followed
	// event streams end rather than hold the shutdown up.
	closing   chan struct{}
	closeOnce sync.Once
}

// NewServer returns a server for addr with its routes registered. It answers
// /readyz with 503 until SetReady(true), and the API's routes with 503 until
// its Services are set.
func NewServer(addr string, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{Addr: addr, Logger: logger, Limits: DefaultLimits(), engine: gin.New(), closing: make(chan struct{})}
	s.engine.HandleMethodNotAllowed = true
	s.engine.Use(s.requestID, s.logFailures, s.recover, limitBody, s.boundEachWrite)
	s.engine.NoRoute(func(c *gin.Context) {
		writeProblem(c, http.StatusNotFound, "no such route", "", "")
	})
	s.engine.NoMethod(func(c *gin.Context) {
		writeProblem(c, http.StatusMethodNotAllowed, "this route does not take "+c.Request.Method, "", "")
	})
	s.engine.GET("/healthz", s.handleHealthz)
	s.engine.GET("/readyz", s.handleReadyz)
	s.routes()
	s.mountConsole()
	return s
}

// mountConsole serves the admin console under /console/, on the same
// services as the API, and sends a browser at / there.
func (s *Server) mountConsole() {
	con, err := console.New(s.consoleDeps, s.Logger)
	if err != nil {
		panic(err) // the embedded templates do not parse: a bug a test catches
	}
	con.Uploads = []gin.HandlerFunc{s.slowUpload}
	con.Mount(s.engine)
	s.engine.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, console.Prefix) })
}

// consoleDeps are the console's dependencies, read at each request: the
// services are set after the routes are registered.
func (s *Server) consoleDeps() console.Deps {
	d := console.Deps{Commands: s.Services.Commands, Contacts: s.Services.Contacts, Keys: s.Services.Keys, Sessions: s.Services.Sessions}
	if s.Services.Excel != nil {
		d.Workbooks = consoleWorkbooks{svc: s.Services.Excel}
	}
	return d
}

// routes registers the authenticated API. Every route names the roles that
// may call it; openapi.yaml describes each one (a test checks).
func (s *Server) routes() {
	var (
		operator = s.allow(apikeys.RoleOperator)
		admin    = s.allow(apikeys.RoleAdmin)
		reader   = s.allow(apikeys.RoleAdmin, apikeys.RoleAuditor)
		analyst  = s.allow(apikeys.RoleAdmin, apikeys.RoleAnalytics)
		anyone   = s.allow(apikeys.Roles...)
	)
	s.engine.GET("/openapi.json", s.authenticate, anyone, s.handleOpenAPIJSON)
	s.engine.GET("/openapi.yaml", s.authenticate, anyone, s.handleOpenAPIYAML)
	s.engine.GET("/metrics", s.authenticate, operator, s.handleMetrics)
	s.engine.GET("/v1/projections", s.authenticate, operator, s.handleListProjections)
	s.engine.POST("/v1/projections/:name/retry", s.authenticate, operator, s.handleRetryParked)

	v1 := s.engine.Group("/v1", s.authenticate, checkAfter)
	v1.POST("/communities", operator, s.handleCreateCommunity)
	v1.POST("/keys", admin, s.handleCreateKey)
	v1.GET("/keys", admin, s.handleListKeys)
	v1.DELETE("/keys/:id", admin, s.handleRevokeKey)

	v1.POST("/contacts", admin, s.handleRegisterContact)
	v1.GET("/contacts", reader, s.handleListContacts)
	v1.GET("/archived-contacts", reader, s.handleListArchivedContacts)
	v1.GET("/contacts/:id", reader, s.handleGetContact)
	v1.GET("/contacts/:id/history", reader, s.handleContactHistory)
	v1.PATCH("/contacts/:id", admin, s.handleUpdateContact)
	v1.POST("/contacts/archive", admin, s.handleBulk(bulkArchive))
	v1.POST("/contacts/restore", admin, s.handleBulk(bulkRestore))
	v1.POST("/contacts/delete", admin, s.handleBulk(bulkDelete))
	v1.POST("/contacts/:id/merge", admin, s.handleMergeContacts)
	v1.POST("/contacts/:id/unmerge", admin, s.handleUnmergeContact)

	v1.GET("/fields", reader, s.handleListFields)
	v1.POST("/fields", admin, s.handleDefineField)
	v1.DELETE("/fields/:key", admin, s.handleRemoveField)

	v1.GET("/events", analyst, s.handleEvents)
	v1.GET("/exports/contacts.xlsx", reader, s.handleExportContacts)
	v1.GET("/imports", reader, s.handleListImports)
	v1.POST("/imports", admin, s.slowUpload, s.handleImport)
	v1.GET("/imports/:id", reader, s.handleGetImport)
	v1.POST("/imports/:id/revert", admin, s.handleRevertImport)
}

// Handler returns the server's routes, for tests that run their own listener.
func (s *Server) Handler() http.Handler { return s.engine }

// SetReady marks the service ready (or not) to take traffic.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Listen binds Addr without serving yet, so that a caller learns at once
// that the address is taken, before it starts anything else; connections
// wait to be accepted until Open. The address actually bound (useful with
// port 0) is then in URL. Open calls it when it was not called.
func (s *Server) Listen() error {
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err // "listen tcp <addr>: bind: address already in use"
	}
	s.ln = netutil.LimitListener(ln, s.Limits.withDefaults().MaxConns)
	return nil
}

// Open starts serving on the address Listen bound (binding it first when
// needed), in the background.
func (s *Server) Open() error {
	if err := s.Listen(); err != nil {
		return err
	}
	limits := s.Limits.withDefaults()
	s.server = &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: limits.ReadHeader,
		ReadTimeout:       limits.Read,
		WriteTimeout:      limits.Write,
		IdleTimeout:       limits.Idle,
		MaxHeaderBytes:    limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.server.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on, once opened.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops accepting requests and waits, up to ctx's deadline, for the
// ones in flight.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.closing) })
	if s.server == nil {
		if s.ln != nil {
			return s.ln.Close() // bound, never served
		}
		return nil
	}
	return s.server.Shutdown(ctx)
}

func (s *Server) handleHealthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyPingTimeout bounds /readyz's ping of the database: a load balancer
// probing it must hear back before its own timeout.
const readyPingTimeout = time.Second

// readiness is /readyz's answer when the service can take traffic:
// "ready", or "degraded" when a read model has set events aside (it could
// not apply them: see projections/parking.go). A degraded node still
// serves, so it stays in the load balancer; the body says what to look at.
type readiness struct {
	Status   string          `json:"status"`
	Degraded []degradedModel `json:"degraded,omitempty"`
}

// degradedModel is a read model with events set aside.
type degradedModel struct {
	ReadModel string `json:"read_model"`
	Parked    int    `json:"parked"`
}

// handleReadyz answers 200 when the service can take traffic, else 503
// with the first reason why not. Each check returns that reason ("" when
// it passes) and, for the log, the error behind it.
func (s *Server) handleReadyz(c *gin.Context) {
	checks := []func(context.Context) (string, error){s.startedUp, s.databaseAnswers}
	for _, check := range checks {
		if reason, err := check(c.Request.Context()); reason != "" {
			if err != nil {
				c.Error(err) //nolint:errcheck // returns its argument
			}
			writeProblem(c, http.StatusServiceUnavailable, "not ready: "+reason, "", domain.EUNAVAILABLE)
			return
		}
	}
	c.JSON(http.StatusOK, s.readiness(c))
}

// readiness says whether a read model is degraded. Failing to tell is
// logged, not a reason to leave the load balancer.
func (s *Server) readiness(c *gin.Context) readiness {
	r := readiness{Status: "ready"}
	if s.Services.Projections == nil {
		return r
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyPingTimeout)
	defer cancel()
	parked, err := s.Services.Projections.Parked(ctx)
	if err != nil {
		s.Logger.Warn("readyz: events the read models set aside", "err", err)
		return r
	}
	for _, name := range slices.Sorted(maps.Keys(parked)) {
		r.Status = "degraded"
		r.Degraded = append(r.Degraded, degradedModel{ReadModel: name, Parked: parked[name]})
	}
	return r
}

// startedUp fails until SetReady(true), and again once shutting down.
func (s *Server) startedUp(context.Context) (string, error) {
	if !s.ready.Load() {
		return "starting up or shutting down", nil
	}
	return "", nil
}

// databaseAnswers pings the database, briefly.
func (s *Server) databaseAnswers(ctx context.Context) (string, error) {
	if s.Services.Database == nil {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, readyPingTimeout)
	defer cancel()
	if err := s.Services.Database.Ping(ctx); err != nil {
		return "the database cannot be reached", fmt.Errorf("readyz: ping the database: %w", err)
	}
	return "", nil
}
