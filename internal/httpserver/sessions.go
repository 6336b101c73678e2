package httpserver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// anonymous is the token name of every client when no tokens are configured
// (loopback only): they share one session cap and one rate limit.
const anonymous = "anonymous"

// evictCloseWait bounds waiting for an evicted session to close, which waits
// for its handlers: the victim had none running, but the new session must
// not wait behind one that slipped in.
const evictCloseWait = 2 * time.Second

// sessionTable is the HTTP layer's bookkeeping of the open sessions: whose
// they are, when they were last used and what they have running. The SDK
// owns the sessions; entries of those it closed by itself (idle timeout,
// DELETE) are dropped by reconcile before each new session.
type sessionTable struct {
	mu      sync.Mutex
	tick    uint64                   // counts uses: a larger lastUse is more recent
	entries map[string]*sessionEntry // by session id
}

type sessionEntry struct {
	token   string
	lastUse uint64
	posts   int  // requests POSTed and not yet answered
	running int  // handlers running in the SDK, which outlive a dropped POST
	closing bool // evicted: answered 404 while the SDK closes it
}

// inflight counts a request while its POST is open or its handler runs.
func (e *sessionEntry) inflight() int { return max(e.posts, e.running) }

func newSessionTable() *sessionTable {
	return &sessionTable{entries: map[string]*sessionEntry{}}
}

func (t *sessionTable) add(id, token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.entries[id]; !ok {
		t.tick++
		t.entries[id] = &sessionEntry{token: token, lastUse: t.tick}
	}
}

// reconcile forgets the sessions that are no longer open.
func (t *sessionTable) reconcile(open map[string]*mcp.ServerSession) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id := range t.entries {
		if open[id] == nil {
			delete(t.entries, id)
		}
	}
}

// makeRoom is called before token opens a session. Below the cap it returns
// "" and true. At the cap it marks the token's least recently used idle
// session as closing and returns its id; when all of them are busy it
// returns false.
func (t *sessionTable) makeRoom(token string, limit int) (victim string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	held := 0
	var oldest *sessionEntry
	for id, e := range t.entries {
		if e.token != token || e.closing {
			continue
		}
		held++
		if e.inflight() == 0 && (oldest == nil || e.lastUse < oldest.lastUse) {
			oldest, victim = e, id
		}
	}
	if held < limit {
		return "", true
	}
	if oldest == nil {
		return "", false
	}
	oldest.closing = true
	return victim, true
}

// useResult says what to do with a request on an existing session.
type useResult int

const (
	useUntracked useResult = iota // not ours to count (unknown id, another token): the SDK answers
	useTracked                    // counted: call done when the request ends
	useGone                       // evicted: answer 404
	useBusy                       // the session has its maximum in flight
)

// use notes a request on session id by token. A request (not a notification,
// a response or a GET stream) counts as in flight until done is called, and
// is refused beyond limit.
func (t *sessionTable) use(id, token string, request bool, limit int) (*sessionEntry, useResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[id]
	switch {
	case e == nil || e.token != token:
		return nil, useUntracked
	case e.closing:
		return nil, useGone
	case request && e.inflight() >= limit:
		return nil, useBusy
	}
	t.tick++
	e.lastUse = t.tick
	if !request {
		return nil, useUntracked
	}
	e.posts++
	return e, useTracked
}

// owns tells whether session id is open and held by token.
func (t *sessionTable) owns(id, token string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[id]
	return e != nil && e.token == token && !e.closing
}

func (t *sessionTable) done(e *sessionEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e.posts--
	t.tick++
	e.lastUse = t.tick
}

// middleware counts the handlers running per session, so that a session
// whose client dropped the POST of a long call is not taken for idle.
func (t *sessionTable) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		ss, _ := req.GetSession().(*mcp.ServerSession)
		if ss == nil || strings.HasPrefix(method, "notifications/") {
			return next(ctx, method, req)
		}
		id := ss.ID()
		t.mu.Lock()
		e := t.entries[id]
		if e != nil {
			e.running++
		}
		t.mu.Unlock()
		if e != nil {
			defer func() {
				t.mu.Lock()
				e.running--
				t.mu.Unlock()
			}()
		}
		return next(ctx, method, req)
	}
}

// serveSession serves a request that names a session: it keeps the
// session's last use and in-flight count, and refuses a request beyond
// MaxInflightPerSession with 429.
func (h *Server) serveSession(w http.ResponseWriter, r *http.Request, key string, msg message, next http.Handler) {
	request := r.Method == http.MethodPost && msg.kind == kindRequest
	e, res := h.sessions.use(r.Header.Get(sessionIDHeader), key, request, h.cfg.MaxInflightPerSession)
	switch res {
	case useGone:
		http.Error(w, "session not found", http.StatusNotFound)
		return
	case useBusy:
		w.Header().Set("Retry-After", "1")
		writeRPCError(w, http.StatusTooManyRequests, msg.id, codeLimit, fmt.Sprintf(
			"too many requests in flight on this session (at most %d); wait for one to finish (PVE_MCP_MAX_INFLIGHT_PER_SESSION)",
			h.cfg.MaxInflightPerSession))
		return
	case useTracked:
		defer h.sessions.done(e)
	}
	next.ServeHTTP(w, r)
}

// serveNewSession serves a POST without a session id, which opens a session.
// A token at MaxSessionsPerToken first loses its least recently used idle
// session (503 when all are busy), so one token cannot hold every session;
// beyond MaxSessions in all the answer is 503. Creation is serialized so the
// counts are exact; the body is already read and holds one message, so the
// SDK answers at once.
func (h *Server) serveNewSession(w http.ResponseWriter, r *http.Request, key string, msg message, next http.Handler) {
	h.sessionMu.Lock()
	defer h.sessionMu.Unlock()
	if h.closing.Load() {
		unavailable(w, "server shutting down")
		return
	}
	open := map[string]*mcp.ServerSession{}
	for ss := range h.mcp.Sessions() {
		open[ss.ID()] = ss
	}
	h.sessions.reconcile(open)
	// Only initialize opens a lasting session; other requests without one
	// (the SDK client's server/discover probe) must not cost a session.
	victim, ok := "", true
	if msg.kind == kindRequest && msg.method == "initialize" {
		victim, ok = h.sessions.makeRoom(key, h.cfg.MaxSessionsPerToken)
	}
	if !ok {
		h.log.Warn("refused a new session: every session of the token is busy", "token", key, "max", h.cfg.MaxSessionsPerToken)
		w.Header().Set("Retry-After", "10")
		writeRPCError(w, http.StatusServiceUnavailable, msg.id, codeLimit, fmt.Sprintf(
			"all %d sessions of this client token are busy; wait for one to finish or raise PVE_MCP_MAX_SESSIONS_PER_TOKEN",
			h.cfg.MaxSessionsPerToken))
		return
	}
	if victim != "" {
		h.log.Info("closing the least recently used idle session of a token at its cap", "token", key,
			"max", h.cfg.MaxSessionsPerToken)
		if h.closeSession(open[victim]) {
			delete(open, victim)
		}
	}
	if n := len(open); n >= h.cfg.MaxSessions {
		h.log.Warn("refused a new session: too many open", "open", n, "max", h.cfg.MaxSessions)
		unavailable(w, fmt.Sprintf("too many sessions (%d open); close unused clients or raise PVE_MCP_MAX_SESSIONS", n))
		return
	}
	next.ServeHTTP(&sessionWriter{ResponseWriter: w, record: func(id string) { h.sessions.add(id, key) }}, r)
}

// closeSession closes an evicted session within evictCloseWait, and says
// whether it did; a close that takes longer finishes in the background.
func (h *Server) closeSession(ss *mcp.ServerSession) bool {
	if ss == nil {
		return true
	}
	closed := make(chan struct{})
	go func() {
		ss.Close()
		close(closed)
	}()
	select {
	case <-closed:
		return true
	case <-time.After(evictCloseWait):
		h.log.Warn("an evicted session is still closing", "waited", evictCloseWait)
		return false
	}
}

// sessionWriter records the session the SDK opens as its answer starts,
// before the client can learn the id and use it.
type sessionWriter struct {
	http.ResponseWriter
	record func(id string)
	seen   bool
}

func (w *sessionWriter) check() {
	if !w.seen {
		w.seen = true
		if id := w.Header().Get(sessionIDHeader); id != "" {
			w.record(id)
		}
	}
}

func (w *sessionWriter) WriteHeader(code int) {
	w.check()
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionWriter) Write(b []byte) (int, error) {
	w.check()
	return w.ResponseWriter.Write(b)
}

func (w *sessionWriter) Flush() {
	w.check()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
