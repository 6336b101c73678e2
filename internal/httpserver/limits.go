package httpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// bodyReadTimeout bounds reading one request body, against clients that
// trickle bytes to hold connections (the server has no overall ReadTimeout,
// which would cut long event streams).
const bodyReadTimeout = 30 * time.Second

// readBody reads the whole POST body, at most MaxBodyBytes (else 413),
// replaces r.Body with it and returns it.
func (h *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := h.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		tooLarge(w, limit)
		return nil, false
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := readAllSized(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(w, limit)
			return nil, false
		}
		http.Error(w, "bad request: reading the body failed", http.StatusBadRequest)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return body, true
}

// readAllSized is io.ReadAll with the buffer made for size bytes (the
// Content-Length, -1 when unknown) at once: io.ReadAll starts at 512 and
// grows, two or three allocations and copies for a typical request. A body
// longer than it said still reads whole.
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1) // +1: room for the read that sees the end
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("request body larger than %d bytes", limit), http.StatusRequestEntityTooLarge)
}

func unavailable(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", "10")
	http.Error(w, msg, http.StatusServiceUnavailable)
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

// rateLimiter is a token bucket per bearer token: perMin requests at once,
// then refilled at perMin per minute. Every JSON-RPC request counts, whatever
// its method, since every one costs the server work.
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

// take spends one request from key's bucket, or says how long until one is free.
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

// limit spends one request of the token's budget. Over it, a tool call gets
// a tool error (HTTP 200) the model reads and can wait out; anything else gets
// 429 with Retry-After. It reports whether the request may go on.
func (l *rateLimiter) limit(w http.ResponseWriter, key string, msg message) bool {
	ok, wait := l.take(key)
	if ok {
		return true
	}
	secs := max(1, int(math.Ceil(wait.Seconds())))
	text := "rate limit reached: at most " + strconv.Itoa(l.perMin) + " requests per minute for this client token; retry in " +
		strconv.Itoa(secs) + "s (PVE_MCP_RATE_LIMIT)"
	if msg.method == "tools/call" && msg.id != nil {
		writeToolError(w, msg.id, text)
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeRPCError(w, http.StatusTooManyRequests, msg.id, codeLimit, text)
	return false
}
