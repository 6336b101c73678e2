package httpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

func withVersion(h http.Header, version string) http.Header {
	h.Set("Mcp-Protocol-Version", version)
	return h
}

// openRawVersion opens a session by hand at a protocol version.
func (e *env) openRawVersion(token, version string) string {
	e.t.Helper()
	body := strings.Replace(initializeBody, "2025-06-18", version, 1)
	resp, text := e.raw("POST", Endpoint, withVersion(bearer(token), version), body)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" || !strings.Contains(text, version) {
		e.t.Fatalf("initialize at %s: %d %q %s", version, resp.StatusCode, sid, text)
	}
	resp, text = e.raw("POST", Endpoint, withVersion(withSession(token, sid), version), `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if resp.StatusCode != http.StatusAccepted {
		e.t.Fatalf("initialized: %d %s", resp.StatusCode, text)
	}
	return sid
}

// sse reads the events of one streamed response as they come.
type sse struct {
	resp   *http.Response
	rd     *bufio.Reader
	cancel context.CancelFunc
	events chan event
}

type event struct {
	id, data string
	err      error
}

// tryOpenSSE is openSSE for a request the server may refuse with 409
// (a stream another client still holds); it returns nil then.
func (e *env) tryOpenSSE(t *testing.T, method string, hdr http.Header, body string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, method, e.url, nil)
	if body != "" {
		req, _ = http.NewRequestWithContext(ctx, method, e.url, strings.NewReader(body))
	}
	req.Header = hdr.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := e.client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("%s: %v", method, err)
	}
	if resp.StatusCode == http.StatusConflict {
		cancel()
		resp.Body.Close()
		return nil
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		resp.Body.Close()
		t.Fatalf("%s: %d %s", method, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{resp: resp, rd: bufio.NewReader(resp.Body), cancel: cancel, events: make(chan event, 100)}
	go s.read()
	t.Cleanup(s.drop)
	return s
}

func (e *env) openSSE(t *testing.T, method string, hdr http.Header, body string) *sse {
	t.Helper()
	s := e.tryOpenSSE(t, method, hdr, body)
	if s == nil {
		t.Fatalf("%s: 409 Conflict", method)
	}
	return s
}

func (e *env) streamPost(t *testing.T, hdr http.Header, body string) *sse {
	t.Helper()
	return e.openSSE(t, "POST", hdr, body)
}

func (s *sse) read() {
	defer close(s.events)
	var ev event
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			s.events <- event{err: err}
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev.id != "" || ev.data != "" {
				s.events <- ev
			}
			ev = event{}
		case strings.HasPrefix(line, "id:"):
			ev.id = strings.TrimSpace(line[3:])
		case strings.HasPrefix(line, "data:"):
			ev.data += strings.TrimSpace(line[5:])
		}
	}
}

// next returns the next event, failing on an error or after a while.
func (s *sse) next(t *testing.T) event {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok || ev.err != nil {
			t.Fatalf("stream ended: %v", ev.err)
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no event")
		return event{}
	}
}

// untilID reads events until the answer to JSON-RPC id id, and returns it
// and the id of the last event read.
func (s *sse) untilID(t *testing.T, id int) (answer map[string]any, last string) {
	t.Helper()
	for {
		ev := s.next(t)
		if ev.id != "" {
			last = ev.id
		}
		var m map[string]any
		if json.Unmarshal([]byte(ev.data), &m) == nil && m["id"] == float64(id) {
			return m, last
		}
	}
}

// drop closes the connection, as a client that goes away.
func (s *sse) drop() {
	s.cancel()
	s.resp.Body.Close()
}

func (b *blocker) cause(t *testing.T) error {
	t.Helper()
	select {
	case err := <-b.cancelled:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("the call was not cancelled")
		return nil
	}
}

// TestDisconnectCancelsCall: a client that drops the POST of a call it
// cannot resume (it saw no event id) cancels the call at once, in session
// and stateless mode alike; the session is then free for the next call.
func TestDisconnectCancelsCall(t *testing.T) {
	t.Parallel()
	for _, stateless := range []bool{false, true} {
		e := newEnv(t, envOpts{http: config.HTTPConfig{Stateless: stateless, MaxInflightPerSession: 1}})
		b := addBlocker(t, e)
		hdr := withVersion(bearer(aliceToken), "2025-06-18")
		sid := ""
		if !stateless {
			sid = e.openRaw(aliceToken)
			hdr = withSession(aliceToken, sid)
		}
		ctx, drop := context.WithCancel(context.Background())
		out := e.postAsync(ctx, hdr, blockCall(20))
		b.wait(t, 1)
		drop()
		<-out
		if err := b.cause(t); !errors.Is(err, errClientGone) {
			t.Errorf("stateless=%v: cancelled with %v", stateless, err)
		}
		simtest.Eventually(t, "the call to end", func() bool { return e.srv.calls.count() == 0 })
		if !stateless {
			simtest.Eventually(t, "the session to take the next call", func() bool {
				resp, _ := e.raw("POST", Endpoint, hdr, listToolsBody)
				return resp.StatusCode == 200
			})
		}
	}
}

// TestUnresumedCallCancelledAfterWindow: a dropped resumable call that no
// client resumes is cancelled once the resume window passes.
func TestUnresumedCallCancelledAfterWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{ResumeWindow: 300 * time.Millisecond}})
	b := addBlocker(t, e)
	sid := e.openRawVersion(aliceToken, "2025-11-25")
	s := e.streamPost(t, withVersion(withSession(aliceToken, sid), "2025-11-25"), blockCall(30))
	b.wait(t, 1)
	s.next(t) // the priming event
	dropped := time.Now()
	s.drop()
	if err := b.cause(t); !errors.Is(err, errClientGone) || time.Since(dropped) < 250*time.Millisecond {
		t.Errorf("cancelled with %v after %v", err, time.Since(dropped))
	}
}

// TestResumeAfterDroppedPOST: a client drops the POST during a long clone,
// resumes with Last-Event-ID on a GET past the resume window's start, and
// receives the clone's result there.
func TestResumeAfterDroppedPOST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{speed: 1000, http: config.HTTPConfig{ResumeWindow: 2 * time.Second}})
	sid := e.openRawVersion(aliceToken, "2025-11-25")
	hdr := withVersion(withSession(aliceToken, sid), "2025-11-25")
	clone := `{"jsonrpc":"2.0","id":40,"method":"tools/call","params":{"name":"pve_vm_clone","arguments":{"node":"pve1","vmid":101,"newid":9101,"full":true},"_meta":{"progressToken":"c"}}}`
	s := e.streamPost(t, hdr, clone)
	s.next(t)            // the priming event
	last := s.next(t).id // a progress notification: the clone runs
	s.drop()
	time.Sleep(300 * time.Millisecond) // within the window, the call keeps running
	if n := e.srv.calls.count(); n != 1 {
		t.Fatalf("%d calls running after the drop", n)
	}
	get := hdr.Clone()
	get.Set("Last-Event-ID", last)
	var r *sse // 409 until the server has noticed the dropped POST
	simtest.Eventually(t, "the resume to be served", func() bool { r = e.tryOpenSSE(t, "GET", get, ""); return r != nil })
	time.Sleep(2 * time.Second)   // past the window: a resumed call is not cancelled
	e.sim.Advance(72 * time.Hour) // the clone ends
	answer, _ := r.untilID(t, 40)
	b, _ := json.Marshal(answer)
	if !strings.Contains(string(b), "9101") || !strings.Contains(string(b), "OK") || strings.Contains(string(b), `"isError":true`) {
		t.Fatalf("resumed answer: %s", b)
	}
	// The stream stays resumable once the call ended: a late resume replays.
	// The first resumer leaves first; until the server has noticed, the SDK
	// answers a second one 409, and a client tries again.
	r.drop()
	get.Set("Last-Event-ID", last)
	var late *sse
	simtest.Eventually(t, "a late resume to be served", func() bool {
		late = e.tryOpenSSE(t, "GET", get, "")
		return late != nil
	})
	again, _ := late.untilID(t, 40)
	if b2, _ := json.Marshal(again); string(b2) != string(b) {
		t.Errorf("replay differs: %s", b2)
	}
}
