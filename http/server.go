// Package http is the HTTP adapter: gin handlers that parse requests, call
// the domain's command handlers and the read models' queries, and encode the
// answers. Errors leave as application/problem+json, mapped from domain error
// codes in one place (problem.go). No business rule lives here.
package http

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// Server serves the API on one address.
type Server struct {
	Addr   string
	Logger *slog.Logger

	engine *gin.Engine
	server *http.Server
	ln     net.Listener
	ready  atomic.Bool
}

// NewServer returns a server for addr with its routes registered. It answers
// /readyz with 503 until SetReady(true).
func NewServer(addr string, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{Addr: addr, Logger: logger, engine: gin.New()}
	s.engine.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		s.Logger.Error("panic in handler", "path", c.Request.URL.Path, "err", err)
		writeProblem(c, http.StatusInternalServerError, "internal error", "", "")
	}))
	s.engine.NoRoute(func(c *gin.Context) {
		writeProblem(c, http.StatusNotFound, "no such route", "", "")
	})
	s.engine.GET("/healthz", s.handleHealthz)
	s.engine.GET("/readyz", s.handleReadyz)
	return s
}

// Handler returns the server's routes, for tests that run their own listener.
func (s *Server) Handler() http.Handler { return s.engine }

// SetReady marks the service ready (or not) to take traffic.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Open starts listening on Addr and serving in the background. The address
// actually bound (useful with port 0) is then in URL.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.server = &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
	if s.server == nil {
		return nil
	}
	return s.server.Shutdown(ctx)
}

func (s *Server) handleHealthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) handleReadyz(c *gin.Context) {
	if !s.ready.Load() {
		writeProblem(c, http.StatusServiceUnavailable, "not ready: starting up", "", "")
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
