package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	sessionIDHeader   = "Mcp-Session-Id"
	lastEventIDHeader = "Last-Event-ID"
	// jsonWindow is how long a call may take to be answered as one JSON
	// object; past it the answer streams (SSE) with an event id to resume.
	jsonWindow = 50 * time.Millisecond
)

// handler routes /mcp, /healthz and /readyz. Every request passes the Origin check;
// /mcp then passes the Host check, authentication, the body limit, the batch
// refusal, the rate limit and the session limits before reaching the SDK's
// Streamable HTTP handler.
func (h *Server) handler(hosts *hostCheck, origins []string) http.Handler {
	opts := &mcp.StreamableHTTPOptions{
		Stateless:      h.cfg.Stateless,
		SessionTimeout: h.cfg.SessionTimeout,
		Logger:         h.log,
		// Our Host check (serveMCP, before this handler) replaces the SDK's
		// loopback check: on a loopback listener it accepts only the
		// loopback names with our port, stricter than the SDK's, and hosts
		// configured explicitly (a reverse proxy on loopback) must pass.
		// The SDK's check formatted the local address on every request.
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        h.cfg.MaxBodyBytes,
		// 2026-07-28 requests end with their POST: a client that drops it
		// cancels the call (the call table does the same for the others).
		PropagateRequestCancellation: true,
		// Most calls answer at once: as application/json they cost one
		// write instead of the SSE priming event, its flush and the event
		// store; longer ones still get a resumable stream (patched SDK).
		JSONResponseWindow: jsonWindow,
	}
	if h.events != nil {
		opts.EventStore = h.events
	}
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return h.mcp }, opts)
	var mcpHandler http.Handler = sdk
	if h.authRequired() {
		// The SDK binds each session to TokenInfo.UserID (403 for another
		// token) and passes TokenInfo to the rate limiter; the token itself
		// was checked by authenticate, which put its TokenInfo in the context.
		bearerOpts := &auth.RequireBearerTokenOptions{AllowMissingExpiration: true}
		if h.oauth != nil {
			bearerOpts.ClockSkew = h.oauth.cfg.ClockSkew
		}
		mcpHandler = auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
			ti, ok := ctx.Value(tokenInfoKey{}).(*auth.TokenInfo)
			if !ok {
				return nil, auth.ErrInvalidToken
			}
			return ti, nil
		}, bearerOpts)(sdk)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(HealthPath, h.serveHealth)
	mux.HandleFunc(ReadyPath, h.serveReady) // like HealthPath: no Host check or token, for probes by IP
	if h.oauth != nil {
		// RFC 9728 §3.1: at the root, and with the endpoint's path after it.
		for _, p := range []string{MetadataPath, MetadataPath + Endpoint} {
			mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { h.serveMetadata(w, r, hosts) })
		}
	}
	mux.HandleFunc(Endpoint, func(w http.ResponseWriter, r *http.Request) {
		h.serveMCP(w, r, hosts, mcpHandler)
	})
	return h.checkOrigin(mux, origins)
}

func (h *Server) serveMCP(w http.ResponseWriter, r *http.Request, hosts *hostCheck, next http.Handler) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	name := ""
	var msg message
	defer func() {
		// Checked first: the arguments alone cost allocations per request.
		if !h.log.Enabled(r.Context(), slog.LevelDebug) {
			return
		}
		h.log.Debug("http request", "method", r.Method, "rpc", logMethod(msg.method), "status", sw.status, "token", name, "remote", r.RemoteAddr,
			"took", time.Since(start).Round(time.Microsecond))
	}()
	if !hosts.allowed(r.Host) {
		http.Error(sw, "forbidden: Host "+fmt.Sprintf("%q", r.Host)+" is not allowed (PVE_MCP_ALLOWED_HOSTS)", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodOptions { // CORS preflight, answered by checkOrigin
		sw.WriteHeader(http.StatusNoContent)
		return
	}
	ti, ok := h.authenticate(sw, r)
	if !ok {
		return
	}
	if ti != nil {
		name = ti.UserID
		r = r.WithContext(context.WithValue(r.Context(), tokenInfoKey{}, ti))
	}
	r.Header.Del(callHeader) // ours alone
	if r.Method == http.MethodPost || r.Method == http.MethodDelete {
		h.inflight.Add(1)
		defer h.inflight.Add(-1)
	}
	key := name
	if key == "" {
		key = anonymous
	}
	if r.Method == http.MethodPost {
		body, ok := h.readBody(sw, r)
		if !ok {
			return
		}
		// A batch multiplies one POST into thousands of answers the server
		// must hold (1 GB for a 1 MiB batch of tools/list): refuse it before
		// the SDK parses it.
		if isBatch(body) {
			writeRPCError(sw, http.StatusBadRequest, nil, codeInvalidRequest, batchMessage)
			return
		}
		msg = peekMessage(body)
		if msg.kind == kindRequest && h.closing.Load() {
			// Notifications and answers (an elicitation's) still pass: the
			// calls running may need them to finish.
			sw.Header().Set("Retry-After", "10")
			writeRPCError(sw, http.StatusServiceUnavailable, msg.id, codeLimit, "server shutting down: retry once it is back")
			return
		}
		if msg.kind == kindRequest && h.limit != nil && !h.limit.limit(sw, key, msg) {
			return
		}
	}
	sid := r.Header.Get(sessionIDHeader)
	switch {
	case h.cfg.Stateless:
		asSessionRequest(r, msg)
		h.track(sw, r, "", msg, func(w http.ResponseWriter) { h.serveBounded(w, r, next) })
	case r.Method == http.MethodPost && sid == "" && msg.kind == kindRequest && msg.method == "server/discover":
		refuseDiscover(sw, r, msg)
	case r.Method == http.MethodPost && sid == "":
		h.track(sw, r, "", msg, func(w http.ResponseWriter) { h.serveNewSession(w, r, key, msg, next) })
	case r.Method == http.MethodGet && sid != "" && r.Header.Get(lastEventIDHeader) != "":
		h.serveResume(sw, r, key, msg, next)
	case sid != "":
		h.track(sw, r, sid, msg, func(w http.ResponseWriter) { h.serveSession(w, r, key, msg, next) })
	default:
		next.ServeHTTP(sw, r)
	}
}

// track follows a POSTed request through the call table: when the client
// drops the POST before the answer, the call is cancelled (see callTable).
func (h *Server) track(w http.ResponseWriter, r *http.Request, session string, msg message, serve func(http.ResponseWriter)) {
	if r.Method != http.MethodPost || msg.kind != kindRequest {
		serve(w)
		return
	}
	c := h.calls.post(r, session)
	var saw func(string)
	if h.events != nil && session != "" {
		saw = func(stream string) { h.calls.sawStream(c, stream) }
	}
	// Watch the request's context, not the SDK's return: in stateless mode
	// the SDK returns only once the handler is done.
	stop := context.AfterFunc(r.Context(), func() { h.calls.posted(c, true) })
	serve(&streamWriter{ResponseWriter: w, saw: saw})
	if stop() {
		// A context closes its Done channel before it runs its AfterFuncs:
		// the SDK may return for a client that left before stop() sees it.
		h.calls.posted(c, r.Context().Err() != nil)
	}
}

// serveResume serves a GET that resumes a stream (Last-Event-ID); while it
// is open, the call of that stream is not cancelled for its dropped POST.
func (h *Server) serveResume(w http.ResponseWriter, r *http.Request, key string, msg message, next http.Handler) {
	sid := r.Header.Get(sessionIDHeader)
	if stream, _, ok := strings.Cut(r.Header.Get(lastEventIDHeader), "_"); ok && h.sessions.owns(sid, key) {
		if c := h.calls.resume(sid, stream); c != nil {
			// Counted like a POST: shutdown waits for the answer it carries.
			h.inflight.Add(1)
			defer h.inflight.Add(-1)
			defer h.calls.resumed(c)
		}
	}
	h.serveSession(w, r, key, msg, next)
}

// logMethod keeps a client's method name short in the log.
func logMethod(m string) string {
	if len(m) > 64 {
		return m[:64] + "..."
	}
	return m
}

// statusWriter records the status for the access log; Unwrap keeps
// http.ResponseController (flushing event streams) working.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
