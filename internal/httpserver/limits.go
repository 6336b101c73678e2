package httpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bodyReadTimeout bounds reading one request body, against clients that
// trickle bytes to hold connections (the server has no overall ReadTimeout,
// which would cut long event streams).
const bodyReadTimeout = 30 * time.Second

// readBody reads the whole POST body, at most MaxBodyBytes (else 413), and
// replaces r.Body with it.
func (h *Server) readBody(w http.ResponseWriter, r *http.Request) bool {
	limit := h.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		tooLarge(w, limit)
		return false
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(w, limit)
			return false
		}
		http.Error(w, "bad request: reading the body failed", http.StatusBadRequest)
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("request body larger than %d bytes", limit), http.StatusRequestEntityTooLarge)
}

func unavailable(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", "10")
	http.Error(w, msg, http.StatusServiceUnavailable)
}

// serveNewSession serves a POST without a session id, which opens a session,
// unless MaxSessions are open. Creation is serialized so the count is exact;
// the body is already read, so the SDK answers initialize at once. A batch
// could carry a long tool call and hold the lock, so batches are refused here.
func (h *Server) serveNewSession(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if isBatch(r) {
		http.Error(w, "a JSON-RPC batch cannot open a session: send initialize alone", http.StatusBadRequest)
		return
	}
	h.sessionMu.Lock()
	defer h.sessionMu.Unlock()
	if h.closing.Load() {
		unavailable(w, "server shutting down")
		return
	}
	n := 0
	for range h.mcp.Sessions() {
		n++
	}
	if n >= h.cfg.MaxSessions {
		h.log.Warn("refused a new session: too many open", "open", n, "max", h.cfg.MaxSessions)
		unavailable(w, fmt.Sprintf("too many sessions (%d open); close unused clients or raise PVE_MCP_MAX_SESSIONS", n))
		return
	}
	next.ServeHTTP(w, r)
}

// serveBounded serves a stateless request, where every request is its own
// session, so MaxSessions bounds concurrent requests.
func (h *Server) serveBounded(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if h.closing.Load() {
		unavailable(w, "server shutting down")
		return
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		unavailable(w, fmt.Sprintf("too many concurrent requests (%d); retry shortly or raise PVE_MCP_MAX_SESSIONS", h.cfg.MaxSessions))
		return
	}
	next.ServeHTTP(w, r)
}

// rateLimiter is a token bucket per bearer token: perMin calls at once, then
// refilled at perMin per minute.
type rateLimiter struct {
	perMin  int
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket // keyed by token name; bounded by the configured tokens
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perMin int, now func() time.Time) *rateLimiter {
	return &rateLimiter{perMin: perMin, now: now, buckets: map[string]*bucket{}}
}

// take spends one call from key's bucket, or says how long until one is free.
func (l *rateLimiter) take(key string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	capacity := float64(l.perMin)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: capacity, last: now}
		l.buckets[key] = b
	}
	perSec := capacity / 60
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(capacity, b.tokens+el*perSec)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / perSec * float64(time.Second))
}

// middleware limits tools/call received over HTTP, keyed by the name of the
// bearer token (TokenInfo.UserID); over the limit the call gets a tool error
// the model can read, saying when to retry.
func (l *rateLimiter) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		extra := req.GetExtra()
		if method != "tools/call" || extra == nil || extra.Header == nil {
			return next(ctx, method, req)
		}
		key := ""
		if extra.TokenInfo != nil {
			key = extra.TokenInfo.UserID
		}
		ok, wait := l.take(key)
		if ok {
			return next(ctx, method, req)
		}
		secs := int(math.Ceil(wait.Seconds()))
		msg := "rate limit reached: at most " + strconv.Itoa(l.perMin) + " tool calls per minute for this client token; retry in " +
			strconv.Itoa(secs) + "s (PVE_MCP_RATE_LIMIT)"
		return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}, nil
	}
}

// isBatch tells whether the (already read) body is a JSON-RPC batch.
func isBatch(r *http.Request) bool {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return err == nil && len(bytes.TrimLeft(body, " \t\r\n")) > 0 && bytes.TrimLeft(body, " \t\r\n")[0] == '['
}
