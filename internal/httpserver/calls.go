package httpserver

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// callHeader carries the key the HTTP layer gives each POSTed request, so
// that the handler the SDK runs for it can be found again when the POST
// ends. Whatever a client sends in it is dropped.
const callHeader = "X-Proxmox-Mcp-Call"

// Why a call's context was cancelled.
var (
	errClientGone = errors.New("the client disconnected")
	errShutdown   = errors.New("the server is shutting down")
)

// callTable follows the request handlers the SDK runs. The SDK keeps a
// handler running when its client drops the POST (it could resume the
// stream), so the HTTP layer cancels it: at once when the client cannot
// resume (it saw no event id), else when it has not resumed within the
// resume window. At shutdown every handler still running is cancelled.
type callTable struct {
	window time.Duration

	mu       sync.Mutex
	byKey    map[string]*callRec
	byStream map[string]*callRec   // by the SDK's stream id, once an event id was sent
	running  map[*callRec]struct{} // handlers running, with or without a key
	stopped  bool                  // shutdown cancelled every call
	// seq numbers the POSTs for their keys: serveMCP drops a client's
	// callHeader, so a key need only be unique, not unguessable (crypto/rand
	// cost a syscall per call).
	seq atomic.Uint64
}

type callRec struct {
	key, session, stream string
	cancel               context.CancelCauseFunc // set while the handler runs
	posted               bool                    // its POST is open
	started, ended       bool                    // the handler's life
	gone                 bool                    // the client left; cancel when it starts
	resumers             int                     // GETs resuming its stream
	timer                *time.Timer             // the resume window
}

func newCallTable(window time.Duration) *callTable {
	return &callTable{window: window, byKey: map[string]*callRec{}, byStream: map[string]*callRec{},
		running: map[*callRec]struct{}{}}
}

// post registers a POSTed request of session before the SDK reads it, and
// puts its key in the request's headers.
func (t *callTable) post(r *http.Request, session string) *callRec {
	c := &callRec{key: strconv.FormatUint(t.seq.Add(1), 36), session: session, posted: true}
	r.Header.Set(callHeader, c.key)
	t.mu.Lock()
	t.byKey[c.key] = c
	t.mu.Unlock()
	return c
}

// sawStream records the stream the SDK opened for c (from its first event
// id), which makes c resumable.
func (t *callTable) sawStream(c *callRec, stream string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.stream == "" && c.session != "" && !c.done() {
		c.stream = stream
		t.byStream[stream] = c
	}
}

// posted is called when c's POST ends; gone says the client left first.
func (t *callTable) posted(c *callRec, gone bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.posted = false
	switch {
	case !gone:
		// The SDK answered (the handler is done or never ran), or the session
		// closed under a running handler, which closing cancels.
		if !c.started {
			c.ended = true
		}
	case c.stream != "":
		c.gone = true
		t.arm(c)
	default:
		c.gone = true
		if c.cancel != nil {
			c.cancel(errClientGone)
		} else if !c.started {
			t.arm(c) // the handler may be about to start; forget the call if not
		}
	}
	t.forget(c)
}

// arm starts c's resume window; when it passes with no client resuming, c
// is cancelled (or forgotten, if its handler never started). t.mu must be held.
func (t *callTable) arm(c *callRec) {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(t.window, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if c.resumers > 0 {
			return
		}
		if c.cancel != nil {
			c.cancel(errClientGone)
		} else if !c.started {
			c.ended = true
		}
		t.forget(c)
	})
}

// forget drops c once nothing can refer to it. t.mu must be held.
func (t *callTable) forget(c *callRec) {
	if !c.done() {
		return
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	if t.byKey[c.key] == c {
		delete(t.byKey, c.key)
	}
	if c.stream != "" && t.byStream[c.stream] == c {
		delete(t.byStream, c.stream)
	}
}

func (c *callRec) done() bool { return !c.posted && c.ended && c.resumers == 0 }

// resume notes a GET resuming stream on session; it returns nil when the
// stream is not one of a running call.
func (t *callTable) resume(session, stream string) *callRec {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byStream[stream]
	if c == nil || c.session != session {
		return nil
	}
	c.resumers++
	if c.timer != nil {
		c.timer.Stop()
	}
	return c
}

// resumed is called when a resuming GET ends. While the call still runs
// (the client left again, or the SDK refused the GET), the resume window
// starts again.
func (t *callTable) resumed(c *callRec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.resumers--
	if c.resumers == 0 && !c.ended && !c.posted {
		t.arm(c)
	}
	t.forget(c)
}

// middleware ties every request handler's context to the table.
func (t *callTable) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if strings.HasPrefix(method, "notifications/") {
			return next(ctx, method, req)
		}
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		key := ""
		if ex := req.GetExtra(); ex != nil && ex.Header != nil {
			key = ex.Header.Get(callHeader)
		}
		c := t.start(key, cancel)
		defer t.end(c)
		return next(ctx, method, req)
	}
}

func (t *callTable) start(key string, cancel context.CancelCauseFunc) *callRec {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.byKey[key]
	if c == nil || c.started {
		c = &callRec{} // not POSTed through us (in-process sessions, tests)
	}
	c.started, c.cancel = true, cancel
	t.running[c] = struct{}{}
	switch {
	case t.stopped:
		cancel(errShutdown)
	case c.gone && c.stream == "":
		cancel(errClientGone)
	}
	return c
}

func (t *callTable) end(c *callRec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.ended, c.cancel = true, nil
	delete(t.running, c)
	t.forget(c)
}

// stopAll cancels every running handler, and those that start later, and
// returns how many ran.
func (t *callTable) stopAll() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	for c := range t.running {
		c.cancel(errShutdown)
	}
	return len(t.running)
}

// count is the number of handlers running.
func (t *callTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.running)
}

// streamWriter passes a POST's answer through and tells the first SSE event
// id it carries ("<stream>_<index>"), which the client can resume from.
type streamWriter struct {
	http.ResponseWriter
	saw func(stream string)
}

func (w *streamWriter) Write(b []byte) (int, error) {
	if w.saw != nil {
		if id, ok := eventID(b); ok {
			if stream, _, ok := strings.Cut(id, "_"); ok && stream != "" {
				w.saw(stream)
				w.saw = nil
			}
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *streamWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// eventID finds an "id:" field in written SSE text; the SDK writes each
// event whole, and its data lines are JSON without raw newlines.
func eventID(b []byte) (string, bool) {
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("id:")); ok {
			return string(bytes.TrimSpace(v)), true
		}
	}
	return "", false
}
