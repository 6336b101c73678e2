package httpserver

import (
	"context"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// After the calls were cancelled at shutdown, answerGrace bounds waiting for
// their answers to be written, and sessionCloseGrace closing the sessions: a
// handler that ignores cancellation must not hold the exit.
const (
	answerGrace       = 5 * time.Second
	sessionCloseGrace = 5 * time.Second
)

// answerSettle is left between the last answer written at shutdown and the
// end of the event streams: a client that sees its stream end before it has
// read the answer off the socket may fail the call (the go-sdk client does).
const answerSettle = 200 * time.Millisecond

// shutdown refuses new calls (503, and /healthz answers 503 so a balancer
// drains the server), lets the calls running finish within the shutdown
// timeout, then cancels those left, each of which answers with what it knows
// (a task's UPID), and waits for the answers to be written. Only then does it
// stop accepting connections and close the sessions, which ends their event
// streams.
func (h *Server) shutdown(srv *http.Server) {
	h.closing.Store(true)
	srv.SetKeepAlivesEnabled(false)
	start := time.Now()
	busy := h.calls.count() > 0 || h.inflight.Load() > 0
	h.log.Info("shutting down: new calls are refused; waiting for the running ones", "running", h.calls.count(),
		"limit", h.cfg.ShutdownTimeout)
	if !h.waitIdle(h.cfg.ShutdownTimeout) {
		n := h.calls.stopAll()
		h.log.Warn("shutdown: cancelled the calls still running; each answers with what is known so far",
			"cancelled", n, "after", h.cfg.ShutdownTimeout)
		if !h.waitIdle(answerGrace) {
			h.log.Warn("shutdown: calls did not answer in time after cancellation", "running", h.calls.count(), "grace", answerGrace)
		}
	}
	h.calls.stopAll() // a call POSTed in the last moment is cancelled as it starts
	if busy {
		time.Sleep(answerSettle)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionCloseGrace+time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
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
		h.log.Warn("shutdown timed out: closing the remaining connections", "err", err)
		srv.Close()
		return
	}
	h.log.Info("shut down", "took", time.Since(start).Round(time.Millisecond))
}

// waitIdle waits up to limit for no call to run and no POST or DELETE to be
// open (an answer is written when its POST ends), and says whether it came.
func (h *Server) waitIdle(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for h.calls.count() > 0 || h.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
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
