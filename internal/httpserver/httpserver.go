// Package httpserver serves an MCP server over Streamable HTTP for remote
// clients, safe by default: bearer-token authentication (static tokens or
// OAuth 2.1 JWT access tokens), Origin and Host checks against browser-borne
// attacks, request, session and rate limits, and a graceful shutdown that
// lets running tool calls finish.
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

// Endpoint is the path of the MCP endpoint; HealthPath answers "ok" while
// the process serves (liveness); ReadyPath is in ready.go.
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
	oauth  *oauthVerifier // nil: no OAuth
	limit  *rateLimiter   // nil: no rate limit
	tls    *tls.Config    // nil: plain HTTP

	sessionMu sync.Mutex    // serializes session creation so the bounds are exact
	sessions  *sessionTable // stateful only: owners, last use and requests in flight
	events    *eventStore   // stateful only: for resuming streams
	slots     chan struct{} // stateless: concurrent requests
	calls     *callTable    // the request handlers running
	inflight  atomic.Int64  // POST and DELETE requests being served
	closing   atomic.Bool   // shutting down: new calls get 503
	ready     readiness     // ReadyPath's check and its cached outcome
}

// New prepares s to be served over HTTP with cfg. It adds receiving
// middleware to s (the call table, the count of running handlers), so call
// it once per mcp.Server. The logger may be nil; the tokens are
// never logged.
func New(s *mcp.Server, cfg *config.HTTPConfig, logger *slog.Logger, opts ...Option) (*Server, error) {
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
	if c.ResumeWindow <= 0 {
		c.ResumeWindow = config.DefaultResumeWindow
	}
	if c.EventRetention <= 0 {
		c.EventRetention = config.DefaultEventRetention
	}
	if c.MaxEventBytes <= 0 {
		c.MaxEventBytes = config.DefaultMaxEventBytes
	}
	if c.SessionTimeout < 0 {
		return nil, fmt.Errorf("httpserver: negative session timeout %v", c.SessionTimeout)
	}
	h := &Server{cfg: c, mcp: s, log: logger, tokens: newTokenSet(c.Tokens), calls: newCallTable(c.ResumeWindow)}
	h.ready.every = defaultReadyEvery
	if c.OAuth != nil {
		if c.OAuth.Issuer == "" || c.OAuth.Audience == "" {
			return nil, errors.New("httpserver: OAuth needs an issuer and an audience")
		}
		h.oauth = newOAuthVerifier(*c.OAuth)
	}
	for _, o := range opts {
		o(h)
	}
	if c.TLSCert != "" || c.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("httpserver: load TLS certificate and key: %w", err)
		}
		h.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.AddReceivingMiddleware(h.calls.middleware)
	if c.Stateless {
		h.slots = make(chan struct{}, c.MaxSessions)
	} else {
		h.sessions = newSessionTable()
		h.events = newEventStore(c.MaxEventBytes, c.EventRetention, time.Now)
		s.AddReceivingMiddleware(h.sessions.middleware)
	}
	if c.RateLimit > 0 {
		h.limit = newRateLimiter(c.RateLimit, time.Now)
	}
	return h, nil
}

// Serve listens on cfg.Listen and serves until ctx is done, then shuts down
// gracefully and returns nil.
func Serve(ctx context.Context, s *mcp.Server, cfg *config.HTTPConfig, logger *slog.Logger, opts ...Option) error {
	h, err := New(s, cfg, logger, opts...)
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
	if !hosts.loopback && !h.authRequired() {
		ln.Close()
		return fmt.Errorf("httpserver: refusing to listen on %s without a token: set PVE_MCP_HTTP_TOKEN, PVE_MCP_HTTP_TOKEN_FILE or PVE_MCP_HTTP_OAUTH_ISSUER", ln.Addr())
	}
	h.logStart(ln.Addr(), hosts)
	srv := &http.Server{
		Handler: h.handler(hosts, sameOrigins(hosts, h.tls != nil)),
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
		h.calls.stopAll()
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
	if h.oauth != nil {
		h.log.Info("accepting OAuth access tokens", "issuer", h.oauth.cfg.Issuer, "audience", h.oauth.cfg.Audience,
			"metadata", MetadataPath+Endpoint)
	}
	if !h.authRequired() {
		h.log.Warn("no PVE_MCP_HTTP_TOKEN: every local user and process can use this server and its Proxmox token")
	}
	if h.tls == nil && !hosts.loopback {
		h.log.Warn("plain HTTP on a network address: the bearer token and all traffic can be read on the way; use --tls-cert/--tls-key or a TLS proxy")
	}
}
