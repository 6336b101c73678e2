package httpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// ReadyPath answers "ok" while the server can serve calls: it reaches
// Proxmox and is not shutting down. A balancer or Kubernetes sends traffic
// only to ready replicas; HealthPath (liveness) does not ask Proxmox, so an
// outage of Proxmox never gets every replica restarted.
const ReadyPath = "/readyz"

// A readiness probe comes every few seconds from every balancer: the answer
// is reused for readyEvery so that probes never load Proxmox, and one check
// waits at most readyTimeout (well under a probe's usual timeout).
const (
	defaultReadyEvery = 5 * time.Second
	readyTimeout      = 3 * time.Second
)

// ReadyCheck reports whether the backend answers; nil means ready. Its error
// goes to the log only, never to the client.
type ReadyCheck func(context.Context) error

// Option configures New and Serve.
type Option func(*Server)

// WithReadyCheck makes ReadyPath run check (cached). Without it the server
// is ready whenever it is not shutting down.
func WithReadyCheck(check ReadyCheck) Option {
	return func(h *Server) { h.ready.check = check }
}

// Getter is the part of the Proxmox client ProxmoxVersion uses.
type Getter interface {
	Get(ctx context.Context, path string, q url.Values, out any) error
}

// ProxmoxVersion checks readiness with GET /version through the client, as
// every tool's request goes: its TLS pinning, its credential, its timeout.
// Any authenticated user may read /version, so the check needs no privilege.
// It bypasses the client's cached Version on purpose: that is read once.
func ProxmoxVersion(c Getter) ReadyCheck {
	return func(ctx context.Context) error {
		var raw json.RawMessage
		return c.Get(ctx, "/version", nil, &raw)
	}
}

// readiness caches the last check's outcome. The mutex is held during a
// check, so concurrent probes wait for that one check instead of each
// asking Proxmox.
type readiness struct {
	check ReadyCheck
	every time.Duration

	mu     sync.Mutex
	at     time.Time // when the last check ended; zero: none yet
	err    error
	failed bool // the previous outcome, to log changes only
}

// readyState runs the check when the cached outcome is older than every.
func (h *Server) readyState() error {
	r := &h.ready
	if r.check == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() && time.Since(r.at) < r.every {
		return r.err
	}
	// Not the request's context: a probe that gives up must not cache a
	// cancellation as Proxmox being down.
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	err := r.check(ctx)
	r.at, r.err = time.Now(), err
	switch {
	case err != nil && !r.failed:
		h.log.Warn("not ready: Proxmox does not answer GET /version", "err", err)
	case err == nil && r.failed:
		h.log.Info("ready: Proxmox answers again")
	}
	r.failed = err != nil
	return err
}

// serveReady answers ReadyPath: 200 "ok", or 503 with a short fixed reason
// (the error itself may name hosts or carry Proxmox's words: it is logged).
func (h *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	h.probe(w, r, "not ready: shutting down", func() string {
		if h.readyState() != nil {
			return "not ready: Proxmox does not answer"
		}
		return ""
	})
}

// serveHealth answers HealthPath: the process serves, unless it is
// shutting down.
func (h *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	h.probe(w, r, "shutting down", func() string { return "" })
}

// probe answers a probe path: GET or HEAD, never cached, 503 with a
// reason while shutting down or when check gives one, else "ok".
func (h *Server) probe(w http.ResponseWriter, r *http.Request, closing string, check func() string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if h.closing.Load() {
		unavailable(w, closing)
		return
	}
	if reason := check(); reason != "" {
		unavailable(w, reason)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, "ok")
}
