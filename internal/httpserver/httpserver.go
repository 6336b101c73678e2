// Package httpserver serves an MCP server over Streamable HTTP for remote
// clients, safe by default: bearer-token authentication, Origin and Host
// checks against browser-borne attacks, request, session and rate limits, and
// a graceful shutdown that lets running tool calls finish.
package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// Endpoint is the path of the MCP endpoint; HealthPath answers "ok".
const (
	Endpoint   = "/mcp"
	HealthPath = "/healthz"
)

// Server is one MCP server behind the HTTP transport.
type Server struct {
	cfg    config.HTTPConfig
	mcp    *mcp.Server
	log    *slog.Logger
	tokens *tokenSet
	limit  *rateLimiter // nil: no rate limit
	tls    *tls.Config  // nil: plain HTTP

	sessionMu sync.Mutex    // serializes session creation so the bounds are exact
	sessions  *sessionTable // stateful only: owners, last use and requests in flight
	slots     chan struct{} // stateless: concurrent requests
	inflight  atomic.Int64  // POST and DELETE requests being served
	closing   atomic.Bool
	// calls is cancelled when shutdown runs out of time, cancelling the
	// handlers still running so their sessions can close.
	calls     context.Context
	stopCalls context.CancelFunc
}

// New prepares s to be served over HTTP with cfg. It adds receiving
// middleware to s (cancellation at shutdown, the count of running handlers),
// so call it once per mcp.Server. The logger may be nil; the tokens are
// never logged.
func New(s *mcp.Server, cfg *config.HTTPConfig, logger *slog.Logger) (*Server, error) {
	if s == nil || cfg == nil {
		return nil, errors.New("httpserver: nil server or config")
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := *cfg
	if c.MaxSessions <= 0 {
		c.MaxSessions = config.DefaultMaxSessions
	}
	if c.MaxSessionsPerToken <= 0 {
		c.MaxSessionsPerToken = config.DefaultMaxSessionsPerToken
	}
	if c.MaxInflightPerSession <= 0 {
		c.MaxInflightPerSession = config.DefaultMaxInflightPerSession
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = config.DefaultMaxBodyBytes
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = config.DefaultShutdownTimeout
	}
	if c.SessionTimeout < 0 {
		return nil, fmt.Errorf("httpserver: negative session timeout %v", c.SessionTimeout)
	}
	h := &Server{cfg: c, mcp: s, log: logger, tokens: newTokenSet(c.Tokens)}
	h.calls, h.stopCalls = context.WithCancel(context.Background())
	if c.TLSCert != "" || c.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("httpserver: load TLS certificate and key: %w", err)
		}
		h.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.AddReceivingMiddleware(h.cancelOnStop)
	if c.Stateless {
		h.slots = make(chan struct{}, c.MaxSessions)
	} else {
		h.sessions = newSessionTable()
		s.AddReceivingMiddleware(h.sessions.middleware)
	}
	if c.RateLimit > 0 {
		h.limit = newRateLimiter(c.RateLimit, time.Now)
	}
	return h, nil
}

// Serve listens on cfg.Listen and serves until ctx is done, then shuts down
// gracefully and returns nil.
func Serve(ctx context.Context, s *mcp.Server, cfg *config.HTTPConfig, logger *slog.Logger) error {
	h, err := New(s, cfg, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return h.Serve(ctx, ln)
}

// Serve serves on ln (which it closes) until ctx is done. Then it stops
// accepting, lets running requests finish within the shutdown timeout, closes
// the sessions and returns nil. It refuses a non-loopback listener without
// tokens.
func (h *Server) Serve(ctx context.Context, ln net.Listener) error {
	hosts, err := newHostCheck(h.cfg.AllowedHosts, ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	if !hosts.loopback && h.tokens.empty() {
		ln.Close()
		return fmt.Errorf("httpserver: refusing to listen on %s without a token: set PVE_MCP_HTTP_TOKEN or PVE_MCP_HTTP_TOKEN_FILE", ln.Addr())
	}
	h.logStart(ln.Addr(), hosts)
	srv := &http.Server{
		Handler: h.handler(hosts),
		// No ReadTimeout or WriteTimeout: tool calls stream progress for
		// minutes. Headers must come quickly; bodies are read under their own
		// deadline (readBody).
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelDebug),
		TLSConfig:         h.tls,
	}
	served := make(chan error, 1)
	go func() {
		if h.tls != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		h.stopCalls()
		h.closeSessions()
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}
	h.shutdown(srv)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve HTTP: %w", err)
	}
	return nil
}

// shutdown stops accepting, waits for POST and DELETE requests (tool calls)
// to finish, then closes the sessions, which ends their event streams. When
// the shutdown timeout passes first, it cancels the calls still running.
func (h *Server) shutdown(srv *http.Server) {
	h.closing.Store(true)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.ShutdownTimeout)
	defer cancel()
	h.log.Info("shutting down: waiting for running requests", "running", h.inflight.Load(), "limit", h.cfg.ShutdownTimeout)
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for h.inflight.Load() > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	left := h.inflight.Load()
	h.stopCalls()
	closed := make(chan struct{})
	go func() {
		h.closeSessions()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(sessionCloseGrace):
		h.log.Warn("sessions did not close in time", "grace", sessionCloseGrace)
	}
	if err := <-done; err != nil {
		h.log.Warn("shutdown timed out: closing the remaining connections", "running", left, "err", err)
		srv.Close()
		return
	}
	h.log.Info("shut down", "took", time.Since(start).Round(time.Millisecond))
}

// sessionCloseGrace bounds closing the sessions after the calls were
// cancelled: a handler that ignores cancellation must not hold the exit.
const sessionCloseGrace = 5 * time.Second

// cancelOnStop ties every handler's context to h.calls.
func (h *Server) cancelOnStop(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(h.calls, cancel)()
		return next(ctx, method, req)
	}
}

func (h *Server) closeSessions() {
	var all []*mcp.ServerSession
	for ss := range h.mcp.Sessions() {
		all = append(all, ss)
	}
	for _, ss := range all {
		ss.Close()
	}
}

func (h *Server) logStart(addr net.Addr, hosts *hostCheck) {
	scheme := "http"
	if h.tls != nil {
		scheme = "https"
	}
	h.log.Info("serving MCP over Streamable HTTP", "url", scheme+"://"+addr.String()+Endpoint,
		"stateless", h.cfg.Stateless, "session_timeout", h.cfg.SessionTimeout, "tokens", h.tokens.names(),
		"allowed_hosts", hosts.String(), "allowed_origins", h.cfg.AllowedOrigins,
		"rate_limit_per_min", h.cfg.RateLimit, "max_sessions", h.cfg.MaxSessions,
		"max_sessions_per_token", h.cfg.MaxSessionsPerToken, "max_inflight_per_session", h.cfg.MaxInflightPerSession)
	if h.tokens.empty() {
		h.log.Warn("no PVE_MCP_HTTP_TOKEN: every local user and process can use this server and its Proxmox token")
	}
	if h.tls == nil && !hosts.loopback {
		h.log.Warn("plain HTTP on a network address: the bearer token and all traffic can be read on the way; use --tls-cert/--tls-key or a TLS proxy")
	}
}
