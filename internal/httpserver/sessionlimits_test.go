package httpserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// blocker is a test-only tool that runs until released, to hold requests in
// flight.
type blocker struct {
	started   chan struct{} // one value per call that began
	cancelled chan error    // the cause, per call cancelled
	release   chan struct{}
	once      sync.Once
}

func addBlocker(t *testing.T, e *env) *blocker {
	b := &blocker{started: make(chan struct{}, 100), cancelled: make(chan error, 100), release: make(chan struct{})}
	mcp.AddTool(e.srv.mcp, &mcp.Tool{Name: "test_block", Description: "Blocks until the test releases it."},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			b.started <- struct{}{}
			select {
			case <-b.release:
			case <-ctx.Done():
				b.cancelled <- context.Cause(ctx)
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "released"}}}, nil, nil
		})
	t.Cleanup(b.free) // before the server stops: cleanups run last first
	return b
}

func (b *blocker) free() { b.once.Do(func() { close(b.release) }) }

// wait waits for n calls to begin.
func (b *blocker) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-b.started:
		case <-time.After(20 * time.Second):
			t.Fatal("the blocking call did not start")
		}
	}
}

func blockCall(id int) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"test_block","arguments":{}}}`, id)
}

type answer struct {
	status int
	hdr    http.Header
	body   string
	err    error
}

// postAsync POSTs body in the background; cancelling ctx drops the request.
func (e *env) postAsync(ctx context.Context, hdr http.Header, body string) chan answer {
	out := make(chan answer, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, "POST", e.url, strings.NewReader(body))
		if err != nil {
			out <- answer{err: err}
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, vs := range hdr {
			req.Header[k] = vs
		}
		resp, err := e.client.Do(req)
		if err != nil {
			out <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- answer{status: resp.StatusCode, hdr: resp.Header, body: string(b), err: err}
	}()
	return out
}

func await(t *testing.T, what string, c chan answer) answer {
	t.Helper()
	select {
	case a := <-c:
		return a
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no answer", what)
		return answer{}
	}
}

// openStream opens the session's GET event stream; cancelling ctx ends it.
func (e *env) openStream(t *testing.T, ctx context.Context, token, sid string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url, nil)
	req.Header = withSession(token, sid)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := e.client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET stream: %v %v", resp, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
}

func TestSessionCapEvictsOldestIdle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{MaxSessionsPerToken: 2, MaxSessions: 3}})
	s1 := e.openRaw(aliceToken)
	s2 := e.openRaw(aliceToken)
	e.openRaw(bobToken) // the server is full
	// A POST without a session that opens none (the SDK client's probe) evicts nothing.
	e.raw("POST", Endpoint, bearer(aliceToken), `{"jsonrpc":"2.0","id":1,"method":"server/discover"}`)
	if n := e.sessions(); n != 3 {
		t.Fatalf("%d sessions after a probe", n)
	}
	// s1 is used again, so s2 is alice's least recently used idle session.
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, s1), listToolsBody); resp.StatusCode != 200 {
		t.Fatalf("s1: %d", resp.StatusCode)
	}
	s3 := e.openRaw(aliceToken) // opens although the server is full: alice's s2 made room
	if resp, body := e.raw("POST", Endpoint, withSession(aliceToken, s2), listToolsBody); resp.StatusCode != http.StatusNotFound {
		t.Errorf("evicted s2: %d %.200s", resp.StatusCode, body)
	}
	for _, sid := range []string{s1, s3} {
		if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != 200 {
			t.Errorf("session kept: %d", resp.StatusCode)
		}
	}
	// The global cap still holds.
	if resp, body := e.raw("POST", Endpoint, bearer(bobToken), initializeBody); resp.StatusCode != 503 || !strings.Contains(body, "too many sessions") {
		t.Errorf("bob on a full server: %d %s", resp.StatusCode, body)
	}
}

// TestOneTokenCannotTakeEverySession: the attack of the issue, 100 bare
// initialize requests from one token, leaves room for everyone else.
func TestOneTokenCannotTakeEverySession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{}) // defaults: 100 sessions, 10 per token
	for i := range config.DefaultMaxSessions {
		if resp, body := e.raw("POST", Endpoint, bearer(aliceToken), initializeBody); resp.StatusCode != 200 {
			t.Fatalf("initialize %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if n := e.sessions(); n != config.DefaultMaxSessionsPerToken {
		t.Errorf("alice holds %d sessions", n)
	}
	bob := e.mustConnect(bobToken, nil)
	if _, err := bob.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestSessionCapAllBusyIs503(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{MaxSessionsPerToken: 2}})
	b := addBlocker(t, e)
	var calls []chan answer
	for i := range 2 {
		calls = append(calls, e.postAsync(context.Background(), withSession(aliceToken, e.openRaw(aliceToken)), blockCall(10+i)))
	}
	b.wait(t, 2)
	resp, body := e.raw("POST", Endpoint, bearer(aliceToken), initializeBody)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "PVE_MCP_MAX_SESSIONS_PER_TOKEN") {
		t.Errorf("third session with both busy: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n := e.sessions(); n != 2 {
		t.Errorf("%d sessions", n)
	}
	e.openRaw(bobToken) // another token is not affected
	b.free()
	for _, c := range calls {
		if a := await(t, "blocked call", c); a.err != nil || a.status != 200 || !strings.Contains(a.body, "released") {
			t.Errorf("blocked call: %d %v %s", a.status, a.err, a.body)
		}
	}
	e.openRaw(aliceToken) // idle again: the oldest makes room
	if n := e.sessions(); n != 3 {
		t.Errorf("%d sessions, want alice's 2 and bob's", n)
	}
}

func TestInflightPerSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{MaxInflightPerSession: 2}})
	b := addBlocker(t, e)
	sid := e.openRaw(aliceToken)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.openStream(t, ctx, aliceToken, sid) // open throughout; it does not count
	calls := []chan answer{
		e.postAsync(context.Background(), withSession(aliceToken, sid), blockCall(10)),
		e.postAsync(context.Background(), withSession(aliceToken, sid), blockCall(11)),
	}
	b.wait(t, 2)
	tctx, tcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer tcancel()
	a := await(t, "third call", e.postAsync(tctx, withSession(aliceToken, sid), blockCall(12)))
	if a.err != nil || a.status != http.StatusTooManyRequests || a.hdr.Get("Retry-After") == "" ||
		!strings.Contains(a.body, `"id":12`) || !strings.Contains(a.body, "PVE_MCP_MAX_INFLIGHT_PER_SESSION") {
		t.Errorf("third call: %d %v %q %s", a.status, a.err, a.hdr.Get("Retry-After"), a.body)
	}
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), `{"jsonrpc":"2.0","id":13,"method":"ping"}`); resp.StatusCode != 429 {
		t.Errorf("ping: %d", resp.StatusCode)
	}
	// Notifications are answered at once and pass; another session is not affected.
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), `{"jsonrpc":"2.0","method":"notifications/initialized"}`); resp.StatusCode != 202 {
		t.Errorf("notification: %d", resp.StatusCode)
	}
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, e.openRaw(aliceToken)), listToolsBody); resp.StatusCode != 200 {
		t.Errorf("other session: %d", resp.StatusCode)
	}
	b.free()
	for _, c := range calls {
		if a := await(t, "blocked call", c); a.status != 200 || !strings.Contains(a.body, "released") {
			t.Errorf("blocked call: %d %v %s", a.status, a.err, a.body)
		}
	}
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != 200 {
		t.Errorf("after the calls: %d", resp.StatusCode)
	}
}

// TestDroppedCallStillInFlight: a call whose client dropped a resumable
// POST (it saw an event id) keeps running for the resume window, so it
// still counts and its session is not idle.
func TestDroppedCallStillInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{MaxInflightPerSession: 1, MaxSessionsPerToken: 1}})
	b := addBlocker(t, e)
	sid := e.openRawVersion(aliceToken, "2025-11-25")
	s := e.streamPost(t, withVersion(withSession(aliceToken, sid), "2025-11-25"), blockCall(10))
	b.wait(t, 1)
	if id := s.next(t).id; !strings.HasSuffix(id, "_0") {
		t.Fatalf("no priming event id: %q", id)
	}
	posts := func() int { return strings.Count(e.logs.String(), `msg="http request" method=POST`) }
	before := posts()
	s.drop()
	// The access log line is written when the server is done with the POST.
	simtest.Eventually(t, "the server to end the dropped POST", func() bool { return posts() > before })
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != 429 {
		t.Errorf("while the dropped call runs: %d", resp.StatusCode)
	}
	if resp, _ := e.raw("POST", Endpoint, bearer(aliceToken), initializeBody); resp.StatusCode != 503 {
		t.Errorf("a new session evicted the busy one: %d", resp.StatusCode)
	}
	b.free()
	simtest.Eventually(t, "the call to end", func() bool {
		resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody)
		return resp.StatusCode == 200
	})
}
