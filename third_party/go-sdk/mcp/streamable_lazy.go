// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by an MIT-style
// license that can be found in the LICENSE file.

package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// A lazy stream holds its response headers until it knows what the call
// produces (see [StreamableHTTPOptions.JSONResponseWindow]): most calls
// answer at once with nothing before, and an application/json answer costs
// one write where SSE costs the priming event's flush, the event store and
// the chunked stream's end.
type lazyStream struct {
	ctx   context.Context // the POST's, for the event store
	conn  *streamableServerConn
	timer *time.Timer
}

// lazyPOST reports whether a POST's stream starts lazy: one call, not a
// batch or subscriptions/listen, an SSE stream otherwise, and a client that
// accepts application/json.
func (c *streamableServerConn) lazyPOST(req *http.Request, isBatch, isListen bool, calls int) bool {
	if c.jsonWindow <= 0 || c.jsonResponse || isBatch || isListen || calls != 1 {
		return false
	}
	jsonOK, _ := streamableAccepts(req.Header.Values("Accept"))
	return jsonOK
}

// startLazy makes s lazy; when the window passes first, s turns SSE.
func (c *streamableServerConn) startLazy(ctx context.Context, s *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &lazyStream{ctx: ctx, conn: c}
	s.lazy = l
	// s.mu is held until l.timer is set, and the callback takes it first.
	l.timer = time.AfterFunc(c.jsonWindow, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.lazy == l {
			s.upgradeLazyLocked()
		}
	})
}

// settleLazyLocked decides a lazy stream on its first message: the response
// that completes the stream makes it application/json (true); anything
// else makes it SSE (false). s.mu must be held.
func (s *stream) settleLazyLocked(responseTo jsonrpc.ID, overrideStatus int) bool {
	_, pending := s.requests[responseTo]
	if !responseTo.IsValid() || !pending || len(s.requests) != 1 || s.done == nil {
		s.upgradeLazyLocked()
		return false
	}
	s.stopLazyLocked()
	if overrideStatus == 0 { // else deliverLocked sets its own headers
		s.w.Header().Set("Content-Type", "application/json")
		s.pendingJSONMessages = []json.RawMessage{}
	}
	return true
}

// upgradeLazyLocked turns a lazy stream SSE as servePOST does at once
// without the window: the event store entry, the headers and the priming
// event. s.mu must be held.
func (s *stream) upgradeLazyLocked() {
	l := s.lazy
	if l == nil {
		return
	}
	s.stopLazyLocked()
	if s.w == nil {
		return
	}
	c := l.conn
	s.w.Header().Set("Content-Type", "text/event-stream")
	s.w.Header().Set("Connection", "keep-alive")
	if c.eventStore == nil || protocolVersionFromContext(l.ctx) >= protocolVersion20260728 {
		return
	}
	if err := c.eventStore.Open(l.ctx, c.sessionID, s.id); err != nil {
		// Too late for a 500: the call runs; it is answered, not resumable.
		c.logger.Warn(fmt.Sprintf("storing stream: %v", err))
		s.unstored = true
		return
	}
	if s.protocolVersion >= protocolVersion20251125 && s.protocolVersion < protocolVersion20260728 {
		if err := c.eventStore.Append(l.ctx, c.sessionID, s.id, nil); err != nil {
			c.logger.Warn(fmt.Sprintf("Storing priming event: %v", err))
		}
		s.lastIdx++
		if _, err := writeEvent(s.w, Event{Name: "prime", ID: formatEventID(s.id, s.lastIdx)}); err != nil {
			c.logger.Warn(fmt.Sprintf("Writing priming event: %v", err))
		}
	}
}

// stopLazyLocked ends the window. s.mu must be held.
func (s *stream) stopLazyLocked() {
	if s.lazy != nil {
		s.lazy.timer.Stop()
		s.lazy = nil
	}
}

// dropLazyLocked ends the window of a stream whose POST ends: a stream still
// lazy was never opened in the event store, and its client saw no event id,
// so what it produces later is not stored. s.mu must be held.
func (s *stream) dropLazyLocked() {
	if s.lazy != nil {
		s.stopLazyLocked()
		s.unstored = true
	}
}
